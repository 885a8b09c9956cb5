"""What a job's page shows: where it stands and, when it failed, why, in a sentence for the office."""

from __future__ import annotations

from typing import Any

from award.i18n import _
from award.jobs.models import Job, JobState


def job_failure_message(job: Job) -> str:
    if job.error_code == "interrupted":
        return _("The job was interrupted (its worker stopped) too often. Start it again.")
    if job.error_code == "refused":
        return job.error_detail
    return _("The job failed: %(detail)s", detail=job.error_detail)


def job_status(job: Job, *, message: str, download_url: str | None) -> dict[str, Any]:
    """The JSON a job's page polls."""
    return {"state": job.state.value, "done": job.done, "total": job.total, "percent": job.percent,
            "message": message, "download_url": download_url if job.state is JobState.DONE else None,
            "attempts": job.attempts}
