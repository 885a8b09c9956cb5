"""What every area adds to the hooks of the areas below it, loaded by the app factory.

A lower area offers a hook instead of importing a higher one (docs/architecture.md): stage guards
(`cycles.stages.guard`), dashboard tasks (`cycles.tasks.task_provider`), reminder sources
(`notifications.reminders.reminder_source`), the registration listener
(`auth.services.registration_listener`), the deadline listener (`cycles.services.deadline_listener`)
and the columns that name a stored file (`files.refers_to`: a file is deleted only when no row names it).
A module adds to a hook when it is imported; this list
imports every such module, so the guards hold for any program that calls `load_hooks()` (the app
factory does, before it builds the web layer), whichever pages or commands it has.
"""

from __future__ import annotations

from importlib import import_module

HOOK_MODULES = (
    "award.cycles.tasks",  # the office's next stage, the supervisor's watch
    "award.notifications.events",  # the registration listener: whom to e-mail at registration
    "award.applications.services",  # guard: screening done before document review
    "award.applications.notices",  # the application deadline reminder; the applicants hear of a moved deadline
    "award.applications.tasks",
    "award.pool.tasks",
    "award.conflicts.tasks",
    "award.conflicts.data_version",  # session events: a write to what a conflict check reads draws a new token
    "award.scoring.progress",  # guards: panels formed, every sheet in
    "award.rounds.presentation",  # guard: the presentation order drawn and every attendance recorded
    "award.scoring.notices",  # the review deadline reminder
    "award.scoring.tasks",
    "award.social.services",  # guard: every candidate's social evaluation finding before the stage ends
    "award.ranking.services",  # guard: the shortlist frozen before approval
    "award.ranking.tasks",
    "award.approval.services",  # guard: the vote closed; the vote's reminder
    "award.approval.tasks",
    "award.notice.services",  # guards: the notice published, its period over with every objection decided
    "award.notice.tasks",
    "award.awards.tasks",
    "award.calls.models",  # refers_to: the call's files
    "award.certificates.models",  # refers_to: the seal images
    "award.visits.models",  # refers_to: the on-site photos
    "award.awards.models",  # refers_to: the follow-up reports' files
    "award.awards.after",  # the follow-up report reminder
    "award.jobs.models",  # refers_to: the jobs' results (certificate batches, archives)
)

# The modules that register kinds of background job (award/jobs/kinds.py, `@job_kind`); interface level:
# a kind runs inside the app and may read its configuration.
JOB_MODULES = (
    "award.certificates.job_kinds",
    "award.archive.job_kinds",
    "award.outreach.job_kinds",  # a message to a group of applicants
    "award.rounds.job_kinds",  # a large draw of panels
    "award.documents.job_kinds",  # the official documents of a cycle in one ZIP
    "award.notifications.job_kinds",  # reminders on a schedule
)


def load_hooks() -> None:
    """Import every module of HOOK_MODULES; a module registers once, so calling again changes nothing."""
    for name in HOOK_MODULES:
        import_module(name)
