"""The official documents of a cycle (公示名单, 表彰决定名单: those it has reached) printed by the worker into
one ZIP, kept in the file store and downloaded from the job's page on any host.

Runs in the job worker, inside the app (the local time zone of the documents' dates comes from the
configuration). It reads and checks the documents, ends the read, then lays out each PDF with progress.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from award.certificates.configured import font_lookup
from award.certificates.fonts import MissingFontError
from award.cycles.models import Cycle
from award.documents import services
from award.documents.official import render_official_pdf
from award.documents.presenters import FILE_NAMES
from award.errors import NotFound
from award.i18n import _, lazy_gettext, local_zone
from award.jobs.kinds import JobContext, JobFailed, JobResult, job_kind


@job_kind(services.OFFICIAL_SET_KIND, title=lazy_gettext("The official documents of a cycle"))
def official_set(context: JobContext) -> JobResult:
    cycle = context.session.get(Cycle, int(context.inputs["cycle_id"]))
    if cycle is None:
        raise NotFound(_("No such cycle."))
    documents = services.official_set(context.session, cycle, zone=local_zone())
    year, title = cycle.year, cycle.title
    context.end_read()
    target = Path(tempfile.mkdtemp(prefix="award-documents-")) / "documents.zip"
    context.progress(0, len(documents))
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, document in enumerate(documents, start=1):
                pdf = render_official_pdf(document, font_lookup=font_lookup())
                archive.writestr(f"{year}-{FILE_NAMES[document.kind]}.pdf", pdf)
                context.progress(done, len(documents))
    except MissingFontError as error:
        target.unlink(missing_ok=True)
        raise JobFailed("font_missing", str(error)) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return JobResult(file=target, name=f"{year}年度公文（{title}）.zip", mime="application/zip")
