"""Objections: a reference number to follow them by, an optional e-mail address and the office's answer.

Revision ID: 0078_objection_reference
Revises: 0077_applicant_timeline
Create Date: 2026-12-07 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0078_objection_reference'
down_revision = '0077_applicant_timeline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite); objections filed before keep no reference.
    op.add_column('objections', sa.Column('reference', sa.String(length=16), nullable=True))
    op.add_column('objections', sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
    op.add_column('objections', sa.Column('answer', sa.Text(), nullable=False, server_default=''))
    op.create_index('ix_objections_reference', 'objections', ['reference'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_objections_reference', table_name='objections')
    op.drop_column('objections', 'answer')
    op.drop_column('objections', 'email')
    op.drop_column('objections', 'reference')
