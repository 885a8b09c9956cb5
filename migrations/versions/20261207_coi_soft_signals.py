"""回避 soft signals: a cycle's group depth and soft-pair policy, and an expert's address.

A group tie longer than `group_depth` links is a soft signal (0, the default, keeps every group
tie hard, as before); `avoid_soft_pairs` makes the solver refuse soft pairs instead of only
penalizing them. An expert's address is compared with the applicant's to raise a soft signal.

Revision ID: 0075_coi_soft_signals
Revises: 0074_round_counted_record
Create Date: 2026-12-07 15:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0075_coi_soft_signals'
down_revision = '0074_round_counted_record'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # In place, as in 0074: a batch copy is not needed to add a column with its own CHECK.
        op.execute("ALTER TABLE cycle_coi_settings ADD COLUMN group_depth INTEGER DEFAULT '0' NOT NULL "
                   "CONSTRAINT ck_cycle_coi_settings_group_depth_not_negative CHECK (group_depth >= 0)")
    else:
        op.add_column('cycle_coi_settings', sa.Column('group_depth', sa.Integer(), nullable=False,
                                                      server_default='0'))
        op.create_check_constraint('group_depth_not_negative', 'cycle_coi_settings', 'group_depth >= 0')
    op.add_column('cycle_coi_settings', sa.Column('avoid_soft_pairs', sa.Boolean(), nullable=False,
                                                  server_default=sa.false()))
    op.add_column('expert_profiles', sa.Column('address', sa.String(length=300), nullable=False,
                                               server_default=''))


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN keeps the tables (expert_profiles is referred to by relations).
    op.drop_column('expert_profiles', 'address')
    op.drop_column('cycle_coi_settings', 'avoid_soft_pairs')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_cycle_coi_settings_group_depth_not_negative'), 'cycle_coi_settings', type_='check')
    op.drop_column('cycle_coi_settings', 'group_depth')
