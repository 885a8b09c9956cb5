"""Demo of a cycle that runs every stage a procedure can have, seeded through the services.

Four years ago the office chose the whole procedure: screening, document review, the presentation
round (陈述答辩, order drawn by lot, attendance recorded), the on-site review (a visit with its
itinerary, a checklist and a photo), the social evaluation (an imported inspection list, one finding
noted), the review committee's vote, then the leading group's, the public notice and the award in two
levels (市长质量奖 and 市长质量奖提名奖). The other demo cycles keep the minimal procedure.

It lives here because on-site visits are the highest area it needs (above awards, social, approval and
rounds).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.demo import DemoFiles, evidence_image, run_applications
from award.approval import services as approval
from award.approval.models import Choice, VoteBody
from award.auth.models import Role, User
from award.awards.services import confirm_awards, update_levels
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Step
from award.cycles.services import advance_cycle, create_cycle, set_procedure
from award.cycles.settings import AwardLevel, AwardLevels
from award.notice.periods import load_calendar
from award.notice.services import NoticeText, publish_notice
from award.ranking.services import freeze_shortlist
from award.rounds import panels, presentation
from award.rounds import services as rounds
from award.rounds.models import AssignmentSource, Attendance, ReviewRound, RoundKind
from award.rounds.services import round_rubric
from award.scoring import services as scoring
from award.scoring.demo import (
    DEMO_SEED,
    LEANS,
    REMARKS,
    applicants_of,
    demo_cycle_settings,
    open_document_review,
    score_everything,
    seats_of,
)
from award.scoring.rules import ItemEntry
from award.scoring.services import close_round
from award.social import services as social
from award.social.models import FindingLevel, ListKind
from award.visits import services as visits
from award.visits.models import CheckStatus, SiteVisit

FULL_PROCEDURE_TITLE = "市长质量奖（全程序演示）"
APPLICANTS = ["苏州汇智软件股份有限公司", "相城区宏达电梯有限公司", "苏州新纪元光伏科技有限公司",
              "昆山联合精工机械有限公司"]
# Percent of each item's points a panel gives, per applicant, in every scored round.
LEVELS = {"苏州新纪元光伏科技有限公司": 85, "相城区宏达电梯有限公司": 80, "苏州汇智软件股份有限公司": 70,
          "昆山联合精工机械有限公司": 65}
NOTED = "相城区宏达电梯有限公司"  # an inspection failure on the imported list: noted, not a veto
STEPS = [Step.SCREENING, Step.DOCUMENT_REVIEW, Step.PRESENTATION, Step.ONSITE_REVIEW, Step.SOCIAL_EVALUATION,
         Step.COMMITTEE, Step.LEADING_GROUP, Step.NOTICE, Step.AWARD]
WEIGHTS = {Step.DOCUMENT_REVIEW: "0.5", Step.PRESENTATION: "0.2", Step.ONSITE_REVIEW: "0.3"}
AWARD_LEVELS = AwardLevels((
    AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal("700"), certificate_title="市长质量奖",
               notice_text="授予苏州市市长质量奖，颁发证书和奖牌。"),
    AwardLevel(name="市长质量奖提名奖", quota=2, cutoff=Decimal("600"), certificate_title="市长质量奖提名奖",
               notice_text="授予苏州市市长质量奖提名奖，颁发证书。"),
))
PARTLY_NOTE = "部分数据仅有两年记录，已请企业补充。"
ITINERARY = "9:00 与企业高层座谈\n10:00 质量管理部门查阅记录\n11:00 生产现场核查\n14:00 反馈交流"


def _entries(review_round: ReviewRound, level: int, lean: int) -> list[ItemEntry]:
    """A complete sheet on the round's own form, every item near `level` percent."""
    rubric = round_rubric(review_round)
    entries = []
    for number, item in enumerate(rubric.items):
        percent = max(0, min(100, level + lean + 5 * ((number % 3) - 1)))
        band = rubric.band_for_percent(item, percent)
        assert band is not None
        strengths, improvements = REMARKS.get(item.category_id, (["陈述内容系统，回答切题并有数据支撑。"],
                                                                 ["部分回答缺少与标杆的对比。"]))
        entries.append(ItemEntry(item_id=item.id, band_id=band.id, percent=percent,
                                 strength=strengths[number % len(strengths)],
                                 improvement=improvements[number % len(improvements)],
                                 justification="陈述和现场核查的证据充分支持该评分。"
                                 if band.justification_required else ""))
    return entries


