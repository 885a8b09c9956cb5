"""Life after the award: follow-up reports and their reminders, the public list of holders, screening
after a revocation, and re-assessment that renews a title or lets it lapse."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from award.applications import eligibility
from award.applications.evidence import EvidenceStore
from award.applications.models import Application, ApplicationStatus, RuleOutcome
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.awards import after, reassessment, services
from award.awards.models import Award, AwardStatus, FollowUpReport, Reassessment, ReassessmentOutcome
from award.awards.numbers import new_certificate_number
from award.certificates.services import CheckStatus, check_certificate
from award.cycles.models import CycleKind, Stage
from award.cycles.settings import EligibilitySettings
from award.errors import DomainError, NotAllowed
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.reminders import run_reminders
from tests.approval.access_world import applications_of
from tests.calls.files import pdf_bytes

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=ZONE)


@pytest.fixture
def holder(db, make_cycle, make_organization, make_user):
    """The enterprise's award of 2024 (valid until 2028-01-14) and its enterprise account; the office."""
    cycle = make_cycle(stage=Stage.AWARDED, year=2024)
    application = applications_of(db, cycle, make_organization, 1)[0]
    enterprise = make_user(Role.ENTERPRISE)
    enterprise.organization_id = application.organization_id
    award = Award(cycle_id=cycle.id, application_id=application.id, organization_id=application.organization_id,
                  organization_name=application.org_name, title="市长质量奖", awarded_on=dt.date(2024, 1, 15),
                  valid_until=dt.date(2028, 1, 14), certificate_number=new_certificate_number(2024))
    db.add(award)
    db.flush()
    return award, enterprise, make_user(Role.OFFICE)


def report(year: int = 2024, **kwargs) -> after.ReportInput:
    values = {"year": year, "experience": "在全市质量大会上分享卓越绩效经验",
              "improvements": "一次交验合格率由98.1%提高到99.3%"}
    return after.ReportInput(**{**values, **kwargs})


# --- follow-up reports -------------------------------------------------------------------------


def test_the_holder_sends_a_report_with_its_file_and_it_is_audited(db, holder, tmp_path):
    award, enterprise, _office = holder
    store = EvidenceStore(tmp_path)
    row = after.submit_report(db, actor=enterprise, award=award, store=store, zone=ZONE, now=at(dt.date(2025, 2, 1)),
                              report=report(data=pdf_bytes(), filename="2024年度跟踪报告.pdf"))
    assert (row.year, row.content_type, row.display_name) == (2024, "application/pdf", "2024年度跟踪报告.pdf")
    assert store.read_checked(row.sha256) == pdf_bytes()
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "award.follow_up_submitted")).one()
    assert audit.after["year"] == 2024 and audit.after["file_sha256"] == row.sha256
    _report, data = after.report_file(db, actor=enterprise, report=row, store=store)
    assert data == pdf_bytes()


@pytest.mark.parametrize(("case", "message"), [
    ("twice", "already sent"),
    ("a year before the award", "Choose a year"),
    ("a year not yet come", "Choose a year"),
    ("a text left empty", "Write both"),
    ("a NUL in the text", "."),
    ("a file of the wrong type", "Only PDF, JPEG and PNG"),
    ("a file too large", "larger than"),
])
def test_reports_that_break_a_rule_are_refused_and_nothing_is_written(db, holder, tmp_path, case, message):
    award, enterprise, _office = holder
    now = at(dt.date(2025, 2, 1))
    if case == "twice":
        after.submit_report(db, actor=enterprise, award=award, store=EvidenceStore(tmp_path), zone=ZONE, now=now,
                            report=report())
    sent = {
        "twice": report(), "a year before the award": report(2023), "a year not yet come": report(2026),
        "a text left empty": report(improvements="  "), "a NUL in the text": report(experience="经验\x00"),
        "a file of the wrong type": report(data=b"MZ\x90\x00" * 10, filename="报告.pdf"),
        "a file too large": report(data=pdf_bytes() + b" " * 2048, filename="报告.pdf"),
    }[case]
    count = db.scalar(select(func.count()).select_from(FollowUpReport))
    with pytest.raises(DomainError, match=message):
        after.submit_report(db, actor=enterprise, award=award, store=EvidenceStore(tmp_path / "x"), zone=ZONE,
                            now=now, report=sent, max_file_bytes=2048)
    assert db.scalar(select(func.count()).select_from(FollowUpReport)) == count
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").rglob("*"))


