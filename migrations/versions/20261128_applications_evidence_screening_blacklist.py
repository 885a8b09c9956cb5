"""Applications: profile, self-assessment, evidence files, status history, screening, blacklist.

Revision ID: 0003_applications
Revises: 0010_notifications
Create Date: 2026-11-28 13:58:06.190384
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0003_applications'
down_revision = '0010_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draft_stashes',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_draft_stashes'))
    )
    op.create_table('blacklist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('imported_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_blacklist_entries_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_entries')),
    sa.UniqueConstraint('credit_code', 'source', 'listed_on', name=op.f('uq_blacklist_entries_credit_code_source_listed_on'))
    )
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blacklist_entries_credit_code'), ['credit_code'], unique=False)

    op.create_table('application_settings',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('max_self_assessment_chars', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_self_assessment_chars > 0', name=op.f('ck_application_settings_max_chars_positive')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_application_settings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_application_settings'))
    )
    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'withdrawn', 'eligible', 'ineligible', name='application_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('org_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('district', sa.String(length=60), nullable=False),
    sa.Column('sector', sa.String(length=10), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('revenue', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.Column('qms_certified_on', sa.Date(), nullable=True),
    sa.Column('last_major_accident_on', sa.Date(), nullable=True),
    sa.Column('accident_note', sa.Text(), nullable=False),
    sa.Column('last_penalty_on', sa.Date(), nullable=True),
    sa.Column('penalty_note', sa.Text(), nullable=False),
    sa.Column('declaration_confirmed', sa.Boolean(), nullable=False),
    sa.Column('self_assessment', sa.JSON(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('screened_at', award.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint('employees IS NULL OR employees >= 0', name=op.f('ck_applications_employees_not_negative')),
    sa.CheckConstraint('revenue IS NULL OR revenue >= 0', name=op.f('ck_applications_revenue_not_negative')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_applications_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_applications_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('cycle_id', 'organization_id', name=op.f('uq_applications_cycle_id_organization_id'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)

    op.create_table('application_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('draft', 'submitted', 'returned', 'withdrawn', 'eligible', 'ineligible', name='event_from_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('to_status', sa.Enum('draft', 'submitted', 'returned', 'withdrawn', 'eligible', 'ineligible', name='event_to_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_application_events_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_events_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_events'))
    )
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_events_application_id'), ['application_id'], unique=False)

    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_evidence_files_size_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_evidence_files_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_evidence_files_stored_name'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_application_id'), ['application_id'], unique=False)

    op.create_table('screening_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('automatic', sa.Enum('pass', 'fail', 'review', name='screening_automatic', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('fact', sa.JSON(), nullable=False),
    sa.Column('decision', sa.Enum('pass', 'fail', 'review', name='screening_decision', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', award.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("decision <> 'review'", name=op.f('ck_screening_results_decision_is_pass_or_fail')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_screening_results_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_screening_results_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_results')),
    sa.UniqueConstraint('application_id', 'rule', name=op.f('uq_screening_results_application_id_rule'))
    )
    with op.batch_alter_table('screening_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_results_application_id'), ['application_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('screening_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_results_application_id'))

    op.drop_table('screening_results')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_files_application_id'))

    op.drop_table('evidence_files')
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_events_application_id'))

    op.drop_table('application_events')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_sector'))
        batch_op.drop_index(batch_op.f('ix_applications_organization_id'))
        batch_op.drop_index(batch_op.f('ix_applications_district'))
        batch_op.drop_index(batch_op.f('ix_applications_cycle_id'))

    op.drop_table('applications')
    op.drop_table('application_settings')
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blacklist_entries_credit_code'))

    op.drop_table('blacklist_entries')
    op.drop_table('draft_stashes')
