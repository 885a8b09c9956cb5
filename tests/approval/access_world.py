"""Objects the access matrix needs for the vote, the public notice and the awards.

Built from rows directly (no review round), so that the matrix stays fast: a cycle in approval
with an open vote whose member is the world's leader; a cycle in the notice stage with a running
notice, a candidate and an objection with its evidence file; an award.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceStore
from award.applications.models import Application, ApplicationStatus
from award.approval.services import open_vote
from award.auth.models import User
from award.awards.models import Award
from award.awards.numbers import new_certificate_number
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.notice.models import NoticeCandidate, Objection, PublicNotice
from award.notice.periods import PeriodKind
from award.ranking.models import RankingSnapshot, ShortlistEntry
from tests.approval.world import pdf_bytes


def frozen_snapshot(db: Session, cycle: Cycle, applications: list[Application]) -> RankingSnapshot:
    """A frozen shortlist with every application on it, totals 900, 880, ..."""
    snapshot = RankingSnapshot(cycle_id=cycle.id, version=1, method="trimmed_mean", cutoff_score=Decimal(600),
                               awards_count=len(applications), settings={}, content_hash="0" * 64)
    for position, application in enumerate(applications, start=1):
        total = Decimal(920 - 20 * position)
        snapshot.entries.append(ShortlistEntry(
            application_id=application.id, position=position, rank=position,
            organization_name=application.org_name, sector="C", status="ok", sheet_count=5, total=total,
            categories={"4.1": str(total / 10), "4.7": str(total / 3)}, method_totals={}, in_shortlist=True,
            robustness="stable"))
    db.add(snapshot)
    db.flush()
    return snapshot


def applications_of(db: Session, cycle: Cycle, make_organization, count: int) -> list[Application]:  # noqa: ANN001
    applications = []
    for _ in range(count):
        organization = make_organization()
        application = Application(cycle_id=cycle.id, organization_id=organization.id,
                                  status=ApplicationStatus.ELIGIBLE, org_name=organization.name, sector="C")
        db.add(application)
        applications.append(application)
    db.flush()
    return applications


REFERENCE = "YY2026-ACDEFG"  # the world objection's reference; its phone is 13912345678


def decision_world(db: Session, app: Flask, *, users: dict[str, User], make_cycle, make_organization,  # noqa: ANN001
                   root: Path) -> dict[str, object]:
    now = utcnow()
    vote_cycle = make_cycle(stage=Stage.APPROVAL)
    candidates = applications_of(db, vote_cycle, make_organization, 2)
    frozen_snapshot(db, vote_cycle, candidates)
    open_vote(db, actor=users["office"], cycle=vote_cycle, closes_at=now + dt.timedelta(days=2))

    notice_cycle = make_cycle(stage=Stage.NOTICE)
    listed, awarded = applications_of(db, notice_cycle, make_organization, 2)
    notice = PublicNotice(cycle_id=notice_cycle.id, published_at=now - dt.timedelta(days=1),
                          period_kind=PeriodKind.WORKING, period_length=5, ends_at=now + dt.timedelta(days=6),
                          award_title="2026年度市长质量奖", benefits="证书和奖牌", contact="0512-12345678")
    notice.candidates.append(NoticeCandidate(application_id=listed.id, position=1, credit_code="X" * 18,
                                             organization_name=listed.org_name))
    db.add(notice)
    db.flush()
    app.config["FILES_ROOT"] = str(root)
    stored = EvidenceStore(root).save(pdf_bytes())
    objection = Objection(notice_id=notice.id, candidate_id=notice.candidates[0].id, name="张三", reference=REFERENCE,
                          id_number="11010519491231002X", phone="13912345678", text="材料不实",
                          stored_name=stored.stored_name, display_name="证据.pdf", content_type="application/pdf",
                          size_bytes=stored.size_bytes, sha256=stored.sha256, remote_addr="127.0.0.1")
    db.add(objection)
    award = Award(cycle_id=notice_cycle.id, application_id=awarded.id, organization_id=awarded.organization_id,
                  organization_name=awarded.org_name, title="2025年度市长质量奖", awarded_on=dt.date(2025, 12, 1),
                  valid_until=dt.date(2029, 11, 30), certificate_number=new_certificate_number(2025))
    db.add(award)
    db.commit()
    return {"vote_cycle_id": vote_cycle.id, "vote_application_id": candidates[0].id,
            "notice_cycle_id": notice_cycle.id, "notice_id": notice.id, "objection_id": objection.id,
            "award_id": award.id}
