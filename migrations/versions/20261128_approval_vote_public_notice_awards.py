"""Leading-group vote, public notice with objections, awards; vote/notice/title settings of a cycle.

Revision ID: 0047_approval_notice_awards
Revises: 0030_ranking
Create Date: 2026-11-28 15:20:41.136866
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0047_approval_notice_awards'
down_revision = '0030_ranking'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('published_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('period_kind', sa.Enum('working', 'calendar', name='period_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('period_length', sa.Integer(), nullable=False),
    sa.Column('ends_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('award_title', sa.String(length=200), nullable=False),
    sa.Column('benefits', sa.Text(), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('confirmed_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('ends_at > published_at', name=op.f('ck_public_notices_ends_after_publication')),
    sa.CheckConstraint('period_length >= 1', name=op.f('ck_public_notices_period_positive')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_public_notices_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_public_notices_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_public_notices_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_notices')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_public_notices_cycle_id'))
    )
    op.create_table('awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('organization_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('awarded_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('valid', 'revoked', name='award_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('ban_until', sa.Date(), nullable=True),
    sa.Column('certificate_number', sa.String(length=20), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status = 'valid' OR (revoked_on IS NOT NULL AND revoke_reason <> '' AND ban_until IS NOT NULL)", name=op.f('ck_awards_revocation_complete')),
    sa.CheckConstraint('valid_until > awarded_on', name=op.f('ck_awards_valid_after_award')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_awards_application_id_applications')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_awards_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_awards_organization_id_organizations')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_awards_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('application_id', name=op.f('uq_awards_application_id')),
    sa.UniqueConstraint('certificate_number', name=op.f('uq_awards_certificate_number'))
    )
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awards_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_organization_id'), ['organization_id'], unique=False)

    op.create_table('notice_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('organization_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('withdrawn_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("withdrawn_at IS NULL OR withdrawn_reason <> ''", name=op.f('ck_notice_candidates_withdrawal_has_reason')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_notice_candidates_application_id_applications')),
    sa.ForeignKeyConstraint(['notice_id'], ['public_notices.id'], name=op.f('fk_notice_candidates_notice_id_public_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_candidates')),
    sa.UniqueConstraint('notice_id', 'application_id', name=op.f('uq_notice_candidates_notice_id_application_id')),
    sa.UniqueConstraint('notice_id', 'position', name=op.f('uq_notice_candidates_notice_id_position'))
    )
    op.create_table('vote_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closes_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('closed_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('blinded', sa.Boolean(), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.CheckConstraint('closed_at IS NULL OR closed_at >= opened_at', name=op.f('ck_vote_sessions_closed_after_opening')),
    sa.CheckConstraint('closes_at > opened_at', name=op.f('ck_vote_sessions_closes_after_opening')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_vote_sessions_closed_by_id_users')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_vote_sessions_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_vote_sessions_opened_by_id_users')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['ranking_snapshots.id'], name=op.f('fk_vote_sessions_snapshot_id_ranking_snapshots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_sessions')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_vote_sessions_cycle_id'))
    )
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.Enum('pending', 'dismissed', 'upheld', name='objection_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('outcome_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', award.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("id_number <> '' OR organization <> ''", name=op.f('ck_objections_identity_given')),
    sa.CheckConstraint("name <> '' AND phone <> '' AND text <> ''", name=op.f('ck_objections_real_name_and_text')),
    sa.CheckConstraint("outcome = 'pending' OR (outcome_reason <> '' AND decided_at IS NOT NULL)", name=op.f('ck_objections_decision_has_reason')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_objections_evidence_not_empty')),
    sa.ForeignKeyConstraint(['candidate_id'], ['notice_candidates.id'], name=op.f('fk_objections_candidate_id_notice_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_objections_decided_by_id_users')),
    sa.ForeignKeyConstraint(['notice_id'], ['public_notices.id'], name=op.f('fk_objections_notice_id_public_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_objections_stored_name'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_notice_id'), ['notice_id'], unique=False)

    op.create_table('vote_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_vote_candidates_application_id_applications')),
    sa.ForeignKeyConstraint(['entry_id'], ['shortlist_entries.id'], name=op.f('fk_vote_candidates_entry_id_shortlist_entries')),
    sa.ForeignKeyConstraint(['session_id'], ['vote_sessions.id'], name=op.f('fk_vote_candidates_session_id_vote_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_candidates')),
    sa.UniqueConstraint('session_id', 'application_id', name=op.f('uq_vote_candidates_session_id_application_id')),
    sa.UniqueConstraint('session_id', 'code', name=op.f('uq_vote_candidates_session_id_code')),
    sa.UniqueConstraint('session_id', 'position', name=op.f('uq_vote_candidates_session_id_position'))
    )
    op.create_table('vote_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_vote_members_leader_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['vote_sessions.id'], name=op.f('fk_vote_members_session_id_vote_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_members')),
    sa.UniqueConstraint('session_id', 'leader_id', name=op.f('uq_vote_members_session_id_leader_id'))
    )
    op.create_table('vote_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('approve', sa.Integer(), nullable=False),
    sa.Column('reject', sa.Integer(), nullable=False),
    sa.Column('abstain', sa.Integer(), nullable=False),
    sa.Column('quorum_met', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.CheckConstraint('approve + reject + abstain <= members', name=op.f('ck_vote_outcomes_votes_within_members')),
    sa.CheckConstraint('approve >= 0 AND reject >= 0 AND abstain >= 0', name=op.f('ck_vote_outcomes_counts_not_negative')),
    sa.CheckConstraint('quorum_met OR NOT passed', name=op.f('ck_vote_outcomes_passed_needs_quorum')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_vote_outcomes_application_id_applications')),
    sa.ForeignKeyConstraint(['session_id'], ['vote_sessions.id'], name=op.f('fk_vote_outcomes_session_id_vote_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_outcomes')),
    sa.UniqueConstraint('session_id', 'application_id', name=op.f('uq_vote_outcomes_session_id_application_id'))
    )
    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('approve', 'reject', 'abstain', name='choice', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('cast_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_ballots_application_id_applications')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_ballots_leader_id_users')),
    sa.ForeignKeyConstraint(['session_id', 'application_id'], ['vote_candidates.session_id', 'vote_candidates.application_id'], name='fk_ballots_candidate_vote_candidates', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id', 'leader_id'], ['vote_members.session_id', 'vote_members.leader_id'], name='fk_ballots_member_vote_members', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['vote_sessions.id'], name=op.f('fk_ballots_session_id_vote_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('session_id', 'leader_id', 'application_id', name=op.f('uq_ballots_session_id_leader_id_application_id'))
    )
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_settings', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('award_settings')

    op.drop_table('ballots')
    op.drop_table('vote_outcomes')
    op.drop_table('vote_members')
    op.drop_table('vote_candidates')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_notice_id'))
        batch_op.drop_index(batch_op.f('ix_objections_candidate_id'))

    op.drop_table('objections')
    op.drop_table('vote_sessions')
    op.drop_table('notice_candidates')
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_awards_organization_id'))
        batch_op.drop_index(batch_op.f('ix_awards_cycle_id'))

    op.drop_table('awards')
    op.drop_table('public_notices')
