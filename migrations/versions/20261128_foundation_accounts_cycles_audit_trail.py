"""Foundation: accounts, organizations, award cycles with deadlines, and the audit chain.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 13:47:00.276452
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_organizations_credit_code'))
    )
    op.create_table('site_flags',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_site_flags'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('enterprise', 'office', 'expert', 'leader', 'supervisor', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("role <> 'enterprise' OR organization_id IS NOT NULL", name=op.f('ck_users_enterprise_has_organization')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('audit_records',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.String(length=40), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_records_actor_id_users')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_records')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_records_hash'))
    )
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_records_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_records_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('ix_audit_records_target', ['target_type', 'target_id'], unique=False)

    op.create_table('cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.Enum('draft', 'application', 'screening', 'document_review', 'onsite_review', 'deliberation', 'approval', 'notice', 'awarded', 'closed', name='stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('rubric_key', sa.String(length=80), nullable=False),
    sa.Column('rubric_text', sa.Text(), nullable=False),
    sa.Column('rubric_hash', sa.String(length=64), nullable=False),
    sa.Column('awards_count', sa.Integer(), nullable=False),
    sa.Column('cutoff_score', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('experts_per_application', sa.Integer(), nullable=False),
    sa.Column('onsite_review', sa.Boolean(), nullable=False),
    sa.Column('eligibility', sa.JSON(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('awards_count > 0', name=op.f('ck_cycles_awards_count_positive')),
    sa.CheckConstraint('cutoff_score >= 0', name=op.f('ck_cycles_cutoff_not_negative')),
    sa.CheckConstraint('experts_per_application >= 1', name=op.f('ck_cycles_experts_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cycles_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycles')),
    sa.UniqueConstraint('year', 'title', name=op.f('uq_cycles_year_title'))
    )
    op.create_table('cycle_deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('draft', 'application', 'screening', 'document_review', 'onsite_review', 'deliberation', 'approval', 'notice', 'awarded', 'closed', name='deadline_stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('due_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_deadlines_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_deadlines')),
    sa.UniqueConstraint('cycle_id', 'stage', name=op.f('uq_cycle_deadlines_cycle_id_stage'))
    )


def downgrade() -> None:
    op.drop_table('cycle_deadlines')
    op.drop_table('cycles')
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_records_target')
        batch_op.drop_index(batch_op.f('ix_audit_records_cycle_id'))
        batch_op.drop_index(batch_op.f('ix_audit_records_action'))

    op.drop_table('audit_records')
    op.drop_table('users')
    op.drop_table('site_flags')
    op.drop_table('organizations')
    op.drop_table('audit_chain_head')
