"""Demo data of the review rounds: last year's cycle in document review, panels drawn by a seeded
draw, every sheet of one panel submitted (so its leader can propose a consensus, and two members
have begun its discussion) and a draft."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Organization, User
from award.cycles.models import Cycle, Stage
from award.cycles.services import CycleSettings, create_cycle, cycle_rubric
from award.cycles.settings import EligibilitySettings, IssuerSettings
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus, ReviewRound, RoundKind
from award.scoring import discussion
from award.scoring import services as scoring
from award.scoring.models import RemarkKind
from award.scoring.rules import ItemEntry

DEMO_SEED = 20250601
APPLICANTS = [  # (enterprise, sector): applicants without a demo conflict, so every panel fills
    ("苏州工业园区绿源环保科技有限公司", "N"), ("常熟天和服装有限公司", "C"), ("太仓港安物流有限公司", "G"),
    ("苏州金鼎建设工程有限公司", "E"),
]


def _entries(cycle: Cycle, shift: int) -> list[ItemEntry]:
    rubric = cycle_rubric(cycle)
    entries = []
    for number, item in enumerate(rubric.items):
        percent = min(95, 40 + 5 * ((number + shift) % 6))
        band = rubric.band_for_percent(item, percent)
        assert band is not None
        entries.append(ItemEntry(item_id=item.id, band_id=band.id, percent=percent,
                                 strength=f"{item.display_name()}：方法系统，已在主要部门展开。",
                                 improvement=f"{item.display_name()}：缺少与标杆的对比和定期评价。",
                                 justification="有充分证据支持。" if band.justification_required else ""))
    return entries


def seed_review_demo(session: Session, *, office: User, now: dt.datetime) -> Cycle:
    """Last year's cycle, now in document review, with its panels and some scoring done."""
    settings = CycleSettings(
        year=now.year - 1, title="市长质量奖（材料评审演示）", awards_count=2, cutoff_score=Decimal("550"),
        experts_per_application=5, onsite_review=False, deadlines={}, eligibility=EligibilitySettings(),
        issuers=IssuerSettings(city="苏州市"))
    cycle = create_cycle(session, actor=office, settings=settings, rubric_key="gbt19580-2012")
    cycle.stage = Stage.SCREENING  # a past cycle: its earlier stages are history, not replayed here
    for name, sector in APPLICANTS:
        organization = session.scalar(select(Organization).where(Organization.name == name))
        if organization is None:
            continue
        session.add(Application(
            cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.ELIGIBLE, org_name=name,
            sector=sector, submitted_at=now - dt.timedelta(days=40), screened_at=now - dt.timedelta(days=20),
            self_assessment={item.id: f"{name}在“{item.display_name()}”方面建立了系统的方法，并持续改进。"
                             for item in cycle_rubric(cycle).items}))
    session.flush()
    review_round = rounds.create_round(session, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT)
    panels.run_assignment(session, actor=office, review_round=review_round, mode=AssignmentSource.RANDOMIZED,
                          seed=DEMO_SEED, max_pair_probability=1.0)
    if panels.panel_problems_of_round(session, review_round):
        return cycle  # the pool changed: leave the round in preparation for the office to finish
    cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(session, actor=office, review_round=review_round, now=now)
    seats = list(session.scalars(select(Assignment).where(
        Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(Assignment.application_id, Assignment.expert_id)))
    first_application = seats[0].application_id
    for shift, seat in enumerate(seats):
        sheet = scoring.sign_pledge(session, actor=seat.expert, assignment=seat)
        entries = _entries(cycle, shift)
        if seat.application_id == first_application:
            scoring.submit_sheet(session, actor=seat.expert, assignment=seat, entries=entries,
                                 expected_version=sheet.version)
        elif shift % 3 == 0:
            scoring.save_draft(session, actor=seat.expert, assignment=seat, entries=entries[:8],
                               expected_version=sheet.version)
    _discuss(session, review_round, [seat for seat in seats if seat.application_id == first_application])
    return cycle


def _discuss(session: Session, review_round: ReviewRound, panel: list[Assignment]) -> None:
    """The complete panel's discussion has begun: two members' comments before the leader proposes."""
    members = [seat for seat in panel if not seat.is_leader]
    comments = [("4.7.2", "产品合格率的趋势数据只有两年，建议共识时参考现场核实的第三年数据。"),
                (None, "各位的评分在结果类目上分歧较大，建议先讨论 4.7 各条目。")]
    for seat, (item_id, text) in zip(members, comments, strict=False):
        discussion.add_remark(session, actor=seat.expert, review_round=review_round, application=seat.application,
                              kind=RemarkKind.COMMENT, item_id=item_id, text=text)
