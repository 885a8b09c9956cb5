"""The cycle's stage machine: the table of allowed transitions is a function of the cycle's procedure
(`procedure.py`: each stage to the next of its sequence), and every move has its guards.

Areas above cycles (applications, review, ranking, ...) add guards with @guard(source, target),
@guard_leaving(source) or @guard_entering(target), so this module never imports them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from award.cycles import procedure
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Procedure, Step
from award.i18n import LazyString, _, _l

STAGE_LABELS: dict[Stage, LazyString] = {
    Stage.DRAFT: _l("Preparation"),
    Stage.APPLICATION: _l("Applications open"),
    Stage.SCREENING: _l("Eligibility screening"),
    Stage.DOCUMENT_REVIEW: _l("Document review"),
    Stage.PRESENTATION: _l("Presentation and defence"),
    Stage.ONSITE_REVIEW: _l("On-site review"),
    Stage.SOCIAL_EVALUATION: _l("Social evaluation"),
    Stage.DELIBERATION: _l("Ranking and shortlist"),
    Stage.COMMITTEE: _l("Review committee vote"),
    Stage.APPROVAL: _l("Leading-group approval"),
    Stage.NOTICE: _l("Public notice"),
    Stage.AWARDED: _l("Awarded"),
    Stage.CLOSED: _l("Closed and archived"),
}

STEP_LABELS: dict[Step, LazyString] = {
    Step.SCREENING: _l("Eligibility screening"),
    Step.DOCUMENT_REVIEW: _l("Document review"),
    Step.PRESENTATION: _l("Presentation and defence"),
    Step.ONSITE_REVIEW: _l("On-site review"),
    Step.SOCIAL_EVALUATION: _l("Social evaluation"),
    Step.COMMITTEE: _l("Review committee vote"),
    Step.LEADING_GROUP: _l("Leading-group approval"),
    Step.NOTICE: _l("Public notice"),
    Step.AWARD: _l("Awarded"),
}

# The button that moves a cycle into a stage; (source, target) first, then the target alone.
_MOVE_LABELS: dict[Stage | tuple[Stage, Stage], LazyString] = {
    Stage.APPLICATION: _l("Publish the call and open applications"),
    Stage.SCREENING: _l("Close applications and start screening"),
    Stage.DOCUMENT_REVIEW: _l("Open document review"),
    Stage.PRESENTATION: _l("Open the presentation round"),
    Stage.ONSITE_REVIEW: _l("Open on-site review"),
    Stage.SOCIAL_EVALUATION: _l("Start the social evaluation"),
    Stage.DELIBERATION: _l("Close review and rank"),
    Stage.COMMITTEE: _l("Submit the shortlist to the review committee"),
    (Stage.COMMITTEE, Stage.APPROVAL): _l("Submit the committee's result to the leading group"),
    Stage.APPROVAL: _l("Submit the shortlist to the leading group"),
    Stage.NOTICE: _l("Publish the public notice"),
    Stage.AWARDED: _l("Confirm the final list and award"),
    Stage.CLOSED: _l("Close and archive the cycle"),
}


@dataclass(frozen=True)
class Transition:
    source: Stage
    target: Stage
    label: LazyString


def _transition(source: Stage, target: Stage) -> Transition:
    return Transition(source, target, _MOVE_LABELS.get((source, target)) or _MOVE_LABELS[target])


def procedure_of(cycle: Cycle) -> Procedure:
    """The cycle's procedure: the stored one, or the current shape (on-site review per the cycle's flag)."""
    return procedure.from_stored(cycle.procedure, onsite=cycle.onsite_review)


def transitions_of(chosen: Procedure) -> tuple[Transition, ...]:
    """The transition table of a procedure: each stage to the next one of its sequence."""
    stages = chosen.stages
    return tuple(_transition(a, b) for a, b in zip(stages, stages[1:], strict=False))


def _every_procedure() -> list[Procedure]:
    """Every valid procedure (weights aside): the moves a guard may be registered for."""
    found = []
    for count in range(len(procedure.MOVABLE) + 1):
        for middle in itertools.permutations(procedure.MOVABLE, count):
            for votes in ((Step.COMMITTEE,), (Step.LEADING_GROUP,), (Step.COMMITTEE, Step.LEADING_GROUP)):
                found.append(Procedure((Step.SCREENING, Step.DOCUMENT_REVIEW, *middle, *votes,
                                        Step.NOTICE, Step.AWARD)))
    return found


# Every move some procedure makes: the union of the tables (a guard names one of these).
TRANSITIONS: tuple[Transition, ...] = tuple(dict.fromkeys(
    t for p in _every_procedure() for t in transitions_of(p)))

Guard = Callable[[Session, Cycle, dt.datetime], list[str]]
_GUARDS: dict[tuple[Stage, Stage], list[Guard]] = {}
_LEAVING: dict[Stage, list[Guard]] = {}
_ENTERING: dict[Stage, list[Guard]] = {}


def guard(source: Stage, target: Stage) -> Callable[[Guard], Guard]:
    """Register a check that must return no problems before source → target."""
    if not any(t.source is source and t.target is target for t in TRANSITIONS):
        raise ValueError(f"no transition {source} → {target}")

    def register(check: Guard) -> Guard:
        _GUARDS.setdefault((source, target), []).append(check)
        return check

    return register


def guard_leaving(source: Stage) -> Callable[[Guard], Guard]:
    """Register a check run on every move out of `source`, wherever the procedure goes next
    (document review's sheets must be in before presentation, on-site review or the ranking)."""
    def register(check: Guard) -> Guard:
        _LEAVING.setdefault(source, []).append(check)
        return check

    return register


def guard_entering(target: Stage) -> Callable[[Guard], Guard]:
    """Register a check run on every move into `target`, wherever the cycle comes from."""
    def register(check: Guard) -> Guard:
        _ENTERING.setdefault(target, []).append(check)
        return check

    return register


def transitions_from(cycle: Cycle) -> list[Transition]:
    return [t for t in transitions_of(procedure_of(cycle)) if t.source is cycle.stage]


def find_transition(cycle: Cycle, target: Stage) -> Transition | None:
    return next((t for t in transitions_from(cycle) if t.target is target), None)


def stage_sequence(cycle: Cycle) -> tuple[Stage, ...]:
    """The stages this cycle runs, in its procedure's order (the cycle page's progress line)."""
    return procedure_of(cycle).stages


def stage_has_opened(cycle: Cycle, stage: Stage) -> bool:
    """Whether the cycle has reached `stage` (it may be over already); false for a stage it never runs."""
    order = stage_sequence(cycle)
    return stage in order and order.index(cycle.stage) >= order.index(stage)


def transition_problems(session: Session, cycle: Cycle, target: Stage, now: dt.datetime) -> list[str]:
    """Why cycle cannot move to target now; an empty list means it can."""
    if find_transition(cycle, target) is None:
        return [_("A cycle in stage “%(source)s” cannot move to “%(target)s”.",
                  source=STAGE_LABELS[cycle.stage], target=STAGE_LABELS[target])]
    problems: list[str] = []
    checks = [*_LEAVING.get(cycle.stage, []), *_GUARDS.get((cycle.stage, target), []),
              *_ENTERING.get(target, [])]
    for check in checks:
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
