"""The Flask app's database: its engine and session factory, and one session per request or command.

The session lives in flask.g; the request boundary commits it once when the status is below 400 and
rolls it back otherwise, so services never commit (docs/architecture.md, "The path of a request").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from award.db import READ_ONLY, create_db_engine


class Database:
    """The app's engine and session factory; one session per request in flask.g."""

    def __init__(self, app: Flask) -> None:
        self.engine = create_db_engine(app.config["DATABASE_URL"])
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        app.extensions["award.db"] = self
        app.teardown_appcontext(_close_session)

    @staticmethod
    def commit_after_requests(app: Flask) -> None:
        """Commit or roll back at the end of each request. Called once the app's other after-request
        functions are registered, so this one runs first (Flask runs them last-registered first) and
        a clash at commit is answered with the headers and the log line of any answer."""
        app.after_request(_commit_or_rollback)

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
        session = g.db_session = get_database().session_factory()
        if _reads_only():
            # SQLite: a plain BEGIN, so the page does not queue behind writers nor hold them up.
            session.connection(execution_options={READ_ONLY: True})
    return g.db_session


def reads_only_on_get(view: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a view whose GET writes nothing: its transaction takes no write lock (SQLite). A write
    in it would be refused by SQLite when another writer came first, so mark only pure reads."""
    view.reads_only_on_get = True  # type: ignore[attr-defined]
    return view


def _reads_only() -> bool:
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return False
    return bool(getattr(current_app.view_functions.get(request.endpoint or ""), "reads_only_on_get", False))


def _commit_or_rollback(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is not None:
        # A refused request (4xx/5xx) must change nothing, whatever a service flushed.
        if response.status_code >= 400:
            session.rollback()
            return response
        try:
            session.commit()
        except IntegrityError as clash:  # another request saved the same thing first: nothing is saved
            session.rollback()
            # The app's handler of a clash (views.clashed) answers, as it does for one met at a flush.
            return current_app.make_response(current_app.handle_user_exception(clash))
    return response


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
