"""Backup and restore of the database and the stored files together, in one file.

The database is copied by SQLite's online backup, or by pg_dump / pg_restore; the file store
(award.files) is copied file by file. ``backup_all`` writes one tar file: ``backup.json`` (what it
holds), ``database`` and ``files/sha256/…``; ``restore_all`` puts both back, checking each file
against its name (its SHA-256), onto an empty machine as well as over a damaged one. A backup made
before the files were included (a bare database file) is still restored.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from award.files import FileStore


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
        target.parent.mkdir(parents=True, exist_ok=True)  # an empty machine has no instance/ yet
        with sqlite3.connect(source) as backup, sqlite3.connect(target) as live:
            backup.backup(live)
        return
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq_url(database_url)}", str(source)])


BACKUP_FORMAT = 1
_MANIFEST = "backup.json"
_DATABASE = "database"
_FILES = "files/sha256/"


def backup_all(database_url: str, store: FileStore, target: str | Path) -> dict[str, int]:
    """Write the database and every stored file to one tar file; say how many files it holds."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    count = size = 0
    try:
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            dump = Path(scratch) / _DATABASE
            backup_database(database_url, dump)  # first: every file it refers to is already stored
            with tarfile.open(partial, "w") as archive:
                archive.add(dump, arcname=_DATABASE)
                for digest in store.digests():
                    path = store.path_of(digest)
                    archive.add(path, arcname=f"{_FILES}{digest}")
                    count += 1
                    size += path.stat().st_size
                manifest = json.dumps({"format": BACKUP_FORMAT, "backend": make_url(database_url).get_backend_name(),
                                       "files": count, "file_bytes": size}).encode()
                info = tarfile.TarInfo(_MANIFEST)
                info.size = len(manifest)
                archive.addfile(info, io.BytesIO(manifest))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {"files": count, "bytes": size}


def restore_all(database_url: str, store: FileStore, source: str | Path) -> dict[str, int]:
    """Restore the database and put every file of the backup back into the store (stop the app first)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if not tarfile.is_tarfile(source):
        restore_database(database_url, source)  # a backup of the database alone, from before files were included
        return {"files": 0}
    count = 0
    with tarfile.open(source, "r") as archive:
        members = {member.name: member for member in archive.getmembers() if member.isfile()}
        if _DATABASE not in members or _MANIFEST not in members:
            raise BackupError(f"{source} is not a backup of this application")
        manifest = json.loads(_member_bytes(archive, members[_MANIFEST]))
        backend = make_url(database_url).get_backend_name()
        if manifest.get("backend") != backend:
            raise BackupError(f"the backup is of a {manifest.get('backend')} database, not {backend}")
        for name, member in members.items():
            if not name.startswith(_FILES):
                continue
            digest = name[len(_FILES):]
            target = store.scratch_path()
            with archive.extractfile(member) as data, open(target, "xb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(data, out, 1024 * 1024)
            try:
                store.path_of(digest)  # refuses a name that is no digest
                store.adopt(target, expected=digest)
            except ValueError:
                target.unlink(missing_ok=True)
                raise BackupError(f"{name}: the file in the backup does not match its name (a SHA-256)") from None
            count += 1
        with tempfile.TemporaryDirectory(dir=store.scratch_path().parent) as scratch:
            dump = Path(scratch) / _DATABASE
            with archive.extractfile(members[_DATABASE]) as data, open(dump, "xb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(data, out, 1024 * 1024)
            restore_database(database_url, dump)
    return {"files": count}


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    if handle is None or member.size > 1024 * 1024:
        raise BackupError(f"{member.name} cannot be read")
    with handle:
        return handle.read()