def test_a_revoked_award_takes_no_report(db, holder, tmp_path):
    award, enterprise, office = holder
    services.revoke_award(db, actor=office, award=award, reason="材料造假", zone=ZONE, now=at(dt.date(2025, 1, 5)))
    with pytest.raises(DomainError, match="revoked"):
        after.submit_report(db, actor=enterprise, award=award, store=EvidenceStore(tmp_path), zone=ZONE,
                            now=at(dt.date(2025, 2, 1)), report=report())


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SUPERVISOR, Role.EXPERT, Role.LEADER, Role.ENTERPRISE])
def test_only_the_holder_writes_and_only_the_holder_office_and_supervisor_read(db, holder, tmp_path, make_user,
                                                                                role):
    award, enterprise, _office = holder
    other = make_user(role)  # an enterprise of another organization, or a role that never writes
    with pytest.raises(NotAllowed):
        after.submit_report(db, actor=other, award=award, store=EvidenceStore(tmp_path), zone=ZONE,
                            now=at(dt.date(2025, 2, 1)), report=report())
    row = after.submit_report(db, actor=enterprise, award=award, store=EvidenceStore(tmp_path), zone=ZONE,
                              now=at(dt.date(2025, 2, 1)), report=report(data=pdf_bytes(), filename="r.pdf"))
    if role in (Role.OFFICE, Role.SUPERVISOR):
        assert after.report_file(db, actor=other, report=row, store=EvidenceStore(tmp_path))[1] == pdf_bytes()
    else:
        with pytest.raises(NotAllowed):
            after.report_file(db, actor=other, report=row, store=EvidenceStore(tmp_path))


@pytest.mark.parametrize(("today", "window"), [
    (dt.date(2025, 2, 28), None),  # 31 days before 31 March
    (dt.date(2025, 3, 1), "30d"),
    (dt.date(2025, 3, 24), "7d"),
    (dt.date(2025, 3, 31), "7d"),
    (dt.date(2025, 4, 1), None),  # past: the dashboard task remains
])
def test_reminder_windows_before_the_due_day(today, window):
    assert after.reminder_window(after.due_date(2024), today) == window


def test_the_holder_is_reminded_once_per_window_until_it_reports(db, holder, tmp_path):
    award, enterprise, _office = holder
    now = at(dt.date(2025, 3, 2))

    def reminders() -> int:
        return db.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == Kind.FOLLOW_UP_DUE.value, Notification.user_id == enterprise.id))

    run_reminders(db, now=now, sources=[after.follow_up_due])
    run_reminders(db, now=now, sources=[after.follow_up_due])
    assert reminders() == 1
    after.submit_report(db, actor=enterprise, award=award, store=EvidenceStore(tmp_path), zone=ZONE, now=now,
                        report=report())
    run_reminders(db, now=at(dt.date(2025, 3, 25)), sources=[after.follow_up_due])
    assert reminders() == 1


# --- the public list of holders ------------------------------------------------------------------


def test_the_list_shows_current_holders_only_and_filters_by_year_and_title(db, holder, make_cycle,
                                                                          make_organization):
    award, _enterprise, office = holder
    later = make_cycle(stage=Stage.AWARDED, year=2025)
    nominee, revoked, expired = applications_of(db, later, make_organization, 3)
    for application, title, until in ((nominee, "市长质量奖提名奖", dt.date(2029, 1, 1)),
                                      (revoked, "市长质量奖", dt.date(2029, 1, 1)),
                                      (expired, "市长质量奖", dt.date(2025, 6, 30))):
        db.add(Award(cycle_id=later.id, application_id=application.id, organization_id=application.organization_id,
                     organization_name=application.org_name, title=title, awarded_on=dt.date(2025, 1, 15),
                     valid_until=until, certificate_number=new_certificate_number(2025)))
    db.flush()
    gone = db.scalars(select(Award).where(Award.application_id == revoked.id)).one()
    services.revoke_award(db, actor=office, award=gone, reason="重大质量事故", zone=ZONE, now=at(dt.date(2025, 3, 1)))
    today = dt.date(2025, 9, 1)
    names = lambda **kw: [h.organization_name for h in after.current_holders(db, today=today, **kw)]  # noqa: E731
    assert names() == [nominee.org_name, award.organization_name]
    assert names(year=2024) == [award.organization_name]
    assert names(title="市长质量奖提名奖") == [nominee.org_name]
    assert after.holder_filters(db, today=today) == ([2025, 2024], ["市长质量奖", "市长质量奖提名奖"])


