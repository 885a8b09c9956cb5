"""What each role must do next. Areas register task providers here; the dashboard lists their tasks.

A task names its page by endpoint and values; the dashboard (main, in the web layer) builds the URL,
so providers need no request. Providers register when their module is imported: award.areas lists
those modules and the app factory loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.queries import active_cycles
from award.cycles.stages import STAGE_LABELS, next_steps
from award.db import utcnow
from award.i18n import _


@dataclass(frozen=True)
class Task:
    title: str
    endpoint: str  # the page to open: url_for(endpoint, **values)
    values: Mapping[str, Any] = field(default_factory=dict)
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


@task_provider(Role.OFFICE)
def _office_cycle_steps(session: Session, user: User) -> list[Task]:
    cycles = active_cycles(session)
    if not cycles:
        return [Task(_("Create the first award cycle"), "cycles.new_cycle")]
    tasks = []
    now = utcnow()
    for cycle in cycles:
        # A step the guards refuse now is shown with what it waits for, never offered as the next step.
        for step in next_steps(session, cycle, now):
            name = f"{cycle.year} {cycle.title}"
            if step.allowed:
                tasks.append(Task(_("%(name)s: %(value)s", name=name, value=step.transition.label),
                                  "cycles.show_cycle", {"cycle_id": cycle.id},
                                  _("Now: %(stage)s", stage=STAGE_LABELS[cycle.stage])))
            else:
                tasks.append(Task(_("%(cycle)s: waiting before “%(step)s”", cycle=name, step=step.transition.label),
                                  "cycles.show_cycle", {"cycle_id": cycle.id}, " ".join(step.problems)))
    return tasks


@task_provider(Role.SUPERVISOR)
def _supervisor_watch(session: Session, user: User) -> list[Task]:
    tasks = [Task(_("Read the audit trail"), "audit.trail")]
    tasks += [
        Task(f"{cycle.year} {cycle.title}", "cycles.show_cycle", {"cycle_id": cycle.id},
             _("Now: %(stage)s", stage=STAGE_LABELS[cycle.stage]))
        for cycle in active_cycles(session)
    ]
    return tasks
