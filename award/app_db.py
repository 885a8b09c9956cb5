"""The Flask app's database: its engine and session factory, and one session per request or command.

The session lives in flask.g; the request boundary commits it once when the status is below 400 and
rolls it back otherwise, so services never commit (docs/architecture.md, "The path of a request").
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from award.db import create_db_engine


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
