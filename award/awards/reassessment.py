"""Re-assessment (复审) of holders whose titles are near expiry: a small cycle of its own.

The office opens a re-assessment cycle (``CycleKind.REASSESSMENT``) for chosen holders; each gets an
application there, a draft filled from its awarded application, which it completes and submits as in an
award cycle. The cycle reuses the review stages (screening without the cool-down, document review, and
so on). Its outcome, decided per holder by the office once the review is over, renews the title for the
awarding cycle's number of years from the day after it ends, or lets it lapse at its end.

The cycle's procedure (`REASSESSMENT_STEPS`, set when it is opened, frozen when applications open) is the
smallest one the procedure rules (`cycles/procedure.py`) allow, with the on-site visit a re-assessment needs:
- the application stage stays: every cycle has it, and here it is where the invited holders complete their
  drafts (there is no public call: only the holders have an application);
- screening, document review, the public notice and the award are required of every procedure; the notice
  is also what a renewal of a public title needs (公示: anyone may object, in writing and by name);
- on-site review (现场复核): whether the holder still works as it did is seen on site; its figure replaces
  the document figure (weights 0 and 1, "replace"), as in a cycle of the earlier shape;
- one vote, the leading group's, the body that granted the title; no review committee;
- no presentation and no social evaluation: screening already checks the dishonesty list and accidents.
The outcome is decided per holder by the office from the ranking stage on (`DECISION_STAGES`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.audit.services import record
from award.auth.models import Role, User
from award.awards.models import Award, AwardStatus, Reassessment, ReassessmentOutcome
from award.awards.services import years_after
from award.cycles.models import Cycle, CycleKind, Stage
from award.cycles.services import CycleSettings, create_cycle, set_procedure
from award.cycles.settings import AwardSettings, EligibilitySettings
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.inputs import text_problem

NEAR_EXPIRY_DAYS = 365  # the default horizon of "near expiry"
MAX_HORIZON_DAYS = 3 * 366
# The re-assessment's procedure and the weights of its scored rounds (see the module docstring).
REASSESSMENT_STEPS = ("screening", "document_review", "onsite_review", "leading_group", "notice", "award")
REASSESSMENT_WEIGHTS = {"document_review": "0", "onsite_review": "1"}
# The outcome is decided once the review is over (the ranking stage or later).
DECISION_STAGES = (Stage.DELIBERATION, Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED)


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can run re-assessments."))


def near_expiry(session: Session, *, today: dt.date, days: int = NEAR_EXPIRY_DAYS) -> list[Award]:
    """Valid awards whose title ends within `days` from today, not yet in an undecided re-assessment."""
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise Invalid(_("Look ahead between 1 and %(days)s days.", days=MAX_HORIZON_DAYS), code="horizon")
    pending = select(Reassessment.award_id).where(Reassessment.outcome == ReassessmentOutcome.PENDING)
    return list(session.scalars(
        select(Award).where(Award.status == AwardStatus.VALID, Award.valid_until >= today,
                            Award.valid_until <= today + dt.timedelta(days=days), Award.id.not_in(pending))
        .order_by(Award.valid_until, Award.id)))


@dataclass(frozen=True, kw_only=True)
class ReassessmentPlan:
    year: int
    title: str
    award_ids: Sequence[int]
    application_deadline: dt.datetime | None = None


def open_reassessment(session: Session, *, actor: User | None, plan: ReassessmentPlan, today: dt.date) -> Cycle:
    """Open a re-assessment cycle for the chosen holders: one draft application each, filled from the
    application that won the title. Every holder must be valid and not already being re-assessed."""
    _require_office(actor)
    ids = sorted(set(plan.award_ids))
    if not ids:
        raise Invalid(_("Choose at least one holder to re-assess."), code="no_holders")
    awards = list(session.scalars(select(Award).where(Award.id.in_(ids)).order_by(Award.id)))
    if len(awards) != len(ids):
        raise Invalid(_("Choose holders from the list."), code="unknown_award")
    pending = set(session.scalars(select(Reassessment.award_id).where(
        Reassessment.award_id.in_(ids), Reassessment.outcome == ReassessmentOutcome.PENDING)))
    for award in awards:
        if award.status is not AwardStatus.VALID or award.valid_until < today:
            raise Conflict(_("%(name)s no longer holds the title: it cannot be re-assessed.",
                             name=award.organization_name), code="not_holding")
        if award.id in pending:
            raise Conflict(_("%(name)s is already being re-assessed.", name=award.organization_name),
                           code="already_reassessed")
    source = awards[0].cycle
    settings = CycleSettings(
        year=plan.year, title=plan.title, awards_count=len(awards), cutoff_score=source.cutoff_score,
        experts_per_application=source.experts_per_application, onsite_review=True,
        deadlines={Stage.APPLICATION: plan.application_deadline} if plan.application_deadline else {},
        eligibility=EligibilitySettings.from_dict(source.eligibility),
        awards=AwardSettings.from_dict(source.award_settings))
    cycle = create_cycle(session, actor=actor, settings=settings, rubric_key=source.rubric_key)
    cycle.kind = CycleKind.REASSESSMENT
    set_procedure(session, actor=actor, cycle=cycle, steps=list(REASSESSMENT_STEPS),
                  weights=dict(REASSESSMENT_WEIGHTS), combine="replace")
    for award in awards:
        won = award.application
        application = Application(
            cycle_id=cycle.id, organization_id=award.organization_id, status=ApplicationStatus.DRAFT,
            org_name=won.org_name or award.organization_name, address=won.address, district=won.district,
            sector=won.sector, employees=won.employees, revenue=won.revenue, founded_on=won.founded_on,
            qms_certified_on=won.qms_certified_on)
        session.add(application)
        session.flush()
        row = Reassessment(cycle_id=cycle.id, award_id=award.id, application_id=application.id,
                           previous_valid_until=award.valid_until, outcome=ReassessmentOutcome.PENDING)
        session.add(row)
        session.flush()
        record(session, actor=actor, action="award.reassessment_opened", target_type="award", target_id=award.id,
               cycle_id=cycle.id, after={"reassessment": row.id, "application": application.id,
                                         "valid_until": award.valid_until.isoformat()})
    return cycle


def reassessments_of(session: Session, cycle: Cycle) -> list[Reassessment]:
    return list(session.scalars(select(Reassessment).where(Reassessment.cycle_id == cycle.id)
                                .order_by(Reassessment.id)))


def decide_reassessment(session: Session, *, actor: User | None, reassessment: Reassessment,
                        outcome: ReassessmentOutcome, reason: str, zone: ZoneInfo,
                        now: dt.datetime | None = None) -> Reassessment:
    """Renew the title (for the awarding cycle's years, from the day after it ends) or let it lapse at its end."""
    _require_office(actor)
    now = now or utcnow()
    if reassessment.outcome is not ReassessmentOutcome.PENDING:
        raise Conflict(_("This re-assessment is already decided."), code="decided")
    if outcome is ReassessmentOutcome.PENDING:
        raise Invalid(_("Choose whether the title is renewed or lapses."), code="no_outcome", field="outcome")
    if reassessment.cycle.stage not in DECISION_STAGES:
        raise Conflict(_("The outcome is decided once the re-assessment's review is over (from ranking on)."),
                       code="wrong_stage")
    reason = reason.strip()
    problem = text_problem(reason, multiline=True, field=_("The reason"))
    if problem:
        raise Invalid(problem, code="bad_reason", field="reason")
    if not reason or len(reason) > 5000:
        raise Invalid(_("Give the reason for the outcome (at most 5000 characters)."), code="no_reason",
                      field="reason")
    award = reassessment.award
    if award.status is AwardStatus.REVOKED:
        raise Conflict(_("The award was revoked meanwhile: it can no longer be renewed."), code="revoked")
    before = {"outcome": reassessment.outcome.value, "valid_until": award.valid_until.isoformat()}
    # Read everything before changing anything: a lazy load would flush a half-made change.
    years = AwardSettings.from_dict(award.cycle.award_settings).title_years
    start = reassessment.previous_valid_until + dt.timedelta(days=1)
    renewed_until = years_after(start, years) - dt.timedelta(days=1)
    reassessment.outcome = outcome
    reassessment.reason = reason
    reassessment.decided_at = now
    reassessment.decided_by_id = actor.id if actor else None
    if outcome is ReassessmentOutcome.RENEWED:
        reassessment.renewed_until = renewed_until
        award.valid_until = renewed_until
    session.flush()
    record(session, actor=actor, action="award.reassessment_decided", target_type="award", target_id=award.id,
           cycle_id=reassessment.cycle_id, before=before,
           after={"outcome": outcome.value, "reason": reason, "valid_until": award.valid_until.isoformat(),
                  "reassessment": reassessment.id, "decided_on": now.astimezone(zone).date().isoformat()})
    return reassessment
