"""The public notice's tasks on the dashboard: objections to decide, or the notice's end."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.tasks import Task, task_provider
from award.i18n import _, format_datetime
from award.notice import services


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _notice_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for cycle in session.scalars(select(Cycle).where(Cycle.stage.in_([Stage.APPROVAL, Stage.NOTICE]))
                                 .order_by(Cycle.id)):
        name = f"{cycle.year} {cycle.title}"
        notice = services.notice_of(session, cycle)
        if notice is None:
            continue  # the vote's task leads to publishing
        pending = services.pending_count(session, notice)
        if pending:
            tasks.append(Task(_("Decide the objections: %(cycle)s", cycle=name), "notice.manage",
                              {"cycle_id": cycle.id},
                              _("%(count)s objection(s) still need an outcome.", count=pending)))
        else:
            end = format_datetime(notice.ends_at)
            tasks.append(Task(_("Public notice: %(cycle)s", cycle=name), "notice.manage", {"cycle_id": cycle.id},
                              _("Until %(end)s", end=end)))
    return tasks
