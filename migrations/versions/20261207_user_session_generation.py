"""Users: a session generation, raised at logout, password and role changes to end every session at once.

Revision ID: 0071_user_session_generation
Revises: 0070_item_scores_index
Create Date: 2026-12-07 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0071_user_session_generation'
down_revision = '0070_item_scores_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