def _score(session: Session, review_round: ReviewRound, opened: dt.datetime) -> None:
    """Every seated expert signs the pledge and submits, each with a lean of its own."""
    for number, seat in enumerate(seats_of(session, review_round)):
        if seat.pledge_signed_at is None:
            scoring.sign_pledge(session, actor=seat.expert, assignment=seat,
                                now=opened + dt.timedelta(hours=1 + number))
        sheet = scoring.sheet_of(seat)
        assert sheet is not None
        scoring.submit_sheet(session, actor=seat.expert, assignment=seat, expected_version=sheet.version,
                             entries=_entries(review_round, LEVELS.get(seat.application.org_name, 60),
                                              LEANS[number % len(LEANS)]),
                             now=opened + dt.timedelta(days=1, hours=number))


def _draw(session: Session, *, office: User, cycle: Cycle, kind: RoundKind) -> ReviewRound:
    review_round = rounds.create_round(session, actor=office, cycle=cycle, kind=kind)
    panels.run_assignment(session, actor=office, review_round=review_round, mode=AssignmentSource.RANDOMIZED,
                          seed=DEMO_SEED, max_pair_probability=1.0)
    return review_round


def _visit(session: Session, *, office: User, review_round: ReviewRound, files: DemoFiles,
           zone: ZoneInfo, at: dt.datetime) -> SiteVisit:
    """The first candidate's visit: scheduled, its checklist filled by the team, a photo kept as evidence."""
    application = visits.panel_applications(session, review_round)[0]
    day = (at + dt.timedelta(days=5)).astimezone(zone).date()
    visit = visits.schedule_visit(session, actor=office, application=application, visit_on=day,
                                  itinerary=ITINERARY, today=at.astimezone(zone).date(), now=at)
    team = visits.team_of(session, review_round.id, application.id)
    on_site = at + dt.timedelta(days=5, hours=2)
    for number, seat in enumerate(team):
        scoring.sign_pledge(session, actor=seat.expert, assignment=seat, now=on_site - dt.timedelta(hours=number + 1))
    leader = next((seat for seat in team if seat.is_leader), team[0]).expert
    items = [line.item for line in visits.checklist(session, visit)]
    for number, item in enumerate(items):
        status = CheckStatus.PARTLY if number % 7 == 3 else CheckStatus.CONFIRMED
        note = PARTLY_NOTE if status is CheckStatus.PARTLY else "现场查阅记录，与自评报告一致。"
        visits.save_check(session, actor=leader, visit=visit, item_id=item.id, status=status, note=note,
                          now=on_site + dt.timedelta(minutes=10 * number))
    visits.add_photo(session, actor=leader, visit=visit, item_id=items[-1].id, data=evidence_image(160, 120, 180),
                     filename="生产现场.png", strip_location=True, store=files.evidence,
                     now=on_site + dt.timedelta(hours=3))
    return visit


def _vote(session: Session, *, office: User, cycle: Cycle, body: VoteBody, opened: dt.datetime) -> None:
    """The body votes, every member for every candidate, and the office closes the vote."""
    vote = approval.open_vote(session, actor=office, cycle=cycle, closes_at=opened + dt.timedelta(days=5),
                              now=opened, body=body)
    members = session.scalars(select(User).where(User.role == Role.LEADER).order_by(User.id)).all()
    for number, member in enumerate(members):
        for candidate in vote.candidates:
            approval.cast_ballot(session, actor=member, vote=vote, application_id=candidate.application_id,
                                 choice=Choice.APPROVE, now=opened + dt.timedelta(days=1, hours=number))
    approval.close_vote(session, actor=office, vote=vote, now=opened + dt.timedelta(days=5))


def _inspection_list(session: Session, *, office: User, names: dict[str, str], today: dt.date) -> None:
    rows = f"{names[NOTED]},江苏省产品质量监督抽查,{(today - dt.timedelta(days=200)).isoformat()}\n"
    social.import_records(session, actor=office, kind=ListKind.INSPECTION, filename="质量抽查不合格名单.csv",
                          data=("统一社会信用代码,来源,列入日期\n" + rows).encode(), today=today)


