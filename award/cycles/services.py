"""State changes of award cycles: creation, settings, and moving through the stages."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import Role, User
from award.cycles.models import Cycle, CycleDeadline, Stage
from award.cycles.procedure import Procedure, ProcedureError, Step, current_shape
from award.cycles.procedure import build as build_procedure
from award.cycles.settings import (
    ISSUER_FIELDS,
    AwardLevels,
    AwardSettings,
    EligibilitySettings,
    IssuerSettings,
    bare_bodies,
)
from award.cycles.stages import STAGE_LABELS, procedure_of, stage_has_opened, transition_problems
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _, format_datetime
from award.inputs import check_name
from award.rubrics import RUBRICS_DIR, Rubric, RubricError, load_rubric, parse_rubric

# Settings stay editable until review starts; after that the figures experts rely on are fixed.
EDITABLE_STAGES = (Stage.DRAFT, Stage.APPLICATION, Stage.SCREENING)
DEADLINE_STAGES = (Stage.APPLICATION, Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW, Stage.APPROVAL)


@dataclass(frozen=True)
class CycleSettings:
    year: int
    title: str
    awards_count: int
    cutoff_score: Decimal
    experts_per_application: int
    onsite_review: bool
    deadlines: dict[Stage, dt.datetime]
    eligibility: EligibilitySettings
    awards: AwardSettings = AwardSettings()
    issuers: IssuerSettings | None = None  # None: as they are (the office names them with update_issuers)


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can manage award cycles."))


def cycle_rubric(cycle: Cycle) -> Rubric:
    """The rubric frozen with the cycle, never the file as it is today."""
    return frozen_rubric(cycle.rubric_text, cycle.rubric_key, f"cycle {cycle.id}")


@functools.lru_cache(maxsize=64)
def frozen_rubric(text: str, key: str, source: str) -> Rubric:
    # A frozen text never changes and Rubric is immutable, so one parse serves every request: the
    # score sheet and its autosave read it several times each, and parsing cost ~9% of the page.
    return parse_rubric(text, source=source, key=key)


def _load_rubric_file(rubric_key: str, rubrics_dir: Path) -> tuple[Rubric, str]:
    path = rubrics_dir / f"{rubric_key}.toml"
    if "/" in rubric_key or not path.is_file():
        raise Invalid(_("Unknown rubric “%(key)s”.", key=rubric_key), code="unknown_rubric")
    try:
        rubric = load_rubric(path)
    except RubricError as error:
        raise Invalid(str(error), code="bad_rubric") from None
    if rubric.purpose != "application":
        raise Invalid(_("Unknown rubric “%(key)s”.", key=rubric_key), code="unknown_rubric")
    return rubric, path.read_text(encoding="utf-8")


def _validate(settings: CycleSettings, rubric: Rubric) -> None:
    check_name(settings.title, field=_("The title"))
    if settings.issuers is not None:
        _checked_issuers(settings.issuers)
    if settings.cutoff_score > Decimal(str(rubric.total)):
        raise Invalid(_("The cut-off score %(cutoff)s is above the rubric's total of %(total)s.",
                            cutoff=settings.cutoff_score, total=rubric.total), code="cutoff_above_total")
    ordered = [settings.deadlines[s] for s in DEADLINE_STAGES if s in settings.deadlines]
    if ordered != sorted(ordered):
        raise Invalid(_("Deadlines must follow the order of the stages."), code="deadline_order")


def _snapshot(cycle: Cycle) -> dict[str, object]:
    return {
        "year": cycle.year,
        "title": cycle.title,
        "stage": cycle.stage.value,
        "rubric": cycle.rubric_key,
        "rubric_hash": cycle.rubric_hash,
        "awards_count": cycle.awards_count,
        "cutoff_score": str(cycle.cutoff_score),
        "experts_per_application": cycle.experts_per_application,
        "onsite_review": cycle.onsite_review,
        "deadlines": {d.stage.value: d.due_at.isoformat() for d in cycle.deadlines},
        "eligibility": cycle.eligibility,
        "award_settings": cycle.award_settings,
        "procedure": procedure_of(cycle).as_dict(),
    }


def _apply_settings(cycle: Cycle, settings: CycleSettings) -> None:
    cycle.year = settings.year
    cycle.title = settings.title.strip()
    cycle.awards_count = settings.awards_count
    cycle.cutoff_score = settings.cutoff_score
    cycle.experts_per_application = settings.experts_per_application
    if cycle.onsite_review != settings.onsite_review or cycle.procedure is None:
        cycle.procedure = _with_onsite(procedure_of(cycle), settings.onsite_review).as_dict()
    cycle.onsite_review = settings.onsite_review
    cycle.eligibility = settings.eligibility.as_dict()
    # the issuers are kept beside the vote settings and set on their own (update_issuers)
    issuers = settings.issuers or IssuerSettings.of(cycle.award_settings)
    # so are the award levels (awards.services.update_levels)
    levels = AwardLevels.of(cycle.award_settings)
    cycle.award_settings = levels.stored_in(issuers.stored_in(settings.awards.as_dict()))
    existing = {d.stage: d for d in cycle.deadlines}
    for stage in DEADLINE_STAGES:
        due = settings.deadlines.get(stage)
        if due is None and stage in existing:
            cycle.deadlines.remove(existing[stage])
        elif due is not None and stage in existing:
            existing[stage].due_at = due
        elif due is not None:
            cycle.deadlines.append(CycleDeadline(stage=stage, due_at=due))


def _ensure_unique(session: Session, settings: CycleSettings, cycle_id: int | None) -> None:
    clash = session.scalar(select(Cycle.id).where(Cycle.year == settings.year, Cycle.title == settings.title.strip()))
    if clash is not None and clash != cycle_id:
        raise Invalid(_("A cycle with this year and title already exists."), code="duplicate_cycle")


def create_cycle(
    session: Session, *, actor: User | None, settings: CycleSettings, rubric_key: str,
    rubrics_dir: Path = RUBRICS_DIR,
) -> Cycle:
    """Open a new cycle in preparation, freezing the rubric file's current text into it."""
    _require_office(actor)
    rubric, text = _load_rubric_file(rubric_key, rubrics_dir)
    _validate(settings, rubric)
    _ensure_unique(session, settings, None)
    cycle = Cycle(rubric_key=rubric_key, rubric_text=text, rubric_hash=rubric.content_hash,
                  stage=Stage.DRAFT, created_by_id=actor.id if actor else None)
    _apply_settings(cycle, settings)
    session.add(cycle)
    session.flush()
    record(session, actor=actor, action="cycle.created", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after=_snapshot(cycle))
    return cycle


