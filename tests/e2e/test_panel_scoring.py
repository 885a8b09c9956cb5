"""In a real browser, on each rubric: five experts sign the pledge and score one application, the
team leader proposes the consensus, the members confirm it, and the office sees the panel complete.

The set-up (accounts, pool, an eligible application, the drawn panel, the open round) goes through
the services, as the office's earlier steps would have; everything the experts do is clicked."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus
from award.auth.models import Organization, Role, User
from award.auth.services import create_staff_user
from award.cycles.models import Cycle, Stage
from award.cycles.services import CycleSettings, create_cycle, cycle_rubric
from award.cycles.settings import EligibilitySettings
from award.db import utcnow
from award.pool.models import ExpertProfile
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus, RoundKind
from award.scoring.models import ConsensusConfirmation, ConsensusScore, ScoreSheet, SheetStatus
from tests.conftest import fresh_credit_code
from tests.e2e import pages
from tests.e2e.pages import score_the_sheet, score_the_sheet_at_once

pytestmark = pytest.mark.e2e
PASSWORD = "panel-password-1"
PERCENTS = [40, 50, 50, 55, 60]


@dataclass(frozen=True)
class Panel:
    cycle_id: int
    round_id: int
    application_id: int
    office_email: str
    seats: list[tuple[int, str, bool]]  # assignment id, expert e-mail, is leader
    rubric_key: str


def _set_up_open_round(session, story: str) -> Panel:
    """`story` is a rubric key, optionally with ":name" so that two tests on one rubric have their own accounts."""
    rng = random.Random(story)
    rubric_key = story.split(":")[0]
    tag = story.replace("-", "").replace(":", "")
    office = create_staff_user(session, actor=None, role=Role.OFFICE, email=f"office-{tag}@e2e.gov.cn",
                               full_name="林主任", password=PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
    now = utcnow()
    cycle = create_cycle(session, actor=office, rubric_key=rubric_key, settings=CycleSettings(
        year=now.year, title=f"市长质量奖 {story}", awards_count=3,
        cutoff_score=Decimal("60") if rubric_key == "city-100" else Decimal("600"),
        experts_per_application=5, onsite_review=False,
        deadlines={Stage.APPLICATION: now + dt.timedelta(days=30)}, eligibility=EligibilitySettings()))
    cycle.stage = Stage.SCREENING  # the application and screening stages are other tests' business
    applicant = Organization(credit_code=fresh_credit_code(rng), name="苏州恒润精密机械有限公司")
    session.add(applicant)
    session.flush()
    application = Application(cycle_id=cycle.id, organization_id=applicant.id, org_name=applicant.name,
                              status=ApplicationStatus.ELIGIBLE, sector="C",
                              self_assessment={i.id: f"{i.id} 我们的做法" for i in cycle_rubric(cycle).items})
    session.add(application)
    for number in range(1, 6):
        expert = create_staff_user(session, actor=office, role=Role.EXPERT,
                                   email=f"expert{number}-{tag}@e2e.gov.cn", full_name=f"专家{number}",
                                   password=PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
        employer = Organization(credit_code=fresh_credit_code(rng), name=f"苏州质量研究院第{number}所")
        session.add(employer)
        session.flush()
        session.add(ExpertProfile(user_id=expert.id, title="高级工程师", organization_code=employer.credit_code,
                                  organization_name=employer.name, sectors=["C"], in_pool=True))
    session.flush()
    review_round = rounds.create_round(session, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT,
                                       settings=rounds.RoundSettings(
                                           method=rounds.AggregationMethod.TRIMMED_MEAN, deadline=None,
                                           experts_per_application=5, required_sheets=5))
    panels.run_assignment(session, actor=office, review_round=review_round, mode=AssignmentSource.OPTIMAL)
    cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(session, actor=office, review_round=review_round)
    seats = session.execute(
        select(Assignment.id, User.email, Assignment.is_leader).join(User, Assignment.expert_id == User.id)
        .where(Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(User.email)).all()
    session.commit()
    return Panel(cycle.id, review_round.id, application.id, office.email,
                 [tuple(seat) for seat in seats], rubric_key)


@pytest.fixture(params=["gbt19580-2012", "city-100"])
def panel(request, live_app) -> Panel:
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            return _set_up_open_round(session, request.param)
        finally:
            session.close()


def sign_in(page, email: str) -> None:
    pages.sign_in(page, email, PASSWORD)
    page.wait_for_url("**/dashboard")


def test_five_experts_score_one_application_and_agree(panel, new_page, live_app, screenshot):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        rubric = cycle_rubric(session.get(Cycle, panel.cycle_id))
        session.close()

    for (assignment_id, email, _leader), percent in zip(panel.seats, PERCENTS, strict=True):
        page = new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, email)
        page.goto("/review/mine")
        page.click(f"a[href='/review/assignments/{assignment_id}/pledge']")
        page.check("input[name=agree]")
        page.click("form[action$='/pledge'] button[type=submit]")
        page.wait_for_url(f"**/review/assignments/{assignment_id}/sheet")
        assert "我们的做法" in page.content()  # the self-assessment opens only after the pledge
        if percent == PERCENTS[0]:  # the first sheet is clicked field by field
            score_the_sheet(page, rubric, percent)
        else:
            score_the_sheet_at_once(page, rubric, percent)
        if percent == PERCENTS[0]:
            screenshot(page, f"expert-sheet-{panel.rubric_key}")
        page.click("button[name=action][value=submit]")
        page.wait_for_url(lambda url: not url.endswith("/sheet"))
        page.context.close()

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        sheets = session.scalars(select(ScoreSheet).join(Assignment).where(
            Assignment.round_id == panel.round_id)).all()
        assert sorted(sheet.status for sheet in sheets) == [SheetStatus.SUBMITTED] * 5
        session.close()

    consensus = f"/review/rounds/{panel.round_id}/applications/{panel.application_id}/consensus"
    leader_email = next(email for _id, email, leader in panel.seats if leader)
    page = new_page()
    sign_in(page, leader_email)
    page.goto(consensus)
    assert "40, 50, 50, 55, 60" in page.content()
    for item in rubric.items:
        page.fill(f"input[name='percent-{item.id}']", "50")
    page.click("form[action$='/consensus'] button[type=submit]")
    page.wait_for_load_state()
    page.context.close()
    for _id, email, leader in panel.seats:
        if not leader:
            member = new_page()
            sign_in(member, email)
            member.goto(consensus)
            member.click("form[action$='/confirm'] button[type=submit]")
            member.wait_for_load_state()
            member.context.close()

    office = new_page()
    sign_in(office, panel.office_email)
    office.goto(f"/review/rounds/{panel.round_id}/progress")
    assert "应交 5 份评分表，已提交 5 份，缺 0 份。" in office.content()

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        agreed = session.scalars(select(ConsensusScore).where(ConsensusScore.round_id == panel.round_id)).all()
        assert sorted(score.item_id for score in agreed) == sorted(item.id for item in rubric.items)
        assert {score.percent for score in agreed} == {50}  # the median of 40, 50, 50, 55, 60
        confirmed = session.scalars(select(ConsensusConfirmation.expert_id).where(
            ConsensusConfirmation.round_id == panel.round_id)).all()
        assert len(set(confirmed)) == 5  # the four members, and the leader by proposing
        session.close()


@pytest.mark.parametrize("panel", ["city-100:race"], indirect=True)
def test_a_submit_clicked_while_a_draft_save_is_on_its_way_waits_for_it(panel, new_page, live_app):
    """The draft save is held in the network while the expert clicks submit. Sent at once, the submit
    would carry the version the save is about to replace and be refused as a conflict with the
    expert's own draft; the sheet's script sends it when the save has answered."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        rubric = cycle_rubric(session.get(Cycle, panel.cycle_id))
        session.close()
    assignment_id, email, _leader = panel.seats[0]
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, email)
    page.goto(f"/review/assignments/{assignment_id}/pledge")
    page.check("input[name=agree]")
    page.click("form[action$='/pledge'] button[type=submit]")
    page.wait_for_url(f"**/review/assignments/{assignment_id}/sheet")

    held_saves: list = []
    submits_before_the_save_answered: list = []
    save_answered = False

    def hold_submit_until_the_save_answered(route):
        if route.request.method == "POST" and not save_answered:
            submits_before_the_save_answered.append(route.request)
        route.continue_()

    page.route("**/autosave", lambda route: held_saves.append(route))
    page.route(f"**/assignments/{assignment_id}/sheet", hold_submit_until_the_save_answered)
    score_the_sheet_at_once(page, rubric, 60)
    page.wait_for_timeout(1500)  # past the 0.8 s the script waits after a change
    assert len(held_saves) == 1
    page.click("button[name=action][value=submit]", no_wait_after=True)
    page.wait_for_timeout(300)
    assert submits_before_the_save_answered == []
    with page.expect_response("**/autosave"):
        held_saves[0].continue_()
    save_answered = True
    page.wait_for_url(lambda url: not url.endswith("/sheet"))

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        sheet = session.scalars(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment_id)).one()
        assert sheet.status == SheetStatus.SUBMITTED
        session.close()
