"""Per-cycle certificate texts (award title, issuing authority, issue date) and the seal image's record.

Revision ID: 0050_certificates
Revises: 0047_approval_notice_awards
Create Date: 2026-12-06 18:46:45.362041
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0050_certificates'
down_revision = '0047_approval_notice_awards'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate_settings',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('award_title', sa.String(length=200), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('seal_stored_name', sa.String(length=80), nullable=True),
    sa.Column('seal_mime', sa.String(length=20), nullable=True),
    sa.Column('seal_sha256', sa.String(length=64), nullable=True),
    sa.Column('seal_size', sa.Integer(), nullable=True),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("seal_mime IS NULL OR seal_mime IN ('image/png', 'image/jpeg')", name=op.f('ck_certificate_settings_seal_mime_known')),
    sa.CheckConstraint('(seal_stored_name IS NULL) = (seal_mime IS NULL)', name=op.f('ck_certificate_settings_seal_complete')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_certificate_settings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_certificate_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_certificate_settings'))
    )


def downgrade() -> None:
    op.drop_table('certificate_settings')