@dataclass(frozen=True)
class DeadlineChange:
    """A stage's deadline moved after the stage opened: who it affects is told (see deadline_listener)."""

    cycle: Cycle
    stage: Stage
    before: dt.datetime
    after: dt.datetime
    reason: str
    now: dt.datetime


DeadlineListener = Callable[[Session, DeadlineChange], object]  # what it returns is not used
_DEADLINE_LISTENERS: list[DeadlineListener] = []


def deadline_listener(listener: DeadlineListener) -> DeadlineListener:
    """Register a function told of every moved deadline, in the session of the change (a higher area's
    notices: the applicants for the application deadline, for example)."""
    _DEADLINE_LISTENERS.append(listener)
    return listener


Move = tuple[Stage, dt.datetime | None, dt.datetime | None]


def _moved_deadlines(cycle: Cycle, settings: CycleSettings) -> list[Move]:
    """(stage, before, after) of each deadline the settings change, of a stage that has opened."""
    moved = []
    for stage in DEADLINE_STAGES:
        before, after = cycle.deadline(stage), settings.deadlines.get(stage)
        if before != after and stage_has_opened(cycle, stage):
            moved.append((stage, before, after))
    return moved


def _check_moves(cycle: Cycle, moved: list[Move], reason: str, now: dt.datetime) -> None:
    for stage, _before, after in moved:
        if after is None:
            raise Conflict(_("“%(stage)s” has opened: its deadline can be moved but not removed.",
                             stage=STAGE_LABELS[stage]), code="deadline_removed")
        if stage is cycle.stage and after <= now:
            raise Conflict(_("“%(stage)s” is in progress: its deadline cannot be moved into the past "
                             "(now: %(now)s).", stage=STAGE_LABELS[stage], now=format_datetime(now)),
                           code="deadline_in_past")
    if moved and not reason:
        raise Invalid(_("“%(stage)s” has opened: write why its deadline moves. The reason is recorded and the "
                        "people it affects are told.", stage=STAGE_LABELS[moved[0][0]]),
                      code="deadline_reason", field="date_change_reason")


