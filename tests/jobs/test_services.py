"""Jobs below the web: one active job per kind and inputs, claims, fencing, the reaper, retry."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from award.app_db import get_database
from award.auth.models import Role
from award.db import create_db_engine, utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.files import FileStore
from award.jobs import runner, services
from award.jobs.models import Job, JobState
from award.jobs.results import read_result
from award.notifications.models import Notification
from tests.jobs.kinds import BROKEN, SLOW

LEASE = dt.timedelta(seconds=30)


@pytest.fixture
def app_config():
    return {"JOB_MODULES": ("tests.jobs.kinds",)}


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def inputs(steps: int = 2, **more) -> dict:  # noqa: ANN003
    return {"steps": steps, "pause": 0, **more}


def run(app, job_id: int):  # noqa: ANN001, ANN201
    return runner.run_job(get_database(app).session_factory, job_id, store=FileStore(app.config["FILES_ROOT"]),
                          lease=LEASE)


@pytest.fixture(autouse=True)
def files_root(app, tmp_path):
    app.config["FILES_ROOT"] = str(tmp_path / "files")


def test_the_same_inputs_give_the_active_job(db, office):
    first, created = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs())
    again, created_again = services.start_job(db, started_by=office, kind=SLOW, inputs={"pause": 0, "steps": 2})
    other, created_other = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(3))
    assert (created, created_again, created_other) == (True, False, True)
    assert again.id == first.id != other.id
    assert first.state is JobState.QUEUED and first.started_by_id == office.id
    assert db.scalar(select(func.count()).select_from(Job)) == 2


def test_a_finished_job_does_not_block_a_new_one(app, db, office):
    first, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs())
    assert run(app, first.id) is JobState.DONE
    db.expire_all()
    second, created = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs())
    assert created and second.id != first.id


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}, {"x": float("inf")}])
def test_unreadable_inputs_are_refused(db, office, bad):
    with pytest.raises(Invalid):
        services.start_job(db, started_by=office, kind=SLOW, inputs=bad)


def test_an_unknown_kind_is_refused(db, office):
    with pytest.raises(Invalid):
        services.start_job(db, started_by=office, kind="no.such.kind", inputs={})


def test_a_job_runs_once_and_keeps_its_result_and_writes(app, db, office):
    job, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(3))
    assert run(app, job.id) is JobState.DONE
    assert run(app, job.id) is None  # delivered again: already done, not run again
    job = services.load_job(db, job.id)
    assert (job.state, job.done, job.total, job.attempts, job.active_key) == (JobState.DONE, 3, 3, 1, None)
    assert read_result(FileStore(app.config["FILES_ROOT"]), job.result_sha256).startswith(b"3 steps")
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "tests.slow")) == 1


def test_a_result_is_a_file_of_the_file_store_that_verify_checks(app, db, office):
    from award.files import MISSING, StoredFile, verify_files

    store = FileStore(app.config["FILES_ROOT"])
    job, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(2))
    assert run(app, job.id) is JobState.DONE
    db.expire_all()
    digest = services.load_job(db, job.id).result_sha256
    assert digest is not None and store.check(digest) is None and digest in set(store.digests())
    assert db.get(StoredFile, digest).kind == "job_result"
    checked, problems = verify_files(db, store)
    assert checked >= 1 and problems == []
    store.discard(digest)  # the shared volume lost it: verify names it, the download is refused
    checked, problems = verify_files(db, store)
    assert [(p.sha256, p.problem, p.kind) for p in problems] == [(digest, MISSING, "job_result")]
    assert read_result(store, digest) is None


def test_a_failed_job_keeps_nothing_it_wrote_and_says_why(app, db, office, tmp_path):
    job, _ = services.start_job(db, started_by=office, kind=BROKEN, inputs={"marker": str(tmp_path / "m")})
    assert run(app, job.id) is JobState.FAILED
    job = services.load_job(db, job.id)
    assert (job.state, job.error_code, job.done, job.total) == (JobState.FAILED, "failed", 1, 3)
    assert "the printer is on fire" in job.error_detail and job.result_sha256 is None and job.active_key is None


def test_the_office_retries_a_failed_job(app, db, office, make_user, tmp_path):
    job, _ = services.start_job(db, started_by=office, kind=BROKEN, inputs={"marker": str(tmp_path / "m")})
    run(app, job.id)
    job = services.load_job(db, job.id)
    for role in (Role.EXPERT, Role.ENTERPRISE, Role.LEADER, Role.SUPERVISOR):
        with pytest.raises(NotAllowed):
            services.retry_job(db, actor=make_user(role), job=job)
    assert job.state is JobState.FAILED
    again = services.retry_job(db, actor=office, job=job)
    assert again.id == job.id and (job.state, job.error_code, job.attempts) == (JobState.QUEUED, None, 0)
    with pytest.raises(Conflict):
        services.retry_job(db, actor=office, job=job)  # queued, not failed


def test_retry_gives_the_job_already_active_for_the_same_inputs(app, db, office, tmp_path):
    marker = {"marker": str(tmp_path / "m")}
    failed, _ = services.start_job(db, started_by=office, kind=BROKEN, inputs=marker)
    run(app, failed.id)
    failed = services.load_job(db, failed.id)
    active, created = services.start_job(db, started_by=office, kind=BROKEN, inputs=marker)
    assert created and services.retry_job(db, actor=office, job=failed).id == active.id
    assert services.load_job(db, failed.id).state is JobState.FAILED


def test_a_late_worker_cannot_record_an_outcome_after_its_job_was_taken_back(db, office):
    job, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs())
    first = services.claim_job(db, job.id, worker="a", lease=LEASE)
    assert services.claim_job(db, job.id, worker="b", lease=LEASE) is None  # held
    later = utcnow() + LEASE + dt.timedelta(seconds=1)
    assert services.reap_jobs(db, now=later) == [job.id]
    second = services.claim_job(db, job.id, worker="b", lease=LEASE)
    assert second is not None and second.attempt == first.attempt + 1
    assert not services.report_progress(db, first, done=1, total=2, lease=LEASE)
    late, kept = "a" * 64, "b" * 64
    assert not services.finish_job(db, first, result_sha256=late, result_name="x", result_mime="text/plain")
    assert not services.fail_job(db, first, code="failed", detail="late")
    assert services.finish_job(db, second, result_sha256=kept, result_name="x", result_mime="text/plain")
    db.expire_all()
    assert (db.get(Job, job.id).state, db.get(Job, job.id).result_sha256) == (JobState.DONE, kept)


def test_the_reaper_gives_up_after_the_last_attempt(db, office):
    job, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs())
    now = utcnow()
    for attempt in range(1, job.max_attempts + 1):
        claim = services.claim_job(db, job.id, worker="w", lease=LEASE)
        assert claim is not None and claim.attempt == attempt
        now += LEASE + dt.timedelta(seconds=1)
        ids = services.reap_jobs(db, now=now)
        db.expire_all()
    job = db.get(Job, job.id)
    assert (job.state, job.error_code, job.active_key, ids) == (JobState.FAILED, "interrupted", None, [])


def test_the_reaper_leaves_live_jobs_alone_and_hands_out_lost_queued_ones(db, office):
    held, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(1))
    lost, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(2))
    fresh, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(3))
    services.claim_job(db, held.id, worker="w", lease=LEASE)
    lost.updated_at = utcnow() - dt.timedelta(minutes=5)
    db.flush()
    assert services.reap_jobs(db) == [lost.id]
    db.expire_all()
    assert db.get(Job, held.id).state is JobState.RUNNING and db.get(Job, fresh.id).state is JobState.QUEUED


def test_the_database_refuses_two_active_jobs_for_the_same_inputs(db, office):
    from sqlalchemy.exc import IntegrityError

    job, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs())
    twin = Job(kind=job.kind, inputs=job.inputs, inputs_hash=job.inputs_hash, active_key=job.active_key,
               state=JobState.QUEUED, done=0, total=0, attempts=0, max_attempts=3, error_detail="")
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(twin)
        db.flush()


def test_two_concurrent_starters_get_one_job(database_url, engine):
    """Two transactions on their own connections start the same job at once: one inserts, the other gets it
    (the unique active key). PostgreSQL only: on SQLite the test's own transaction holds the write lock, and
    BEGIN IMMEDIATE serializes writers anyway. Outside the test's transaction, so the job is deleted at the end."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: concurrent writers")
    separate = create_db_engine(database_url)
    try:
        from sqlalchemy.orm import Session

        barrier = threading.Barrier(2)
        found: list[tuple[int, bool]] = []
        errors: list[BaseException] = []
        key = {"steps": 5, "pause": 0, "race": utcnow().isoformat()}

        def start() -> None:
            try:
                with Session(separate) as session:
                    session.execute(select(1))  # the transaction is open before the race
                    barrier.wait(timeout=10)
                    job, created = services.start_job(session, started_by=None, kind=SLOW, inputs=key)
                    session.commit()
                    found.append((job.id, created))
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert sorted(created for _id, created in found) == [False, True]
        assert found[0][0] == found[1][0]
        with Session(separate) as session:
            rows = session.scalars(select(Job).where(Job.inputs_hash == services.inputs_hash(SLOW, key))).all()
            assert len(rows) == 1
            session.delete(rows[0])
            session.commit()
    finally:
        separate.dispose()


def test_the_job_page_links_back_to_its_cycle_by_name(db, client, login, office, make_cycle):
    cycle = make_cycle(title="苏州市长质量奖")
    job, _ = services.start_job(db, started_by=office, kind=SLOW, inputs=inputs(cycle_id=cycle.id))
    db.commit()
    login(office)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f'/cycles/{cycle.id}">{cycle.year} 苏州市长质量奖</a>' in page
