"""The archive of a cycle as a job of the worker: the ZIP is written by the worker, kept under the shared
results root, and downloaded from the job's page on any host; its audit record is committed with the job."""

from __future__ import annotations

import tempfile
from pathlib import Path

from award.archive.builder import ARCHIVE_KIND, archive_path, build_archive
from award.archive.configured import archive_storage
from award.auth.models import User
from award.certificates.configured import font_lookup
from award.cycles.models import Cycle
from award.db import utcnow
from award.errors import NotFound
from award.i18n import _, lazy_gettext
from award.jobs.kinds import JobContext, JobResult, job_kind


@job_kind(ARCHIVE_KIND, title=lazy_gettext("The archive of a cycle"))
def archive_cycle(context: JobContext) -> JobResult:
    session = context.session
    cycle = session.get(Cycle, int(context.inputs["cycle_id"]))
    if cycle is None:
        raise NotFound(_("No such cycle."))
    starter = session.get(User, context.started_by_id) if context.started_by_id is not None else None
    storage = archive_storage()
    folder = Path(tempfile.mkdtemp(prefix="award-archive-"))
    target = archive_path(folder, cycle, utcnow())
    # No progress figures: the build reads in one transaction (on SQLite it holds the write lock throughout).
    build_archive(session, actor=starter, cycle=cycle, target=target, storage=storage, font_lookup=font_lookup())
    return JobResult(file=target, name=f"{cycle.year}-{cycle.id}-archive.zip", mime="application/zip")
