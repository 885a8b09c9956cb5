"""Checks before serving: each failure is one clear line, never a traceback."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from award import migrate
from award.app_db import get_database


class StartupError(RuntimeError):
    pass


def check_ready(app: Flask) -> None:
    """The database answers and its schema is at the code's migration head."""
    engine = get_database(app).engine
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise StartupError(f"cannot reach the database {where}: {reason}") from None
    head = migrate.head_revision()
    if current != head:
        raise StartupError(
            f"the database schema is at {current or 'nothing'} but the code needs {head}: "
            "run `flask --app award db upgrade`"
        )
