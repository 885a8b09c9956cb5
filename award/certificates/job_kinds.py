"""The certificate area's background job: all valid certificates of a cycle in one PDF.

Runs in the job worker, inside the app (it reads where seals and fonts are and the public check address
from the configuration). It reads the certificates' data, ends the read, then lays out the pages with
progress: the office's page polls the job's row from any web worker.
"""

from __future__ import annotations

from award.certificates import services
from award.certificates.configured import batch_renderer, public_verify_url, seal_store
from award.certificates.fonts import MissingFontError
from award.cycles.models import Cycle
from award.errors import NotFound
from award.i18n import _
from award.jobs.kinds import JobContext, JobFailed, JobResult, job_kind


@job_kind(services.BATCH_KIND)
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