def test_the_public_page_filters_and_refuses_bad_years_in_chinese(client, db, holder):
    award, _enterprise, _office = holder
    page = client.get("/awards/holders")
    assert page.status_code == 200 and award.organization_name in page.get_data(as_text=True)
    assert award.certificate_number not in page.get_data(as_text=True)  # the list is not a list of numbers
    for year in ("１２３４", "-1", "1e3", "2024\x00", "9" * 40):
        answer = client.get("/awards/holders", query_string={"year": year})
        assert answer.status_code == 400, year
    assert client.get("/awards/holders", query_string={"title": "\u202e<script>"}).status_code == 200


# --- screening ---------------------------------------------------------------------------------------


def test_the_ban_fixed_at_a_revocation_holds_under_a_later_shorter_rule():
    history = [eligibility.PastAward(cycle_year=2022, revoked_on=dt.date(2023, 5, 1), ban_until=dt.date(2026, 5, 1))]
    one_year = EligibilitySettings(revocation_ban_years=1)
    result = eligibility.check_revocation_ban(history, one_year, dt.date(2025, 3, 1))
    assert result.outcome is RuleOutcome.FAIL
    assert "2026-05-01" in eligibility.describe(result.rule, result.outcome, result.fact)
    assert eligibility.check_revocation_ban(history, one_year, dt.date(2026, 5, 1)).outcome is RuleOutcome.PASS


def test_a_reassessment_is_not_held_back_by_the_cooldown():
    history = [eligibility.PastAward(cycle_year=2024)]
    settings = EligibilitySettings(award_cooldown_cycles=3)
    assert eligibility.check_award_cooldown(history, settings, 2027).outcome is RuleOutcome.FAIL
    passed = eligibility.check_award_cooldown(history, settings, 2027, reassessment=True)
    assert passed.outcome is RuleOutcome.PASS
    assert "does not apply" in eligibility.describe(passed.rule, passed.outcome, passed.fact)


# --- re-assessment -------------------------------------------------------------------------------------


def open_for(db, award, office, today=dt.date(2027, 3, 1)):
    return reassessment.open_reassessment(db, actor=office, today=today, plan=reassessment.ReassessmentPlan(
        year=2027, title="2027年度市长质量奖复审", award_ids=[award.id]))


def test_holders_near_expiry_get_a_reassessment_cycle_with_a_draft_each(db, holder):
    award, _enterprise, office = holder
    assert reassessment.near_expiry(db, today=dt.date(2027, 3, 1)) == [award]
    cycle = open_for(db, award, office)
    assert cycle.kind is CycleKind.REASSESSMENT and cycle.stage is Stage.DRAFT
    (row,) = reassessment.reassessments_of(db, cycle)
    application = db.get(Application, row.application_id)
    assert application.status is ApplicationStatus.DRAFT and application.organization_id == award.organization_id
    assert application.org_name == award.application.org_name
    assert reassessment.near_expiry(db, today=dt.date(2027, 3, 1)) == []  # now being re-assessed
    with pytest.raises(DomainError, match="already being re-assessed"):
        open_for(db, award, office)
    assert db.scalar(select(AuditRecord.after).where(AuditRecord.action == "award.reassessment_opened"))[
        "application"] == application.id


REASSESSMENT_STAGES = [Stage.DRAFT, Stage.APPLICATION, Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW,
                       Stage.DELIBERATION, Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED]


