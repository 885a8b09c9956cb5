"""A real job worker (`flask --app award worker`, huey on a SQLite queue file) against a file database
(SQLite) or PostgreSQL: a job started by a web app that is gone by then runs in the worker; a worker
killed (SIGKILL) mid-job leaves the job to the next worker, which runs it again from the start, and only
that run is kept: one result, one notice written by the job, attempt 2."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.app_db import get_database
from award.auth.models import Role
from award.auth.services import create_staff_user
from award.db import create_db_engine, utcnow
from award.files import FileStore
from award.jobs import services
from award.jobs.models import Job, JobState
from award.jobs.results import read_result
from award.models import metadata
from award.notifications.models import Notification
from tests.conftest import make_test_app
from tests.jobs.kinds import SLOW

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2


@pytest.fixture
def setting(new_database_url, tmp_path):
    url = new_database_url()
    engine = create_db_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return {"url": url, "queue": f"sqlite:///{tmp_path / 'queue.sqlite3'}", "files": str(tmp_path / "files"),
            "marker": str(tmp_path / "starts.txt"), "root": tmp_path}


def start_job_from_a_web_app(setting) -> int:  # noqa: ANN001
    """The web side: an app (not immediate) starts the job and commits, which hands it to the queue; then
    the app goes away, as a web process restarting would."""
    app = make_test_app(setting["url"], JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=setting["queue"],
                        JOB_MODULES=("tests.jobs.kinds",), FILES_ROOT=setting["files"])
    with app.app_context():
        session = get_database(app).session_factory()
        office = create_staff_user(session, actor=None, role=Role.OFFICE, email="office@jobs.gov.cn",
                                   full_name="林主任", password="office-password-1", password_min_length=10)
        job, created = services.start_job(session, started_by=office, kind=SLOW,
                                          inputs={"steps": 10, "pause": 0.4, "marker": setting["marker"]})
        session.commit()
        assert created and len(app.extensions["award.jobs"].huey) == 1  # in the queue file
        job_id = job.id
        session.close()
    get_database(app).engine.dispose()
    return job_id


def worker(setting) -> subprocess.Popen:  # noqa: ANN001
    env = {**os.environ, "AWARD_DATABASE_URL": setting["url"], "AWARD_JOBS_QUEUE_URL": setting["queue"],
           "AWARD_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "AWARD_JOB_MODULES": "tests.jobs.kinds",
           "AWARD_FILES_ROOT": setting["files"], "AWARD_SECRET_KEY": "job-worker-test",
           "AWARD_LOG_FORMAT": "text",
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    with open(setting["root"] / "worker.log", "ab") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "award", "worker", "--threads", "1"],
                                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def job_row(setting, job_id: int) -> Job:  # noqa: ANN001
    engine = create_db_engine(setting["url"])
    try:
        with Session(engine, expire_on_commit=False) as session:
            job = session.get(Job, job_id)
            session.expunge(job)
            return job
    finally:
        engine.dispose()


def wait_for(setting, job_id: int, condition, seconds: float) -> Job:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = job_row(setting, job_id)
        if condition(job):
            return job
        time.sleep(0.2)
    log = (setting["root"] / "worker.log").read_text(errors="replace")[-3000:]
    raise AssertionError(f"job {job_id} never got there: {job.state} {job.done}/{job.total}\n{log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def test_a_worker_killed_mid_job_leaves_it_to_the_next_which_completes_it_once(setting):
    job_id = start_job_from_a_web_app(setting)
    first = worker(setting)
    try:
        running = wait_for(setting, job_id, lambda j: j.state is JobState.RUNNING and j.done >= 3, 60)
        os.killpg(first.pid, signal.SIGKILL)  # no cleanup, no rollback: like the OOM killer
        first.wait(timeout=10)
    finally:
        stop(first)
    assert running.attempts == 1 and running.lease_until > utcnow() - dt.timedelta(seconds=LEASE_SECONDS)
    time.sleep(0.5)
    held = job_row(setting, job_id)
    assert held.state is JobState.RUNNING and held.done < 10 and held.result_sha256 is None  # nothing half-done

    # The lease runs out; the next worker takes the job back when it starts and runs it from the start.
    wait_for(setting, job_id, lambda j: j.lease_until is not None and j.lease_until < utcnow(), 10)
    second = worker(setting)
    try:
        done = wait_for(setting, job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 60)
    finally:
        stop(second)
    assert (done.state, done.attempts, done.done, done.total, done.error_code) == (JobState.DONE, 2, 10, 10, None)
    assert done.result_sha256 == hashlib.sha256(f"10 steps by {second.pid}".encode()).hexdigest()
    starts = Path(setting["marker"]).read_text().split("\n")[:-1]
    assert starts == [f"start {first.pid}", f"start {second.pid}"]
    assert read_result(FileStore(setting["files"]), done.result_sha256) == f"10 steps by {second.pid}".encode()
    engine = create_db_engine(setting["url"])
    try:
        with Session(engine) as session:  # the killed run's writes were never committed
            assert session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.kind == "tests.slow")) == 1
    finally:
        engine.dispose()
