"""The token of the facts a conflict check reads, drawn anew at every write to them.

A pair's verdict (`services.has_conflict`) is kept in the process per (application, expert, token):
exact, because every write to what `services._conflicts` reads draws a new random token in the same
transaction, so a verdict is never reused once the facts changed, and a token of a transaction that
was rolled back is never drawn again. The facts: expert profiles and relations, group links, pinned
conflicts, the cycle's 回避 settings and deadlines (the reference date), and of accounts,
organizations and applications the columns the check reads (an insert or a delete always counts).

Writes are seen at the session: a flush (`before_flush`/`after_flush`) and a bulk statement run
through a session (`do_orm_execute`; a text statement that writes counts whatever it names). A
write on a bare connection outside any session must call `bump()` itself.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import TextClause, event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from award.audit.models import AuditChainHead
from award.audit.services import HEAD_ID
from award.conflicts.models import ConflictDataVersion

# Tables whose every row and column the check reads.
WATCHED_TABLES = frozenset({"expert_profiles", "expert_relations", "group_links", "pinned_conflicts",
                            "cycle_coi_settings", "cycle_deadlines"})
# Tables of which it reads a few columns: only a change of these (or an insert, a delete) counts.
WATCHED_COLUMNS = {
    "users": frozenset({"organization_id", "email", "phone", "role"}),
    "organizations": frozenset({"credit_code"}),
    "applications": frozenset({"organization_id", "cycle_id", "address"}),
}
_PENDING = "coi_data_changed"


def current_token(session: Session) -> int | None:
    """The token now (after the session's pending writes are flushed); None without the row."""
    return session.scalar(select(ConflictDataVersion.token).where(ConflictDataVersion.id == 1))


def bump(session: Session) -> None:
    """Draw a new token in the session's transaction.

    On PostgreSQL the audit chain's head is locked first (as `audit.services.record` locks it), so
    that every transaction takes the two row locks in one order: a service that records before it
    writes a fact and one that writes a fact before it records cannot deadlock. SQLite's writers
    are serialized by `BEGIN IMMEDIATE` already."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                           .values(last_seq=AuditChainHead.last_seq))
    connection.execute(update(ConflictDataVersion).where(ConflictDataVersion.id == 1)
                       .values(token=secrets.randbits(62)))


_WATCHED = WATCHED_TABLES | WATCHED_COLUMNS.keys()
_TABLE_OF: dict[type, str] = {}


def _table_name(instance: object) -> str:
    kind = type(instance)
    name = _TABLE_OF.get(kind)
    if name is None:
        name = _TABLE_OF[kind] = getattr(getattr(kind, "__table__", None), "name", "") or ""
    return name


def _changes_facts(session: Session, instance: object, *, whole_row: bool) -> bool:
    name = _table_name(instance)
    if name not in _WATCHED:
        return False
    if whole_row:
        return True
    if name in WATCHED_TABLES:
        return session.is_modified(instance)
    attrs = inspect(instance).attrs
    return any(attrs[column].history.has_changes() for column in WATCHED_COLUMNS[name] if column in attrs)


@event.listens_for(Session, "before_flush")
def _note_writes(session: Session, _context: object, _instances: object) -> None:
    if (any(_changes_facts(session, o, whole_row=True) for o in session.new)
            or any(_changes_facts(session, o, whole_row=True) for o in session.deleted)
            or any(_changes_facts(session, o, whole_row=False) for o in session.dirty)):
        session.info[_PENDING] = True


@event.listens_for(Session, "after_flush")
def _draw_after_flush(session: Session, _context: object) -> None:
    if session.info.pop(_PENDING, False):
        bump(session)


def _statement_changes_facts(statement: Any, *, whole_row: bool) -> bool:
    if isinstance(statement, TextClause):
        words = statement.text.split(None, 1)
        return bool(words) and words[0].lower() in {"insert", "update", "delete", "replace"}
    name = getattr(getattr(statement, "table", None), "name", None)
    if name in WATCHED_TABLES:
        return True
    if name not in WATCHED_COLUMNS:
        return False
    values = getattr(statement, "_values", None)  # an UPDATE's SET clause, when given by .values()
    if whole_row or not values:
        return True
    return any(getattr(key, "key", key) in WATCHED_COLUMNS[name] for key in values)


@event.listens_for(Session, "do_orm_execute")
def _draw_on_bulk_write(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete or isinstance(state.statement, TextClause)) \
            and _statement_changes_facts(state.statement, whole_row=state.is_insert or state.is_delete):
        bump(state.session)
