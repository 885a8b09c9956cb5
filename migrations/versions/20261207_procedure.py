"""A procedure per cycle (steps, order, weights), the presentation round, the review committee's vote.

Revision ID: 0088_procedure
Revises: 0085_stored_files
Create Date: 2026-12-07 23:50:00

Existing cycles get the procedure they ran: screening, document review, on-site review when their flag
says so, the leading group, the notice and the award; the weights are their ranking settings (replace:
the on-site figure counts; weighted: the on-site share). Existing votes are the leading group's.

On SQLite the new enum values are written into the CHECK constraints of the stored schema in place
(the documented `writable_schema` edit: the rows are unchanged), since copying `cycles` or `review_rounds`
would cascade into every table below them; `vote_sessions` is copied to change its unique key, and
the rows of its four child tables are kept aside and put back.
"""

import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = '0088_procedure'
down_revision = '0085_stored_files'
branch_labels = None
depends_on = None

OLD_STAGES = ('draft', 'application', 'screening', 'document_review', 'onsite_review', 'deliberation', 'approval',
              'notice', 'awarded', 'closed')
NEW_STAGES = ('draft', 'application', 'screening', 'document_review', 'presentation', 'onsite_review',
              'social_evaluation', 'deliberation', 'committee', 'approval', 'notice', 'awarded', 'closed')
OLD_KINDS = ('document', 'onsite')
NEW_KINDS = ('document', 'onsite', 'presentation')
# (table, column, check name, old values, new values)
ENUMS = (
    ('cycles', 'stage', 'ck_cycles_stage', OLD_STAGES, NEW_STAGES),
    ('cycle_deadlines', 'stage', 'ck_cycle_deadlines_deadline_stage', OLD_STAGES, NEW_STAGES),
    ('review_rounds', 'kind', 'ck_review_rounds_round_kind', OLD_KINDS, NEW_KINDS),
)
VOTE_CHILDREN = ('vote_members', 'vote_candidates', 'ballots', 'vote_outcomes')


def _in_list(values):
    return ', '.join(f"'{v}'" for v in values)


def _check_sql(column, values):
    return f"{column} IN ({_in_list(values)})"


def _sqlite_edit_checks(bind, old_index, new_index):
    """Rewrite each enum's CHECK and VARCHAR length in the stored CREATE TABLE text (no row changes)."""
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    for table, column, _name, *values in ENUMS:
        old, new = values[old_index], values[new_index]
        sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).scalar()
        old_check, new_check = _check_sql(column, old), _check_sql(column, new)
        old_type = f"{column} VARCHAR({max(map(len, old))}) NOT NULL"
        new_type = f"{column} VARCHAR({max(map(len, new))}) NOT NULL"
        assert old_check in sql and old_type in sql, (table, sql)
        sql = sql.replace(old_check, new_check).replace(old_type, new_type)
        bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name=?", (sql, table))
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _postgres_edit_checks(old_index, new_index):
    for table, column, name, *values in ENUMS:
        old, new = values[old_index], values[new_index]
        op.drop_constraint(op.f(name), table, type_='check')
        op.alter_column(table, column, type_=sa.String(length=max(map(len, new))),
                        existing_type=sa.String(length=max(map(len, old))), existing_nullable=False)
        op.create_check_constraint(name[len(f"ck_{table}_"):], table, _check_sql(column, new))


def _edit_checks(old_index, new_index):
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _sqlite_edit_checks(bind, old_index, new_index)
    else:
        _postgres_edit_checks(old_index, new_index)


