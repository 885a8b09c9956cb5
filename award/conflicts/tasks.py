"""The conflicts' task on the dashboard: the conflict matrix of each cycle under review."""

from __future__ import annotations

from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Stage
from award.cycles.queries import active_cycles
from award.cycles.tasks import Task, task_provider
from award.i18n import _


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _matrix_tasks(session: Session, user: User) -> list[Task]:
    return [Task(_("Conflict matrix: %(cycle)s", cycle=f"{cycle.year} {cycle.title}"),
                 "conflicts.matrix", {"cycle_id": cycle.id})
            for cycle in active_cycles(session)
            if cycle.stage in (Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.PRESENTATION, Stage.ONSITE_REVIEW)]
