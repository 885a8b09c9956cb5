"""`/healthz`: can this instance serve? The database, Redis (when configured), the outbox sender and the
job worker.

Each check answers within about a second (`TIMEOUT_SECONDS`) and says only "ok", "degraded" or "down"
with a number or an error's kind: no address, no URL, no library version, no secret. Why each fails
is logged (redacted) for the operator.

- database: a trivial SELECT in a read-only transaction (on PostgreSQL with a one-second statement
  and lock timeout). Every page needs it: down.
- redis: a PING, only when REDIS_URL is set. Sign-in throttling and every rate limit keep their counts
  there, so without it sign-in and the public forms fail: down.
- outbox_sender: the age of the sender's heartbeat (award/heartbeats.py). A sender that never ran or
  stopped longer ago than OUTBOX_HEARTBEAT_MAX_AGE_SECONDS delays e-mail but the pages still serve:
  degraded.
- job_worker: the age of the job worker's heartbeat, stamped each time it reaps (every minute). A worker
  that never ran or stopped longer ago than JOB_HEARTBEAT_MAX_AGE_SECONDS leaves jobs waiting (batches,
  archives, reminders) but the pages still serve: degraded. "not_configured" when jobs run where they are
  started (JOBS_IMMEDIATE, the tests).

The overall status is the worst of them; down is answered with 503, ok and degraded with 200.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from award.db import READ_ONLY
from award.heartbeats import JOB_WORKER, OUTBOX_SENDER, last_beat

OK, DEGRADED, DOWN = "ok", "degraded", "down"
TIMEOUT_SECONDS = 1
_RANK = {OK: 0, "not_configured": 0, DEGRADED: 1, DOWN: 2}

log = logging.getLogger("award.health")

Check = dict[str, Any]


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _begin_read_only(session: Session) -> None:
    """A read-only transaction with a time limit on each statement (PostgreSQL) or without the write
    lock (SQLite, award.db.READ_ONLY)."""
    session.connection(execution_options={READ_ONLY: True})
    if session.get_bind().dialect.name == "postgresql":
        milliseconds = TIMEOUT_SECONDS * 1000
        session.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
        session.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))


def check_database(session: Session) -> Check:
    started = time.perf_counter()
    try:
        _begin_read_only(session)
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health: the database does not answer: %s", error)
        return {"status": DOWN, "error": type(error).__name__, "elapsed_ms": _elapsed_ms(started)}
    return {"status": OK, "elapsed_ms": _elapsed_ms(started)}


def check_redis(url: str | None) -> Check:
    if not url:
        return {"status": "not_configured"}
    import redis  # here, not at the top: every web worker and command imports this module
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS,
                                  retry=Retry(NoBackoff(), 0))  # one try: the probe asks again soon
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        log.warning("health: Redis does not answer: %s", error)
        return {"status": DOWN, "error": type(error).__name__, "elapsed_ms": _elapsed_ms(started)}
    finally:
        client.close()
    return {"status": OK, "elapsed_ms": _elapsed_ms(started)}


def check_sender(session: Session, *, now: dt.datetime, max_age_seconds: int,
                 worker: str = OUTBOX_SENDER) -> Check:
    """The age of a worker's heartbeat (the outbox sender's by default) against its limit."""
    try:
        beat = last_beat(session, worker=worker)
    except SQLAlchemyError as error:
        log.warning("health: the heartbeat of %s cannot be read: %s", worker, error)
        return {"status": DEGRADED, "error": type(error).__name__}
    if beat is None:  # never ran against this database
        return {"status": DEGRADED, "age_seconds": None, "max_age_seconds": max_age_seconds}
    age = max(0, int((now - beat).total_seconds()))
    return {"status": OK if age <= max_age_seconds else DEGRADED, "age_seconds": age,
            "max_age_seconds": max_age_seconds}


def health_report(session_factory: Callable[[], Session], *, redis_url: str | None, now: dt.datetime,
                  sender_max_age_seconds: int, job_worker_max_age_seconds: int | None = None) -> dict[str, Any]:
    """Every check and the worst of them: {"status": "ok"|"degraded"|"down", "checks": {...}}.
    ``job_worker_max_age_seconds`` None: no job worker is expected (jobs run where they are started)."""
    checks: dict[str, Check] = {}
    with session_factory() as session:
        checks["database"] = check_database(session)
        if checks["database"]["status"] == OK:
            checks["outbox_sender"] = check_sender(session, now=now, max_age_seconds=sender_max_age_seconds)
            checks["job_worker"] = ({"status": "not_configured"} if job_worker_max_age_seconds is None else
                                    check_sender(session, now=now, max_age_seconds=job_worker_max_age_seconds,
                                                 worker=JOB_WORKER))
        else:
            checks["outbox_sender"] = checks["job_worker"] = {"status": "unknown"}
    checks["redis"] = check_redis(redis_url)
    worst = max((check["status"] for check in checks.values()), key=lambda status: _RANK.get(status, 0))
    return {"status": worst if worst in (DEGRADED, DOWN) else OK, "checks": checks}
