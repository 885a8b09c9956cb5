"""Accounts: links sent by e-mail (invitations, password resets, e-mail confirmations), a password to change, a confirmed address.

Revision ID: 0076_account_links
Revises: 0075_coi_soft_signals
Create Date: 2026-12-07 16:00:00
"""

from alembic import op
import sqlalchemy as sa

from award.db import UTCDateTime


revision = '0076_account_links'
down_revision = '0075_coi_soft_signals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts keep working as they are: their passwords count as their own, their addresses as confirmed.
    # Plain ADD COLUMN (no table rebuild on SQLite, which the rows that point at users would refuse).
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('users', sa.Column('email_confirmed', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        'account_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.Enum('invitation', 'password_reset', 'email_confirmation', name='token_purpose',
                                     native_enum=False, create_constraint=True, length=18), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash')),
    )
    op.create_index('ix_account_tokens_user_purpose', 'account_tokens', ['user_id', 'purpose'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_account_tokens_user_purpose', table_name='account_tokens')
    op.drop_table('account_tokens')
    # In place here too (SQLite 3.35 and later drop a column without rebuilding the table).
    op.drop_column('users', 'email_confirmed')
    op.drop_column('users', 'must_change_password')
