"""Review rounds of a cycle: document review (always) and on-site review (optional).

A round is set up (panels formed, settings chosen), opened (the aggregation method and the
record that counts, independent sheets or panel consensus, are locked from then on) and closed
(every required sheet is in). The stage a round belongs to must be the
cycle's current stage when the round opens, so scoring never starts before screening is done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import User
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Step
from award.cycles.services import cycle_rubric, frozen_rubric
from award.cycles.stages import procedure_of
from award.db import utcnow
from award.errors import Conflict, Invalid
from award.i18n import _, _l, format_datetime
from award.rounds import notices
from award.rounds.access import require_office
from award.rounds.models import AggregationMethod, CountedRecord, ReviewRound, RoundKind, RoundStatus
from award.rounds.panels import panel_problems_of_round, soft_signals_of_round
from award.rubrics import RUBRICS_DIR, Rubric, load_rubric

KIND_LABELS = {RoundKind.DOCUMENT: _l("Document review"), RoundKind.ONSITE: _l("On-site review"),
               RoundKind.PRESENTATION: _l("Presentation and defence")}

ROUND_STAGE: dict[RoundKind, Stage] = {
    RoundKind.DOCUMENT: Stage.DOCUMENT_REVIEW,
    RoundKind.ONSITE: Stage.ONSITE_REVIEW,
    RoundKind.PRESENTATION: Stage.PRESENTATION,
}
ROUND_STEP: dict[RoundKind, Step] = {
    RoundKind.DOCUMENT: Step.DOCUMENT_REVIEW,
    RoundKind.ONSITE: Step.ONSITE_REVIEW,
    RoundKind.PRESENTATION: Step.PRESENTATION,
}
# The form a round is scored on when it is not the cycle's rubric (a file of rubrics/).
ROUND_RUBRIC: dict[RoundKind, str] = {RoundKind.PRESENTATION: "presentation-100"}


def round_rubric(review_round: ReviewRound) -> Rubric:
    """The form the round is scored on: its own frozen one (the presentation form), or the cycle's."""
    if review_round.rubric_text is None or review_round.rubric_key is None:
        return cycle_rubric(review_round.cycle)
    return frozen_rubric(review_round.rubric_text, review_round.rubric_key, f"round {review_round.id}")


def round_kinds(cycle: Cycle) -> list[RoundKind]:
    """The scored rounds of the cycle's procedure, in the order they run."""
    steps = procedure_of(cycle).scored
    return [kind for step in steps for kind, of in ROUND_STEP.items() if of is step]


@dataclass(frozen=True, kw_only=True)
class RoundSettings:
    """What the office chooses for a round before it opens."""

    method: AggregationMethod
    deadline: dt.datetime | None
    experts_per_application: int
    required_sheets: int
    range_threshold_pct: Decimal = Decimal("30")
    std_threshold_pct: Decimal = Decimal("12")
    counts: CountedRecord = CountedRecord.INDEPENDENT




def round_snapshot(review_round: ReviewRound) -> dict[str, object]:
    return {
        "kind": review_round.kind.value,
        "status": review_round.status.value,
        "method": review_round.method.value,
        "counts": review_round.counts.value,
        "deadline": review_round.deadline.isoformat() if review_round.deadline else None,
        "experts_per_application": review_round.experts_per_application,
        "required_sheets": review_round.required_sheets,
        "range_threshold_pct": str(review_round.range_threshold_pct),
        "std_threshold_pct": str(review_round.std_threshold_pct),
        **({"rubric": review_round.rubric_key, "rubric_hash": review_round.rubric_hash}
           if review_round.rubric_key else {}),
    }


def rounds_of(session: Session, cycle: Cycle) -> list[ReviewRound]:
    return list(session.scalars(select(ReviewRound).where(ReviewRound.cycle_id == cycle.id)
                                .order_by(ReviewRound.id)))


def round_of(session: Session, cycle: Cycle, kind: RoundKind) -> ReviewRound | None:
    return session.scalar(select(ReviewRound).where(ReviewRound.cycle_id == cycle.id, ReviewRound.kind == kind))