def _rebuild_vote_sessions(adding_body):
    """Add or drop the body and change vote_sessions' unique key; on SQLite the table is copied, which deletes
    the rows of its children (ON DELETE CASCADE), so they are kept aside and put back."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        for child in VOTE_CHILDREN:
            bind.exec_driver_sql(f"CREATE TEMP TABLE keep_{child} AS SELECT * FROM {child}")
    with op.batch_alter_table('vote_sessions', recreate='always' if sqlite else 'auto') as batch_op:
        if adding_body:
            batch_op.add_column(sa.Column('body', sa.String(length=13), nullable=False,
                                          server_default='leading_group'))
            batch_op.create_check_constraint('vote_body', "body IN ('committee', 'leading_group')")
            batch_op.drop_constraint('uq_vote_sessions_cycle_id', type_='unique')
            batch_op.create_unique_constraint('uq_vote_sessions_cycle_id_body', ['cycle_id', 'body'])
        else:
            batch_op.drop_constraint('uq_vote_sessions_cycle_id_body', type_='unique')
            batch_op.drop_constraint(op.f('ck_vote_sessions_vote_body'), type_='check')
            batch_op.drop_column('body')
            batch_op.create_unique_constraint('uq_vote_sessions_cycle_id', ['cycle_id'])
    if sqlite:
        for child in VOTE_CHILDREN:
            bind.exec_driver_sql(f"DELETE FROM {child}")
            bind.exec_driver_sql(f"INSERT INTO {child} SELECT * FROM keep_{child}")
            bind.exec_driver_sql(f"DROP TABLE keep_{child}")


def _current_shape(onsite, combine, weight):
    steps = ['screening', 'document_review'] + (['onsite_review'] if onsite else []) \
        + ['leading_group', 'notice', 'award']
    if not onsite:
        return {'steps': steps, 'weights': {'document_review': '1'}, 'combine': 'weighted'}
    if combine == 'weighted':
        share = Decimal(str(weight)).quantize(Decimal('0.001'))
        return {'steps': steps, 'weights': {'document_review': str(Decimal('1') - share), 'onsite_review': str(share)},
                'combine': 'weighted'}
    return {'steps': steps, 'weights': {'document_review': '0', 'onsite_review': '1'}, 'combine': 'replace'}


def upgrade() -> None:
    _edit_checks(0, 1)
    op.add_column('cycles', sa.Column('procedure', sa.JSON(), nullable=True))
    op.add_column('review_rounds', sa.Column('rubric_key', sa.String(length=80), nullable=True))
    op.add_column('review_rounds', sa.Column('rubric_text', sa.Text(), nullable=True))
    op.add_column('review_rounds', sa.Column('rubric_hash', sa.String(length=64), nullable=True))
    _rebuild_vote_sessions(adding_body=True)  # existing votes are the leading group's
    op.create_table('presentation_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('instance', sa.JSON(), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('order', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_presentation_draws_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_presentation_draws_round_id_review_rounds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presentation_draws'))
    )
    op.create_index(op.f('ix_presentation_draws_round_id'), 'presentation_draws', ['round_id'], unique=False)
    op.create_table('presentation_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('room', sa.String(length=100), nullable=False),
    sa.Column('attendance', sa.Enum('pending', 'present', 'absent', name='attendance', native_enum=False,
                                    create_constraint=True), nullable=False),
    sa.Column('attendance_note', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('minutes >= 1', name=op.f('ck_presentation_slots_minutes_positive')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_presentation_slots_position_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_presentation_slots_application_id_applications')),
    sa.ForeignKeyConstraint(['draw_id'], ['presentation_draws.id'],
                            name=op.f('fk_presentation_slots_draw_id_presentation_draws'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_presentation_slots_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'],
                            name=op.f('fk_presentation_slots_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presentation_slots')),
    sa.UniqueConstraint('round_id', 'application_id', name=op.f('uq_presentation_slots_round_id_application_id')),
    sa.UniqueConstraint('round_id', 'position', name=op.f('uq_presentation_slots_round_id_position'))
    )
    op.create_index(op.f('ix_presentation_slots_round_id'), 'presentation_slots', ['round_id'], unique=False)

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT c.id, c.onsite_review, r.combine_mode, r.onsite_weight FROM cycles c "
        "LEFT JOIN ranking_settings r ON r.cycle_id = c.id")).all()
    for cycle_id, onsite, combine, weight in rows:
        shape = _current_shape(bool(onsite), combine or 'replace', weight if weight is not None else '0.5')
        bind.execute(sa.text("UPDATE cycles SET procedure = :procedure WHERE id = :id"),
                     {'procedure': json.dumps(shape), 'id': cycle_id})


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index(op.f('ix_presentation_slots_round_id'), table_name='presentation_slots')
    op.drop_table('presentation_slots')
    op.drop_index(op.f('ix_presentation_draws_round_id'), table_name='presentation_draws')
    op.drop_table('presentation_draws')
    bind.execute(sa.text("DELETE FROM vote_sessions WHERE body <> 'leading_group'"))
    _rebuild_vote_sessions(adding_body=False)
    op.drop_column('review_rounds', 'rubric_hash')
    op.drop_column('review_rounds', 'rubric_text')
    op.drop_column('review_rounds', 'rubric_key')
    op.drop_column('cycles', 'procedure')
    # Rows in the new stages and rounds cannot be kept under the old constraints.
    bind.execute(sa.text("DELETE FROM review_rounds WHERE kind = 'presentation'"))
    bind.execute(sa.text("DELETE FROM cycle_deadlines WHERE stage IN ('presentation', 'social_evaluation', "
                         "'committee')"))
    bind.execute(sa.text("UPDATE cycles SET stage = 'deliberation' WHERE stage IN ('presentation', "
                         "'social_evaluation')"))
    bind.execute(sa.text("UPDATE cycles SET stage = 'approval' WHERE stage = 'committee'"))
    _edit_checks(1, 0)