def test_a_reassessment_cycle_runs_its_own_procedure_through_the_stage_machine(db, holder):
    from award.cycles.procedure import Step
    from award.cycles.services import advance_cycle
    from award.cycles.stages import procedure_of, stage_sequence, transitions_of

    award, _enterprise, office = holder
    plan = reassessment.ReassessmentPlan(
        year=2027, title="2027年度市长质量奖复审", award_ids=[award.id],
        application_deadline=dt.datetime(2099, 4, 1, 9, tzinfo=dt.UTC))
    cycle = reassessment.open_reassessment(db, actor=office, today=dt.date(2027, 3, 1), plan=plan)
    chosen = procedure_of(cycle)
    assert chosen.steps == (Step.SCREENING, Step.DOCUMENT_REVIEW, Step.ONSITE_REVIEW, Step.LEADING_GROUP,
                            Step.NOTICE, Step.AWARD)
    assert (chosen.combine, dict(chosen.weights)) == ("replace", {Step.DOCUMENT_REVIEW: 0, Step.ONSITE_REVIEW: 1})
    assert cycle.onsite_review and list(stage_sequence(cycle)) == REASSESSMENT_STAGES
    assert [(t.source, t.target) for t in transitions_of(chosen)] == list(
        zip(REASSESSMENT_STAGES, REASSESSMENT_STAGES[1:], strict=False))
    # The machine follows it: applications open (the procedure is frozen), a step it lacks is refused.
    advance_cycle(db, actor=office, cycle=cycle, target=Stage.APPLICATION)
    assert db.scalar(select(AuditRecord.after).where(AuditRecord.action == "cycle.procedure_frozen",
                                                     AuditRecord.cycle_id == cycle.id)) == chosen.as_dict()
    cycle.stage = Stage.DOCUMENT_REVIEW
    for lacking in (Stage.PRESENTATION, Stage.SOCIAL_EVALUATION, Stage.COMMITTEE):
        with pytest.raises(DomainError):
            advance_cycle(db, actor=office, cycle=cycle, target=lacking)
    cycle.stage = Stage.DELIBERATION
    with pytest.raises(DomainError):
        advance_cycle(db, actor=office, cycle=cycle, target=Stage.COMMITTEE)
    assert cycle.stage is Stage.DELIBERATION


@pytest.mark.parametrize("case", ["revoked", "expired", "none chosen", "unknown"])
def test_only_current_holders_are_reassessed(db, holder, case):
    award, _enterprise, office = holder
    ids = [award.id]
    today = dt.date(2027, 3, 1)
    if case == "revoked":
        services.revoke_award(db, actor=office, award=award, reason="材料造假", zone=ZONE, now=at(dt.date(2026, 1, 1)))
    elif case == "expired":
        today = dt.date(2028, 2, 1)
    elif case == "none chosen":
        ids = []
    else:
        ids = [award.id + 1000]
    cycles = db.scalar(select(func.count()).select_from(Reassessment))
    with pytest.raises(DomainError):
        reassessment.open_reassessment(db, actor=office, today=today, plan=reassessment.ReassessmentPlan(
            year=2027, title="复审", award_ids=ids))
    assert db.scalar(select(func.count()).select_from(Reassessment)) == cycles


def test_renewal_extends_the_title_and_the_public_check_shows_it(db, holder):
    award, _enterprise, office = holder
    (row,) = reassessment.reassessments_of(db, open_for(db, award, office))
    with pytest.raises(DomainError, match="review is over"):
        reassessment.decide_reassessment(db, actor=office, reassessment=row, outcome=ReassessmentOutcome.RENEWED,
                                         reason="复审合格", zone=ZONE)
    row.cycle.stage = Stage.DELIBERATION
    reassessment.decide_reassessment(db, actor=office, reassessment=row, outcome=ReassessmentOutcome.RENEWED,
                                     reason="复审合格", zone=ZONE)
    assert award.valid_until == row.renewed_until == dt.date(2032, 1, 14)  # 4 more years from 2028-01-15
    check = check_certificate(db, award.certificate_number, today=dt.date(2030, 1, 1))
    assert check is not None and check.status is CheckStatus.VALID and check.valid_until == dt.date(2032, 1, 14)
    with pytest.raises(DomainError, match="already decided"):
        reassessment.decide_reassessment(db, actor=office, reassessment=row, outcome=ReassessmentOutcome.LAPSED,
                                         reason="x", zone=ZONE)


