"""Where job results are kept: in the one file store (award/files.py), named by their SHA-256.

The job's row keeps the digest (``Job.result_sha256``, registered with ``refers_to``), so
``flask --app award files verify`` checks every result and a backup copies them. Storing is atomic (a
temporary file renamed into place) and content-addressed: a late worker of the same job writes the
same name with the same bytes, or other bytes under another name, never a half file under a kept one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from award.files import Blob, FileStore, keep

RESULT_KIND = "job_result"  # the stored_files kind of a result


def keep_result(session: Session, store: FileStore, *, data: bytes | None = None, file: Path | None = None,
                kind: str = RESULT_KIND) -> Blob:
    """Put the result (bytes, or a file the job wrote, moved in) into the store and record it in the job's
    transaction; the file is in place before that transaction commits."""
    if file is not None:
        scratch = store.scratch_path(file.suffix)
        shutil.move(file, scratch)  # a rename on the store's filesystem, else a copy then a delete
        blob = store.adopt(scratch)
    else:
        blob = store.put(data or b"")
    keep(session, blob, kind)
    return blob


def result_file(store: FileStore, sha256: str | None) -> Path | None:
    """The result's file, for a download; None when the job has none, or the file is gone or altered."""
    if not sha256:
        return None
    try:
        if store.check(sha256) is not None:
            return None
        return store.path_of(sha256)
    except ValueError:  # not a digest
        return None


def read_result(store: FileStore, sha256: str | None) -> bytes | None:
    """The result's bytes, checked against the digest; None when absent or altered."""
    if not sha256:
        return None
    try:
        return store.read_checked(sha256)
    except ValueError:
        return None
