"""Heartbeats of the background workers: each loop of a worker stamps the time, `/healthz` reports its age.

One row per kind of worker ("outbox" for the e-mail sender, "jobs" for the job worker); several senders
(two hosts) stamp the same row, so its age says how long ago any of them was last alive. The time is kept
in the database, which every host shares, not in a file or in Redis, which a host may not have.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from award.db import Base, UTCDateTime

OUTBOX_SENDER = "outbox"
JOB_WORKER = "jobs"  # stamped by the job worker each time it reaps (every minute, and at start)


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def record_beat(session: Session, *, worker: str, now: dt.datetime) -> None:
    """Stamp `now` as the worker's last sign of life (an upsert: two workers may stamp at once)."""
    # The app runs on these two; both know INSERT … ON CONFLICT DO UPDATE. PostgreSQL's dialect (20 ms)
    # is imported when a beat is stamped, not by every program that builds the app.
    from sqlalchemy.dialects import postgresql

    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(WorkerHeartbeat).values(worker=worker, beat_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=[WorkerHeartbeat.worker],
                                                    set_={"beat_at": statement.excluded.beat_at}))
    session.flush()


def last_beat(session: Session, *, worker: str) -> dt.datetime | None:
    """When the worker last stamped its heartbeat; None if it never ran against this database."""
    return session.scalar(select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.worker == worker))
