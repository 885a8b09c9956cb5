"""The ranking's task on the dashboard: a cycle in deliberation whose shortlist is not frozen yet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.tasks import Task, task_provider
from award.i18n import _
from award.ranking import services


@task_provider(Role.OFFICE)
def _ranking_ready(session: Session, user: User) -> list[Task]:
    """The ranking is ready to check."""
    cycles = session.scalars(select(Cycle).where(Cycle.stage == Stage.DELIBERATION).order_by(Cycle.id)).all()
    return [
        Task(_("%(cycle)s: the ranking is ready; check it and freeze the shortlist",
               cycle=f"{cycle.year} {cycle.title}"),
             "ranking.show", {"cycle_id": cycle.id})
        for cycle in cycles if services.current_snapshot(session, cycle) is None
    ]
