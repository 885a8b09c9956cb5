"""Outbox claims hold a lease, so a message whose sender died is claimed again once it expires.

Revision ID: 0072_outbox_lease_owned_stashes
Revises: 0070_item_scores_index
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import award.db


revision = '0072_outbox_lease_owned_stashes'
down_revision = '0070_item_scores_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', award.db.UTCDateTime(), nullable=True))
    # A message a sender was holding when this runs is claimable again at once.
    op.execute("UPDATE outbox_messages SET lease_expires_at = COALESCE(claimed_at, created_at) "
               "WHERE status = 'sending'")


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
