"""Demo review rounds, run as the office and the experts run them: applications made and screened
through the applications area, a seeded draw, the round opened, sheets signed and submitted by the
seated experts themselves.

The document-review demo (last year's cycle, still in document review) shows the work in progress:
one panel fully scored (its leader can propose a consensus), drafts elsewhere, a sheet the office
reopened with a reason, and an expert who declared a conflict, whose seat the office has yet to fill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.demo import APPLICANTS, DemoFiles, run_applications
from award.auth.models import Organization, User
from award.cycles.models import Cycle, Stage
from award.cycles.services import CycleSettings, advance_cycle, create_cycle, cycle_rubric
from award.cycles.settings import EligibilitySettings, IssuerSettings
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus, ReviewRound, RoundKind
from award.scoring import discussion
from award.scoring import services as scoring
from award.scoring.models import RemarkKind, SheetStatus
from award.scoring.rules import ItemEntry

DEMO_SEED = 20250601
CITY_DIVISIONS = "3205"  # 苏州市: the demo's credit codes pass "registered in the city" on their own
APPLICANT_NAMES = ["苏州工业园区绿源环保科技有限公司", "常熟天和服装有限公司", "太仓港安物流有限公司",
                   "苏州金鼎建设工程有限公司"]
REVIEW_TITLE = "市长质量奖（材料评审演示）"

# Per category: what experts praise and what they would improve (a few wordings, so that pooled
# remarks read like a panel's). The feedback report prints each distinct remark once, unattributed.
REMARKS = {
    "4.1": (["高层领导亲自推动质量战略，定期召开质量专题会。", "企业文化与使命愿景清晰，员工认同度高。"],
            ["领导绩效评价与质量目标的关联不够明确。", "社会责任指标缺少量化的跟踪。"]),
    "4.2": (["战略制定过程考虑了市场、技术和竞争对手信息。"],
            ["战略目标分解到部门后缺少定期评审机制。"]),
    "4.3": (["建立了覆盖全国的客户服务网络，投诉响应及时。", "顾客满意度测量方法系统。"],
            ["对潜在市场和竞争对手顾客的了解不足。"]),
    "4.4": (["人才培养体系完善，关键岗位有继任计划。"],
            ["信息系统之间的数据未打通，知识管理仍以纸面为主。", "设备预防性维护覆盖不全。"]),
    "4.5": (["关键过程识别清晰，过程指标明确。"],
            ["过程改进多依赖个别骨干，缺少系统的方法。"]),
    "4.6": (["质量数据按月分析，并用于管理评审。"],
            ["改进成果缺少与行业标杆的对比。"]),
    "4.7": (["主要产品质量指标连续三年改善。", "市场占有率稳步提升。"],
            ["部分结果只有一年数据，趋势不足以说明问题。", "缺少与竞争对手和标杆的对比数据。"]),
}
LEANS = (0, 5, -5, 10, -10)  # each expert's own leniency, in percent of an item


def demo_cycle_settings(*, year: int, title: str, start: dt.datetime, awards_count: int,
                        cutoff: int, city_divisions: str = CITY_DIVISIONS) -> CycleSettings:
    """A cycle whose call opened at `start` and whose applications closed 30 days later."""
    return CycleSettings(year=year, title=title, awards_count=awards_count,
                         cutoff_score=Decimal(cutoff).quantize(Decimal("0.01")),
                         experts_per_application=5, onsite_review=False,
                         deadlines={Stage.APPLICATION: start + dt.timedelta(days=30)},
                         eligibility=EligibilitySettings(city_divisions=city_divisions),
                         issuers=IssuerSettings(city="苏州市"))


def sheet_entries(cycle: Cycle, level: int, lean: int) -> list[ItemEntry]:
    """A complete sheet: every item near `level` percent, with a strength, an improvement point and,
    in the extreme bands, a justification."""
    rubric = cycle_rubric(cycle)
    entries = []
    for number, item in enumerate(rubric.items):
        percent = max(0, min(100, level + lean + 5 * ((number % 3) - 1)))
        band = rubric.band_for_percent(item, percent)
        assert band is not None
        strengths, improvements = REMARKS.get(item.category_id, (["方法系统，已在主要部门展开。"],
                                                                 ["缺少与标杆的对比和定期评价。"]))
        entries.append(ItemEntry(item_id=item.id, band_id=band.id, percent=percent,
                                 strength=strengths[(number + lean) % len(strengths)],
                                 improvement=improvements[(number + lean) % len(improvements)],
                                 justification="自评报告和附件中的数据有充分证据支持。"
                                 if band.justification_required else ""))
    return entries


def seats_of(session: Session, review_round: ReviewRound) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(
        Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(Assignment.application_id, Assignment.expert_id)))


def open_document_review(session: Session, *, office: User, cycle: Cycle, now: dt.datetime) -> ReviewRound:
    """The office sets up the round, draws the panels (seeded, replayable) and opens scoring."""
    review_round = rounds.create_round(session, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT)
    panels.run_assignment(session, actor=office, review_round=review_round, mode=AssignmentSource.RANDOMIZED,
                          seed=DEMO_SEED, max_pair_probability=1.0)
    advance_cycle(session, actor=office, cycle=cycle, target=Stage.DOCUMENT_REVIEW, now=now)
    rounds.open_round(session, actor=office, review_round=review_round, now=now)
    return review_round


def submit(session: Session, seat: Assignment, level: int, lean: int, now: dt.datetime) -> None:
    """The seated expert signs the pledge and, some days later, submits a complete sheet."""
    sheet = scoring.sign_pledge(session, actor=seat.expert, assignment=seat, now=now)
    scoring.submit_sheet(session, actor=seat.expert, assignment=seat, now=now + dt.timedelta(days=6, hours=3),
                         entries=sheet_entries(seat.round.cycle, level, lean), expected_version=sheet.version)


def score_everything(session: Session, review_round: ReviewRound, levels: Mapping[str, int]) -> None:
    """Every seated expert submits: each applicant near its level, each expert with a lean of its own."""
    assert review_round.opened_at is not None
    for number, seat in enumerate(seats_of(session, review_round)):
        submit(session, seat, levels.get(seat.application.org_name, 60), LEANS[number % len(LEANS)],
               review_round.opened_at + dt.timedelta(days=1 + number % 7, hours=number % 5))


def applicants_of(session: Session, names: Sequence[str]) -> list[tuple[User, str]]:
    """The first account of each named demo enterprise, with the name."""
    found = []
    for name in names:
        user = session.scalar(select(User).join(Organization, User.organization_id == Organization.id)
                              .where(Organization.name == name).order_by(User.id).limit(1))
        if user is not None and name in APPLICANTS:
            found.append((user, name))
    return found


def seed_review_demo(session: Session, *, office: User, files: DemoFiles, zone: ZoneInfo,
                     now: dt.datetime) -> Cycle:
    """Last year's cycle, now in document review, with its panels and some scoring done."""
    start = now - dt.timedelta(days=75)
    cycle = create_cycle(session, actor=office, rubric_key="gbt19580-2012", settings=demo_cycle_settings(
        year=now.year - 1, title=REVIEW_TITLE, start=start, awards_count=2, cutoff=550,
        city_divisions=""))  # no city divisions set: the office checks every registration by hand
    run_applications(session, office=office, cycle=cycle, applicants=applicants_of(session, APPLICANT_NAMES),
                     files=files, zone=zone, start=start)
    opened = now - dt.timedelta(days=20)
    review_round = open_document_review(session, office=office, cycle=cycle, now=opened)
    seats = seats_of(session, review_round)
    first, second = seats[0].application_id, seats[-1].application_id
    for number, seat in enumerate(seats):
        if seat.application_id == first:  # one panel fully scored: its leader is told
            submit(session, seat, 70, LEANS[number % len(LEANS)], opened + dt.timedelta(days=2 + number))
        elif number % 3 == 0:
            sheet = scoring.sign_pledge(session, actor=seat.expert, assignment=seat,
                                        now=opened + dt.timedelta(days=3, hours=number))
            scoring.save_draft(session, actor=seat.expert, assignment=seat,
                               entries=sheet_entries(cycle, 65, 0)[:8], expected_version=sheet.version)
    _discuss(session, review_round, [seat for seat in seats if seat.application_id == first])
    # On the last panel: one expert submitted, and the office sent the sheet back with a reason.
    last = [seat for seat in seats if seat.application_id == second]
    reopened = next(seat for seat in last if scoring.sheet_of(seat) is None)
    submit(session, reopened, 60, 0, opened + dt.timedelta(days=4))
    submitted = scoring.sheet_of(reopened)
    assert submitted is not None and submitted.status is SheetStatus.SUBMITTED
    scoring.reopen_sheet(session, actor=office, sheet=submitted, reason="4.7.4财务结果的评分依据不足，请补充说明。")
    # Another expert of that panel declares a conflict before scoring: the office is told to seat a replacement.
    declaring = next(seat for seat in last if seat is not reopened and scoring.sheet_of(seat) is None)
    scoring.declare_conflict(session, actor=declaring.expert, assignment=declaring,
                             reason="本人去年曾为该企业开展内审员培训，申请回避。")
    return cycle


def _discuss(session: Session, review_round: ReviewRound, panel: list[Assignment]) -> None:
    """The complete panel's discussion has begun: two members' comments before the leader proposes."""
    members = [seat for seat in panel if not seat.is_leader]
    comments = [("4.7.2", "产品合格率的趋势数据只有两年，建议共识时参考现场核实的第三年数据。"),
                (None, "各位的评分在结果类目上分歧较大，建议先讨论 4.7 各条目。")]
    for seat, (item_id, text) in zip(members, comments, strict=False):
        discussion.add_remark(session, actor=seat.expert, review_round=review_round, application=seat.application,
                              kind=RemarkKind.COMMENT, item_id=item_id, text=text)
