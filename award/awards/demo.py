"""Demo of stages 6–9: an open leading-group vote, a running public notice, and an awarded cycle.

Each is a past cycle run from its call to where it stands through the same services the office,
the applicants, the experts and the leaders use: applications made and screened, panels drawn and
every sheet submitted, the round closed, the shortlist frozen by the ranking, the vote, the notice
with a real-name objection, the final list. Nothing is written as a row of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.demo import DemoFiles, evidence_image, run_applications
from award.applications.evidence import EvidenceStore
from award.approval import services as approval
from award.approval.models import Choice
from award.auth.models import Role, User
from award.awards.services import confirm_awards
from award.cycles.models import Cycle, Stage
from award.cycles.services import advance_cycle, create_cycle
from award.notice.models import Objection, ObjectionOutcome, PublicNotice
from award.notice.periods import load_calendar
from award.notice.services import NoticeText, ObjectionInput, decide_objection, file_objection, publish_notice
from award.ranking.services import freeze_shortlist
from award.scoring.demo import applicants_of, demo_cycle_settings, open_document_review, score_everything
from award.scoring.services import close_round

VOTE = ["苏州恒润精密机械有限公司", "江苏华星新材料股份有限公司", "苏州博远电子科技有限公司"]
NOTICE = ["吴江永盛纺织集团有限公司", "昆山瑞达汽车零部件有限公司"]
AWARDED = ["张家港沙钢特种钢材有限公司", "苏州东方医疗器械有限公司"]
BELOW_CUTOFF = "苏州协信检测认证有限公司"
AWARDED_CYCLE_TITLE = "市长质量奖（表彰演示）"
# Percent of each item's points a panel gives, per applicant, before each expert's own lean.
LEVELS = {
    "苏州恒润精密机械有限公司": 80, "江苏华星新材料股份有限公司": 75, "苏州博远电子科技有限公司": 70,
    "吴江永盛纺织集团有限公司": 75, "昆山瑞达汽车零部件有限公司": 70,
    "张家港沙钢特种钢材有限公司": 80, "苏州东方医疗器械有限公司": 75, BELOW_CUTOFF: 50,
}
NOTICE_TEXT = dict(benefits="颁发证书和奖牌，并给予一次性奖励。",
                   contact="苏州市市场监督管理局质量发展处 0512-65220000")
OBJECTOR = dict(name="张三", id_number="11010519491231002X", organization="", phone="13912345678",
                email="zhangsan@example.com")


def _reviewed(session: Session, *, office: User, files: DemoFiles, zone: ZoneInfo, year: int, title: str,
              names: Sequence[str], start: dt.datetime, awards_count: int = 3) -> Cycle:
    """A cycle run from its call to a frozen shortlist: the document review closed, everyone scored."""
    cycle = create_cycle(session, actor=office, rubric_key="gbt19580-2012", settings=demo_cycle_settings(
        year=year, title=title, start=start, awards_count=awards_count, cutoff=600))
    run_applications(session, office=office, cycle=cycle, applicants=applicants_of(session, names), files=files,
                     zone=zone, start=start)
    review_round = open_document_review(session, office=office, cycle=cycle, now=start + dt.timedelta(days=40))
    score_everything(session, review_round, LEVELS)
    closed = start + dt.timedelta(days=70)
    close_round(session, actor=office, review_round=review_round, now=closed)
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.DELIBERATION, now=closed)
    freeze_shortlist(session, actor=office, cycle=cycle, now=closed + dt.timedelta(days=2))
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.APPROVAL, now=closed + dt.timedelta(days=3))
    return cycle


def _decided(session: Session, *, office: User, cycle: Cycle, opened: dt.datetime) -> None:
    """The leading group votes, every leader for every candidate, and the office closes the vote."""
    vote = approval.open_vote(session, actor=office, cycle=cycle, closes_at=opened + dt.timedelta(days=7),
                              now=opened)
    leaders = session.scalars(select(User).where(User.role == Role.LEADER).order_by(User.id)).all()
    for number, leader in enumerate(leaders):
        for candidate in vote.candidates:
            approval.cast_ballot(session, actor=leader, vote=vote, application_id=candidate.application_id,
                                 choice=Choice.APPROVE, now=opened + dt.timedelta(days=1, hours=number))
    approval.close_vote(session, actor=office, vote=vote, now=opened + dt.timedelta(days=7))


def _published(session: Session, *, office: User, cycle: Cycle, zone: ZoneInfo, now: dt.datetime) -> PublicNotice:
    return publish_notice(session, actor=office, cycle=cycle, zone=zone, calendar=load_calendar(), now=now,
                          text=NoticeText(award_title=f"{cycle.year}年度市长质量奖", **NOTICE_TEXT))


def _objection(session: Session, *, notice: PublicNotice, store: EvidenceStore, text: str, zone: ZoneInfo,
               now: dt.datetime) -> Objection:
    data = ObjectionInput(candidate_id=notice.listed[0].id, text=text, evidence=evidence_image(shade=200),
                          filename="现场照片.png", **OBJECTOR)
    return file_objection(session, notice=notice, data=data, store=store, remote_addr="203.0.113.9", zone=zone,
                          now=now)


def seed_decision_demo(session: Session, *, office: User, files: DemoFiles, objections: EvidenceStore,
                       zone: ZoneInfo, now: dt.datetime) -> None:
    """An open vote (every leader has a ballot), a notice open for objections, and an awarded cycle."""
    # Three years ago: awarded, after a notice whose one objection was dismissed.
    start = now - dt.timedelta(days=520)
    awarded = _reviewed(session, office=office, files=files, zone=zone, year=now.year - 3,
                        title=AWARDED_CYCLE_TITLE, names=[*AWARDED, BELOW_CUTOFF], start=start, awards_count=3)
    _decided(session, office=office, cycle=awarded, opened=start + dt.timedelta(days=80))
    published = start + dt.timedelta(days=95)
    notice = _published(session, office=office, cycle=awarded, zone=zone, now=published)
    objection = _objection(session, notice=notice, store=objections, zone=zone, now=published + dt.timedelta(days=2),
                           text="该企业曾发生质量事故，请核查。")
    decide_objection(session, actor=office, objection=objection, outcome=ObjectionOutcome.DISMISSED,
                     reason="经核查，事故不属实。", answer="经核查，您反映的事故不属实，异议不成立。感谢您的监督。",
                     now=published + dt.timedelta(days=4))
    confirm_awards(session, actor=office, cycle=awarded, zone=zone, now=notice.ends_at + dt.timedelta(days=2))

    # Two years ago: the notice is running and an objection waits for the office.
    start = now - dt.timedelta(days=120)
    noticed = _reviewed(session, office=office, files=files, zone=zone, year=now.year - 2,
                        title="市长质量奖（公示演示）", names=NOTICE, start=start)
    _decided(session, office=office, cycle=noticed, opened=now - dt.timedelta(days=12))
    notice = _published(session, office=office, cycle=noticed, zone=zone, now=now - dt.timedelta(days=1))
    _objection(session, notice=notice, store=objections, zone=zone, now=now - dt.timedelta(hours=5),
               text="该企业近一年有产品抽检不合格记录，与申报材料所述不符。")

    # Last year: the shortlist is before the leading group, whose vote is open.
    start = now - dt.timedelta(days=100)
    voting = _reviewed(session, office=office, files=files, zone=zone, year=now.year - 1,
                       title="市长质量奖（领导小组审定演示）", names=VOTE, start=start)
    approval.open_vote(session, actor=office, cycle=voting, closes_at=now + dt.timedelta(days=7),
                       now=now - dt.timedelta(hours=2))
