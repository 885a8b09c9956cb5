"""The expert pool's tasks on the dashboard: the office's pool, the experts' declarations of interest."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.tasks import Task, task_provider
from award.i18n import _
from award.pool import services as pool
from award.pool.models import ExpertProfile


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _pool_tasks(session: Session, user: User) -> list[Task]:
    in_pool = session.scalar(select(func.count(ExpertProfile.id)).where(ExpertProfile.in_pool.is_(True))) or 0
    return [Task(_("Expert pool"), "pool.list_experts", detail=_("%(count)d experts in the pool", count=in_pool))]


@task_provider(Role.EXPERT)
def _expert_declarations(session: Session, user: User) -> list[Task]:
    if pool.profile_of(session, user) is None:
        return []
    return [Task(_("Keep your declarations of interest up to date"), "pool.my_declarations")]
