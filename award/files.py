"""Every stored file, in one content-addressed store: the bytes are named by their SHA-256.

Evidence, objection evidence, call files, certificate seals, archives and certificate batches all
live under one root, ``FILES_ROOT`` (``AWARD_FILES_ROOT``; by default ``instance/files``): a shared
volume when several hosts serve the app. A file's name is its digest (``sha256/ab/cd/abcd…``), so
two hosts writing the same content at once write the same name: each writes its own temporary file
in the target's folder and renames it into place (atomic on POSIX), the last rename wins with the
same bytes. The database records every digest (``stored_files``, and the rows that refer to a file
register their digest column with ``refers_to``), so ``flask --app award files verify`` can name every
missing or altered file. No Flask here: ``FileStore.from_config`` is the one place the root is read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, String, event, exists, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from award.db import Base, UTCDateTime, utcnow

CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
MISSING, ALTERED = "missing", "altered"


def files_root(config: Mapping[str, Any], instance_path: str | Path) -> Path:
    """The root of the store: FILES_ROOT (env AWARD_FILES_ROOT), else instance/files."""
    return Path(config.get("FILES_ROOT") or Path(instance_path) / "files")


def write_atomic(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.part")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Blob:
    sha256: str
    size_bytes: int


class FileStore:
    """The content-addressed folder: put bytes (or a finished file), read them back checked, verify."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str | Path) -> FileStore:
        return cls(files_root(config, instance_path))

    def path_of(self, sha256: str) -> Path:
        if not _DIGEST.match(sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def scratch_path(self, suffix: str = "") -> Path:
        """A fresh path on the store's own filesystem, for a file written in pieces then ``adopt``-ed."""
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder / f"{os.getpid()}.{secrets.token_hex(8)}{suffix}"

    def put(self, data: bytes) -> Blob:
        """Store the bytes under their digest; storing the same bytes again (any host) is harmless."""
        blob = Blob(hashlib.sha256(data).hexdigest(), len(data))
        path = self.path_of(blob.sha256)
        if self.check(blob.sha256) is not None:  # absent or damaged: (re)write it
            write_atomic(path, data)
        return blob

    def adopt(self, source: Path, *, expected: str | None = None) -> Blob:
        """Move a finished file (from ``scratch_path``) into the store under its digest; when it is not the
        ``expected`` digest, delete it and raise ValueError."""
        digest, size = _hash_file(source)
        if expected is not None and digest != expected:
            source.unlink(missing_ok=True)
            raise ValueError("the file does not match its SHA-256")
        path = self.path_of(digest)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(source, path)  # same filesystem: atomic, and equal content if another host got there first
        return Blob(digest, size)

    def read(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()

    def read_checked(self, sha256: str) -> bytes | None:
        """The bytes when present and still of that digest; None when absent or altered."""
        path = self.path_of(sha256)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == sha256 else None

    def check(self, sha256: str) -> str | None:
        """None when the file is there with its digest; else MISSING or ALTERED."""
        path = self.path_of(sha256)
        if not path.is_file():
            return MISSING
        return None if _hash_file(path)[0] == sha256 else ALTERED

    def discard(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    def digests(self) -> Iterator[str]:
        """Every digest present in the store (by name; ``check`` says whether the content still matches)."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in sorted(base.glob("*/*/*")):
            if _DIGEST.match(path.name) and path.is_file():
                yield path.name


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --------------------------------------------------------------------------- what the database records

class StoredFile(Base):
    """One stored file by its digest: what it is (``kind``) and when it was first stored."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    stored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


_REFERENCES: list[Any] = []


def refers_to(column: Any) -> None:
    """Register a model's digest column (``EvidenceFile.sha256``): verify checks its files, release keeps them."""
    if column not in _REFERENCES:
        _REFERENCES.append(column)


def keep(session: Session, blob: Blob, kind: str) -> None:
    """Record the stored file (an upsert: two hosts may store the same content at once)."""
    from sqlalchemy.dialects import postgresql

    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(StoredFile).values(sha256=blob.sha256, size_bytes=blob.size_bytes, kind=kind,
                                              stored_at=utcnow()).on_conflict_do_nothing())


def is_referenced(session: Session, sha256: str) -> bool:
    return any(session.scalar(select(exists().where(column == sha256))) for column in _REFERENCES)


def release(session: Session, store: FileStore, sha256: str) -> None:
    """A row no longer refers to the file: once no row does, forget it and delete it after the commit."""
    session.flush()
    if is_referenced(session, sha256):
        return
    row = session.get(StoredFile, sha256)
    if row is not None:
        session.delete(row)
        session.flush()
    event.listen(session, "after_commit", lambda _session: store.discard(sha256), once=True)


@dataclass(frozen=True)
class FileProblem:
    sha256: str
    problem: str  # MISSING or ALTERED
    kind: str


def recorded_digests(session: Session) -> dict[str, str]:
    """Every digest the database knows, with its kind: the stored_files rows and every registered column."""
    known = {row.sha256: row.kind for row in session.scalars(select(StoredFile))}
    for column in _REFERENCES:
        kind = column.class_.__tablename__
        for digest in session.scalars(select(column).where(column.is_not(None)).distinct()):
            known.setdefault(digest, kind)
    return known


def verify_files(session: Session, store: FileStore) -> tuple[int, list[FileProblem]]:
    """Check every recorded file: how many were checked, and each missing or altered one."""
    known = recorded_digests(session)
    problems = []
    for digest, kind in sorted(known.items()):
        try:
            problem = store.check(digest)
        except ValueError:
            problem = ALTERED  # a recorded value that is no digest at all
        if problem is not None:
            problems.append(FileProblem(digest, problem, kind))
    return len(known), problems
