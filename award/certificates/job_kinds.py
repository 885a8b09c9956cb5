"""The certificate area's background jobs: all valid certificates of a cycle in one PDF; all feedback
reports of a cycle in one ZIP.

Runs in the job worker, inside the app (it reads where seals and fonts are and the public check address
from the configuration). It reads the certificates' data, ends the read, then lays out the pages with
progress: the office's page polls the job's row from any web worker.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from award.certificates import services
from award.certificates.configured import batch_renderer, font_lookup, public_verify_url, seal_store
from award.certificates.fonts import MissingFontError
from award.certificates.render import render_feedback_pdf
from award.cycles.models import Cycle
from award.db import utcnow
from award.errors import NotFound
from award.i18n import _, lazy_gettext, local_zone
from award.jobs.kinds import JobContext, JobFailed, JobResult, job_kind


@job_kind(services.BATCH_KIND, title=lazy_gettext("Printing the certificates"))
def print_batch(context: JobContext) -> JobResult:
    cycle = context.session.get(Cycle, int(context.inputs["cycle_id"]))
    if cycle is None:
        raise NotFound(_("No such cycle."))
    certificates = services.cycle_certificates(context.session, cycle, verify_url=public_verify_url,
                                               seal_store=seal_store())
    name = services.batch_file_name(cycle)
    context.end_read()
    context.progress(0, len(certificates))
    try:
        pdf = batch_renderer()(certificates, context.progress)
    except MissingFontError as error:
        raise JobFailed("font_missing", str(error)) from None
    return JobResult(data=pdf, name=name, mime="application/pdf")


@job_kind(services.FEEDBACK_KIND, title=lazy_gettext("The feedback reports of a cycle"))
def feedback_reports(context: JobContext) -> JobResult:
    """Every feedback report of the cycle, one PDF each, in a ZIP written to a temporary file."""
    cycle = context.session.get(Cycle, int(context.inputs["cycle_id"]))
    if cycle is None:
        raise NotFound(_("No such cycle."))
    today = utcnow().astimezone(local_zone()).date()
    reports = [(application.id, services.feedback_report(context.session, application, today=today))
               for _entry, application in services.feedback_applications(context.session, cycle)]
    year = cycle.year
    context.end_read()
    folder = Path(tempfile.mkdtemp(prefix="award-feedback-"))
    target = folder / "feedback.zip"
    context.progress(0, len(reports))
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, (application_id, report) in enumerate(reports, start=1):
                archive.writestr(f"评审反馈报告-{year}-{application_id}.pdf",
                                 render_feedback_pdf(report, font_lookup=font_lookup()))
                context.progress(done, len(reports))
    except MissingFontError as error:
        target.unlink(missing_ok=True)
        raise JobFailed("font_missing", str(error)) from None
    return JobResult(file=target, name=f"{year}年度评审反馈报告（{cycle.title}）.zip", mime="application/zip")
