"""Outbox claims hold a lease; draft stashes belong to an application and its owner.

A message whose sender died is claimed again once its lease expires. Existing stashes are dropped:
they were kept for anyone who posted, so none is known to be an owner's text (they lived 24 hours).

Revision ID: 0072_outbox_lease_owned_stashes
Revises: 0071_user_session_generation
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0072_outbox_lease_owned_stashes'
down_revision = '0071_user_session_generation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', award.db.UTCDateTime(), nullable=True))
    # A message a sender was holding when this runs is claimable again at once.
    op.execute("UPDATE outbox_messages SET lease_expires_at = COALESCE(claimed_at, created_at) "
               "WHERE status = 'sending'")

    op.drop_table('draft_stashes')
    op.create_table('draft_stashes',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_draft_stashes_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_draft_stashes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_draft_stashes')),
    sa.UniqueConstraint('application_id', 'user_id', name=op.f('uq_draft_stashes_application_id_user_id'))
    )


def downgrade() -> None:
    op.drop_table('draft_stashes')
    op.create_table('draft_stashes',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('created_at', award.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_draft_stashes'))
    )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
