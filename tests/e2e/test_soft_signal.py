"""In a real browser: a panel holds an expert whose address is the applicant's (a soft 回避 signal, 需关注).
The office sees the mark on the panel and in the conflict matrix, is refused without a reason, and opens
scoring with one; the acknowledgement is in the audit trail."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus
from award.audit.models import AuditRecord
from award.auth.models import Organization, Role
from award.auth.services import create_staff_user
from award.cycles.models import Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings
from award.db import utcnow
from award.pool.models import ExpertProfile
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import AssignmentSource, ReviewRound, RoundKind, RoundStatus
from tests.conftest import fresh_credit_code
from tests.e2e import pages

pytestmark = pytest.mark.e2e
PASSWORD = "soft-password-1"
ADDRESS = "苏州市吴中区越溪街道塔韵路178号"


def _set_up(session) -> tuple[int, int, str]:
    rng = random.Random(19)
    office = create_staff_user(session, actor=None, role=Role.OFFICE, email="office-soft@e2e.gov.cn",
                               full_name="林主任", password=PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
    now = utcnow()
    cycle = create_cycle(session, actor=office, rubric_key="gbt19580-2012", settings=CycleSettings(
        year=now.year, title="市长质量奖 需关注", awards_count=3, cutoff_score=Decimal("600"),
        experts_per_application=5, onsite_review=False, deadlines={}, eligibility=EligibilitySettings()))
    cycle.stage = Stage.SCREENING
    applicant = Organization(credit_code=fresh_credit_code(rng), name="苏州恒润精密机械有限公司")
    session.add(applicant)
    session.flush()
    session.add(Application(cycle_id=cycle.id, organization_id=applicant.id, org_name=applicant.name,
                            status=ApplicationStatus.ELIGIBLE, sector="C", address=ADDRESS))
    for number in range(1, 6):  # five experts for five seats: the one at the same address must sit
        expert = create_staff_user(session, actor=office, role=Role.EXPERT, email=f"soft{number}@e2e.gov.cn",
                                   full_name=f"专家{number}", password=PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
        employer = Organization(credit_code=fresh_credit_code(rng), name=f"苏州质量研究院第{number}所")
        session.add(employer)
        session.flush()
        session.add(ExpertProfile(user_id=expert.id, title="高级工程师", organization_code=employer.credit_code,
                                  organization_name=employer.name, sectors=["C"], in_pool=True,
                                  address=ADDRESS if number == 1 else f"南京市鼓楼区汉口路{number}号"))
    session.flush()
    review_round = rounds.create_round(session, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT,
                                       settings=rounds.RoundSettings(
                                           method=rounds.AggregationMethod.TRIMMED_MEAN, deadline=None,
                                           experts_per_application=5, required_sheets=5))
    panels.run_assignment(session, actor=office, review_round=review_round, mode=AssignmentSource.OPTIMAL)
    cycle.stage = Stage.DOCUMENT_REVIEW
    session.commit()
    return cycle.id, review_round.id, office.email


def test_the_office_acknowledges_a_soft_signal_before_scoring_opens(live_app, new_page, screenshot):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            cycle_id, round_id, office_email = _set_up(session)
        finally:
            session.close()

    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    pages.sign_in(page, office_email, PASSWORD)
    page.wait_for_url("**/dashboard")

    page.goto(f"/pool/cycles/{cycle_id}/conflicts")
    assert page.locator("td.soft-signal").count() == 1
    screenshot(page, "office-conflict-matrix-soft")

    page.goto(f"/review/rounds/{round_id}")
    assert page.locator("mark.soft-mark").count() >= 2  # the notice above, the seat on the panel
    assert "需关注" in page.content()
    screenshot(page, "office-panel-soft-signal")
    page.click("#open-round [type=submit]")  # no reason: refused, the page says why
    assert "需关注" in page.content() and "说明理由" in page.content()
    page.fill("#open-round textarea[name=acknowledgement]", "地址相同系同一园区写字楼，已电话核实无利害关系")
    page.click("#open-round [type=submit]")
    page.wait_for_url(f"**/review/rounds/{round_id}")

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            assert session.get(ReviewRound, round_id).status is RoundStatus.OPEN
            audit = session.scalar(select(AuditRecord).where(
                AuditRecord.action == "review.soft_signals_acknowledged"))
            assert audit.after["reason"] == "地址相同系同一园区写字楼，已电话核实无利害关系"
        finally:
            session.close()
