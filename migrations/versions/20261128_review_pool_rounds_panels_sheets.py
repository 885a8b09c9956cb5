"""Review: expert pool, 回避 settings and pins, rounds, panels, draws, score sheets, consensus.

Revision ID: 0020_review
Revises: 0003_applications
Create Date: 2026-11-28 14:16:14.558613
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0020_review'
down_revision = '0003_applications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('group_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_code', sa.String(length=18), nullable=False),
    sa.Column('child_code', sa.String(length=18), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.CheckConstraint('parent_code <> child_code', name=op.f('ck_group_links_not_self')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_links')),
    sa.UniqueConstraint('parent_code', 'child_code', name=op.f('uq_group_links_parent_code_child_code'))
    )
    with op.batch_alter_table('group_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_links_child_code'), ['child_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_links_parent_code'), ['parent_code'], unique=False)

    op.create_table('expert_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('organization_code', sa.String(length=18), nullable=False),
    sa.Column('organization_name', sa.String(length=200), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('in_pool', sa.Boolean(), nullable=False),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expert_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_expert_profiles_user_id'))
    )
    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_profiles_organization_code'), ['organization_code'], unique=False)

    op.create_table('cycle_coi_settings',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('employment_years', sa.Integer(), nullable=False),
    sa.Column('consulting_years', sa.Integer(), nullable=False),
    sa.Column('dispute_years', sa.Integer(), nullable=False),
    sa.Column('financial_years', sa.Integer(), nullable=False),
    sa.Column('relative_years', sa.Integer(), nullable=False),
    sa.Column('business_years', sa.Integer(), nullable=False),
    sa.Column('reference_date', sa.Date(), nullable=True),
    sa.CheckConstraint('employment_years >= 0 AND consulting_years >= 0 AND dispute_years >= 0 AND financial_years >= 0 AND relative_years >= 0 AND business_years >= 0', name=op.f('ck_cycle_coi_settings_years_not_negative')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_coi_settings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_cycle_coi_settings'))
    )
    op.create_table('expert_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('max_load', sa.Integer(), nullable=True),
    sa.CheckConstraint('max_load IS NULL OR max_load >= 0', name=op.f('ck_expert_availability_max_load_not_negative')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_expert_availability_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['expert_profiles.id'], name=op.f('fk_expert_availability_expert_id_expert_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_availability')),
    sa.UniqueConstraint('expert_id', 'cycle_id', name=op.f('uq_expert_availability_expert_id_cycle_id'))
    )
    with op.batch_alter_table('expert_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_availability_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('expert_relations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('employer', 'client', 'shareholding', 'relative_employer', 'dispute', 'competitor', 'supplier', 'customer', name='relation_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('party_code', sa.String(length=18), nullable=False),
    sa.Column('party_name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_expert_relations_dates_in_order')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert_profiles.id'], name=op.f('fk_expert_relations_expert_id_expert_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_relations'))
    )
    with op.batch_alter_table('expert_relations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_relations_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_relations_party_code'), ['party_code'], unique=False)

    op.create_table('review_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('document', 'onsite', name='round_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('setup', 'open', 'closed', name='round_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('method', sa.Enum('mean', 'trimmed_mean', 'median', name='aggregation_method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('deadline', award.db.UTCDateTime(), nullable=True),
    sa.Column('experts_per_application', sa.Integer(), nullable=False),
    sa.Column('required_sheets', sa.Integer(), nullable=False),
    sa.Column('range_threshold_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('std_threshold_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('opened_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('closed_at', award.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint('range_threshold_pct > 0 AND std_threshold_pct > 0', name=op.f('ck_review_rounds_thresholds_positive')),
    sa.CheckConstraint('required_sheets >= 1', name=op.f('ck_review_rounds_required_sheets_positive')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_review_rounds_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_rounds')),
    sa.UniqueConstraint('cycle_id', 'kind', name=op.f('uq_review_rounds_cycle_id_kind'))
    )
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_rounds_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('assignment_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('optimal', 'randomized', 'manual', name='draw_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=True),
    sa.Column('max_pair_probability', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('instance', sa.JSON(), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignment_draws_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_assignment_draws_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_draws'))
    )
    with op.batch_alter_table('assignment_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_draws_round_id'), ['round_id'], unique=False)

    op.create_table('consensus_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_consensus_confirmations_application_id_applications')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_consensus_confirmations_expert_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_consensus_confirmations_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consensus_confirmations')),
    sa.UniqueConstraint('round_id', 'application_id', 'expert_id', name=op.f('uq_consensus_confirmations_round_id_application_id_expert_id'))
    )
    op.create_table('consensus_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=20), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', award.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('percent >= 0 AND percent <= 100', name=op.f('ck_consensus_scores_percent_range')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_consensus_scores_application_id_applications')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_consensus_scores_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_consensus_scores_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consensus_scores')),
    sa.UniqueConstraint('round_id', 'application_id', 'item_id', name=op.f('uq_consensus_scores_round_id_application_id_item_id'))
    )
    with op.batch_alter_table('consensus_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consensus_scores_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consensus_scores_round_id'), ['round_id'], unique=False)

    op.create_table('pinned_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('employment', 'consulting', 'financial', 'relative', 'dispute', 'group', 'business', 'other', name='pinned_conflict_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_pinned_conflicts_application_id_applications')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pinned_conflicts_created_by_id_users')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_pinned_conflicts_expert_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pinned_conflicts')),
    sa.UniqueConstraint('application_id', 'expert_id', name=op.f('uq_pinned_conflicts_application_id_expert_id'))
    )
    with op.batch_alter_table('pinned_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pinned_conflicts_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pinned_conflicts_expert_id'), ['expert_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('active', 'conflict_declared', 'removed', name='assignment_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.Enum('optimal', 'randomized', 'manual', name='assignment_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('pledge_signed_at', award.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_assignments_application_id_applications')),
    sa.ForeignKeyConstraint(['draw_id'], ['assignment_draws.id'], name=op.f('fk_assignments_draw_id_assignment_draws')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_assignments_expert_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_assignments_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('round_id', 'application_id', 'expert_id', name=op.f('uq_assignments_round_id_application_id_expert_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_assignments_expert_round', ['expert_id', 'round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_round_id'), ['round_id'], unique=False)

    op.create_table('score_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', name='sheet_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('submitted_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_score_sheets_assignment_id_assignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheets')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_score_sheets_assignment_id'))
    )
    op.create_table('item_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=20), nullable=False),
    sa.Column('band_id', sa.String(length=20), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('points', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('strength', sa.Text(), nullable=False),
    sa.Column('improvement', sa.Text(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.CheckConstraint('percent IS NULL OR (percent >= 0 AND percent <= 100)', name=op.f('ck_item_scores_percent_range')),
    sa.CheckConstraint('points IS NULL OR points >= 0', name=op.f('ck_item_scores_points_not_negative')),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_item_scores_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_scores')),
    sa.UniqueConstraint('sheet_id', 'item_id', name=op.f('uq_item_scores_sheet_id_item_id'))
    )
    with op.batch_alter_table('item_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_scores_sheet_id'), ['sheet_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('item_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_scores_sheet_id'))

    op.drop_table('item_scores')
    op.drop_table('score_sheets')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_round_id'))
        batch_op.drop_index('ix_assignments_expert_round')
        batch_op.drop_index(batch_op.f('ix_assignments_application_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('pinned_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pinned_conflicts_expert_id'))
        batch_op.drop_index(batch_op.f('ix_pinned_conflicts_application_id'))

    op.drop_table('pinned_conflicts')
    with op.batch_alter_table('consensus_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consensus_scores_round_id'))
        batch_op.drop_index(batch_op.f('ix_consensus_scores_application_id'))

    op.drop_table('consensus_scores')
    op.drop_table('consensus_confirmations')
    with op.batch_alter_table('assignment_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_draws_round_id'))

    op.drop_table('assignment_draws')
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_rounds_cycle_id'))

    op.drop_table('review_rounds')
    with op.batch_alter_table('expert_relations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_relations_party_code'))
        batch_op.drop_index(batch_op.f('ix_expert_relations_expert_id'))

    op.drop_table('expert_relations')
    with op.batch_alter_table('expert_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_availability_cycle_id'))

    op.drop_table('expert_availability')
    op.drop_table('cycle_coi_settings')
    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_profiles_organization_code'))

    op.drop_table('expert_profiles')
    with op.batch_alter_table('group_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_links_parent_code'))
        batch_op.drop_index(batch_op.f('ix_group_links_child_code'))

    op.drop_table('group_links')
