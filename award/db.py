"""Engine, declarative base, column types and the clock: the storage every area builds on.

The app's engine and its one session per request live in award.app_db (the web layer's side).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from award import runtime
from award.i18n import _
from award.inputs import InvalidInput

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow() or an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """Now, aware UTC. Tests only: an app with TESTING on may set CLOCK_OFFSET (a timedelta) to let time
    pass (a deadline, the notice period); the setting is ignored whenever TESTING is off."""
    now = dt.datetime.now(dt.UTC)
    settings = runtime.settings()
    offset = settings.get("CLOCK_OFFSET")
    if offset and settings.get("TESTING"):
        now += offset
    return now


# An execution option for a connection that will only read: on SQLite its transaction begins without
# taking the write lock (the health check answers within its second while a writer holds the lock).
READ_ONLY = "award_read_only"


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a duplicate of a unique key (a race two requests ran), as opposed to
    another broken constraint (a missing value, a check, a foreign key), which is a bug to surface."""
    if getattr(error.orig, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return True
    return "UNIQUE constraint failed" in str(error.orig)  # SQLite's message for a unique or primary key


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with SQLite made safe: WAL, foreign keys, busy timeout, real savepoints."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock at once, so two writers queue instead of deadlocking. A
        # connection that only reads (READ_ONLY, the health check) must not queue behind a writer.
        read_only = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_TEXT_COLUMNS: dict[Any, tuple[tuple[str, int | None], ...]] = {}


def _text_columns(mapper: Any) -> tuple[tuple[str, int | None], ...]:
    """(attribute, VARCHAR length or None) of every text column of a mapped class."""
    columns = _TEXT_COLUMNS.get(mapper)
    if columns is None:
        columns = _TEXT_COLUMNS[mapper] = tuple(
            (attr.key, attr.columns[0].type.length) for attr in mapper.column_attrs
            if isinstance(attr.columns[0].type, String))
    return columns


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session: Session, _context: Any, _instances: Any) -> None:
    """Text that one database would refuse and the other keep: NUL (PostgreSQL cannot store it,
    SQLite keeps it) and text longer than its VARCHAR (PostgreSQL refuses it, SQLite keeps it). The
    same refusal on both, for every service, import and command, whatever checked it before."""
    for instance in (*session.new, *session.dirty):
        state = sa_inspect(instance)
        for key, length in _text_columns(state.mapper):
            value = state.dict.get(key)
            if not isinstance(value, str):
                continue
            if "\x00" in value:
                raise InvalidInput(_("The text contains a NUL character, which cannot be stored."))
            if length is not None and len(value) > length:
                raise InvalidInput(_("“%(start)s…” is longer than the %(max)s characters allowed.",
                                     start=value[:20], max=length))
