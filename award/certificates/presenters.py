"""What the certificate pages show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

from award.certificates.fonts import missing_font_message
from award.i18n import _
from award.jobs.models import Job, JobState
from award.jobs.presenters import job_failure_message


def batch_message(job: Job) -> str:
    """Where a batch stands, in a sentence for the office."""
    if job.state is JobState.DONE:
        return _("Done: %(count)s certificates in one PDF.", count=job.total)
    if job.state is JobState.QUEUED:
        return _("Waiting for the job worker …")
    if job.state is JobState.RUNNING:
        return _("Laying out certificate %(done)s of %(total)s …", done=job.done, total=job.total)
    if job.error_code == "font_missing":
        return missing_font_message()
    return job_failure_message(job)
