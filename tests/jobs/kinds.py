"""Job kinds for the tests only (loaded through JOB_MODULES): a slow job with side effects to count."""

from __future__ import annotations

import os
import time
from pathlib import Path

from award.jobs.kinds import JobContext, JobResult, job_kind
from award.notifications.models import Notification

SLOW = "tests.slow"
BROKEN = "tests.broken"


@job_kind(SLOW, max_attempts=3)
def slow(context: JobContext) -> JobResult:
    """Steps of ``pause`` seconds with progress; notes each start in ``marker`` (a file, outside any
    transaction) and leaves one notice for its starter in the job's own transaction."""
    steps, pause = int(context.inputs["steps"]), float(context.inputs["pause"])
    marker = context.inputs.get("marker")
    if marker:
        with open(marker, "a", encoding="utf-8") as handle:
            handle.write(f"start {os.getpid()}\n")
    context.progress(0, steps)
    for step in range(1, steps + 1):
        time.sleep(pause)
        context.progress(step, steps)
    if context.started_by_id is not None:
        context.session.add(Notification(user_id=context.started_by_id, kind="tests.slow", title="done",
                                         body=f"job {context.job_id}", link="/"))
    return JobResult(data=f"{steps} steps by {os.getpid()}".encode(), name="slow.txt", mime="text/plain")


@job_kind(BROKEN, max_attempts=1)
def broken(context: JobContext) -> JobResult:
    context.progress(1, 3)
    Path(str(context.inputs["marker"])).write_text("ran", encoding="utf-8")
    raise RuntimeError("the printer is on fire")
