"""Application form: a version for the autosave's check, and evidence tied to a rubric item.

Revision ID: 0083_evidence_item
Revises: 0080_consensus_discussion
Create Date: 2026-12-07 21:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0083_evidence_item'
down_revision = '0080_consensus_discussion'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite); older evidence keeps no item, older drafts version 1.
    op.add_column('applications', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('evidence_files', sa.Column('rubric_item_id', sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column('evidence_files', 'rubric_item_id')
    op.drop_column('applications', 'version')