def test_the_re_assessment_cycle_s_archive_keeps_each_outcome(db, holder):
    import json

    from award.archive.sections import ArchiveContext
    from award.archive.sections import awards as awards_section

    award, _enterprise, office = holder
    (row,) = reassessment.reassessments_of(db, open_for(db, award, office))
    row.cycle.stage = Stage.DELIBERATION
    reassessment.decide_reassessment(db, actor=office, reassessment=row, outcome=ReassessmentOutcome.RENEWED,
                                     reason="复审合格", zone=ZONE)
    files = dict(awards_section(ArchiveContext(session=db, cycle=row.cycle)))
    (kept,) = json.loads(files["reassessments.json"])
    assert (kept["award_id"], kept["outcome"], kept["reason"], kept["renewed_until"]) == (
        award.id, "renewed", "复审合格", "2032-01-14")
    assert kept["decided_by_id"] == office.id


def test_a_lapsed_title_ends_on_its_day_and_the_check_then_says_expired(db, holder):
    award, _enterprise, office = holder
    (row,) = reassessment.reassessments_of(db, open_for(db, award, office))
    row.cycle.stage = Stage.DELIBERATION
    reassessment.decide_reassessment(db, actor=office, reassessment=row, outcome=ReassessmentOutcome.LAPSED,
                                     reason="复审未达到要求", zone=ZONE)
    assert award.valid_until == dt.date(2028, 1, 14) and row.renewed_until is None
    check = check_certificate(db, award.certificate_number, today=dt.date(2028, 1, 15))
    assert check is not None and check.status is CheckStatus.EXPIRED
    assert award.status is AwardStatus.VALID  # not revoked: it simply ran out


@pytest.mark.parametrize(("outcome", "reason", "message"), [
    (ReassessmentOutcome.PENDING, "理由", "renewed or lapses"),
    (ReassessmentOutcome.RENEWED, "  ", "Give the reason"),
    (ReassessmentOutcome.RENEWED, "理由\x00", "."),
    (ReassessmentOutcome.RENEWED, "长" * 5001, "Give the reason"),
])
def test_a_decision_needs_an_outcome_and_a_reason(db, holder, outcome, reason, message):
    award, _enterprise, office = holder
    (row,) = reassessment.reassessments_of(db, open_for(db, award, office))
    row.cycle.stage = Stage.DELIBERATION
    with pytest.raises(DomainError, match=message):
        reassessment.decide_reassessment(db, actor=office, reassessment=row, outcome=outcome, reason=reason, zone=ZONE)
    assert row.outcome is ReassessmentOutcome.PENDING and award.valid_until == dt.date(2028, 1, 14)


def test_the_form_offers_the_years_still_open_and_starts_at_the_oldest_one_due(db, holder, client, login):
    """It offered every year with this one first: a holder taking the default sent a report on a year not over
    yet, while the report due stayed missing; a year already sent was offered again, then refused."""
    award, enterprise, _office = holder
    db.add(FollowUpReport(award_id=award.id, year=2024, experience="经验", improvements="改进",
                          submitted_at=at(dt.date(2025, 2, 1)), submitted_by_id=enterprise.id))
    db.commit()
    login(enterprise)
    page = client.get(f"/awards/{award.id}/follow-up").get_data(as_text=True)
    offered = re.findall(r'<option (?:selected )?value="(\d+)"', page)
    selected = re.findall(r'<option selected value="(\d+)"', page)
    assert "2024" not in offered and "2025" in offered
    assert selected == ["2025"]


def test_a_tampered_reassessment_post_without_holders_near_expiry_shows_why(client, login, make_user):
    login(make_user(Role.OFFICE))
    answer = client.post("/awards/reassessments/new", data={"year": "2027", "title": "复审", "award_ids": "999"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "not a valid choice" in page.lower() or "field-error" in page
