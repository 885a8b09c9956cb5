"""Item scores: one index on (sheet_id, item_id, points) covers the ranking's bulk read.

It replaces the index on sheet_id alone, whose lookups it serves as well.

Revision ID: 0070_item_scores_index
Revises: 0060_documents
Create Date: 2026-12-06 22:05:00
"""

from alembic import op


revision = '0070_item_scores_index'
down_revision = '0060_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item_scores', schema=None) as batch_op:
        batch_op.create_index('ix_item_scores_sheet_id_item_id_points', ['sheet_id', 'item_id', 'points'],
                              unique=False)
        batch_op.drop_index(batch_op.f('ix_item_scores_sheet_id'))


def downgrade() -> None:
    with op.batch_alter_table('item_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_scores_sheet_id'), ['sheet_id'], unique=False)
        batch_op.drop_index('ix_item_scores_sheet_id_item_id_points')
