"""A cycle with every stage of the procedure on, in a real browser, clicked by each role.

The office chooses the whole procedure on its page (screening, document review, the presentation round,
the on-site review, the social evaluation, the review committee's vote, the leading group's vote, the
notice, the award) with the weights of the scored rounds, and two award levels (市长质量奖 and
市长质量奖提名奖). Three enterprises apply; five experts score the document review, the presentation (its
order drawn by lot, its attendance recorded) and the on-site review (a visit scheduled, its checklist and a
photo filled in by the team leader, the team's report downloaded as a PDF); the office imports a list for the
social evaluation and records one veto; the committee and then the leading group vote; a visitor objects to
the notice; the office confirms the awards in two levels and the enterprises download their certificates,
whose text names their level.

The world (the office, the experts of the pool, the leaders, the enterprises' applications) is seeded through
the services: the minimal-procedure test (test_whole_cycle.py) clicks those steps. Time passes through the
test clock. Screenshots go to AWARD_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.applications import services as applications
from award.applications.models import Application
from award.approval.models import Ballot, VoteBody, VoteSession
from award.auth.models import Role, User
from award.auth.services import register_enterprise
from award.awards.models import Award
from award.cycles.models import Cycle, Stage
from award.cycles.settings import IssuerSettings
from award.db import utcnow
from award.notice.models import NoticeCandidate, Objection, ObjectionOutcome
from award.pool.models import ExpertProfile
from award.rounds.models import Assignment, PresentationSlot, ReviewRound, RoundKind, RoundStatus
from award.rounds.services import round_rubric
from award.social.models import FindingLevel, SocialFinding
from award.visits.models import SiteVisit
from tests.applications.conftest import complete_profile, full_texts
from tests.conftest import PASSWORD, cycle_factory, fresh_credit_code, organization_factory, user_factory
from tests.e2e.conftest import CHROMIUM
from tests.e2e.pages import score_the_sheet, score_the_sheet_at_once
from tests.e2e.test_whole_cycle import ZONE, Browser, _advance, _flash_ok, _local, _main, _pdf, _pdf_text, _submit

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (Debian chromium)")]

TITLE = "第二届市长质量奖（全程序）"
EXPERTS = [("wang@suda.edu.cn", "王建国"), ("chen@szqi.org.cn", "陈海燕"), ("zhao@szpower.com.cn", "赵立群"),
           ("liu@szbank.cn", "刘晓梅"), ("huang@szit.edu.cn", "黄志远")]
LEADERS = [("qian@suzhou.gov.cn", "钱副市长"), ("sun@amr.suzhou.gov.cn", "孙局长"), ("li@jxw.suzhou.gov.cn", "李主任")]
OFFICE = "lin@amr.suzhou.gov.cn"
# The applicants and the percentage of every item their panels give in every round.
WINNER, NOMINEE, VETOED = "苏州恒润精密机械有限公司", "苏州德信包装材料有限公司", "苏州宏达化工有限公司"
PERCENTS = {WINNER: 85, NOMINEE: 65, VETOED: 75}
LEVELS = [("市长质量奖", "1", "700", "苏州市市长质量奖", "授予苏州市市长质量奖，颁发证书和奖牌。"),
          ("市长质量奖提名奖", "2", "600", "苏州市市长质量奖提名奖", "授予苏州市市长质量奖提名奖，颁发证书。")]
VETO_REASON = "近三年内发生重大环境污染事故，受到行政处罚"
OBJECTOR = {"name": "王小明", "id_number": "11010519491231002X", "phone": "13912345678"}


def _shot(page, name: str) -> None:
    folder = os.environ.get("AWARD_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"full-{name}.png"), full_page=True)


def _photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 90, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def world(live_app):
    """The office, five experts of the pool, three leaders and a cycle in preparation, seeded."""
    with live_app.app_context():
        db = get_database(live_app).session_factory()
        make_organization = organization_factory(db)
        make_user = user_factory(db, make_organization)
        office = make_user(Role.OFFICE, email=OFFICE, name="林主任")
        for email, name in EXPERTS:
            expert = make_user(Role.EXPERT, email=email, name=name)
            code = fresh_credit_code()
            db.add(ExpertProfile(user_id=expert.id, title="正高级工程师", organization_code=code,
                                 organization_name=f"{name}所在单位", sectors=["C", "M"], in_pool=True))
        for email, name in LEADERS:
            make_user(Role.LEADER, email=email, name=name)
        for user in db.scalars(select(User)):
            user.locale = "zh_CN"
        cycle = cycle_factory(db)(title=TITLE, awards_count=3, experts_per_application=5,
                                  issuers=IssuerSettings(city="苏州市"),
                                  deadlines={Stage.APPLICATION: utcnow() + dt.timedelta(days=2)})
        db.commit()
        ids = {"cycle": cycle.id, "office": office.email}
        db.close()
    return ids


def _apply(live_app, cycle_id: int, name: str) -> int:
    """An enterprise registers and submits its application through the services (the minimal-procedure test
    clicks these steps)."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        email = f"contact@{fresh_credit_code()[-6:].lower()}.example.cn"
        user = register_enterprise(session, credit_code=fresh_credit_code(), organization_name=name,
                                   contact_name="张三", phone="0512-65220000", email=email, password=PASSWORD,
                                   password_min_length=10)
        user.email_confirmed = True
        user.locale = "zh_CN"
        cycle = session.get(Cycle, cycle_id)
        application = applications.start_application(session, actor=user, cycle=cycle)
        applications.save_draft(session, actor=user, application=application,
                                profile=complete_profile(org_name=name),
                                self_assessment=full_texts(cycle, "我们建立了系统的质量管理方法，覆盖全部业务单元。"))
        applications.submit_application(session, actor=user, application=application)
        session.commit()
        application_id = application.id
        session.close()
    return application_id


