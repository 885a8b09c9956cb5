"""The cycle's stage machine: one table of allowed transitions, each with its guards.

Areas above cycles (applications, review, ranking, ...) add guards with @guard(source, target),
so this module never imports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from award.cycles.models import Cycle, Stage
from award.i18n import LazyString, _, _l

STAGE_LABELS: dict[Stage, LazyString] = {
    Stage.DRAFT: _l("Preparation"),
    Stage.APPLICATION: _l("Applications open"),
    Stage.SCREENING: _l("Eligibility screening"),
    Stage.DOCUMENT_REVIEW: _l("Document review"),
    Stage.ONSITE_REVIEW: _l("On-site review"),
    Stage.DELIBERATION: _l("Ranking and shortlist"),
    Stage.APPROVAL: _l("Leading-group approval"),
    Stage.NOTICE: _l("Public notice"),
    Stage.AWARDED: _l("Awarded"),
    Stage.CLOSED: _l("Closed and archived"),
}


@dataclass(frozen=True)
class Transition:
    source: Stage
    target: Stage
    label: LazyString
    onsite: bool | None = None  # None: always; True/False: only when on-site review is on/off


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Stage.DRAFT, Stage.APPLICATION, _l("Publish the call and open applications")),
    Transition(Stage.APPLICATION, Stage.SCREENING, _l("Close applications and start screening")),
    Transition(Stage.SCREENING, Stage.DOCUMENT_REVIEW, _l("Open document review")),
    Transition(Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW, _l("Open on-site review"), onsite=True),
    Transition(Stage.DOCUMENT_REVIEW, Stage.DELIBERATION, _l("Close review and rank"), onsite=False),
    Transition(Stage.ONSITE_REVIEW, Stage.DELIBERATION, _l("Close review and rank")),
    Transition(Stage.DELIBERATION, Stage.APPROVAL, _l("Submit the shortlist to the leading group")),
    Transition(Stage.APPROVAL, Stage.NOTICE, _l("Publish the public notice")),
    Transition(Stage.NOTICE, Stage.AWARDED, _l("Confirm the final list and award")),
    Transition(Stage.AWARDED, Stage.CLOSED, _l("Close and archive the cycle")),
)

Guard = Callable[[Session, Cycle, dt.datetime], list[str]]
_GUARDS: dict[tuple[Stage, Stage], list[Guard]] = {}


def guard(source: Stage, target: Stage) -> Callable[[Guard], Guard]:
    """Register a check that must return no problems before source → target."""
    if not any(t.source is source and t.target is target for t in TRANSITIONS):
        raise ValueError(f"no transition {source} → {target}")

    def register(check: Guard) -> Guard:
        _GUARDS.setdefault((source, target), []).append(check)
        return check

    return register


def transitions_from(cycle: Cycle) -> list[Transition]:
    return [
        t for t in TRANSITIONS
        if t.source is cycle.stage and (t.onsite is None or t.onsite == cycle.onsite_review)
    ]


def find_transition(cycle: Cycle, target: Stage) -> Transition | None:
    return next((t for t in transitions_from(cycle) if t.target is target), None)


def transition_problems(session: Session, cycle: Cycle, target: Stage, now: dt.datetime) -> list[str]:
    """Why cycle cannot move to target now; an empty list means it can."""
    if find_transition(cycle, target) is None:
        return [_("A cycle in stage “%(source)s” cannot move to “%(target)s”.",
                  source=STAGE_LABELS[cycle.stage], target=STAGE_LABELS[target])]
    problems: list[str] = []
    for check in _GUARDS.get((cycle.stage, target), []):
        problems.extend(check(session, cycle, now))
    return problems


@dataclass(frozen=True)
class NextStep:
    """A move the stage machine offers from the cycle's stage, and why it is refused now (empty: allowed)."""

    transition: Transition
    problems: list[str]

    @property
    def allowed(self) -> bool:
        return not self.problems


def next_steps(session: Session, cycle: Cycle, now: dt.datetime) -> list[NextStep]:
    """Every move from the cycle's stage with the guards' verdict now: a page offers a button only for
    an allowed one, so no button leads to a refusal."""
    return [NextStep(t, transition_problems(session, cycle, t.target, now)) for t in transitions_from(cycle)]


@guard(Stage.DRAFT, Stage.APPLICATION)
def _application_deadline_ahead(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    deadline = cycle.deadline(Stage.APPLICATION)
    if deadline is None:
        return [_("Set the application deadline first.")]
    if deadline <= now:
        return [_("The application deadline has already passed; set a later one.")]
    return []


@guard(Stage.APPLICATION, Stage.SCREENING)
def _application_deadline_passed(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    deadline = cycle.deadline(Stage.APPLICATION)
    if deadline is not None and deadline > now:
        return [_("Applications are open until the deadline; screening starts after it.")]
    return []
