"""The archive of a cycle as a job of the worker: the ZIP is written by the worker, kept in the file store
(kind "archive"), and downloaded from the job's page on any host; its audit record is committed with the job."""

from __future__ import annotations

from award.archive.builder import ARCHIVE_KIND, build_archive
from award.archive.configured import archive_storage
from award.auth.models import User
from award.certificates.configured import font_lookup
from award.cycles.models import Cycle
from award.errors import NotFound
from award.i18n import _, lazy_gettext
from award.jobs.configured import job_queue
from award.jobs.kinds import JobContext, JobResult, job_kind


@job_kind(ARCHIVE_KIND, title=lazy_gettext("The archive of a cycle"))
def archive_cycle(context: JobContext) -> JobResult:
    session = context.session
    cycle = session.get(Cycle, int(context.inputs["cycle_id"]))
    if cycle is None:
        raise NotFound(_("No such cycle."))
    starter = session.get(User, context.started_by_id) if context.started_by_id is not None else None
    storage = archive_storage()
    target = job_queue().file_store().scratch_path(".zip")  # on the store's volume: kept by a rename
    # No progress figures: the build reads in one transaction (on SQLite it holds the write lock throughout).
    try:
        build_archive(session, actor=starter, cycle=cycle, target=target, storage=storage, font_lookup=font_lookup())
    except BaseException:
        target.unlink(missing_ok=True)  # a failed run leaves no half archive in the store's scratch folder
        raise
    return JobResult(file=target, name=f"{cycle.year}-{cycle.id}-archive.zip", mime="application/zip",
                     file_kind="archive")
