"""The file store: one row per stored file, named by its SHA-256 (award/files.py).

Revision ID: 0085_stored_files
Revises: 0083_evidence_item
Create Date: 2026-12-07 23:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0085_stored_files'
down_revision = '0083_evidence_item'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The files themselves move with `flask --app award files import` (it knows the configured folders).
    op.create_table(
        'stored_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('stored_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files')),
    )


def downgrade() -> None:
    op.drop_table('stored_files')
