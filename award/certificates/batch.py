"""Batch printing in the background: all certificates of a cycle into one PDF, with progress on disk.

A job is a folder entry under the batch root (certificate_batches/ under the files root): a JSON
status file, rewritten atomically as pages are laid out, and the finished PDF beside it. A thread
renders (enough for the single-process demo); because the status lives in files, any worker
process of the same machine can answer the progress page. The thread gets plain data
(``CertificateData``), never a database session, so it cannot see or hold a transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from award.certificates.fonts import MissingFontError
from award.certificates.render import CertificateData, Progress, render_certificates_batch
from award.files import write_atomic

RUNNING, DONE, FAILED = "running", "done", "failed"
STALE_SECONDS = 600  # a running job whose status has not moved for this long died with its process
_JOB_ID = re.compile(r"^[0-9a-f]{24}$")

Renderer = Callable[[Sequence[CertificateData], Progress], bytes]


@dataclass(frozen=True, kw_only=True)
class BatchStatus:
    job_id: str
    cycle_id: int
    state: str
    done: int
    total: int
    started_at: str
    finished_at: str | None = None
    error: str | None = None  # "font_missing", "interrupted" or "failed"
    detail: str = ""  # the exception's text, for the log and the office

    @property
    def percent(self) -> int:
        return 100 if self.state == DONE else int(self.done * 100 / self.total) if self.total else 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class BatchStore:
    """The folder of batch jobs: ``<job>.json`` (status), ``<job>.pdf`` (result), ``cycle-<id>`` (latest job)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _status_path(self, job_id: str) -> Path:
        if not _JOB_ID.match(job_id):
            raise ValueError("not a batch job id")
        return self.root / f"{job_id}.json"

    def pdf_path(self, job_id: str) -> Path:
        return self._status_path(job_id).with_suffix(".pdf")

    def _write_atomic(self, path: Path, data: bytes) -> None:
        write_atomic(path, data)

    def write(self, status: BatchStatus) -> None:
        self._write_atomic(self._status_path(status.job_id), json.dumps(asdict(status)).encode())

    def read(self, job_id: str) -> BatchStatus | None:
        """The job's status; a running job whose file has not changed for STALE_SECONDS reads as failed."""
        try:
            path = self._status_path(job_id)
            status = BatchStatus(**json.loads(path.read_text(encoding="utf-8")))
            age = time.time() - path.stat().st_mtime
        except (ValueError, OSError, TypeError):
            return None
        if status.state == RUNNING and age > STALE_SECONDS:
            return replace(status, state=FAILED, error="interrupted")
        return status

    def remember_latest(self, cycle_id: int, job_id: str) -> None:
        self._write_atomic(self.root / f"cycle-{int(cycle_id)}", job_id.encode())

    def latest(self, cycle_id: int) -> BatchStatus | None:
        try:
            job_id = (self.root / f"cycle-{int(cycle_id)}").read_text(encoding="ascii").strip()
        except OSError:
            return None
        return self.read(job_id)


def run_batch(store: BatchStore, status: BatchStatus, certificates: Sequence[CertificateData],
              render: Renderer = render_certificates_batch, *, min_interval: float = 0.2) -> BatchStatus:
    """Render the batch, writing progress as it goes, then the PDF; the final status is returned."""
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write, status
        status = replace(status, done=done, total=total)
        if time.monotonic() - last_write >= min_interval or done == total:
            store.write(status)
            last_write = time.monotonic()

    try:
        pdf = render(certificates, progress)
        store._write_atomic(store.pdf_path(status.job_id), pdf)
    except MissingFontError as error:
        status = replace(status, state=FAILED, error="font_missing", detail=str(error), finished_at=_now())
    except Exception as error:  # noqa: BLE001 - the office must see that the job failed, whatever broke
        status = replace(status, state=FAILED, error="failed", detail=f"{type(error).__name__}: {error}"[:500],
                         finished_at=_now())
    else:
        status = replace(status, state=DONE, done=len(certificates), finished_at=_now())
    store.write(status)
    return status


def start_batch(store: BatchStore, *, cycle_id: int, certificates: Sequence[CertificateData],
                render: Renderer = render_certificates_batch, background: bool = True) -> BatchStatus:
    """Record a new running job for the cycle and render it, in a daemon thread unless told otherwise."""
    if not certificates:
        raise ValueError("no certificates to print")
    status = BatchStatus(job_id=secrets.token_hex(12), cycle_id=cycle_id, state=RUNNING, done=0,
                         total=len(certificates), started_at=_now())
    store.write(status)
    store.remember_latest(cycle_id, status.job_id)
    if not background:
        return run_batch(store, status, certificates, render)
    thread = threading.Thread(target=run_batch, args=(store, status, list(certificates), render),
                              name=f"certificates-{status.job_id}", daemon=True)
    thread.start()
    return status
