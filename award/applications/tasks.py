"""The applications' tasks on the dashboard: the enterprise's application, the office's screening."""

from __future__ import annotations

from sqlalchemy.orm import Session

from award.applications import services
from award.applications.models import ApplicationStatus
from award.applications.queries import application_of
from award.applications.services import STATUS_LABELS
from award.auth.models import Role, User
from award.cycles.models import Stage
from award.cycles.queries import active_cycles
from award.cycles.tasks import Task, task_provider
from award.db import utcnow
from award.i18n import _, format_datetime


@task_provider(Role.ENTERPRISE)
def _enterprise_tasks(session: Session, user: User) -> list[Task]:
    if user.organization_id is None:
        return []
    now = utcnow()
    tasks = []
    for cycle in active_cycles(session):
        application = application_of(session, cycle_id=cycle.id, organization_id=user.organization_id)
        name = f"{cycle.year} {cycle.title}"
        deadline = cycle.deadline(Stage.APPLICATION)
        if application is None:
            if services.takes_applications(cycle, now):
                due = _("Deadline: %(deadline)s", deadline=format_datetime(deadline)) if deadline else ""
                tasks.append(Task(_("Apply: %(cycle)s", cycle=name), "applications.mine", detail=due))
            continue
        if application.status is ApplicationStatus.DRAFT and services.takes_applications(cycle, now):
            tasks.append(Task(_("Continue your draft: %(cycle)s", cycle=name),
                              "applications.edit", {"application_id": application.id}))
        elif application.status is ApplicationStatus.RETURNED and services.takes_applications(cycle, now):
            tasks.append(Task(_("Returned for correction: %(cycle)s", cycle=name),
                              "applications.show", {"application_id": application.id},
                              application.events[-1].reason if application.events else ""))
        else:
            tasks.append(Task(_("Application status: %(cycle)s", cycle=name),
                              "applications.show", {"application_id": application.id},
                              str(STATUS_LABELS[application.status])))
    return tasks


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _office_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for cycle in active_cycles(session):
        if cycle.stage not in (Stage.APPLICATION, Stage.SCREENING):
            continue
        waiting = services.unscreened_count(session, cycle.id)
        name = f"{cycle.year} {cycle.title}"
        if cycle.stage is Stage.SCREENING and waiting and user.role is Role.OFFICE:
            tasks.append(Task(_("Screen %(count)s applications: %(cycle)s", count=waiting, cycle=name),
                              "applications.cycle_list", {"cycle_id": cycle.id, "status": "submitted"}))
        else:
            tasks.append(Task(_("Applications: %(cycle)s", cycle=name),
                              "applications.cycle_list", {"cycle_id": cycle.id}))
    if user.role is Role.OFFICE:
        tasks.append(Task(_("Dishonesty list"), "applications.blacklist"))
    return tasks
