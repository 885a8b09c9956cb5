"""Jobs: start one (or get the one already running for the same inputs), claim, progress, finish, fail,
retry, and take back the jobs of workers that died.

Every transition is a conditional UPDATE on the job's row, so two workers never both hold a job and a
worker whose lease ran out cannot record an outcome after another took the job over (``attempts`` is the
claim's fencing token). The queue (huey) only carries job ids; the row is the truth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import Role, User
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.jobs.kinds import KINDS
from award.jobs.models import ACTIVE_STATES, Job, JobState

ENQUEUE_KEY = "award.jobs.enqueue"  # session.info: ids of the jobs to hand to the queue once committed
STALE_QUEUED = dt.timedelta(minutes=1)  # a queued job nobody claimed for this long is handed to the queue again


def inputs_hash(kind: str, inputs: dict[str, Any]) -> str:
    """The SHA-256 of the kind and its inputs as canonical JSON: the same inputs always give the same hash."""
    try:
        canonical = json.dumps({"kind": kind, "inputs": inputs}, sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise Invalid(_("The job's inputs cannot be read.")) from None
    return hashlib.sha256(canonical.encode()).hexdigest()


def enqueue_after_commit(session: Session, job_id: int) -> None:
    """Hand the job to the queue once this transaction commits (a worker must find the row)."""
    session.info.setdefault(ENQUEUE_KEY, []).append(job_id)


def active_job(session: Session, *, kind: str, inputs: dict[str, Any]) -> Job | None:
    return session.scalar(select(Job).where(Job.active_key == inputs_hash(kind, inputs)))


def load_job(session: Session, job_id: int) -> Job | None:
    """The job as its row is now: a worker changes it behind this session's back, so never from the cache."""
    return session.get(Job, job_id, populate_existing=True)


def latest_job(session: Session, *, kind: str, inputs: dict[str, Any]) -> Job | None:
    """The newest job of that kind on those inputs, whatever its state."""
    return session.scalar(select(Job).where(Job.kind == kind, Job.inputs_hash == inputs_hash(kind, inputs))
                          .order_by(Job.id.desc()).limit(1).execution_options(populate_existing=True))


