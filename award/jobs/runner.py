"""Running one job in a worker: claim it, run its kind with progress and a heartbeat, keep the result.

Nothing here knows the queue or Flask: the worker (``configured.py``) calls ``run_job`` with a session
factory, inside the app. A job's own writes and its "done" are one transaction; its result is put
into the file store (atomically, named by its digest) before that transaction commits. A worker killed
at any point leaves either nothing or the whole outcome, and the lease lets the next worker take it back.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from award.errors import DomainError
from award.files import FileStore
from award.jobs import services
from award.jobs.kinds import KINDS, JobContext, JobFailed
from award.jobs.models import JobState
from award.jobs.results import keep_result

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]

# The jobs running in this process. The reaper of this process never takes them back: on SQLite a job
# that writes holds the database's write lock, so its heartbeat cannot renew the lease meanwhile.
RUNNING_HERE: set[int] = set()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class _Progress:
    """Writes progress (and so renews the lease) at most every ``min_interval`` seconds, always the last step."""

    def __init__(self, factory: SessionFactory, claim: services.Claim, lease: dt.timedelta,
                 min_interval: float) -> None:
        self.factory, self.claim, self.lease, self.min_interval = factory, claim, lease, min_interval
        self.last = 0.0
        self.lock = threading.Lock()
        self.latest: tuple[int, int] | None = None  # the last figures reported, written or not

    def __call__(self, done: int, total: int) -> None:
        self.latest = (done, total)
        if time.monotonic() - self.last < self.min_interval and done < total:
            return
        try:
            self.write(done, total)
        except Exception:  # noqa: BLE001 - a busy database delays the figures, it does not fail the job
            log.warning("job %s: progress not written", self.claim.job_id, exc_info=True)

    def write(self, done: int | None = None, total: int | None = None) -> None:
        with self.lock, self.factory() as session:
            if done is None or total is None:  # a heartbeat: renew the lease, keep the figures
                from award.jobs.models import Job

                job = session.get(Job, self.claim.job_id)
                if job is None:
                    return
                done, total = job.done, job.total
            services.report_progress(session, self.claim, done=done, total=total, lease=self.lease)
            session.commit()
            self.last = time.monotonic()


def _heartbeat(progress: _Progress, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            progress.write()
        except Exception:  # noqa: BLE001 - a missed beat only shortens the lease; the job goes on
            log.warning("job %s: heartbeat failed", progress.claim.job_id, exc_info=True)


def run_job(factory: SessionFactory, job_id: int, *, store: FileStore, lease: dt.timedelta,
            heartbeat: float | None = None, min_interval: float = 0.2) -> JobState | None:
    """Run the job if it is still queued; its final state, or None when another worker has it or had it."""
    with factory() as session:
        claim = services.claim_job(session, job_id, worker=worker_name(), lease=lease)
        session.commit()
    if claim is None:
        return None
    RUNNING_HERE.add(job_id)
    progress = _Progress(factory, claim, lease, min_interval)
    stop = threading.Event()
    beat = None
    if heartbeat:
        beat = threading.Thread(target=_heartbeat, args=(progress, heartbeat, stop), daemon=True,
                                name=f"job-{job_id}-heartbeat")
        beat.start()
    try:
        return _run_claimed(factory, claim, progress, store)
    finally:
        stop.set()
        RUNNING_HERE.discard(job_id)
        if beat is not None:
            beat.join(timeout=5)


def _run_claimed(factory: SessionFactory, claim: services.Claim, progress: _Progress,
                 store: FileStore) -> JobState | None:
    spec = KINDS.get(claim.kind)
    with factory() as session:
        try:
            if spec is None:
                raise JobFailed("failed", f"unknown job kind {claim.kind!r}")
            result = spec.run(JobContext(session=session, inputs=claim.inputs, progress=progress,
                                         started_by_id=claim.started_by_id, job_id=claim.job_id))
            digest = None
            if result is not None:  # in the store before "done" commits; recorded in the same transaction
                digest = keep_result(session, store, data=result.data, file=result.file, kind=result.file_kind).sha256
            finished = services.finish_job(session, claim, result_sha256=digest,
                                           result_name=result.name if result else None,
                                           result_mime=result.mime if result else None)
            if not finished:  # our lease ran out and another worker took the job: its outcome counts
                session.rollback()
                return None
            session.commit()
            log.info("job %s (%s) done, attempt %s", claim.job_id, claim.kind, claim.attempt)
            return JobState.DONE
        except JobFailed as error:
            code, detail = error.code, error.detail
        except DomainError as error:
            code, detail = "refused", str(error)
        except Exception as error:  # noqa: BLE001 - the office must see that the job failed, whatever broke
            log.exception("job %s (%s) failed", claim.job_id, claim.kind)
            code, detail = "failed", f"{type(error).__name__}: {error}"[:500]
        session.rollback()  # nothing the failed run wrote is kept
    with factory() as session:
        failed = services.fail_job(session, claim, code=code, detail=detail, progress=progress.latest)
        session.commit()
    return JobState.FAILED if failed else None
