"""Screening: automatic findings, the office's confirmation or override, and the outcome."""

from __future__ import annotations

import datetime as dt

import pytest

from award.applications import eligibility, services
from award.applications.blacklist import import_blacklist
from award.applications.models import ApplicationStatus as S
from award.applications.models import RuleOutcome as R
from award.applications.services import Decision
from award.cycles.models import Stage
from award.errors import DomainError, NotAllowed

from .conftest import ZONE


def confirm_all(findings, **overrides) -> dict[str, Decision]:
    decisions = {f.rule: Decision(R.PASS if f.outcome is R.REVIEW else f.outcome) for f in findings}
    decisions.update(overrides)
    return decisions


@pytest.fixture
def submitted(db, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    open_cycle.stage = Stage.SCREENING
    db.commit()
    return application


def test_confirmed_findings_make_it_eligible(db, submitted, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    services.screen_application(db, actor=office, application=submitted, decisions=confirm_all(findings), zone=ZONE)
    assert submitted.status is S.ELIGIBLE
    assert {r.rule for r in submitted.screening} == set(eligibility.RULES)
    assert services.unscreened_count(db, submitted.cycle_id) == 0


def test_blacklisted_applicant_fails_with_the_listing(db, submitted, office):
    code = submitted.organization.credit_code
    import_blacklist(db, actor=office, data=f"credit_code,source,listed_on\n{code},市场监管局,2025-01-02".encode())
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    assert {f.rule: f.outcome for f in findings}["not_blacklisted"] is R.FAIL
    services.screen_application(db, actor=office, application=submitted, decisions=confirm_all(findings), zone=ZONE)
    assert submitted.status is S.INELIGIBLE
    assert "市场监管局 (2025-01-02)" in submitted.events[-1].reason  # the enterprise reads why


def test_override_needs_a_reason(db, submitted, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    decisions = confirm_all(findings, years_in_operation=Decision(R.FAIL))
    with pytest.raises(DomainError, match="give a reason"):
        services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
    assert submitted.status is S.SUBMITTED and submitted.screening == []
    decisions["years_in_operation"] = Decision(R.FAIL, "营业执照显示 2023 年变更为新法人")
    services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
    assert submitted.status is S.INELIGIBLE
    assert "2023" in submitted.events[-1].reason


def test_every_rule_must_be_decided(db, submitted, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    decisions = confirm_all(findings)
    del decisions["registered_in_city"]
    with pytest.raises(DomainError, match="Decide"):
        services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)


def test_award_history_is_a_parameter_not_a_mock(db, submitted, office):
    history = [eligibility.PastAward(cycle_year=submitted.cycle.year - 1)]
    findings = services.automatic_findings(db, submitted, zone=ZONE, history=history)
    assert {f.rule: f.outcome for f in findings}["award_cooldown"] is R.FAIL
    assert services.award_history(db, submitted.organization_id) == []


def test_screening_can_be_revised_during_screening(db, submitted, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    services.screen_application(db, actor=office, application=submitted, decisions=confirm_all(findings), zone=ZONE)
    decisions = confirm_all(findings, no_penalty=Decision(R.FAIL, "2026 年受到行政处罚"))
    services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
    assert submitted.status is S.INELIGIBLE
    assert len(submitted.screening) == len(eligibility.RULES)


def test_only_the_office_screens_and_only_in_screening(db, submitted, enterprise, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    with pytest.raises(NotAllowed):
        services.screen_application(db, actor=enterprise, application=submitted, decisions=confirm_all(findings),
                                    zone=ZONE)
    submitted.cycle.stage = Stage.APPLICATION
    with pytest.raises(DomainError, match="eligibility screening"):
        services.screen_application(db, actor=office, application=submitted, decisions=confirm_all(findings),
                                    zone=ZONE)
    assert submitted.status is S.SUBMITTED


def test_reference_date_is_the_local_application_deadline(submitted):
    deadline = submitted.cycle.deadline(Stage.APPLICATION)
    assert services.reference_date(submitted.cycle, ZONE) == deadline.astimezone(ZONE).date()
    assert isinstance(services.reference_date(submitted.cycle, ZONE), dt.date)
