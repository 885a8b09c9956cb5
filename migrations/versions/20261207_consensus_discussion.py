"""Consensus as a discussion: members' agree / disagree / comment entries, and the leader's finalization.

Revision ID: 0080_consensus_discussion
Revises: 0079_cycle_calls
Create Date: 2026-12-07 21:00:00
"""

from alembic import op
import sqlalchemy as sa

from award.db import UTCDateTime


revision = '0080_consensus_discussion'
down_revision = '0079_cycle_calls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'consensus_remarks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.String(length=20), nullable=True),
        sa.Column('kind', sa.Enum('agree', 'disagree', 'comment', name='consensus_remark_kind',
                                  native_enum=False, create_constraint=True, length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind = 'agree' OR length(text) > 0", name=op.f('ck_consensus_remarks_text_required')),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_consensus_remarks_application_id_applications')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_consensus_remarks_author_id_users')),
        sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'],
                                name=op.f('fk_consensus_remarks_round_id_review_rounds'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consensus_remarks')),
    )
    op.create_index('ix_consensus_remarks_round_id_application_id', 'consensus_remarks',
                    ['round_id', 'application_id'], unique=False)
    op.create_table(
        'consensus_finalizations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('finalized_by_id', sa.Integer(), nullable=False),
        sa.Column('finalized_at', UTCDateTime(), nullable=False),
        sa.Column('open_disagreements', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_consensus_finalizations_application_id_applications')),
        sa.ForeignKeyConstraint(['finalized_by_id'], ['users.id'],
                                name=op.f('fk_consensus_finalizations_finalized_by_id_users')),
        sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'],
                                name=op.f('fk_consensus_finalizations_round_id_review_rounds'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consensus_finalizations')),
        sa.UniqueConstraint('round_id', 'application_id',
                            name=op.f('uq_consensus_finalizations_round_id_application_id')),
    )


def downgrade() -> None:
    op.drop_table('consensus_finalizations')
    op.drop_index('ix_consensus_remarks_round_id_application_id', table_name='consensus_remarks')
    op.drop_table('consensus_remarks')
