"""Engine, declarative base and the one session per request (committed at the request boundary)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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
    if has_app_context():
        config = current_app.config
        offset = config.get("CLOCK_OFFSET")
        if offset and config.get("TESTING"):
            now += offset
    return now


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
        # IMMEDIATE takes the write lock at once, so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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


class Database:
    """The app's engine and session factory; one session per request in flask.g."""

    def __init__(self, app: Flask) -> None:
        self.engine = create_db_engine(app.config["DATABASE_URL"])
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        app.extensions["award.db"] = self
        app.after_request(_commit_or_rollback)
        app.teardown_appcontext(_close_session)

    def bind_to(self, connection: Connection) -> None:
        """Tests: run every session inside an outer transaction that the test rolls back."""
        self.session_factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["award.db"]


def get_session() -> Session:
    """The session of the current request or app context."""
    if "db_session" not in g:
        g.db_session = get_database().session_factory()
    return g.db_session


def _commit_or_rollback(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is not None:
        # A refused request (4xx/5xx) must change nothing, whatever a service flushed.
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
