"""Demo data of stages 6–9: an open leading-group vote, a running public notice, and an awarded cycle.

Past cycles whose earlier stages are history: their frozen shortlists are written as rows here
rather than replayed through a review, so that every leader has a ballot to try on a phone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.approval.services import open_vote
from award.audit.services import chain_anchor, record
from award.auth.models import Organization, User
from award.awards.models import Award
from award.awards.numbers import new_certificate_number
from award.awards.services import years_after
from award.cycles.models import Cycle, Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings, IssuerSettings
from award.notice.models import NoticeCandidate, PublicNotice
from award.notice.periods import PeriodKind
from award.numbers import round_score
from award.ranking.models import RankingSnapshot, ShortlistEntry

VOTE = ["苏州恒润精密机械有限公司", "江苏华星新材料股份有限公司", "苏州博远电子科技有限公司"]
NOTICE = ["吴江永盛纺织集团有限公司", "昆山瑞达汽车零部件有限公司"]
AWARDED = ["张家港沙钢特种钢材有限公司", "苏州东方医疗器械有限公司"]


def _cycle(session: Session, office: User, year: int, title: str, stage: Stage) -> Cycle:
    settings = CycleSettings(year=year, title=title, awards_count=3, cutoff_score=Decimal("600"),
                             experts_per_application=5, onsite_review=False, deadlines={},
                             eligibility=EligibilitySettings(), issuers=IssuerSettings(city="苏州市"))
    cycle = create_cycle(session, actor=office, settings=settings, rubric_key="gbt19580-2012")
    cycle.stage = stage
    return cycle


def _applications(session: Session, cycle: Cycle, names: list[str]) -> list[Application]:
    applications = []
    for name in names:
        organization = session.scalar(select(Organization).where(Organization.name == name))
        if organization is None:
            continue
        application = Application(cycle_id=cycle.id, organization_id=organization.id, org_name=name, sector="C",
                                  status=ApplicationStatus.ELIGIBLE)
        session.add(application)
        applications.append(application)
    session.flush()
    return applications


def _snapshot(session: Session, cycle: Cycle, applications: list[Application], office: User) -> None:
    snapshot = RankingSnapshot(cycle_id=cycle.id, version=1, method="trimmed_mean", cutoff_score=cycle.cutoff_score,
                               awards_count=cycle.awards_count, settings={"demo": True}, content_hash="0" * 64,
                               frozen_by_id=office.id)
    for position, application in enumerate(applications, start=1):
        total = Decimal(812) - 23 * position
        snapshot.entries.append(ShortlistEntry(
            application_id=application.id, position=position, rank=position, organization_name=application.org_name,
            sector="C", status="ok", sheet_count=5, total=total, in_shortlist=True, robustness="stable",
            categories={category: str(round_score(total * Decimal(share)))
                        for category, share in (("4.1", "0.11"), ("4.2", "0.09"), ("4.7", "0.4"))},
            method_totals={"trimmed_mean": str(total)}))
    session.add(snapshot)
    session.flush()


def seed_decision_demo(session: Session, *, office: User, now: dt.datetime) -> None:
    """An open vote (every leader has a ballot), a notice open for objections, and last cycle's awards."""
    voting = _cycle(session, office, now.year - 1, "市长质量奖（领导小组审定演示）", Stage.APPROVAL)
    _snapshot(session, voting, _applications(session, voting, VOTE), office)
    open_vote(session, actor=office, cycle=voting, closes_at=now + dt.timedelta(days=7), now=now)

    noticed = _cycle(session, office, now.year - 2, "市长质量奖（公示演示）", Stage.NOTICE)
    notice = PublicNotice(cycle_id=noticed.id, published_at=now - dt.timedelta(days=1), published_by_id=office.id,
                          period_kind=PeriodKind.CALENDAR, period_length=7, ends_at=now + dt.timedelta(days=6),
                          award_title=f"{noticed.year}年度市长质量奖",
                          benefits="颁发证书和奖牌，并给予一次性奖励。",
                          contact="苏州市市场监督管理局质量发展处 0512-65220000")
    for position, application in enumerate(_applications(session, noticed, NOTICE), start=1):
        notice.candidates.append(NoticeCandidate(application_id=application.id, position=position,
                                                 organization_name=application.org_name,
                                                 credit_code=application.organization.credit_code))
    session.add(notice)
    session.flush()
    # As publish_notice does: the publication in the trail, and the chain's head printed as its anchor.
    record(session, actor=office, action="notice.published", target_type="public_notice", target_id=notice.id,
           cycle_id=noticed.id,
           after={"title": notice.award_title, "listed": [c.application_id for c in notice.listed]})
    anchor = chain_anchor(session)
    notice.published_anchor_seq, notice.published_anchor_hash = anchor.seq, anchor.hash

    awarded = _cycle(session, office, now.year - 3, "市长质量奖（表彰演示）", Stage.AWARDED)
    awarded_on = (now - dt.timedelta(days=400)).date()
    for application in _applications(session, awarded, AWARDED):
        session.add(Award(cycle_id=awarded.id, application_id=application.id,
                          organization_id=application.organization_id, organization_name=application.org_name,
                          title=f"{awarded.year}年度市长质量奖", awarded_on=awarded_on,
                          valid_until=years_after(awarded_on, 4) - dt.timedelta(days=1),
                          certificate_number=new_certificate_number(awarded.year)))
    session.flush()
