"""The audit chain's head when a notice was published and when its final list was confirmed.

Printed on the official documents and shown on the public notice page, so a chain rewritten later
fails against an anchor printed before. Notices published before this revision have none.

Revision ID: 0073_notice_chain_anchors
Revises: 0072_outbox_lease_owned_stashes
Create Date: 2026-12-07 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0073_notice_chain_anchors'
down_revision = '0072_outbox_lease_owned_stashes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('public_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_anchor_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_anchor_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('confirmed_anchor_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_anchor_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('public_notices', schema=None) as batch_op:
        batch_op.drop_column('confirmed_anchor_hash')
        batch_op.drop_column('confirmed_anchor_seq')
        batch_op.drop_column('published_anchor_hash')
        batch_op.drop_column('published_anchor_seq')
