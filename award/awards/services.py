"""Confirming the final list (the cycle becomes awarded), revoking an award, and the award history.

Importing this module connects the award history to the applications' screening (cool-down after
an award, ban after a revocation) through their provider hook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications import services as application_services
from award.applications.eligibility import PastAward, years_before
from award.applications.models import Application
from award.applications.notices import application_result
from award.audit.services import chain_anchor, record
from award.auth.models import Organization, Role, User
from award.awards.models import Award, AwardStatus
from award.awards.numbers import new_certificate_number, normalize_certificate_number
from award.cycles.models import Cycle, Stage
from award.cycles.services import advance_cycle, cycle_rubric
from award.cycles.settings import MAX_LEVELS, AwardLevel, AwardLevels, AwardSettings, EligibilitySettings, bare_bodies
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.inputs import check_name
from award.notice.services import award_problems, notice_of
from award.ranking.models import RankingSnapshot, ShortlistEntry
from award.ranking.services import frozen_levels


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can confirm or revoke awards."))


# --- award levels ------------------------------------------------------------------------------------

LEVELS_LOCKED = (Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED)


def _checked_levels(cycle: Cycle, levels: AwardLevels) -> AwardLevels:
    """The levels trimmed, or an Invalid: names unique and printable, quotas from 1, cut-offs within the
    rubric's points and not rising from one level to the next, texts naming their city."""
    if len(levels.levels) > MAX_LEVELS:
        raise Invalid(_("A cycle has at most %(count)s award levels.", count=MAX_LEVELS), code="too_many_levels")
    # Totals are on the cycle's rubric scale (a weighted procedure brings every round to it): a cut-off
    # above the rubric's total is a level nobody can reach.
    top = Decimal(str(cycle_rubric(cycle).total))
    cleaned = []
    for level in levels.levels:
        name = level.name.strip()
        if not name:
            raise Invalid(_("Give each award level its name."), code="level_name")
        check_name(name, field=_("The level's name"))
        check_name(level.certificate_title.strip(), field=_("The certificate title"))
        if len(name) > 100 or len(level.certificate_title.strip()) > 200 or len(level.notice_text) > 2000:
            raise Invalid(_("Keep a level's name under 100 characters, its certificate title under 200 and its "
                            "notice text under 2000."), code="level_too_long")
        if not 1 <= level.quota <= 100:
            raise Invalid(_("The quota of “%(name)s” must be between 1 and 100.", name=name), code="level_quota")
        if not Decimal(0) <= level.cutoff <= top:
            raise Invalid(_("The cut-off of “%(name)s” must be between 0 and %(total)s, the rubric's total.",
                            name=name, total=top), code="level_cutoff")
        bare = bare_bodies(level.notice_text)
        if bare:
            raise Invalid(_("The text of “%(name)s” names “%(body)s” without the city: write the city's name in "
                            "front of it.", name=name, body=bare[0]), code="bare_body")
        cleaned.append(AwardLevel(name=name, quota=level.quota, cutoff=level.cutoff.quantize(Decimal("0.01")),
                                  certificate_title=level.certificate_title.strip(),
                                  notice_text=level.notice_text.strip()))
    names = [level.name for level in cleaned]
    if len(set(names)) != len(names):
        raise Invalid(_("Two award levels have the same name."), code="level_names_repeat")
    if any(later.cutoff > earlier.cutoff for earlier, later in zip(cleaned, cleaned[1:], strict=False)):
        raise Invalid(_("A lower award level cannot have a higher cut-off than the level above it."),
                      code="level_cutoffs_rise")
    return AwardLevels(tuple(cleaned))


def update_levels(session: Session, *, actor: User | None, cycle: Cycle, levels: AwardLevels) -> Cycle:
    """Set the cycle's award levels (none: one level, the cycle's quota and cut-off) until the shortlist is
    submitted to the vote; each frozen shortlist keeps the levels it was divided by."""
    _require_office(actor)
    if cycle.stage in LEVELS_LOCKED:
        raise Conflict(_("The award levels are fixed once the shortlist has been submitted."), code="levels_locked")
    levels = _checked_levels(cycle, levels)
    before = AwardLevels.of(cycle.award_settings).as_list()
    cycle.award_settings = levels.stored_in(cycle.award_settings)
    session.flush()
    record(session, actor=actor, action="award.levels_updated", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before={"levels": before}, after={"levels": levels.as_list()})
    return cycle