def _validate(settings: RoundSettings, kind: RoundKind) -> None:
    minimum = 5 if kind is RoundKind.DOCUMENT else 1
    if settings.experts_per_application < minimum:
        raise Invalid(_("A panel needs at least %(count)s experts in this round.", count=minimum),
                          code="panel_too_small")
    if not 1 <= settings.required_sheets <= settings.experts_per_application:
        raise Invalid(_("Required sheets must be between 1 and the panel size."), code="required_sheets")
    if settings.range_threshold_pct <= 0 or settings.std_threshold_pct <= 0:
        raise Invalid(_("Disagreement thresholds must be positive."), code="thresholds")


def default_settings(cycle: Cycle, kind: RoundKind) -> RoundSettings:
    smaller = 5 if kind is RoundKind.PRESENTATION else 3
    size = cycle.experts_per_application if kind is RoundKind.DOCUMENT else min(cycle.experts_per_application, smaller)
    return RoundSettings(method=AggregationMethod.TRIMMED_MEAN, deadline=cycle.deadline(ROUND_STAGE[kind]),
                         experts_per_application=size, required_sheets=size)


def create_round(
    session: Session, *, actor: User | None, cycle: Cycle, kind: RoundKind, settings: RoundSettings | None = None,
    rubrics_dir: Path = RUBRICS_DIR,
) -> ReviewRound:
    """Add a round to a cycle (the on-site and presentation rounds only when its procedure has them)."""
    require_office(actor)
    if kind is RoundKind.ONSITE and not cycle.onsite_review:
        raise Conflict(_("This cycle has no on-site review round."), code="no_onsite")
    if kind not in round_kinds(cycle):
        raise Conflict(_("This cycle's procedure has no such round."), code="not_in_procedure")
    if round_of(session, cycle, kind) is not None:
        raise Conflict(_("This round already exists."), code="round_exists")
    settings = settings or default_settings(cycle, kind)
    _validate(settings, kind)
    review_round = ReviewRound(cycle_id=cycle.id, kind=kind, status=RoundStatus.SETUP)
    if kind in ROUND_RUBRIC:
        rubric = load_rubric(rubrics_dir / f"{ROUND_RUBRIC[kind]}.toml")
        review_round.rubric_key, review_round.rubric_text = rubric.key, rubric.text
        review_round.rubric_hash = rubric.content_hash
    _apply(review_round, settings)
    session.add(review_round)
    session.flush()
    record(session, actor=actor, action="review.round_created", target_type="review_round",
           target_id=review_round.id, cycle_id=cycle.id, after=round_snapshot(review_round))
    return review_round


def ensure_rounds(session: Session, *, actor: User | None, cycle: Cycle) -> list[ReviewRound]:
    """Create the rounds the cycle's settings call for that do not exist yet."""
    require_office(actor)
    for kind in round_kinds(cycle):
        if round_of(session, cycle, kind) is None:
            create_round(session, actor=actor, cycle=cycle, kind=kind)
    return rounds_of(session, cycle)


def _apply(review_round: ReviewRound, settings: RoundSettings) -> None:
    review_round.method = settings.method
    review_round.counts = settings.counts
    review_round.deadline = settings.deadline
    review_round.experts_per_application = settings.experts_per_application
    review_round.required_sheets = settings.required_sheets
    review_round.range_threshold_pct = settings.range_threshold_pct
    review_round.std_threshold_pct = settings.std_threshold_pct


