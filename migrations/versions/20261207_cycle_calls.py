"""The public call for applications of each cycle (申报通知): its text, files and publication.

Revision ID: 0079_cycle_calls
Revises: 0081_sender_heartbeat
Create Date: 2026-12-07 20:26:00
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0079_cycle_calls'
down_revision = '0081_sender_heartbeat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cycle_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('guidelines', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=500), nullable=False),
    sa.Column('published_at', award.db.UTCDateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("title <> ''", name=op.f('ck_cycle_calls_call_has_title')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_calls_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_cycle_calls_published_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_cycle_calls_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_calls')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_cycle_calls_cycle_id'))
    )
    op.create_table('call_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', award.db.UTCDateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_call_attachments_call_attachment_not_empty')),
    sa.ForeignKeyConstraint(['call_id'], ['cycle_calls.id'], name=op.f('fk_call_attachments_call_id_cycle_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_call_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_call_attachments_stored_name'))
    )
    with op.batch_alter_table('call_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_attachments_call_id'), ['call_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('call_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_attachments_call_id'))

    op.drop_table('call_attachments')
    op.drop_table('cycle_calls')