def years_after(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    return years_before(day, -years)


def awards_of_cycle(session: Session, cycle: Cycle) -> list[Award]:
    return list(session.scalars(select(Award).where(Award.cycle_id == cycle.id).order_by(Award.id)))


def _fresh_number(session: Session, year: int) -> str:
    # 40 random bits per number: a clash is near impossible, but the unique column would refuse it.
    while True:
        number = new_certificate_number(year)
        if session.scalar(select(Award.id).where(Award.certificate_number == number)) is None:
            return number


def confirm_awards(session: Session, *, actor: User | None, cycle: Cycle, zone: ZoneInfo,
                   now: dt.datetime | None = None) -> list[Award]:
    """After the period, with every objection decided: award everyone still on the notice; cycle → awarded.

    Each award gets a certificate number and holds the title for the cycle's configured years.
    Applicants hear whether they were awarded.
    """
    _require_office(actor)
    now = now or utcnow()
    if cycle.stage is not Stage.NOTICE:
        raise Conflict(_("The final list is confirmed at the end of the public notice."), code="wrong_stage")
    problems = award_problems(session, cycle, now, zone)
    if problems:
        raise Conflict(" ".join(problems), code="notice_not_over")
    notice = notice_of(session, cycle)
    assert notice is not None
    settings = AwardSettings.from_dict(cycle.award_settings)
    awarded_on = now.astimezone(zone).date()
    valid_until = years_after(awarded_on, settings.title_years) - dt.timedelta(days=1)
    levels = frozen_levels(session, cycle)
    awards = []
    for candidate in notice.listed:
        application = session.get(Application, candidate.application_id)
        assert application is not None
        level = levels.level(candidate.level)
        award = Award(cycle_id=cycle.id, application_id=application.id, organization_id=application.organization_id,
                      organization_name=candidate.organization_name,
                      title=level.name if level is not None else notice.award_title,
                      awarded_on=awarded_on, valid_until=valid_until, status=AwardStatus.VALID,
                      certificate_number=_fresh_number(session, cycle.year),
                      level=candidate.level if level is not None else None)
        session.add(award)
        awards.append(award)
    notice.confirmed_at = now
    notice.confirmed_by_id = actor.id if actor else None
    session.flush()
    for award in awards:
        record(session, actor=actor, action="award.granted", target_type="award", target_id=award.id,
               cycle_id=cycle.id,
               after={"application": award.application_id, "organization": award.organization_id,
                      "title": award.title, "valid_until": award.valid_until.isoformat(),
                      **({"level": award.level} if award.level is not None else {}),
                      "certificate_number": award.certificate_number})
    record(session, actor=actor, action="notice.final_list_confirmed", target_type="public_notice",
           target_id=notice.id, cycle_id=cycle.id, after={"awarded": [a.application_id for a in awards]})
    advance_cycle(session, actor=actor, cycle=cycle, target=Stage.AWARDED, now=now)
    anchor = chain_anchor(session)  # printed on the award decision
    notice.confirmed_anchor_seq, notice.confirmed_anchor_hash = anchor.seq, anchor.hash
    session.flush()
    _tell_applicants(session, cycle, {a.application_id for a in awards}, now)
    return awards


def _tell_applicants(session: Session, cycle: Cycle, awarded: set[int], now: dt.datetime) -> None:
    """Every application in the frozen ranking hears the result (the latest snapshot's entries)."""
    latest = select(RankingSnapshot.id).where(RankingSnapshot.cycle_id == cycle.id) \
        .order_by(RankingSnapshot.version.desc()).limit(1).scalar_subquery()
    ranked = set(session.scalars(select(ShortlistEntry.application_id).where(ShortlistEntry.snapshot_id == latest)))
    for application in session.scalars(select(Application).where(Application.id.in_(ranked | awarded))
                                       .order_by(Application.id)):
        application_result(session, application=application, awarded=application.id in awarded, now=now)


def revoke_award(session: Session, *, actor: User | None, award: Award, reason: str, zone: ZoneInfo,
                 now: dt.datetime | None = None) -> Award:
    """Revoke for fraud or a major accident: the title ends and the re-application ban starts today."""
    _require_office(actor)
    now = now or utcnow()
    if award.status is AwardStatus.REVOKED:
        raise Conflict(_("This award is already revoked."), code="revoked")
    if not reason.strip():
        raise Invalid(_("Give the reason for the revocation."), code="no_reason")
    today = now.astimezone(zone).date()
    ban_years = EligibilitySettings.from_dict(award.cycle.eligibility).revocation_ban_years
    before = {"status": award.status.value}
    award.status = AwardStatus.REVOKED
    award.revoked_on = today
    award.revoke_reason = reason.strip()
    award.revoked_by_id = actor.id if actor else None
    award.ban_until = years_after(today, ban_years)
    session.flush()
    record(session, actor=actor, action="award.revoked", target_type="award", target_id=award.id,
           cycle_id=award.cycle_id, before=before,
           after={"status": award.status.value, "revoked_on": today.isoformat(), "reason": award.revoke_reason,
                  "ban_until": award.ban_until.isoformat(), "certificate_number": award.certificate_number})
    return award


# --- reading, for other areas ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AwardRecord:
    """One award of an organization, as screening and the public check need it."""

    cycle_year: int
    title: str
    awarded_on: dt.date
    valid_until: dt.date
    status: AwardStatus
    revoked_on: dt.date | None
    ban_until: dt.date | None
    certificate_number: str


def award_history(session: Session, credit_code: str) -> list[AwardRecord]:
    """Every award of the organization with this credit code, oldest first (revoked ones included)."""
    rows = session.execute(
        select(Award, Cycle.year).join(Cycle, Cycle.id == Award.cycle_id)
        .join(Organization, Organization.id == Award.organization_id)
        .where(Organization.credit_code == credit_code.strip().upper()).order_by(Award.awarded_on, Award.id)
    )
    return [AwardRecord(cycle_year=year, title=award.title, awarded_on=award.awarded_on,
                        valid_until=award.valid_until, status=award.status, revoked_on=award.revoked_on,
                        ban_until=award.ban_until, certificate_number=award.certificate_number)
            for award, year in rows]


def past_awards(session: Session, organization_id: int) -> list[PastAward]:
    """The applications' screening provider: earlier awards and revocations of an organization."""
    rows = session.execute(select(Cycle.year, Award.revoked_on, Award.ban_until)
                           .join(Cycle, Cycle.id == Award.cycle_id)
                           .where(Award.organization_id == organization_id).order_by(Award.id))
    return [PastAward(cycle_year=year, revoked_on=revoked_on, ban_until=ban_until)
            for year, revoked_on, ban_until in rows]


def award_by_certificate_number(session: Session, text: str) -> Award | None:
    """The award behind a typed certificate number (None if malformed or never issued)."""
    number = normalize_certificate_number(text)
    if number is None:
        return None
    return session.scalars(select(Award).where(Award.certificate_number == number)).first()


# Screening reads the history through this hook (applications.services.award_history_provider).
application_services.award_history_provider[0] = past_awards
