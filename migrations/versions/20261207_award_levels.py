"""Award levels on the shortlist, the notice and the awards; follow-up reports; re-assessment cycles.

Existing cycles have no levels (their ``award_settings`` holds none): one level, their quota and cut-off,
as before; their shortlist entries, notice candidates and awards keep ``level`` empty. Every existing
cycle is an award cycle (``kind`` 'award').

Revision ID: 0090_award_levels
Revises: 0089_visits_social
Create Date: 2026-12-07 23:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0090_award_levels'
down_revision = '0089_visits_social'
branch_labels = None
depends_on = None


CYCLE_KIND = sa.Enum('award', 'reassessment', name='cycle_kind', native_enum=False, create_constraint=True)
OUTCOME = sa.Enum('pending', 'renewed', 'lapsed', name='reassessment_outcome', native_enum=False,
                  create_constraint=True)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # In place, not by a batch copy: copying cycles would cascade into everything a cycle owns.
        op.execute("ALTER TABLE cycles ADD COLUMN kind VARCHAR(12) DEFAULT 'award' NOT NULL "
                   "CONSTRAINT ck_cycles_cycle_kind CHECK (kind IN ('award', 'reassessment'))")
    else:
        op.add_column('cycles', sa.Column('kind', CYCLE_KIND, nullable=False, server_default='award'))
    # Plain ALTER TABLE ADD COLUMN on both databases: empty is "one level".
    op.add_column('shortlist_entries', sa.Column('level', sa.Integer(), nullable=True))
    op.add_column('notice_candidates', sa.Column('level', sa.Integer(), nullable=True))
    op.add_column('awards', sa.Column('level', sa.Integer(), nullable=True))
    op.create_table(
        'follow_up_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('award_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('experience', sa.Text(), nullable=False),
        sa.Column('improvements', sa.Text(), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=True),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=80), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("experience <> '' AND improvements <> ''",
                           name=op.f('ck_follow_up_reports_report_has_text')),
        sa.CheckConstraint('(stored_name IS NULL) = (sha256 IS NULL)',
                           name=op.f('ck_follow_up_reports_report_file_complete')),
        sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_follow_up_reports_award_id_awards'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'],
                                name=op.f('fk_follow_up_reports_submitted_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_reports')),
        sa.UniqueConstraint('award_id', 'year', name=op.f('uq_follow_up_reports_award_id_year')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_follow_up_reports_stored_name')),
    )
    op.create_index(op.f('ix_follow_up_reports_award_id'), 'follow_up_reports', ['award_id'], unique=False)
    op.create_table(
        'reassessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('award_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('previous_valid_until', sa.Date(), nullable=False),
        sa.Column('outcome', OUTCOME, nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('renewed_until', sa.Date(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("outcome = 'pending' OR (decided_at IS NOT NULL AND reason <> '')",
                           name=op.f('ck_reassessments_reassessment_decided')),
        sa.CheckConstraint("outcome <> 'renewed' OR renewed_until IS NOT NULL",
                           name=op.f('ck_reassessments_renewal_has_date')),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_reassessments_application_id_applications')),
        sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_reassessments_award_id_awards')),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_reassessments_cycle_id_cycles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_reassessments_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reassessments')),
        sa.UniqueConstraint('application_id', name=op.f('uq_reassessments_application_id')),
        sa.UniqueConstraint('cycle_id', 'award_id', name=op.f('uq_reassessments_cycle_id_award_id')),
    )
    op.create_index(op.f('ix_reassessments_award_id'), 'reassessments', ['award_id'], unique=False)
    op.create_index(op.f('ix_reassessments_cycle_id'), 'reassessments', ['cycle_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reassessments_cycle_id'), table_name='reassessments')
    op.drop_index(op.f('ix_reassessments_award_id'), table_name='reassessments')
    op.drop_table('reassessments')
    op.drop_index(op.f('ix_follow_up_reports_award_id'), table_name='follow_up_reports')
    op.drop_table('follow_up_reports')
    # ALTER TABLE DROP COLUMN (SQLite 3.35 and later) keeps the tables and the rows that refer to them.
    op.drop_column('awards', 'level')
    op.drop_column('notice_candidates', 'level')
    op.drop_column('shortlist_entries', 'level')
    op.drop_column('cycles', 'kind')  # on SQLite its CHECK is the column's own and goes with it
