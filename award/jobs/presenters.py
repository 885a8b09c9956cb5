"""What a job's page shows: where it stands and, when it failed, why, in a sentence for the office."""

from __future__ import annotations

from typing import Any

from award.i18n import _
from award.jobs.kinds import KINDS
from award.jobs.models import Job, JobState


def job_failure_message(job: Job) -> str:
    if job.error_code == "interrupted":
        return _("The job was interrupted (its worker stopped) too often. Start it again.")
    if job.error_code == "refused":
        return job.error_detail
    return _("The job failed: %(detail)s", detail=job.error_detail)


def job_status(job: Job, *, message: str, download_url: str | None,
               follow_url: str | None = None) -> dict[str, Any]:
    """The JSON a job's page polls; ``follow_url``, once done, is the page that shows what the job made."""
    ready = job.state is JobState.DONE and job.result_sha256 is not None  # a job without a file offers none
    return {"state": job.state.value, "done": job.done, "total": job.total, "percent": job.percent,
            "message": message, "download_url": download_url if ready else None,
            "follow_url": follow_url if job.state is JobState.DONE else None, "attempts": job.attempts}


def follow_target(job: Job) -> tuple[str, dict[str, Any]] | None:
    """The endpoint and its arguments of the page that shows what a job of rows made (its kind's ``follow``)."""
    spec = KINDS.get(job.kind)
    if spec is None or spec.follow is None:
        return None
    endpoint, key, parameter = spec.follow
    value = job.inputs.get(key)
    return (endpoint, {parameter: value}) if isinstance(value, int) else None


def job_title(job: Job) -> str:
    spec = KINDS.get(job.kind)
    return str(spec.title) if spec is not None and spec.title is not None else _("Background job")


def job_message(job: Job) -> str:
    """Where any job stands, in a sentence."""
    if job.state is JobState.DONE:
        if job.result_sha256 is None:  # a job that writes rows (messages sent), no file to download
            return _("Done: %(done)s of %(total)s.", done=job.done, total=job.total) if job.total else _("Done.")
        return _("Done. The result is ready to download.")
    if job.state is JobState.QUEUED:
        return _("Waiting for the job worker …")
    if job.state is JobState.RUNNING:
        if job.total:
            return _("Working: %(done)s of %(total)s …", done=job.done, total=job.total)
        return _("Working …")
    return job_failure_message(job)
