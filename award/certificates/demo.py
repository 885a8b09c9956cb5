"""Demo data of certificates and feedback reports: last year's awarded cycle gets its certificate texts,
an applicant that stayed below the cut-off, a closed document round whose five sheets per applicant carry
the experts' words, and the frozen ranking that the feedback reports read (frozen by the real ranking)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Organization, Role, User
from award.certificates.services import update_certificate_texts
from award.conflicts.services import conflicts_for_cycle
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.ranking.services import freeze_shortlist
from award.rounds.models import (
    AggregationMethod,
    Assignment,
    AssignmentSource,
    AssignmentStatus,
    ReviewRound,
    RoundKind,
    RoundStatus,
)
from award.scoring.models import ItemScore, ScoreSheet, SheetStatus

AWARDED_CYCLE_TITLE = "市长质量奖（表彰演示）"  # seeded by awards.demo
BELOW_CUTOFF = "苏州协信检测认证有限公司"
PANEL_SIZE = 5

# Per category: what experts praise and what they would improve (a few wordings, so that pooled
# remarks read like a panel's). The report prints each distinct remark once, unattributed.
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
# Percent of each item's points the panel gave, per applicant, before each expert's own lean.
LEVELS = {"张家港沙钢特种钢材有限公司": 80, "苏州东方医疗器械有限公司": 75, BELOW_CUTOFF: 50}


def _applications(session: Session, cycle: Cycle, now: dt.datetime) -> list[Application]:
    applications = list(session.scalars(select(Application).where(Application.cycle_id == cycle.id)
                                        .order_by(Application.id)))
    organization = session.scalar(select(Organization).where(Organization.name == BELOW_CUTOFF))
    if organization is not None and all(a.organization_id != organization.id for a in applications):
        below = Application(cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.ELIGIBLE,
                            org_name=BELOW_CUTOFF, sector="M", submitted_at=now - dt.timedelta(days=460))
        session.add(below)
        session.flush()
        applications.append(below)
    return applications


def _panel(session: Session, cycle: Cycle, application: Application, experts: list[User]) -> list[User]:
    conflicted = {expert for _app, expert in conflicts_for_cycle(
        session, cycle, application_ids=[application.id], expert_ids={e.id for e in experts})}
    return [expert for expert in experts if expert.id not in conflicted][:PANEL_SIZE]


def _sheet(session: Session, cycle: Cycle, review_round: ReviewRound, application: Application, expert: User,
           lean: int, submitted_at: dt.datetime) -> None:
    rubric = cycle_rubric(cycle)
    assignment = Assignment(round_id=review_round.id, application_id=application.id, expert_id=expert.id,
                            status=AssignmentStatus.ACTIVE, source=AssignmentSource.MANUAL,
                            pledge_signed_at=submitted_at - dt.timedelta(days=3))
    session.add(assignment)
    session.flush()
    sheet = ScoreSheet(assignment_id=assignment.id, status=SheetStatus.SUBMITTED, submitted_at=submitted_at)
    total = Decimal(0)
    for number, item in enumerate(rubric.items):
        percent = max(0, min(100, LEVELS.get(application.org_name, 60) + lean + 5 * ((number % 3) - 1)))
        band = rubric.band_for_percent(item, percent)
        assert band is not None
        points = (Decimal(item.points) * percent / 100).quantize(Decimal("0.01"))
        total += points
        strengths, improvements = REMARKS.get(item.category_id, ([""], [""]))
        sheet.items.append(ItemScore(
            item_id=item.id, band_id=band.id, percent=percent, points=points,
            strength=strengths[(number + lean) % len(strengths)],
            improvement=improvements[(number + lean) % len(improvements)],
            justification="有充分证据支持。" if band.justification_required else ""))
    sheet.total = total
    session.add(sheet)


def seed_certificates_demo(session: Session, *, office: User, now: dt.datetime) -> Cycle | None:
    """Give the awarded demo cycle what its certificates and feedback reports print."""
    cycle = session.scalar(select(Cycle).where(Cycle.title == AWARDED_CYCLE_TITLE, Cycle.stage == Stage.AWARDED))
    if cycle is None:
        return None
    update_certificate_texts(session, actor=office, cycle=cycle, award_title="苏州市市长质量奖",
                             authority="苏州市人民政府", issue_date=None)
    experts = list(session.scalars(select(User).where(User.role == Role.EXPERT).order_by(User.id)))
    closed_at = now - dt.timedelta(days=480)
    review_round = ReviewRound(cycle_id=cycle.id, kind=RoundKind.DOCUMENT, status=RoundStatus.CLOSED,
                               method=AggregationMethod.TRIMMED_MEAN, opened_at=closed_at - dt.timedelta(days=20),
                               closed_at=closed_at, required_sheets=PANEL_SIZE, experts_per_application=PANEL_SIZE)
    session.add(review_round)
    session.flush()
    for application in _applications(session, cycle, now):
        for lean, expert in zip((0, 5, -5, 10, -10), _panel(session, cycle, application, experts), strict=False):
            _sheet(session, cycle, review_round, application, expert, lean, closed_at - dt.timedelta(days=2))
    session.flush()
    # The ranking of a past cycle: frozen by the ranking area itself, as it was at deliberation.
    cycle.stage = Stage.DELIBERATION
    freeze_shortlist(session, actor=office, cycle=cycle)
    cycle.stage = Stage.AWARDED
    session.flush()
    return cycle
