"""Official documents and overlay printing: the office's document texts, overlay positions, printer profiles.

Revision ID: 0060_documents
Revises: 0050_certificates
Create Date: 2026-12-06 18:49:23.709188
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0060_documents'
down_revision = '0050_certificates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('printer_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('offset_x_mm', sa.Numeric(precision=4, scale=1), nullable=False),
    sa.Column('offset_y_mm', sa.Numeric(precision=4, scale=1), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("name <> ''", name=op.f('ck_printer_profiles_name_given')),
    sa.CheckConstraint('offset_x_mm BETWEEN -50 AND 50 AND offset_y_mm BETWEEN -50 AND 50', name=op.f('ck_printer_profiles_offsets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_printer_profiles')),
    sa.UniqueConstraint('name', name=op.f('uq_printer_profiles_name'))
    )
    op.create_table('document_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('notice', 'decision', name='document_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('issuing_office', sa.String(length=100), nullable=False),
    sa.Column('document_number', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('opening', sa.Text(), nullable=False),
    sa.Column('closing', sa.Text(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('seal_image', sa.LargeBinary(), nullable=True),
    sa.Column('seal_mime', sa.String(length=20), nullable=False),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("issuing_office <> '' AND title <> ''", name=op.f('ck_document_texts_office_and_title')),
    sa.CheckConstraint("seal_image IS NULL OR seal_mime IN ('image/png', 'image/jpeg')", name=op.f('ck_document_texts_seal_type')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_document_texts_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_document_texts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_texts')),
    sa.UniqueConstraint('cycle_id', 'kind', name=op.f('uq_document_texts_cycle_id_kind'))
    )
    op.create_table('overlay_layouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('page_width_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('page_height_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('organization_x_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('organization_y_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('organization_pt', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('organization_max_width_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('number_x_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('number_y_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('number_pt', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('date_x_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('date_y_mm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('date_pt', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('date_style', sa.String(length=10), nullable=False),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("date_style IN ('chinese', 'arabic')", name=op.f('ck_overlay_layouts_date_style')),
    sa.CheckConstraint('organization_max_width_mm > 0', name=op.f('ck_overlay_layouts_max_width_positive')),
    sa.CheckConstraint('organization_pt BETWEEN 6 AND 72 AND number_pt BETWEEN 6 AND 72 AND date_pt BETWEEN 6 AND 72', name=op.f('ck_overlay_layouts_sizes')),
    sa.CheckConstraint('organization_x_mm >= 0 AND organization_x_mm <= page_width_mm AND organization_y_mm >= 0 AND organization_y_mm <= page_height_mm AND number_x_mm >= 0 AND number_x_mm <= page_width_mm AND number_y_mm >= 0 AND number_y_mm <= page_height_mm AND date_x_mm >= 0 AND date_x_mm <= page_width_mm AND date_y_mm >= 0 AND date_y_mm <= page_height_mm', name=op.f('ck_overlay_layouts_positions_on_page')),
    sa.CheckConstraint('page_width_mm BETWEEN 50 AND 500 AND page_height_mm BETWEEN 50 AND 500', name=op.f('ck_overlay_layouts_page_size')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_overlay_layouts_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_overlay_layouts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overlay_layouts')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_overlay_layouts_cycle_id'))
    )


def downgrade() -> None:
    op.drop_table('overlay_layouts')
    op.drop_table('document_texts')
    op.drop_table('printer_profiles')