def update_cycle(
    session: Session, *, actor: User | None, cycle: Cycle, settings: CycleSettings, reason: str = "",
    now: dt.datetime | None = None,
) -> Cycle:
    """Change the cycle's settings while they are editable.

    Moving the deadline of a stage that has opened needs a reason: each move is audited on its own
    and the registered deadline listeners tell the people it affects. The deadline of the stage in
    progress cannot go into the past, and no opened stage loses its deadline."""
    _require_office(actor)
    now = now or utcnow()
    if cycle.stage not in EDITABLE_STAGES:
        raise Conflict(_("Settings are fixed once the review has started."), code="settings_locked")
    _validate(settings, cycle_rubric(cycle))
    _ensure_unique(session, settings, cycle.id)
    moved = _moved_deadlines(cycle, settings)
    reason = reason.strip()
    _check_moves(cycle, moved, reason, now)
    if settings.onsite_review != cycle.onsite_review and cycle.stage is not Stage.DRAFT:
        raise Conflict(_("The procedure is fixed once applications have opened: on-site review can no longer be "
                         "added or removed."), code="procedure_frozen", field="onsite_review")
    before = _snapshot(cycle)
    _apply_settings(cycle, settings)
    session.flush()
    record(session, actor=actor, action="cycle.updated", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before, after=_snapshot(cycle))
    for stage, was, due in moved:
        assert was is not None and due is not None  # a deadline of an opened stage exists (checked above)
        record(session, actor=actor, action="cycle.deadline_moved", target_type="cycle", target_id=cycle.id,
               cycle_id=cycle.id, before={"stage": stage.value, "due_at": was.isoformat()},
               after={"stage": stage.value, "due_at": due.isoformat(), "reason": reason})
        change = DeadlineChange(cycle=cycle, stage=stage, before=was, after=due, reason=reason, now=now)
        for listener in _DEADLINE_LISTENERS:
            listener(session, change)
    return cycle


def advance_cycle(
    session: Session, *, actor: User | None, cycle: Cycle, target: Stage, now: dt.datetime | None = None
) -> Cycle:
    """Move the cycle to target if the transition table allows it and every guard passes."""
    _require_office(actor)
    problems = transition_problems(session, cycle, target, now or utcnow())
    if problems:
        raise Conflict(" ".join(problems), code="transition_refused")
    before = cycle.stage
    cycle.stage = target
    session.flush()
    record(session, actor=actor, action="cycle.stage_changed", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before={"stage": before.value}, after={"stage": target.value})
    if before is Stage.DRAFT:
        # The procedure is frozen from here on: stored as it is, and the trail says which one.
        cycle.procedure = procedure_of(cycle).as_dict()
        session.flush()
        record(session, actor=actor, action="cycle.procedure_frozen", target_type="cycle", target_id=cycle.id,
               cycle_id=cycle.id, after=cycle.procedure)
    return cycle


