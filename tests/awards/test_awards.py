"""Confirming the final list, the title's validity, revocation with its ban, and the history screening reads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from award.applications import services as application_services
from award.applications.models import Application, ApplicationStatus, RuleOutcome
from award.audit.anchors import Anchor
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.awards import services
from award.awards.models import Award, AwardStatus
from award.cycles.models import Cycle, Stage
from award.cycles.services import advance_cycle
from award.cycles.settings import AwardSettings, EligibilitySettings
from award.db import utcnow
from award.errors import DomainError
from award.notice.models import Objection, ObjectionOutcome, PublicNotice
from tests.approval.access_world import decision_world

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(db, app, make_user, make_cycle, make_organization, tmp_path):
    users = {role.value: make_user(role) for role in Role}
    built = decision_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                           root=tmp_path / "objections")
    return {**built, "office": users["office"], "notice": db.get(PublicNotice, built["notice_id"]),
            "cycle": db.get(Cycle, built["notice_cycle_id"]), "objection": db.get(Objection, built["objection_id"])}


def end_period(db, notice):
    notice.published_at = utcnow() - dt.timedelta(days=10)
    notice.ends_at = utcnow() - dt.timedelta(minutes=1)
    db.flush()


@pytest.mark.parametrize(("period_over", "decided", "expected"), [
    (False, True, "The public notice runs until"),
    (True, False, "1 objection(s) still need an outcome"),
    (False, False, "The public notice runs until"),
])
def test_confirmation_waits_for_the_period_and_every_outcome(db, world, period_over, decided, expected):
    if period_over:
        end_period(db, world["notice"])
    if decided:
        world["objection"].outcome = ObjectionOutcome.DISMISSED
        world["objection"].outcome_reason, world["objection"].decided_at = "无事实依据", utcnow()
    with pytest.raises(DomainError) as refused:
        services.confirm_awards(db, actor=world["office"], cycle=world["cycle"], zone=ZONE)
    assert expected in refused.value.message


def test_the_generic_stage_button_cannot_skip_the_confirmation(db, world):
    end_period(db, world["notice"])
    world["objection"].outcome = ObjectionOutcome.DISMISSED
    world["objection"].outcome_reason, world["objection"].decided_at = "无事实依据", utcnow()
    with pytest.raises(DomainError, match="Confirm the final list"):
        advance_cycle(db, actor=world["office"], cycle=world["cycle"], target=Stage.AWARDED)


@pytest.mark.parametrize(("years", "awarded_on", "valid_until"), [
    (4, dt.date(2026, 12, 1), dt.date(2030, 11, 30)),
    (5, dt.date(2028, 2, 29), dt.date(2033, 2, 27)),  # from a leap day: the day before 28 February
])
def test_awards_hold_the_title_for_the_configured_years(db, world, years, awarded_on, valid_until):
    cycle, notice = world["cycle"], world["notice"]
    cycle.award_settings = AwardSettings(title_years=years).as_dict()
    world["objection"].outcome = ObjectionOutcome.DISMISSED
    world["objection"].outcome_reason, world["objection"].decided_at = "无事实依据", utcnow()
    now = dt.datetime.combine(awarded_on, dt.time(10), tzinfo=ZONE)
    notice.published_at, notice.ends_at = now - dt.timedelta(days=10), now - dt.timedelta(days=1)
    (award,) = services.confirm_awards(db, actor=world["office"], cycle=cycle, zone=ZONE, now=now)
    assert (award.awarded_on, award.valid_until) == (awarded_on, valid_until)
    assert cycle.stage is Stage.AWARDED and notice.confirmed_at == now
    assert award.is_valid_on(valid_until) and not award.is_valid_on(valid_until + dt.timedelta(days=1))
    # The award decision prints the chain's head as it stood right after the confirmation.
    last = db.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
    assert notice.confirmed_anchor == Anchor(last.seq, last.hash)


def test_revocation_starts_the_ban_and_screening_sees_it(db, world, make_cycle):
    award = db.get(Award, world["award_id"])
    revoked_at = dt.datetime(2027, 3, 15, 9, 0, tzinfo=ZONE)
    services.revoke_award(db, actor=world["office"], award=award, reason="申报材料造假", zone=ZONE, now=revoked_at)
    assert award.status is AwardStatus.REVOKED
    assert (award.revoked_on, award.ban_until) == (dt.date(2027, 3, 15), dt.date(2030, 3, 15))
    with pytest.raises(DomainError, match="already revoked"):
        services.revoke_award(db, actor=world["office"], award=award, reason="again", zone=ZONE, now=revoked_at)
    # The applications' screening reads the history through its provider hook.
    assert application_services.award_history_provider[0] is services.past_awards
    history = application_services.award_history(db, award.organization_id)
    assert [(h.cycle_year, h.revoked_on) for h in history] == [(award.cycle.year, dt.date(2027, 3, 15))]
    later = make_cycle(stage=Stage.SCREENING, year=2028, eligibility=EligibilitySettings())
    application = Application(cycle_id=later.id, organization_id=award.organization_id,
                              status=ApplicationStatus.SUBMITTED, org_name=award.organization_name)
    db.add(application)
    db.flush()
    findings = {r.rule: r.outcome for r in application_services.automatic_findings(db, application, zone=ZONE)}
    assert findings["revocation_ban"] is RuleOutcome.FAIL


def test_revocation_needs_a_reason(db, world):
    with pytest.raises(DomainError, match="reason"):
        services.revoke_award(db, actor=world["office"], award=db.get(Award, world["award_id"]), reason="  ",
                              zone=ZONE)


def test_award_history_by_credit_code_and_the_certificate_lookup(db, world):
    award = db.get(Award, world["award_id"])
    (entry,) = services.award_history(db, award.organization.credit_code.lower())
    assert entry.certificate_number == award.certificate_number and entry.status is AwardStatus.VALID
    typed = " " + award.certificate_number.lower().replace("-", " － ") + " "
    assert services.award_by_certificate_number(db, typed) is award
    assert services.award_by_certificate_number(db, "not a number") is None


def test_certificate_numbers_are_unique_in_the_database(db, world):
    award = db.get(Award, world["award_id"])
    clone = Award(cycle_id=award.cycle_id, application_id=db.scalar(
        select(Application.id).where(Application.id != award.application_id, Application.cycle_id == award.cycle_id)),
        organization_id=award.organization_id, organization_name="x", title="t", awarded_on=award.awarded_on,
        valid_until=award.valid_until, certificate_number=award.certificate_number)
    db.add(clone)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_a_revoked_award_without_a_reason_is_refused_by_the_database(db, world):
    award = db.get(Award, world["award_id"])
    award.status = AwardStatus.REVOKED
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