def start_job(session: Session, *, started_by: User | None, kind: str, inputs: dict[str, Any],
              total: int = 0, same_as: dict[str, Any] | None = None) -> tuple[Job, bool]:
    """A new queued job, or the queued or running one of the same kind and inputs (``created`` False).

    ``same_as``: the part of the inputs that makes two jobs the same (default: all of them); a draw of a
    round is the same job whatever seed the second request chose. The caller (an area's service) has
    checked who may start it. The unique ``active_key`` makes this safe when two requests start the same job
    at once: the second insert fails and returns the first one's job.
    """
    if kind not in KINDS:
        raise Invalid(_("There is no such kind of job."))
    digest = inputs_hash(kind, inputs if same_as is None else same_as)
    existing = session.scalar(select(Job).where(Job.active_key == digest).execution_options(populate_existing=True))
    if existing is not None:
        return existing, False
    now = utcnow()
    job = Job(kind=kind, inputs=inputs, inputs_hash=digest, active_key=digest, state=JobState.QUEUED,
              started_by_id=started_by.id if started_by else None, total=max(0, int(total)), done=0, attempts=0,
              max_attempts=KINDS[kind].max_attempts, created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        winner = session.scalar(select(Job).where(Job.active_key == digest))
        if winner is None:  # the other one finished meanwhile: the caller may start again
            raise Conflict(_("The same job was just started and has already ended; start it again.")) from None
        return winner, False
    enqueue_after_commit(session, job.id)
    return job, True


def retry_job(session: Session, *, actor: User | None, job: Job) -> Job:
    """Queue a failed job again (the office, from the job's page); the running one if the same job is active."""
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can retry a job."))
    if job.state is not JobState.FAILED:
        raise Conflict(_("Only a failed job can be retried."), code="not_failed")
    running = session.scalar(select(Job).where(Job.active_key == job.inputs_hash))
    if running is not None:
        return running
    try:
        with session.begin_nested():
            job.state, job.active_key, job.attempts = JobState.QUEUED, job.inputs_hash, 0
            job.error_code, job.error_detail, job.done = None, "", 0
            job.worker = job.lease_until = job.finished_at = None
            job.updated_at = utcnow()
            session.flush()
    except IntegrityError:
        session.refresh(job)
        running = session.scalar(select(Job).where(Job.active_key == job.inputs_hash))
        if running is None:
            raise Conflict(_("The same job was just started and has already ended; start it again.")) from None
        return running
    cycle_id = job.inputs.get("cycle_id")
    record(session, actor=actor, action="jobs.retried", target_type="job", target_id=job.id,
           cycle_id=cycle_id if isinstance(cycle_id, int) else None)
    enqueue_after_commit(session, job.id)
    return job


# --- the worker's side ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job_id: int
    attempt: int
    kind: str
    inputs: dict[str, Any]
    started_by_id: int | None


def claim_job(session: Session, job_id: int, *, worker: str, lease: dt.timedelta) -> Claim | None:
    """Take a queued job (None if it is not queued: already taken, done, or unknown)."""
    now = utcnow()
    taken = session.execute(
        update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, attempts=Job.attempts + 1, worker=worker[:120], lease_until=now + lease,
                started_at=func.coalesce(Job.started_at, now), updated_at=now)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return None
    row = session.execute(select(Job.attempts, Job.kind, Job.inputs, Job.started_by_id).where(Job.id == job_id)).one()
    return Claim(job_id=job_id, attempt=row.attempts, kind=row.kind, inputs=row.inputs, started_by_id=row.started_by_id)


def _held(claim: Claim) -> Any:
    return (Job.id == claim.job_id) & (Job.state == JobState.RUNNING) & (Job.attempts == claim.attempt)


def report_progress(session: Session, claim: Claim, *, done: int, total: int, lease: dt.timedelta) -> bool:
    """Record progress and renew the lease; False when the job is no longer this claim's."""
    now = utcnow()
    moved = session.execute(update(Job).where(_held(claim))
                            .values(done=max(0, done), total=max(0, total), lease_until=now + lease, updated_at=now)
                            .execution_options(synchronize_session=False))
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def finish_job(session: Session, claim: Claim, *, result_sha256: str | None, result_name: str | None,
               result_mime: str | None) -> bool:
    """Mark the job done with its result (a file of the file store, kept by ``results.keep_result`` in this
    same transaction), in the same transaction as whatever the job wrote."""
    now = utcnow()
    finished = session.execute(
        update(Job).where(_held(claim))
        .values(state=JobState.DONE, active_key=None, done=Job.total, result_sha256=result_sha256,
                result_name=result_name, result_mime=result_mime, lease_until=None, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    return bool(finished.rowcount == 1)  # type: ignore[attr-defined]


def fail_job(session: Session, claim: Claim, *, code: str, detail: str,
             progress: tuple[int, int] | None = None) -> bool:
    """Mark the job failed with its reason (and how far it got); nothing it wrote is kept."""
    now = utcnow()
    figures = {"done": max(0, progress[0]), "total": max(0, progress[1])} if progress else {}
    failed = session.execute(
        update(Job).where(_held(claim))
        .values(**figures, state=JobState.FAILED, active_key=None, error_code=code[:40], error_detail=detail[:2000],
                lease_until=None, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    return bool(failed.rowcount == 1)  # type: ignore[attr-defined]


def reap_jobs(session: Session, *, now: dt.datetime | None = None, stale_queued: dt.timedelta = STALE_QUEUED,
              running_here: Collection[int] = ()) -> list[int]:
    """Take back the running jobs whose worker stopped renewing its lease: queued again, or failed as
    interrupted once they used up their attempts. Returns the ids to hand to the queue (those, and queued
    jobs nobody claimed for ``stale_queued``: the queue lost them, or they were committed while it was down;
    a worker that starts hands out every queued job)."""
    now = now or utcnow()
    expired = (Job.state == JobState.RUNNING) & (Job.lease_until < now)
    if running_here:  # alive in the reaper's own process, whatever the lease says
        expired = expired & Job.id.not_in(list(running_here))
    session.execute(update(Job).where(expired, Job.attempts >= Job.max_attempts)
                    .values(state=JobState.FAILED, active_key=None, error_code="interrupted", lease_until=None,
                            finished_at=now, updated_at=now).execution_options(synchronize_session=False))
    requeue = list(session.scalars(select(Job.id).where(expired)))
    if requeue:
        session.execute(update(Job).where(Job.id.in_(requeue), expired)
                        .values(state=JobState.QUEUED, worker=None, lease_until=None, updated_at=now)
                        .execution_options(synchronize_session=False))
    forgotten = session.scalars(select(Job.id).where(Job.state == JobState.QUEUED,
                                                     Job.updated_at <= now - stale_queued))
    return sorted(set(requeue) | set(forgotten))


def jobs_of(session: Session, *, states: tuple[JobState, ...] = ACTIVE_STATES) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.state.in_(states)).order_by(Job.id)))
