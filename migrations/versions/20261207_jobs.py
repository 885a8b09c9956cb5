"""Background jobs: one record per job (who, kind, inputs and their hash, state, progress, result, lease).

The result is a file of the file store (``stored_files``): the row keeps its SHA-256..

Revision ID: 0084_jobs
Revises: 0090_award_levels
Create Date: 2026-12-07 23:40:00
"""

from alembic import op
import sqlalchemy as sa

from award.db import UTCDateTime


revision = '0084_jobs'
down_revision = '0090_award_levels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('inputs_hash', sa.String(length=64), nullable=False),
        sa.Column('active_key', sa.String(length=64), nullable=True),
        sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='job_state', native_enum=False,
                                   create_constraint=True, length=7), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=120), nullable=True),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('result_sha256', sa.String(length=64), nullable=True),
        sa.Column('result_name', sa.String(length=250), nullable=True),
        sa.Column('result_mime', sa.String(length=100), nullable=True),
        sa.Column('error_code', sa.String(length=40), nullable=True),
        sa.Column('error_detail', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('done >= 0 AND total >= 0', name=op.f('ck_jobs_progress_not_negative')),
        sa.CheckConstraint('attempts >= 0 AND max_attempts >= 1', name=op.f('ck_jobs_attempts_in_range')),
        sa.CheckConstraint("result_sha256 IS NULL OR (state = 'done' AND length(result_sha256) = 64)",
                           name=op.f('ck_jobs_result_when_done')),
        sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_jobs_started_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
        sa.UniqueConstraint('active_key', name=op.f('uq_jobs_active_key')),
    )
    op.create_index('ix_jobs_kind_hash', 'jobs', ['kind', 'inputs_hash'])
    op.create_index('ix_jobs_state_lease', 'jobs', ['state', 'lease_until'])
    op.create_index(op.f('ix_jobs_started_by_id'), 'jobs', ['started_by_id'])
    op.create_index(op.f('ix_jobs_result_sha256'), 'jobs', ['result_sha256'])


def downgrade() -> None:
    op.drop_index(op.f('ix_jobs_result_sha256'), table_name='jobs')
    op.drop_index(op.f('ix_jobs_started_by_id'), table_name='jobs')
    op.drop_index('ix_jobs_state_lease', table_name='jobs')
    op.drop_index('ix_jobs_kind_hash', table_name='jobs')
    op.drop_table('jobs')
