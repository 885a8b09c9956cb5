"""Ranking: per-cycle ranking settings, frozen ranking snapshots and their shortlist entries.

Revision ID: 0030_ranking
Revises: 0020_review
Create Date: 2026-11-28 14:16:58.246382
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0030_ranking'
down_revision = '0020_review'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ranking_settings',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('combine_mode', sa.Enum('replace', 'weighted', name='combine_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('onsite_weight', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('sector_limits', sa.JSON(), nullable=False),
    sa.Column('min_sheets_for_leniency', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_sheets_for_leniency >= 2', name=op.f('ck_ranking_settings_leniency_min_sheets')),
    sa.CheckConstraint('onsite_weight >= 0 AND onsite_weight <= 1', name=op.f('ck_ranking_settings_onsite_weight_range')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_ranking_settings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_ranking_settings'))
    )
    op.create_table('ranking_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('combine_mode', sa.String(length=20), nullable=True),
    sa.Column('onsite_weight', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('cutoff_score', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('awards_count', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('frozen_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_ranking_snapshots_version_positive')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_ranking_snapshots_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], name=op.f('fk_ranking_snapshots_frozen_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_snapshots')),
    sa.UniqueConstraint('cycle_id', 'version', name=op.f('uq_ranking_snapshots_cycle_id_version'))
    )
    with op.batch_alter_table('ranking_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_snapshots_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('shortlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('organization_name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('sheet_count', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('method_totals', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('mean_z', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('decided_by', sa.String(length=20), nullable=True),
    sa.Column('in_shortlist', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=True),
    sa.Column('exclusions', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('robustness', sa.String(length=20), nullable=False),
    sa.Column('flipped_by', sa.JSON(), nullable=False),
    sa.CheckConstraint('NOT in_shortlist OR rank IS NOT NULL', name=op.f('ck_shortlist_entries_shortlisted_are_ranked')),
    sa.CheckConstraint('in_shortlist OR reason IS NOT NULL', name=op.f('ck_shortlist_entries_reason_when_out')),
    sa.CheckConstraint('rank IS NULL OR rank >= 1', name=op.f('ck_shortlist_entries_rank_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_shortlist_entries_application_id_applications')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['ranking_snapshots.id'], name=op.f('fk_shortlist_entries_snapshot_id_ranking_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_entries')),
    sa.UniqueConstraint('snapshot_id', 'application_id', name=op.f('uq_shortlist_entries_snapshot_id_application_id')),
    sa.UniqueConstraint('snapshot_id', 'position', name=op.f('uq_shortlist_entries_snapshot_id_position')),
    sa.UniqueConstraint('snapshot_id', 'rank', name=op.f('uq_shortlist_entries_snapshot_id_rank'))
    )
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlist_entries_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shortlist_entries_snapshot_id'), ['snapshot_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_snapshot_id'))
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_application_id'))

    op.drop_table('shortlist_entries')
    with op.batch_alter_table('ranking_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_snapshots_cycle_id'))

    op.drop_table('ranking_snapshots')
    op.drop_table('ranking_settings')
