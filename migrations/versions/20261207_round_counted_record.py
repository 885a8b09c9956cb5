"""Each review round states which record counts: its independent sheets or its panel consensus.

A frozen ranking keeps, per entry, which record each round's figure came from and the independent
sheets' total and range beside it. Existing rounds keep the figures their rankings showed: until
now any consensus replaced the sheets' scores of its items, so a round holding a consensus counts
the consensus, and every other round its independent sheets (where no consensus exists both rules
give the same figures). Snapshots frozen before this revision record nothing; they stay as frozen.

Revision ID: 0074_round_counted_record
Revises: 0073_notice_chain_anchors
Create Date: 2026-12-07 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0074_round_counted_record'
down_revision = '0073_notice_chain_anchors'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts', sa.Enum('independent', 'consensus', name='counted_record', native_enum=False, create_constraint=True), nullable=False, server_default='independent'))
    op.execute("UPDATE review_rounds SET counts = 'consensus' "
               "WHERE EXISTS (SELECT 1 FROM consensus_scores WHERE consensus_scores.round_id = review_rounds.id)")
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('independent', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.drop_column('independent')
        batch_op.drop_column('counted')
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_rounds_counted_record'), type_='check')
        batch_op.drop_column('counts')