def _with_onsite(chosen: Procedure, onsite: bool) -> Procedure:
    """The procedure with on-site review added or removed as the settings' flag says (before opening)."""
    if chosen.has(Step.ONSITE_REVIEW) == onsite:
        return chosen
    if chosen.steps == current_shape(onsite=not onsite).steps:
        return current_shape(onsite=onsite)
    if onsite:
        at = chosen.steps.index(Step.DOCUMENT_REVIEW) + 1
        steps = (*chosen.steps[:at], Step.ONSITE_REVIEW, *chosen.steps[at:])
        weights = {**chosen.weights, Step.ONSITE_REVIEW: Decimal("0")}
    else:
        steps = tuple(s for s in chosen.steps if s is not Step.ONSITE_REVIEW)
        dropped = chosen.weights.get(Step.ONSITE_REVIEW, Decimal("0"))
        weights = {k: v for k, v in chosen.weights.items() if k is not Step.ONSITE_REVIEW}
        weights[Step.DOCUMENT_REVIEW] = weights.get(Step.DOCUMENT_REVIEW, Decimal("0")) + dropped
    return Procedure(steps, weights, "weighted")


def set_procedure(
    session: Session, *, actor: User | None, cycle: Cycle, steps: list[str], weights: dict[str, str],
    combine: str = "weighted",
) -> Cycle:
    """Choose the cycle's procedure: its steps in order, the weights of its scored rounds and how they
    combine. Only in preparation: the procedure is frozen when applications open."""
    _require_office(actor)
    if cycle.stage is not Stage.DRAFT:
        raise Conflict(_("The procedure is fixed once applications have opened."), code="procedure_frozen")
    try:
        chosen = build_procedure(steps, weights, combine)
    except ProcedureError as error:
        raise Invalid(str(error), code="bad_procedure") from None
    before = procedure_of(cycle).as_dict()
    cycle.procedure = chosen.as_dict()
    cycle.onsite_review = chosen.has(Step.ONSITE_REVIEW)
    session.flush()
    record(session, actor=actor, action="cycle.procedure_set", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before, after=cycle.procedure)
    return cycle


def issuers_of(cycle: Cycle) -> IssuerSettings:
    """Who issues the cycle's documents (empty until the office names them)."""
    return IssuerSettings.of(cycle.award_settings)


def update_issuers(session: Session, *, actor: User | None, cycle: Cycle, issuers: IssuerSettings) -> Cycle:
    """Name the city and the bodies that issue the cycle's documents.

    Open in every stage: the documents are printed at the end, and the names change no figure. The city is
    required (or every body written out); a body must not be named without its city."""
    _require_office(actor)
    issuers = _checked_issuers(issuers)
    before = issuers_of(cycle).as_dict()
    cycle.award_settings = issuers.stored_in(cycle.award_settings)
    session.flush()
    record(session, actor=actor, action="cycle.issuers_updated", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before, after=issuers.as_dict())
    return cycle


def _checked_issuers(issuers: IssuerSettings) -> IssuerSettings:
    """The issuers trimmed, or an Invalid naming the field: the city is required, no body without its city."""
    issuers = IssuerSettings(**{name: getattr(issuers, name).strip() for name in ISSUER_FIELDS})
    labels = {"city": _("The city"), "government": _("The city's government"),
              "regulator": _("The market regulation bureau"), "award_office": _("The award office")}
    for name, label in labels.items():
        value = getattr(issuers, name)
        check_name(value, field=label)
        if len(value) > 60:
            raise Invalid(_("%(field)s is at most 60 characters.", field=label), code="too_long", field=name)
        if bare_bodies(value):
            raise Invalid(_("%(field)s names “%(body)s” without the city: write the city's name in front of it.",
                            field=label, body=bare_bodies(value)[0]), code="bare_body", field=name)
    if not issuers.city:
        raise Invalid(_("Name the city (e.g. 苏州市): the documents name its government and its bodies after it."),
                      code="no_city", field="city")
    return issuers


def stage_label(stage: Stage) -> str:
    return str(STAGE_LABELS[stage])
