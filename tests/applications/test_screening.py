"""Screening: automatic findings, the office's confirmation or override, and the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from award.applications import eligibility, services
from award.applications.blacklist import import_blacklist
from award.applications.models import ApplicationStatus as S
from award.applications.models import RuleOutcome as R
from award.applications.services import Decision
from award.audit.models import AuditRecord
from award.auth.models import Organization, Role
from award.credit_code import make_credit_code
from award.cycles.models import Stage
from award.errors import Conflict, DomainError, Invalid, NotAllowed

from .conftest import ZONE


def confirm_all(findings, **overrides) -> dict[str, Decision]:
    """Confirm every automatic finding; a rule left for a manual check passes with what was checked."""
    decisions = {f.rule: Decision(R.PASS, "营业执照登记机关为本市") if f.outcome is R.REVIEW else Decision(f.outcome)
                 for f in findings}
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


# ----------------------------------------------------------- decisions against the automatic check


def test_a_manual_check_rule_needs_a_written_reason_either_way(db, submitted, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    assert {f.rule: f.outcome for f in findings}["registered_in_city"] is R.REVIEW  # no city divisions set
    for outcome in (R.PASS, R.FAIL):
        decisions = confirm_all(findings, registered_in_city=Decision(outcome, "  "))
        with pytest.raises(Invalid, match="needs a manual check") as refused:
            services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
        assert refused.value.field == "registered_in_city_reason"
        assert submitted.status is S.SUBMITTED and submitted.screening == []


def test_passing_a_failed_rule_needs_a_reason_stored_and_audited(db, submitted, office):
    code = submitted.organization.credit_code
    import_blacklist(db, actor=office, data=f"credit_code,source,listed_on\n{code},市场监管局,2025-01-02".encode())
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    decisions = confirm_all(findings, not_blacklisted=Decision(R.PASS))
    with pytest.raises(Invalid, match="differs from the automatic check"):
        services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
    decisions["not_blacklisted"] = Decision(R.PASS, "已于2025年6月移出名单，见信用中国截图")
    services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
    assert submitted.status is S.ELIGIBLE
    stored = {r.rule: r for r in submitted.screening}["not_blacklisted"]
    assert (stored.automatic, stored.decision) == (R.FAIL, R.PASS) and "移出名单" in stored.reason
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "application.screening_recorded")).one()
    rule = entry.after["rules"]["not_blacklisted"]
    assert rule["against_automatic"] is True and "移出名单" in rule["reason"]
    assert entry.after["rules"]["no_penalty"]["against_automatic"] is False


def test_confirming_a_passed_or_failed_finding_needs_no_reason(db, submitted, office):
    findings = services.automatic_findings(db, submitted, zone=ZONE)
    decisions = confirm_all(findings, no_penalty=Decision(R.PASS))  # the check passed it too
    services.screen_application(db, actor=office, application=submitted, decisions=decisions, zone=ZONE)
    assert submitted.status is S.ELIGIBLE


def test_the_city_divisions_let_the_check_pass_registration_in_the_city(db, submitted):
    division = submitted.organization.credit_code[2:8]
    settings = eligibility.EligibilitySettings(city_divisions=f"4403, {division[:4]}")
    facts = eligibility.ApplicantFacts(credit_code=submitted.organization.credit_code)
    assert eligibility.check_registered_in_city(facts, settings).outcome is R.PASS
    elsewhere = eligibility.EligibilitySettings(city_divisions="4403")
    finding = eligibility.check_registered_in_city(facts, elsewhere)
    assert finding.outcome is R.REVIEW
    assert "4403" in eligibility.describe(finding.rule, finding.outcome, finding.fact)


# ------------------------------------------------------------------------------ bulk screening


def test_bulk_screening_passes_only_applications_clear_on_every_rule(db, make_submitted, open_cycle, make_user,
                                                                     office):
    clear = make_submitted(open_cycle, make_user(Role.ENTERPRISE))
    division = clear.organization.credit_code[2:8]
    open_cycle.eligibility = {**open_cycle.eligibility, "city_divisions": division}
    penalized = make_submitted(open_cycle, make_user(Role.ENTERPRISE),
                               last_penalty_on=dt.date.today() - dt.timedelta(days=9))
    elsewhere = make_submitted(open_cycle, make_user(Role.ENTERPRISE, organization=_organization(db, "110101")))
    open_cycle.stage = Stage.SCREENING
    db.commit()
    outcome = services.screen_clear_applications(db, actor=office, cycle=open_cycle, zone=ZONE)
    left = {item.application.id: item.reasons for item in outcome.left}
    assert [a.id for a in outcome.passed] == [clear.id]
    assert set(left) == {penalized.id, elsewhere.id}
    assert any("No administrative penalty: Fail" in why for why in left[penalized.id])
    assert any("registered in the city: Needs review" in why for why in left[elsewhere.id])
    assert clear.status is S.ELIGIBLE
    assert penalized.status is S.SUBMITTED and elsewhere.status is S.SUBMITTED
    assert penalized.screening == [] and elsewhere.screening == []
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "application.bulk_screening")).one()
    assert entry.after["passed"] == [clear.id] and set(entry.after["left"]) == {str(penalized.id), str(elsewhere.id)}


def test_bulk_screening_is_the_office_s_and_only_in_screening(db, submitted, enterprise, office):
    with pytest.raises(NotAllowed):
        services.screen_clear_applications(db, actor=enterprise, cycle=submitted.cycle, zone=ZONE)
    submitted.cycle.stage = Stage.APPLICATION
    with pytest.raises(Conflict):
        services.screen_clear_applications(db, actor=office, cycle=submitted.cycle, zone=ZONE)


def _organization(db, division: str) -> Organization:
    organization = Organization(credit_code=make_credit_code("91" + division + "123456789"),
                                name="外地注册有限公司")
    db.add(organization)
    db.flush()
    return organization
