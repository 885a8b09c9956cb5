"""Backup and restore of the whole database: SQLite's online backup, or pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why in one line."""


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(database_url: str) -> str:
    """pg_dump speaks libpq URLs: drop SQLAlchemy's '+driver' part."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last_line = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        raise BackupError(f"{tool} failed: {last_line}")


def backup_database(database_url: str, target: str | Path) -> None:
    """Write a consistent copy of the live database to target (the app may keep serving)."""
    target = Path(target)
    if make_url(database_url).get_backend_name() == "sqlite":
        source = _sqlite_path(database_url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        tmp = target.with_name(target.name + ".partial")
        with sqlite3.connect(source) as live, sqlite3.connect(tmp) as copy:
            live.backup(copy)  # the online backup API: consistent even while others write
        os.replace(tmp, target)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(database_url)])


def restore_database(database_url: str, source: str | Path) -> None:
    """Replace the database's content with the backup (stop the app first)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if make_url(database_url).get_backend_name() == "sqlite":
        target = _sqlite_path(database_url)
        with sqlite3.connect(source) as backup, sqlite3.connect(target) as live:
            backup.backup(live)
        return
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq_url(database_url)}", str(source)])
