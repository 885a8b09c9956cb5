"""The office's message to a group of applicants as a job of the worker: a large group's notices and
e-mails are written there, not in the office's request; the audit record is committed with the job."""

from __future__ import annotations

from award.auth.models import User
from award.cycles.models import Cycle
from award.errors import NotFound
from award.i18n import _, lazy_gettext
from award.jobs.kinds import JobContext, job_kind
from award.outreach import services


@job_kind(services.MESSAGE_KIND, title=lazy_gettext("A message to applicants"))
def send_message(context: JobContext) -> None:
    session = context.session
    cycle = session.get(Cycle, int(context.inputs["cycle_id"]))
    if cycle is None:
        raise NotFound(_("No such cycle."))
    starter = session.get(User, context.started_by_id) if context.started_by_id is not None else None
    expected = int(context.inputs["expected_count"])
    # The notices and the audit record are one transaction with the job's "done" (which sets done to the
    # total, the group's size): all sent, or none. No progress figures meanwhile: on SQLite this
    # transaction holds the write lock that writing them would wait for.
    services.send_message(session, actor=starter, cycle=cycle, message=services.message_of(context.inputs),
                          expected_count=expected)
