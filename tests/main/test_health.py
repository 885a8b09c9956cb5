"""/healthz: the database, Redis when configured, the outbox sender's heartbeat; fast, public, no cookie."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import pytest
from sqlalchemy import create_engine, text

from award.app_db import get_database
from award.auth.models import Role
from award.db import create_db_engine, utcnow
from award.heartbeats import JOB_WORKER, OUTBOX_SENDER, last_beat, record_beat
from award.main import health
from award.models import metadata
from award.views import limiter
from tests.conftest import make_test_app

CHECKS = {"database", "redis", "outbox_sender", "job_worker"}


def closed_port() -> int:
    """A port on this machine where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def beat(db, *, seconds_ago: int) -> None:
    record_beat(db, worker=OUTBOX_SENDER, now=utcnow() - dt.timedelta(seconds=seconds_ago))
    db.commit()


def test_ok_with_database_and_a_live_sender(client, db):
    beat(db, seconds_ago=20)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"] == {"status": "not_configured"}
    sender = body["checks"]["outbox_sender"]
    assert sender["status"] == "ok" and 20 <= sender["age_seconds"] <= 25 and sender["max_age_seconds"] == 300


def test_a_sender_that_never_ran_is_degraded_not_down(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["outbox_sender"] == {"status": "degraded", "age_seconds": None,
                                                               "max_age_seconds": 300}


def test_a_stalled_sender_is_degraded(client, db, app):
    app.config["OUTBOX_HEARTBEAT_MAX_AGE_SECONDS"] = 60
    beat(db, seconds_ago=61)
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["outbox_sender"]["status"] == "degraded"
    assert body["checks"]["outbox_sender"]["age_seconds"] >= 61


@pytest.mark.parametrize("app_config", [{"REDIS_URL": f"redis://:s3cret-pass@127.0.0.1:{closed_port()}/0"}])
def test_redis_on_a_closed_port_is_down_fast_and_names_nothing(client, db, app_config):
    beat(db, seconds_ago=1)
    started = time.perf_counter()
    response = client.get("/healthz")
    assert time.perf_counter() - started < 1.5
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    text_ = response.get_data(as_text=True)
    for secret in ("s3cret", "127.0.0.1", "redis://", str(app_config["REDIS_URL"].rsplit(":", 1)[1])):
        assert secret not in text_


def test_a_live_redis_is_ok(client, db, app):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    app.config["REDIS_URL"] = url
    beat(db, seconds_ago=1)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"]["status"] == "ok"


def test_an_unreachable_database_is_down(tmp_path):
    app = make_test_app("sqlite:///" + str(tmp_path / "no-such-folder" / "award.sqlite"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    elapsed = body["checks"]["database"].pop("elapsed_ms")
    assert isinstance(elapsed, int)
    assert body == {"status": "down", "checks": {"database": {"status": "down", "error": "OperationalError"},
                                                 "outbox_sender": {"status": "unknown"},
                                                 "job_worker": {"status": "unknown"},
                                                 "redis": {"status": "not_configured"}}}
    assert "no-such-folder" not in response.get_data(as_text=True)


def test_the_answer_holds_only_statuses_and_numbers(client, db):
    """No versions, hosts, paths or settings: each check is a status with numbers or an error's kind."""
    beat(db, seconds_ago=3)
    body = client.get("/healthz").get_json()
    assert set(body) == {"status", "checks"}
    for check in body["checks"].values():
        assert set(check) <= {"status", "elapsed_ms", "error", "age_seconds", "max_age_seconds"}
        assert all(isinstance(value, int | None) for key, value in check.items() if key not in ("status", "error"))


def test_no_cookie_is_set_for_a_visitor_or_a_signed_in_user(client, login, make_user):
    assert "Set-Cookie" not in client.get("/healthz").headers
    login(make_user(Role.OFFICE))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_user_who_must_change_the_password_still_gets_the_report(client, login, make_user, db):
    user = make_user(Role.EXPERT)
    login(user)
    user.must_change_password = True
    db.commit()
    assert client.get("/dashboard").status_code == 302
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def default_limit_undone():
    """Flask-Limiter keeps a default limit on its one (module-level) Limiter once an app has set it: every app
    built after this test in the same worker would answer 429 to its third request a minute."""
    yield
    limiter.limit_manager.set_default_limits([])


@pytest.mark.parametrize("app_config", [{"RATELIMIT_DEFAULT": "2 per minute", "WTF_CSRF_ENABLED": True}])
def test_exempt_from_rate_limits(client, app_config, default_limit_undone):
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 429]  # the default applies elsewhere


def test_no_default_limit_is_left_behind_for_the_next_app(client):
    assert [client.get("/login").status_code for _ in range(4)] == [200] * 4


def test_the_request_id_is_echoed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"}).headers["X-Request-ID"] == "lb-7f3a.1"


def test_sqlite_answers_within_a_second_while_a_writer_holds_the_lock(tmp_path, database_url):
    """Every transaction on SQLite begins IMMEDIATE and would queue for 15 s behind a writer; the
    health check's read-only transaction does not."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    url = "sqlite:///" + str(tmp_path / "locked.sqlite")
    engine = create_db_engine(url)
    metadata.create_all(engine)
    app = make_test_app(url)
    with engine.connect() as writer:
        writer.begin()  # BEGIN IMMEDIATE: the write lock, held
        writer.execute(text("INSERT INTO worker_heartbeats (worker, beat_at) VALUES ('outbox', '2026-12-07')"))
        started = time.perf_counter()
        response = app.test_client().get("/healthz")
        assert time.perf_counter() - started < 1
        writer.rollback()
    assert response.get_json()["checks"]["database"]["status"] == "ok"
    get_database(app).engine.dispose()
    engine.dispose()


def test_postgresql_gives_up_on_a_locked_table_within_a_second(database_url, engine):
    """A statement that waits for a lock is cut at a second: the report comes anyway."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's lock and statement time-outs")
    app = make_test_app(database_url)
    locker = create_engine(database_url)
    with locker.connect() as connection:
        connection.begin()
        connection.execute(text("LOCK TABLE worker_heartbeats IN ACCESS EXCLUSIVE MODE"))
        started = time.perf_counter()
        response = app.test_client().get("/healthz")
        elapsed = time.perf_counter() - started
        connection.rollback()
    locker.dispose()
    get_database(app).engine.dispose()
    assert elapsed < 2
    body = response.get_json()
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["outbox_sender"] == {"status": "degraded", "error": "OperationalError"}
    assert response.status_code == 200


def test_record_beat_keeps_one_row_per_worker(db):
    first = utcnow() - dt.timedelta(minutes=5)
    record_beat(db, worker=OUTBOX_SENDER, now=first)
    record_beat(db, worker=OUTBOX_SENDER, now=first + dt.timedelta(minutes=1))
    assert last_beat(db, worker=OUTBOX_SENDER) == first + dt.timedelta(minutes=1)
    assert last_beat(db, worker="jobs") is None


def test_the_checks_are_plain_functions(db):
    """The report is built without a request: the same functions serve a script or a test."""
    beat(db, seconds_ago=5)
    report = health.health_report(lambda: db, redis_url=None, now=utcnow(), sender_max_age_seconds=4)
    assert report["status"] == "degraded"
    assert json.loads(json.dumps(report)) == report


def test_the_job_worker_is_not_expected_where_jobs_run_in_the_request(client, db):
    beat(db, seconds_ago=3)
    assert client.get("/healthz").get_json()["checks"]["job_worker"] == {"status": "not_configured"}


@pytest.mark.parametrize(("seconds_ago", "status"), [(None, "degraded"), (30, "ok"), (301, "degraded")])
def test_a_job_worker_that_never_ran_or_stalled_is_degraded(client, db, app, seconds_ago, status):
    app.config["JOBS_IMMEDIATE"] = False  # a deployment with a worker
    beat(db, seconds_ago=3)
    if seconds_ago is not None:
        record_beat(db, worker=JOB_WORKER, now=utcnow() - dt.timedelta(seconds=seconds_ago))
        db.commit()
    body = client.get("/healthz").get_json()
    check = body["checks"]["job_worker"]
    assert check["status"] == status and check["max_age_seconds"] == 300 and body["status"] == status
    if seconds_ago is None:
        assert check["age_seconds"] is None
    else:
        assert seconds_ago <= check["age_seconds"] <= seconds_ago + 5
