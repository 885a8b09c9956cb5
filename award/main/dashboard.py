"""What each role must do next. Areas register task providers; the dashboard lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.stages import STAGE_LABELS, transitions_from
from award.i18n import _


@dataclass(frozen=True)
class Task:
    title: str
    url: str
    detail: str = ""


TaskProvider = Callable[[Session, User], list[Task]]
_PROVIDERS: dict[Role, list[TaskProvider]] = {}


def task_provider(*roles: Role) -> Callable[[TaskProvider], TaskProvider]:
    def register(provider: TaskProvider) -> TaskProvider:
        for role in roles:
            _PROVIDERS.setdefault(role, []).append(provider)
        return provider

    return register


def tasks_for(session: Session, user: User) -> list[Task]:
    return [task for provider in _PROVIDERS.get(user.role, []) for task in provider(session, user)]


def active_cycles(session: Session) -> list[Cycle]:
    return list(session.scalars(select(Cycle).where(Cycle.stage != Stage.CLOSED).order_by(Cycle.year.desc(), Cycle.id)))


@task_provider(Role.OFFICE)
def _office_cycle_steps(session: Session, user: User) -> list[Task]:
    cycles = active_cycles(session)
    if not cycles:
        return [Task(_("Create the first award cycle"), url_for("cycles.new_cycle"))]
    tasks = []
    for cycle in cycles:
        for transition in transitions_from(cycle):
            tasks.append(Task(
                f"{cycle.year} {cycle.title}: {transition.label}",
                url_for("cycles.show_cycle", cycle_id=cycle.id),
                _("Now: %(stage)s", stage=STAGE_LABELS[cycle.stage]),
            ))
    return tasks


@task_provider(Role.SUPERVISOR)
def _supervisor_watch(session: Session, user: User) -> list[Task]:
    tasks = [Task(_("Read the audit trail"), url_for("audit.trail"))]
    tasks += [
        Task(f"{cycle.year} {cycle.title}", url_for("cycles.show_cycle", cycle_id=cycle.id),
             _("Now: %(stage)s", stage=STAGE_LABELS[cycle.stage]))
        for cycle in active_cycles(session)
    ]
    return tasks