def seed_full_procedure_demo(session: Session, *, office: User, files: DemoFiles, zone: ZoneInfo,
                             now: dt.datetime) -> Cycle:
    """Four years ago: the whole procedure, from the call to the award in two levels."""
    start = now - dt.timedelta(days=700)  # done before the awarded demo cycle opens (520 days ago)
    cycle = create_cycle(session, actor=office, rubric_key="gbt19580-2012", settings=demo_cycle_settings(
        year=now.year - 4, title=FULL_PROCEDURE_TITLE, start=start, awards_count=3, cutoff=600))
    set_procedure(session, actor=office, cycle=cycle, steps=[s.value for s in STEPS],
                  weights={s.value: w for s, w in WEIGHTS.items()})
    update_levels(session, actor=office, cycle=cycle, levels=AWARD_LEVELS)
    applications = run_applications(session, office=office, cycle=cycle, applicants=applicants_of(session, APPLICANTS),
                                    files=files, zone=zone, start=start)
    # Document review: opened on day 40, every sheet in by day 55.
    document = open_document_review(session, office=office, cycle=cycle, now=start + dt.timedelta(days=40))
    score_everything(session, document, LEVELS)
    # The presentation panels are drawn and the order is drawn by lot before the document review ends.
    day = start + dt.timedelta(days=56)
    talks = _draw(session, office=office, cycle=cycle, kind=RoundKind.PRESENTATION)
    presentation.draw_presentation_order(session, actor=office, review_round=talks, seed=DEMO_SEED,
                                         starts_at=(start + dt.timedelta(days=63)).replace(hour=1, minute=0),
                                         minutes=40, rooms=["市民中心第一会议室"], now=day)
    close_round(session, actor=office, review_round=document, now=day + dt.timedelta(days=1))
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.PRESENTATION, now=day + dt.timedelta(days=2))
    rounds.open_round(session, actor=office, review_round=talks, now=day + dt.timedelta(days=2))
    on_the_day = start + dt.timedelta(days=63, hours=8)
    for slot in presentation.slots_of(session, talks):
        presentation.record_attendance(session, actor=office, slot=slot, attendance=Attendance.PRESENT,
                                       now=on_the_day)
    _score(session, talks, start + dt.timedelta(days=63))
    # The on-site panels are drawn during the presentations; one visit is shown in full.
    onsite = _draw(session, office=office, cycle=cycle, kind=RoundKind.ONSITE)
    close_round(session, actor=office, review_round=talks, now=start + dt.timedelta(days=66))
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.ONSITE_REVIEW, now=start + dt.timedelta(days=67))
    rounds.open_round(session, actor=office, review_round=onsite, now=start + dt.timedelta(days=67))
    _visit(session, office=office, review_round=onsite, files=files, zone=zone,
           at=start + dt.timedelta(days=68))
    _score(session, onsite, start + dt.timedelta(days=75))
    close_round(session, actor=office, review_round=onsite, now=start + dt.timedelta(days=85))
    # The social evaluation: the inspection list imported, a finding for every candidate.
    evaluated = start + dt.timedelta(days=86)
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.SOCIAL_EVALUATION, now=evaluated)
    names = {a.org_name: a.organization.credit_code for a in applications}
    _inspection_list(session, office=office, names=names, today=evaluated.astimezone(zone).date())
    for number, application in enumerate(social.candidates(session, cycle)):
        noted = application.org_name == NOTED
        social.record_finding(
            session, actor=office, application=application, now=evaluated + dt.timedelta(days=2, hours=number),
            level=FindingLevel.NOTED if noted else FindingLevel.NONE,
            reason="一年前省级抽查一个批次不合格，已整改并复检合格，不影响评审。" if noted else "",
            evidence="江苏省产品质量监督抽查不合格名单（导入记录）" if noted else "")
    # The ranking, then the review committee and the leading group.
    ranked = start + dt.timedelta(days=92)
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.DELIBERATION, now=ranked)
    freeze_shortlist(session, actor=office, cycle=cycle, now=ranked + dt.timedelta(days=1))
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.COMMITTEE, now=ranked + dt.timedelta(days=2))
    _vote(session, office=office, cycle=cycle, body=VoteBody.COMMITTEE, opened=ranked + dt.timedelta(days=2))
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.APPROVAL, now=ranked + dt.timedelta(days=8))
    _vote(session, office=office, cycle=cycle, body=VoteBody.LEADING_GROUP, opened=ranked + dt.timedelta(days=8))
    # The notice (no objection this time) and the award.
    published = ranked + dt.timedelta(days=15)
    notice = publish_notice(session, actor=office, cycle=cycle, zone=zone, calendar=load_calendar(), now=published,
                            text=NoticeText(award_title=f"{cycle.year}年度市长质量奖",
                                            benefits="颁发证书和奖牌，并给予一次性奖励。",
                                            contact="苏州市市场监督管理局质量发展处 0512-65220000"))
    confirm_awards(session, actor=office, cycle=cycle, zone=zone, now=notice.ends_at + dt.timedelta(days=2))
    return cycle
