"""On-site visits (date, itinerary, checklist, photos) and the social evaluation (lists, comments, findings).

Revision ID: 0089_visits_social
Revises: 0088_procedure
Create Date: 2026-12-07 23:34:28.006085
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0089_visits_social'
down_revision = '0088_procedure'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('social_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('credit', 'penalty', 'inspection', 'complaint', name='social_list_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('imported_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_social_records_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_records')),
    sa.UniqueConstraint('kind', 'credit_code', 'source', 'listed_on', name=op.f('uq_social_records_kind_credit_code_source_listed_on'))
    )
    with op.batch_alter_table('social_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_records_credit_code'), ['credit_code'], unique=False)

    op.create_table('social_comment_windows',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('opens_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('closes_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_social_comment_windows_window_order')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_social_comment_windows_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_social_comment_windows_opened_by_id_users')),
    sa.PrimaryKeyConstraint('cycle_id', name=op.f('pk_social_comment_windows'))
    )
    op.create_table('site_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('visit_on', sa.Date(), nullable=False),
    sa.Column('itinerary', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_site_visits_application_id_applications')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_site_visits_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_site_visits_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_visits')),
    sa.UniqueConstraint('round_id', 'application_id', name=op.f('uq_site_visits_round_id_application_id'))
    )
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_visits_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_visits_round_id'), ['round_id'], unique=False)

    op.create_table('social_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('submitted_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_social_comments_application_id_applications')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_social_comments_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_comments'))
    )
    with op.batch_alter_table('social_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_comments_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_comments_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('social_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('none', 'noted', 'veto', name='social_finding_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', award.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("level = 'none' OR reason <> ''", name=op.f('ck_social_findings_reason_when_found')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_social_findings_application_id_applications')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_social_findings_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_social_findings_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_findings')),
    sa.UniqueConstraint('application_id', name=op.f('uq_social_findings_application_id'))
    )
    with op.batch_alter_table('social_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_findings_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('visit_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('open', 'confirmed', 'partly', 'not_confirmed', name='visit_check_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_visit_checks_updated_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['site_visits.id'], name=op.f('fk_visit_checks_visit_id_site_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_checks')),
    sa.UniqueConstraint('visit_id', 'item_id', name=op.f('uq_visit_checks_visit_id_item_id'))
    )
    with op.batch_alter_table('visit_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_checks_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('location_stripped', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_visit_photos_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['site_visits.id'], name=op.f('fk_visit_photos_visit_id_site_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_photos'))
    )
    with op.batch_alter_table('visit_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_photos_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_photos_visit_id'))

    op.drop_table('visit_photos')
    with op.batch_alter_table('visit_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_checks_visit_id'))

    op.drop_table('visit_checks')
    with op.batch_alter_table('social_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_findings_cycle_id'))

    op.drop_table('social_findings')
    with op.batch_alter_table('social_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_comments_cycle_id'))
        batch_op.drop_index(batch_op.f('ix_social_comments_application_id'))

    op.drop_table('social_comments')
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_visits_round_id'))
        batch_op.drop_index(batch_op.f('ix_site_visits_application_id'))

    op.drop_table('site_visits')
    op.drop_table('social_comment_windows')
    with op.batch_alter_table('social_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_records_credit_code'))

    op.drop_table('social_records')
