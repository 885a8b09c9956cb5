"""Workers' heartbeats: the outbox sender stamps the time of each loop, /healthz reports its age.

Revision ID: 0081_sender_heartbeat
Revises: 0078_objection_reference
Create Date: 2026-12-07 21:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0081_sender_heartbeat'
down_revision = '0078_objection_reference'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_heartbeats',
    sa.Column('worker', sa.String(length=40), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
