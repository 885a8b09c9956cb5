"""The job queue as this app is configured: huey on a SQLite file (the embedded default) or on Redis
(production), the same tasks either way, and immediate (run in the caller) in tests.

The queue only carries a job's id: ``run_job`` claims the row, so a message delivered twice, or one the
reaper hands out again, runs the job once. Interface level: the tasks run inside the app (``current_app``),
so a kind may read the configuration.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, g, has_app_context, has_request_context, send_file
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from award.app_db import get_database, get_session
from award.db import utcnow
from award.files import FileStore
from award.heartbeats import JOB_WORKER, record_beat
from award.jobs import runner, services
from award.jobs.kinds import SCHEDULE, ScheduleSpec
from award.jobs.models import Job, JobState
from award.jobs.results import result_file
from award.views import attachment, content_disposition

log = logging.getLogger(__name__)

EXTENSION = "award.jobs"
READ_WHOLE_BYTES = 32 * 1024 * 1024


class JobQueue:
    """The app's queue. huey (and Redis's client with it) is imported when the first job is handed to it
    or the worker starts, not when the app is built: most requests never start a job."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.immediate = bool(app.config["JOBS_IMMEDIATE"])
        self.lease = dt.timedelta(seconds=int(app.config["JOB_LEASE_SECONDS"]))
        self._huey: Any = None
        self._lock = threading.Lock()
        app.extensions[EXTENSION] = self

    @property
    def huey(self) -> Any:
        with self._lock:
            if self._huey is None:
                from huey import crontab

                huey = make_huey(self.app)
                self.run_task = huey.task(name="award.run_job")(self._run)
                huey.periodic_task(crontab(minute="*"), name="award.reap_jobs")(self.reap)
                for spec in SCHEDULE.values():
                    every = crontab(minute=f"*/{int(self.app.config[spec.minutes_setting])}")
                    huey.periodic_task(every, name=f"award.{spec.name}")(self._scheduled_task(spec))
                self._huey = huey
            return self._huey

    def file_store(self) -> FileStore:
        """Where results are kept: the one file store (FILES_ROOT), shared by every host."""
        return FileStore.from_config(self.app.config, self.app.instance_path)

    def enqueue(self, job_ids: list[int]) -> None:
        self.huey  # noqa: B018 - built on first use, with its tasks
        for job_id in job_ids:
            try:
                self.run_task(job_id)
            except Exception:  # noqa: BLE001 - the row stays queued; the reaper hands it out again
                log.warning("job %s: the queue did not take it; the reaper will", job_id, exc_info=True)

    def _run(self, job_id: int) -> str | None:
        factory = get_database(self.app).session_factory
        if has_request_context() and not isinstance(factory.kw.get("bind"), Connection):
            # An immediate job started by a live request (the browser tests): run it in a thread of its own
            # and wait, as a worker would run it, outside the request. In the request's context a message's
            # language would be looked up through a second session of this thread, which on SQLite waits
            # for the job's own write lock.
            outcome: list[str | None] = []
            thread = threading.Thread(target=lambda: outcome.append(self._run_here(job_id)),
                                      name=f"job-{job_id}-immediate")
            thread.start()
            thread.join()
            return outcome[0] if outcome else None
        return self._run_here(job_id)

    def _run_here(self, job_id: int) -> str | None:
        with self.app.app_context():
            factory = get_database(self.app).session_factory
            if isinstance(factory.kw.get("bind"), Connection):
                # The tests: every session shares one connection, so savepoints must nest. The session the
                # app may open meanwhile (the user behind a translated message) begins first, around the job's.
                get_session().connection()
            try:
                state = runner.run_job(factory, job_id,
                                       store=self.file_store(), lease=self.lease,
                                       heartbeat=None if self.immediate else self.lease.total_seconds() / 3)
            finally:
                # What the app read through get_session() meanwhile ends here; committed, not rolled back:
                # in the tests the job's own savepoints sit inside that session's.
                context_session = g.pop("db_session", None)
                if context_session is not None:
                    context_session.commit()
                    context_session.close()
            return state.value if state else None

    def reap(self, *, starting: bool = False) -> list[int]:
        """Take back the jobs of dead workers and hand them (and lost queued ones) to the queue again; a
        starting worker hands out every queued job (a message may have been lost with the last worker)."""
        with self.app.app_context():
            session = get_database(self.app).session_factory()
            try:
                ids = services.reap_jobs(session, running_here=set(runner.RUNNING_HERE),
                                         stale_queued=dt.timedelta(0) if starting else services.STALE_QUEUED)
                record_beat(session, worker=JOB_WORKER, now=utcnow())
                session.commit()
            finally:
                session.close()
        if ids:
            log.info("jobs taken back or handed out again: %s", ids)
            self.enqueue(ids)
        return ids

    def _scheduled_task(self, spec: ScheduleSpec) -> Callable[[], None]:
        def run_scheduled() -> None:
            self._scheduled(spec)

        return run_scheduled

    def _scheduled(self, spec: ScheduleSpec) -> None:
        with self.app.app_context():
            session = get_database(self.app).session_factory()
            try:
                outcome = spec.run(session)
                session.commit()
            finally:
                session.close()
        log.info("%s: %s", spec.name, outcome)


def make_huey(app: Flask) -> Any:
    """Redis when JOBS_QUEUE_URL names it, else a SQLite file (instance/jobs-queue.sqlite3 by default)."""
    from huey import RedisHuey, SqliteHuey

    url = app.config.get("JOBS_QUEUE_URL") or ""
    immediate = bool(app.config["JOBS_IMMEDIATE"])
    options: dict[str, Any] = {"results": False, "immediate": immediate, "utc": True}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("award", url=url, **options)
    filename = url.removeprefix("sqlite:///") if url else str(Path(app.instance_path) / "jobs-queue.sqlite3")
    if not immediate:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("award", filename=filename, **options)


def job_queue() -> JobQueue:
    queue: JobQueue = current_app.extensions[EXTENSION]
    return queue


def job_download(job: Job) -> Response:
    """The finished job's result as a download, from the file store (404 until it is done, or when gone)."""
    if job.state is not JobState.DONE or not job.result_sha256:
        abort(404)
    path = result_file(job_queue().file_store(), job.result_sha256)
    if path is None:
        abort(404)
    name, mime = job.result_name or "result.bin", job.result_mime or "application/octet-stream"
    if path.stat().st_size <= READ_WHOLE_BYTES:  # a batch of a few MiB: the handle is closed before the response leaves
        return attachment(path.read_bytes(), name, mime)
    response = send_file(path, mimetype=mime, conditional=False)  # an archive with its evidence: streamed
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


def load_job_kinds(app: Flask, modules: tuple[str, ...]) -> None:
    """Import the modules that register job kinds (``areas.JOB_MODULES``, then JOB_MODULES of the config)."""
    for name in (*modules, *app.config.get("JOB_MODULES", ())):
        importlib.import_module(name)


def _enqueue_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:  # a savepoint released: the transaction goes on
        return
    ids = session.info.pop(services.ENQUEUE_KEY, None)
    if ids and has_app_context() and EXTENSION in current_app.extensions:
        job_queue().enqueue(ids)


def _forget_rolled_back(session: Session, _previous: Any = None) -> None:
    if not session.in_transaction():
        session.info.pop(services.ENQUEUE_KEY, None)


event.listen(Session, "after_commit", _enqueue_committed)
event.listen(Session, "after_soft_rollback", _forget_rolled_back)


def init_jobs(app: Flask, modules: tuple[str, ...]) -> JobQueue:
    load_job_kinds(app, modules)
    return JobQueue(app)