@pytest.fixture
def clock(live_app):
    class Clock:
        def advance(self, **delta: float) -> None:
            live_app.config["CLOCK_OFFSET"] = live_app.config.get("CLOCK_OFFSET", dt.timedelta()) + dt.timedelta(
                **delta)

        def now(self) -> dt.datetime:
            with live_app.app_context():
                return utcnow()

    yield Clock()
    live_app.config.pop("CLOCK_OFFSET", None)


@pytest.fixture
def people(browser, live_server):
    people = Browser(browser, live_server)
    yield people
    people.close()


def test_a_cycle_with_every_stage_through_the_browser(live_app, world, people, clock):
    def db():
        return get_database(live_app).session_factory()

    def read(function):
        with live_app.app_context():
            session = db()
            try:
                return function(session)
            finally:
                session.close()

    cycle_id = world["cycle"]
    office = people.signed_in(OFFICE, PASSWORD)

    # --- the office chooses the whole procedure and two award levels, then opens the cycle -----------
    office.goto(f"/cycles/{cycle_id}/procedure")
    for box in ("presentation", "onsite_review", "social_evaluation", "committee", "leading_group"):
        office.check(f"input[name={box}]")
    office.fill("input[name=document_weight]", "0.5")
    office.fill("input[name=presentation_weight]", "0.2")
    office.fill("input[name=onsite_weight]", "0.3")
    _shot(office, "procedure")
    _submit(office, "main form input[type=submit]")
    _flash_ok(office)
    procedure = read(lambda s: s.get(Cycle, cycle_id).procedure)
    assert procedure["steps"] == ["screening", "document_review", "presentation", "onsite_review",
                                  "social_evaluation", "committee", "leading_group", "notice", "award"], procedure
    office.goto(f"/cycles/{cycle_id}/procedure")
    assert office.locator("ol.stages li").all_inner_texts() == [
        "筹备", "申报", "资格审核", "材料评审", "陈述答辩", "现场评审", "社会评价", "排名与入围名单", "评委会审议表决",
        "领导小组审定", "公示", "表彰", "已归档"], _main(office)
    office.goto(f"/awards/cycles/{cycle_id}/levels")
    for number, values in enumerate(LEVELS, start=1):
        for name, value in zip(("name", "quota", "cutoff", "certificate_title"), values, strict=False):
            office.fill(f"input[name={name}_{number}]", value)
        office.fill(f"textarea[name=notice_text_{number}], input[name=notice_text_{number}]", values[4])
    _shot(office, "levels")
    _submit(office, "main form button[type=submit]")
    _flash_ok(office)
    _advance(office, cycle_id, Stage.APPLICATION)
    ids = {name: _apply(live_app, cycle_id, name) for name in PERCENTS}

    # --- screening -------------------------------------------------------------------------------
    clock.advance(days=3)
    _advance(office, cycle_id, Stage.SCREENING)
    for application_id in ids.values():
        office.goto(f"/applications/{application_id}/screening")
        office.select_option("select[name=registered_in_city_decision]", "pass")
        office.fill("textarea[name=registered_in_city_reason]", "营业执照登记机关为本市市场监管局")
        _submit(office, "form input[type=submit][name=submit], form input[type=submit][name=save]")
    assert read(lambda s: sorted(s.get(Application, i).status.value for i in ids.values())) == ["eligible"] * 3

    # --- the rounds: the office sets them up; presentation panels of three ----------------------------
    office.goto(f"/review/cycles/{cycle_id}")
    _submit(office, f"form[action$='/review/cycles/{cycle_id}/rounds'] button")
    rounds = read(lambda s: {r.kind: r.id for r in s.scalars(select(ReviewRound).where(
        ReviewRound.cycle_id == cycle_id))})
    assert set(rounds) == {RoundKind.DOCUMENT, RoundKind.PRESENTATION, RoundKind.ONSITE}, rounds
    _shot(office, "rounds")

    def draw_panels(round_id: int) -> None:
        office.goto(f"/review/rounds/{round_id}")
        office.select_option("select[name=mode]", "optimal")
        _submit(office, f"form[action$='/review/rounds/{round_id}/assign'] input[type=submit]")
        _flash_ok(office)

    def open_round(round_id: int) -> None:
        office.goto(f"/review/rounds/{round_id}")
        if office.locator("#open-round").count():  # a soft signal: acknowledged with a reason
            office.fill("#open-round textarea[name=acknowledgement]", "已核实专家与企业无利害关系")
            _submit(office, "#open-round [type=submit]")
        else:
            _submit(office, f"form[action$='/review/rounds/{round_id}/open'] button")
        assert read(lambda s: s.get(ReviewRound, round_id).status) is RoundStatus.OPEN, _main(office)

    def close_round(round_id: int) -> None:
        office.goto(f"/review/rounds/{round_id}")
        _submit(office, f"form[action$='/review/rounds/{round_id}/close'] button")
        assert read(lambda s: s.get(ReviewRound, round_id).status) is RoundStatus.CLOSED, _main(office)

    experts = {email: people.signed_in(email, PASSWORD) for email, _name in EXPERTS}

    def sign_pledge(expert, assignment_id: int) -> None:
        """The 回避与保密承诺书, before the expert sees the application (once per seat)."""
        expert.goto(f"/review/assignments/{assignment_id}/pledge")
        if expert.locator("input[name=agree]").count():
            expert.check("input[name=agree]")
            _submit(expert, "form[action$='/pledge'] button[type=submit]")

    def score_round(round_id: int, *, shot: str | None = None) -> None:
        """Every seated expert signs the pledge and submits each sheet; with `shot`, the first one is clicked
        field by field (the others are filled by one script, as the minimal-procedure test explains)."""
        rubric = read(lambda s: round_rubric(s.get(ReviewRound, round_id)))
        seats = read(lambda s: s.execute(
            select(Assignment.id, User.email, Application.org_name).join(User, User.id == Assignment.expert_id)
            .join(Application, Application.id == Assignment.application_id)
            .where(Assignment.round_id == round_id).order_by(Assignment.id)).all())
        assert seats, f"no panel in round {round_id}"
        for number, (assignment_id, email, org_name) in enumerate(seats):
            expert = experts[email]
            expert.goto(f"/review/assignments/{assignment_id}/sheet")  # the pledge first, if not yet signed
            if expert.locator("input[name=agree]").count():
                expert.check("input[name=agree]")
                _submit(expert, "form[action$='/pledge'] button[type=submit]")
            if number == 0 and shot:
                score_the_sheet(expert, rubric, PERCENTS[org_name])
                _shot(expert, shot)
            else:
                score_the_sheet_at_once(expert, rubric, PERCENTS[org_name])
            _submit(expert, "button[name=action][value=submit]")
            _flash_ok(expert)

    # --- document review -------------------------------------------------------------------------
    draw_panels(rounds[RoundKind.DOCUMENT])
    _advance(office, cycle_id, Stage.DOCUMENT_REVIEW)
    open_round(rounds[RoundKind.DOCUMENT])
    score_round(rounds[RoundKind.DOCUMENT])  # the minimal-procedure test clicks this form field by field

    # --- the presentation: panels of three, the order drawn by lot, attendance, its own form ----------
    talks = rounds[RoundKind.PRESENTATION]
    office.goto(f"/review/rounds/{talks}/settings")
    office.fill("input[name=experts_per_application]", "3")
    office.fill("input[name=required_sheets]", "3")
    _submit(office, "main form input[type=submit]")
    _flash_ok(office)
    draw_panels(talks)
    office.goto(f"/review/rounds/{talks}/presentation")
    office.fill("input[name=starts_at]", _local(clock.now() + dt.timedelta(days=3)))
    office.fill("input[name=minutes]", "40")
    office.fill("input[name=seed]", "20261208")
    office.fill("textarea[name=rooms]", "市民中心第一会议室")
    _submit(office, "main form input[type=submit][name=submit], main form button[type=submit]")
    _flash_ok(office)
    assert office.locator("table tbody tr").count() == 3, _main(office)
    _submit(office, "form[action*='/presentation-draws/'] button")  # anyone can replay the lot
    assert "同样的顺序" in _main(office) or "相同的顺序" in _main(office), _main(office)
    close_round(rounds[RoundKind.DOCUMENT])
    _advance(office, cycle_id, Stage.PRESENTATION)
    open_round(talks)
    clock.advance(days=3)
    office.goto(f"/review/rounds/{talks}/presentation")
    for position in (1, 2, 3):
        office.select_option(f"#slot-{position} select[name=attendance]", "present")
        _submit(office, f"#slot-{position} button[type=submit]")
        _flash_ok(office)
    _shot(office, "presentation")
    slots = read(lambda s: sorted(slot.attendance.value for slot in s.scalars(
        select(PresentationSlot).where(PresentationSlot.round_id == talks))))
    assert slots == ["present"] * 3, slots
    score_round(talks, shot="presentation-sheet")

    # --- the on-site review: a visit, its checklist, a photo and the team's report --------------------
    onsite = rounds[RoundKind.ONSITE]
    draw_panels(onsite)
    close_round(talks)
    _advance(office, cycle_id, Stage.ONSITE_REVIEW)
    open_round(onsite)
    office.goto(f"/visits/cycles/{cycle_id}")
    winner = ids[WINNER]
    office.fill(f"input[name='visit{winner}-visit_on']",
                (clock.now().astimezone(ZONE).date() + dt.timedelta(days=5)).isoformat())
    office.fill(f"textarea[name='visit{winner}-itinerary']", "9:00 首次会议\n10:30 生产现场、检测中心\n15:00 末次会议")
    _submit(office, f"#visit-{winner} input[type=submit]")
    assert "已通知企业和评审组" in office.content(), _main(office)
    team_leader = read(lambda s: s.scalar(select(User.email).join(Assignment, Assignment.expert_id == User.id).where(
        Assignment.round_id == onsite, Assignment.application_id == winner, Assignment.is_leader.is_(True))))
    leader = experts[team_leader]
    sign_pledge(leader, read(lambda s: s.scalar(select(Assignment.id).join(User, User.id == Assignment.expert_id).where(
        Assignment.round_id == onsite, Assignment.application_id == winner, User.email == team_leader))))
    leader.goto("/visits/mine")
    _submit(leader, "table a")
    leader.evaluate("document.getElementById('item-4.1.2').open = true")
    leader.select_option("select[name='item4_1_2-status']", "partly")
    leader.fill("textarea[name='item4_1_2-note']", "高层领导主持月度质量例会，纪要齐全；战略展开到班组不足。")
    _submit(leader, "#item-4\\.1\\.2 input[type=submit]")
    _flash_ok(leader)
    leader.select_option("select[name=item_id]", "4.1.2")
    leader.set_input_files("input[name=photo]", files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg",
                                                         "buffer": _photo()}])
    _submit(leader, "input[name=upload]")
    assert "照片已作为证据保存" in leader.content(), _main(leader)
    _shot(leader, "visit")
    with leader.expect_download() as download:
        leader.click("text=现场评审报告（PDF）")
    report = _pdf_text(Path(download.value.path()).read_bytes())
    assert WINNER in report and "战略展开到班组不足" in report, report
    visit = read(lambda s: s.scalar(select(SiteVisit.id).where(SiteVisit.application_id == winner)))
    assert visit is not None
    score_round(onsite)  # the same form as the document review's
    close_round(onsite)
    for page in experts.values():
        page.context.close()

    # --- the social evaluation: a list imported, a finding for each, one veto --------------------------
    _advance(office, cycle_id, Stage.SOCIAL_EVALUATION)
    codes = read(lambda s: {a.org_name: a.organization.credit_code
                            for a in s.scalars(select(Application).where(Application.cycle_id == cycle_id))})
    listed_on = (clock.now().astimezone(ZONE).date() - dt.timedelta(days=200)).isoformat()
    office.goto(f"/social/cycles/{cycle_id}")
    office.select_option("select[name=kind]", "penalty")
    office.set_input_files("input[name=file]", files=[{
        "name": "行政处罚名单.csv", "mimeType": "text/csv",
        "buffer": f"统一社会信用代码,来源,列入日期\n{codes[VETOED]},苏州市生态环境局,{listed_on}\n".encode()}])
    _submit(office, "form[action$='/import'] input[type=submit]")
    _flash_ok(office)
    assert "新导入 1 条记录" in _main(office), _main(office)
    _shot(office, "social")
    for name, application_id in ids.items():
        office.goto(f"/social/applications/{application_id}")
        if name == VETOED:
            assert "苏州市生态环境局" in _main(office), _main(office)  # the imported record, matched by credit code
            office.select_option("select[name=level]", "veto")
            office.fill("textarea[name=reason]", VETO_REASON)
            office.fill("textarea[name=evidence]", f"苏州市生态环境局行政处罚决定书（{listed_on}）")
        else:
            office.select_option("select[name=level]", "none")
        _submit(office, "input[name=save]")
        assert "评价结论已记录" in office.content(), _main(office)
    findings = read(lambda s: {f.application_id: f.level for f in s.scalars(select(SocialFinding))})
    assert findings[ids[VETOED]] is FindingLevel.VETO and findings[ids[WINNER]] is FindingLevel.NONE

    # --- the ranking: the vetoed candidate is shown, out of the proposal -----------------------------
    _advance(office, cycle_id, Stage.DELIBERATION)
    office.goto(f"/cycles/{cycle_id}/ranking/")
    ranking = _main(office)
    assert WINNER in ranking and NOMINEE in ranking and VETOED in ranking, ranking
    assert "一票否决" in ranking, ranking
    _shot(office, "ranking")
    _submit(office, f"form[action$='/cycles/{cycle_id}/ranking/freeze'] button")
    _flash_ok(office)

    # --- the review committee votes, then the leading group -----------------------------------------
    def vote(stage: Stage, manage: str, ballot: str, body: VoteBody, title: str) -> None:
        _advance(office, cycle_id, stage)
        office.goto(manage)
        office.fill("input[name=closes_at]", _local(clock.now() + dt.timedelta(days=2)))
        _submit(office, f"form[action$='{manage.removeprefix('/approval')}/open'] button[type=submit]")
        _flash_ok(office)
        for member in members:
            member.goto(ballot)
            _shot(member, f"ballot-{body.value}")
            assert VETOED not in _main(member), _main(member)  # vetoed: not proposed
            assert title in member.locator("hgroup").inner_text(), _main(member)  # which body this ballot is for
            levels = member.locator(".ballot-level").all_inner_texts()  # each candidate's proposed level
            assert levels == ["市长质量奖", "市长质量奖提名奖"], _main(member)
            for _candidate in range(member.locator("button[name=choice][value=approve]").count()):
                _submit(member, "button[name=choice][value=approve] >> nth=0")
        office.goto(manage)
        _submit(office, f"form[action$='{manage.removeprefix('/approval')}/close'] button[type=submit]")
        _flash_ok(office)
        _shot(office, f"vote-{body.value}")
        cast = read(lambda s: s.scalars(select(Ballot.choice).join(VoteSession, VoteSession.id == Ballot.session_id)
                                        .where(VoteSession.cycle_id == cycle_id, VoteSession.body == body)).all())
        assert sorted(c.value for c in cast) == ["approve"] * 6, cast

    members = [people.signed_in(email, PASSWORD) for email, _name in LEADERS]
    vote(Stage.COMMITTEE, f"/approval/cycles/{cycle_id}/committee", f"/approval/cycles/{cycle_id}/committee/ballot",
         VoteBody.COMMITTEE, "评委会审议表决")
    vote(Stage.APPROVAL, f"/approval/cycles/{cycle_id}", f"/approval/cycles/{cycle_id}/ballot",
         VoteBody.LEADING_GROUP, "领导小组投票")

    # --- the notice, with an objection that the office dismisses --------------------------------------
    office.goto(f"/notices/cycles/{cycle_id}")
    office.fill("input[name=award_title]", "第二届苏州市市长质量奖")
    office.fill("textarea[name=benefits]", "颁发证书和奖牌。")
    office.fill("textarea[name=contact]", "苏州市市场监督管理局质量发展处，电话 0512-68610000")
    _submit(office, f"form[action$='/notices/cycles/{cycle_id}/publish'] button[type=submit]")
    assert read(lambda s: s.get(Cycle, cycle_id).stage) is Stage.NOTICE, _main(office)
    visitor = people.page()
    visitor.goto("/notices/")
    _submit(visitor, "main a[href^='/notices/']")
    notice = _main(visitor)
    assert WINNER in notice and NOMINEE in notice and VETOED not in notice, notice
    assert "市长质量奖提名奖" in notice, notice
    _shot(visitor, "notice")
    _submit(visitor, f"li:has-text('{NOMINEE}') a[href*='/object']")  # the link under the candidate
    visitor.fill("input[name=name]", OBJECTOR["name"])
    visitor.fill("input[name=id_number]", OBJECTOR["id_number"])
    visitor.fill("input[name=phone]", OBJECTOR["phone"])
    visitor.fill("textarea[name=text]", f"{NOMINEE} 2024 年曾发生产品质量投诉，未在申报材料中说明。")
    visitor.set_input_files("input[name=evidence]", files=[{
        "name": "投诉记录.pdf", "mimeType": "application/pdf",
        "buffer": _pdf("投诉记录", "2024 年 5 月，客户投诉包装破损。")}])
    _submit(visitor, "main form button[type=submit]")
    assert "/object/received" in visitor.url, _main(visitor)
    objection_id, against = read(lambda s: s.execute(select(Objection.id, NoticeCandidate.organization_name).join(
        NoticeCandidate, NoticeCandidate.id == Objection.candidate_id)).one())
    assert against == NOMINEE
    office.goto(f"/notices/objections/{objection_id}")
    office.select_option("select[name=outcome]", "dismissed")
    office.fill("textarea[name=reason]", "经核查，该投诉已于 2024 年依法处理完毕。")
    office.fill("textarea[name=answer]", "经核查，您反映的投诉已处理完毕，异议不成立。感谢您的监督。")
    _submit(office, f"form[action$='/notices/objections/{objection_id}/decide'] button[type=submit]")
    assert read(lambda s: s.get(Objection, objection_id).outcome) is ObjectionOutcome.DISMISSED

    # --- the award in two levels; the certificates name each level -----------------------------------
    clock.advance(days=12)
    office.goto(f"/awards/cycles/{cycle_id}")
    _submit(office, f"form[action$='/awards/cycles/{cycle_id}/confirm'] button[type=submit]")
    _flash_ok(office)
    _shot(office, "awards")
    assert "市长质量奖提名奖" in _main(office), _main(office)  # each award with its level's name
    awards = read(lambda s: {a.organization_name: (a.level, a.certificate_number) for a in s.scalars(
        select(Award).where(Award.cycle_id == cycle_id))})
    assert {name: level for name, (level, _number) in awards.items()} == {
        WINNER: 1, NOMINEE: 2}, awards
    office.goto(f"/certificates/cycles/{cycle_id}")
    office.fill("input[name=award_title]", "苏州市市长质量奖")
    office.fill("input[name=authority]", "苏州市人民政府")
    _submit(office, f"form[action$='/certificates/cycles/{cycle_id}/texts'] button[type=submit]")
    _shot(office, "certificates")
    _flash_ok(office)
    for name, title in ((WINNER, "苏州市市长质量奖"), (NOMINEE, "苏州市市长质量奖提名奖")):
        email = read(lambda s, name=name: s.scalar(select(User.email).join(Application, Application.organization_id
                                                                           == User.organization_id)
                                                   .where(Application.id == ids[name])))
        enterprise = people.signed_in(email, PASSWORD)
        enterprise.goto(f"/applications/{ids[name]}")
        with enterprise.expect_download() as download:
            enterprise.click("a[href$='/certificate.pdf']")
        text = _pdf_text(Path(download.value.path()).read_bytes()).replace("\n", "")
        assert name in text and awards[name][1] in text and title in text, text
        assert ("提名奖" in text) is (name == NOMINEE), text  # each certificate names its own level
        _shot(enterprise, f"enterprise-{'winner' if name == WINNER else 'nominee'}")
    assert read(lambda s: s.get(Cycle, cycle_id).stage) is Stage.AWARDED
