"""The record of one background job: who started it, what on, where it stands, where its result is."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to

KIND_LENGTH = 60


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (again, after a worker died holding it)
    RUNNING = "running"  # claimed by a worker until lease_until; the worker renews the lease while it works
    DONE = "done"  # the result (if the kind gives one) is in the file store
    FAILED = "failed"  # error_code and error_detail say why; the office may retry it


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(Base):
    """One job. Its progress and state are rows every web worker of every host reads; its result is a file
    of the file store, named by its digest. ``active_key`` (kind and inputs hash) is set while the job is queued or
    running and unique, so the database itself refuses a second active job for the same inputs."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("done >= 0 AND total >= 0", name="progress_not_negative"),
        CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts_in_range"),
        CheckConstraint("result_sha256 IS NULL OR (state = 'done' AND length(result_sha256) = 64)",
                        name="result_when_done"),
        Index("ix_jobs_kind_hash", "kind", "inputs_hash"),
        Index("ix_jobs_state_lease", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    inputs: Mapped[dict] = mapped_column(JSON)
    inputs_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON of kind and inputs
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[JobState] = mapped_column(enum_column(JobState, "job_state"), default=JobState.QUEUED)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far; the fencing token of a claim
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    worker: Mapped[str | None] = mapped_column(String(120))  # host:pid of the claiming worker
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The result in the file store (award/files.py), by its SHA-256; None while not done or for a job without one.
    result_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    result_name: Mapped[str | None] = mapped_column(String(250))  # the download's file name
    result_mime: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))  # "interrupted", "font_missing", "refused", "failed"
    error_detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def percent(self) -> int:
        if self.state is JobState.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


refers_to(Job.result_sha256)  # the file store keeps the results, verify checks them, backup copies them
