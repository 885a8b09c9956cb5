"""The final list's task on the dashboard: confirm it once the public notice has nothing open."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.tasks import Task, task_provider
from award.db import utcnow
from award.i18n import _
from award.notice.services import award_problems


@task_provider(Role.OFFICE)
def _confirm_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for cycle in session.scalars(select(Cycle).where(Cycle.stage == Stage.NOTICE).order_by(Cycle.id)):
        if not award_problems(session, cycle, utcnow()):
            tasks.append(Task(_("Confirm the final list: %(cycle)s", cycle=f"{cycle.year} {cycle.title}"),
                              "awards.cycle_awards", {"cycle_id": cycle.id}))
    return tasks
