"""The kinds of job: each area registers what a kind does with ``@job_kind``, the worker looks it up.

A kind's function gets a ``JobContext`` (a session of its own, the inputs, a progress callback) and returns
a ``JobResult`` (the file to offer for download) or None. It runs in the worker process, inside the app
(the areas' job modules may read the configuration); it must be safe to run again from the start: a
worker killed mid-job leaves the job to be run again, and only the run that finishes is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class JobResult:
    name: str  # the download's file name
    mime: str
    data: bytes | None = None
    file: Path | None = None  # a large result the job wrote itself (moved into the file store)
    file_kind: str = "job_result"  # what the file store records it as (stored_files.kind)


class JobFailed(Exception):
    """A failure the office can read: ``code`` picks the message, ``detail`` is shown with it."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code, self.detail = code, detail


@dataclass(kw_only=True)
class JobContext:
    session: Session  # the job's own session: what it writes is committed with the job's "done", or not at all
    inputs: dict[str, Any]
    progress: Progress
    started_by_id: int | None
    job_id: int

    def end_read(self) -> None:
        """End the read transaction before long work (on SQLite a transaction holds the write lock, which
        the progress updates and every web request need)."""
        self.session.rollback()


JobFunction = Callable[[JobContext], "JobResult | None"]


@dataclass(frozen=True, kw_only=True)
class KindSpec:
    name: str
    run: JobFunction
    title: Any = None  # what the job's page calls it (a lazy translated string)
    max_attempts: int = 3  # how many workers may die holding it before it fails as interrupted
    # A job that leaves rows, not a file: the page that shows them, as (endpoint, the input naming its id,
    # the URL parameter); the job's page goes there once the job is done.
    follow: tuple[str, str, str] | None = None


KINDS: dict[str, KindSpec] = {}


def job_kind(name: str, *, title: Any = None, max_attempts: int = 3,
             follow: tuple[str, str, str] | None = None) -> Callable[[JobFunction], JobFunction]:
    """Register the function that runs jobs of kind ``name`` (once per name)."""

    def register(run: JobFunction) -> JobFunction:
        if name in KINDS and KINDS[name].run is not run:
            raise ValueError(f"job kind {name!r} is registered twice")
        KINDS[name] = KindSpec(name=name, run=run, title=title, max_attempts=max_attempts, follow=follow)
        return run

    return register


Scheduled = Callable[[Session], str]  # does its work in the session (committed after it), says what it did


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    name: str
    run: Scheduled
    minutes_setting: str  # the configuration key holding how many minutes apart it runs (1 to 59)


SCHEDULE: dict[str, ScheduleSpec] = {}


def scheduled(name: str, *, minutes_setting: str) -> Callable[[Scheduled], Scheduled]:
    """Register work the worker runs on a schedule (every N minutes, N read from the configuration)."""

    def register(run: Scheduled) -> Scheduled:
        SCHEDULE[name] = ScheduleSpec(name=name, run=run, minutes_setting=minutes_setting)
        return run

    return register
