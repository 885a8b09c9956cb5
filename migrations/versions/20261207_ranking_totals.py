"""Score sheets: the points of every item packed at submit (item_points), read by the ranking.

Sheets submitted before this revision keep NULL there; the ranking reads their item rows instead.

Revision ID: 0087_ranking_totals
Revises: 0084_jobs
Create Date: 2026-12-07 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0087_ranking_totals'
down_revision = '0084_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('score_sheets', sa.Column('item_points', sa.LargeBinary(), nullable=True))  # no rebuild


def downgrade() -> None:
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_column('item_points')
