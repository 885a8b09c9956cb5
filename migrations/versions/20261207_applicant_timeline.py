"""Applications: each submission frozen as sent (the receipt is printed from the latest).

Revision ID: 0077_applicant_timeline
Revises: 0076_account_links
Create Date: 2026-12-07 18:00:00
"""

from alembic import op
import sqlalchemy as sa

from award.db import UTCDateTime


revision = '0077_applicant_timeline'
down_revision = '0076_account_links'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'application_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('submitted_at', UTCDateTime(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_application_submissions_application_id_applications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'],
                                name=op.f('fk_application_submissions_submitted_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_submissions')),
        sa.UniqueConstraint('application_id', 'number', name=op.f('uq_application_submissions_application_id_number')),
    )
    op.create_index(op.f('ix_application_submissions_application_id'), 'application_submissions',
                    ['application_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_application_submissions_application_id'), table_name='application_submissions')
    op.drop_table('application_submissions')
