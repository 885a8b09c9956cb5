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


COUNTED_RECORD = sa.Enum('independent', 'consensus', name='counted_record', native_enum=False, create_constraint=True)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # In place, not by a batch copy: copying drops review_rounds, and with foreign keys on that
        # deletes every panel, draw and consensus of every round (ON DELETE CASCADE).
        op.execute("ALTER TABLE review_rounds ADD COLUMN counts VARCHAR(11) DEFAULT 'independent' NOT NULL "
                   "CONSTRAINT ck_review_rounds_counted_record CHECK (counts IN ('independent', 'consensus'))")
    else:
        op.add_column('review_rounds', sa.Column('counts', COUNTED_RECORD, nullable=False,
                                                 server_default='independent'))
    op.execute("UPDATE review_rounds SET counts = 'consensus' "
               "WHERE EXISTS (SELECT 1 FROM consensus_scores WHERE consensus_scores.round_id = review_rounds.id)")
    # Plain ALTER TABLE ADD COLUMN on both databases.
    op.add_column('shortlist_entries', sa.Column('counted', sa.JSON(), nullable=False, server_default='{}'))
    op.add_column('shortlist_entries', sa.Column('independent', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN (SQLite 3.35 and later) keeps the tables, and so the rows that refer to
    # them: a batch copy of shortlist_entries or review_rounds would cascade into votes and panels.
    op.drop_column('shortlist_entries', 'independent')
    op.drop_column('shortlist_entries', 'counted')
    op.drop_column('review_rounds', 'counts')