def configure_round(
    session: Session, *, actor: User | None, review_round: ReviewRound, settings: RoundSettings, reason: str = "",
    now: dt.datetime | None = None,
) -> ReviewRound:
    """Change a round's settings; the method, the record that counts and the panel size are locked
    once the round opens. Moving the deadline of an open round needs a reason: the move is audited
    and every expert seated in the round is told (mandatory e-mail)."""
    require_office(actor)
    now = now or utcnow()
    reason = reason.strip()
    moved = review_round.status is RoundStatus.OPEN and settings.deadline != review_round.deadline
    if moved:
        if settings.deadline is None:
            raise Conflict(_("The round has opened: its deadline can be moved but not removed."),
                           code="deadline_removed")
        if settings.deadline <= now:
            raise Conflict(_("The round is open: its deadline cannot be moved into the past (now: %(now)s).",
                             now=format_datetime(now)), code="deadline_in_past")
        if not reason:
            raise Invalid(_("The round has opened: write why its deadline moves. The reason is recorded and the "
                            "experts of the round are told."), code="deadline_reason", field="date_change_reason")
    if review_round.status is not RoundStatus.SETUP:
        if settings.method is not review_round.method:
            raise Conflict(_("The aggregation method is locked once the round has opened."),
                              code="method_locked")
        if settings.counts is not review_round.counts:
            raise Conflict(_("Which record counts is locked once the round has opened."),
                           code="counts_locked")
        if settings.experts_per_application != review_round.experts_per_application or (
                settings.required_sheets != review_round.required_sheets):
            raise Conflict(_("The panel size is locked once the round has opened."), code="size_locked")
    if review_round.status is RoundStatus.CLOSED:
        raise Conflict(_("This round is closed."), code="round_closed")
    _validate(settings, review_round.kind)
    before = round_snapshot(review_round)
    was = review_round.deadline
    _apply(review_round, settings)
    session.flush()
    record(session, actor=actor, action="review.round_configured", target_type="review_round",
           target_id=review_round.id, cycle_id=review_round.cycle_id, before=before,
           after=round_snapshot(review_round))
    if moved and was is not None and settings.deadline is not None:
        record(session, actor=actor, action="review.round_deadline_moved", target_type="review_round",
               target_id=review_round.id, cycle_id=review_round.cycle_id, before={"deadline": was.isoformat()},
               after={"deadline": settings.deadline.isoformat(), "reason": reason})
        notices.tell_deadline_moved(session, review_round, before=was, after=settings.deadline, reason=reason,
                                    round_name=str(KIND_LABELS[review_round.kind]), now=now)
    return review_round


def open_round(
    session: Session, *, actor: User | None, review_round: ReviewRound, now: dt.datetime | None = None,
    acknowledgement: str | None = None,
) -> ReviewRound:
    """Open scoring: the cycle is in the round's stage and every eligible application has a full
    panel with a leader. The method is locked from here on; every seated expert is told to sign
    the pledge.

    Panels holding a soft 回避 signal (需关注) open only with the office's acknowledgement: a
    written reason, kept in the audit trail with every such pair and its signals."""
    require_office(actor)
    if review_round.status is not RoundStatus.SETUP:
        raise Conflict(_("Only a round in preparation can be opened."), code="round_not_setup")
    cycle = review_round.cycle
    if cycle.stage is not ROUND_STAGE[review_round.kind]:
        raise Conflict(_("The cycle must be in the round's stage before the round opens."),
                          code="wrong_stage")
    problems = panel_problems_of_round(session, review_round)
    if problems:
        raise Conflict(" ".join(problems), code="panels_incomplete")
    signals = soft_signals_of_round(session, review_round)
    reason = (acknowledgement or "").strip()
    if signals and not reason:
        raise Conflict(_("%(count)d seated pair(s) need attention (soft conflict-of-interest signals). Read them "
                         "on the panels and acknowledge them with a reason before scoring opens.",
                         count=len(signals)),
                       code="soft_signals_unacknowledged")
    if signals:
        record(session, actor=actor, action="review.soft_signals_acknowledged", target_type="review_round",
               target_id=review_round.id, cycle_id=review_round.cycle_id,
               after={"reason": reason, "pairs": [
                   {"application_id": application_id, "expert_id": expert_id,
                    "signals": [{"type": c.type.value, "evidence": list(c.evidence)} for c in found]}
                   for (application_id, expert_id), found in sorted(signals.items())]})
    review_round.status = RoundStatus.OPEN
    review_round.opened_at = now or utcnow()
    session.flush()
    record(session, actor=actor, action="review.round_opened", target_type="review_round",
           target_id=review_round.id, cycle_id=review_round.cycle_id,
           before={"status": RoundStatus.SETUP.value}, after=round_snapshot(review_round))
    notices.tell_round_opened(session, review_round, now=review_round.opened_at)
    notices.tell_applicants_round_opened(session, review_round, now=review_round.opened_at)
    return review_round


