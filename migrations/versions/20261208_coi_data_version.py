"""Conflicts: one row holding the token of the facts a conflict check reads (a pair's verdict is kept per token).

Revision ID: 0094_coi_data_version
Revises: 0087_ranking_totals
Create Date: 2026-12-08 03:10:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0094_coi_data_version'
down_revision = '0087_ranking_totals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'coi_data_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_coi_data_version_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coi_data_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'token': secrets.randbits(62)}])


def downgrade() -> None:
    op.drop_table('coi_data_version')
