"""Objects the documents tests and the access matrix need: an awarded cycle with its notice and awards, a printer.

Built from rows directly (no vote, no review round), so that the matrix stays fast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus, ApplicationSubmission
from award.applications.services import content_digest, submission_content
from award.awards.models import Award, AwardStatus
from award.awards.numbers import new_certificate_number
from award.cycles.models import Cycle, Stage
from award.cycles.settings import IssuerSettings
from award.documents.models import PrinterProfile
from award.notice.models import NoticeCandidate, PublicNotice
from award.notice.periods import PeriodKind

PUBLISHED_AT = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # Monday 2 March, 09:30 in Shanghai
ENDS_AT = dt.datetime(2026, 3, 8, 16, 0, tzinfo=dt.UTC)  # midnight after Sunday 8 March, Shanghai time
AWARDED_ON = dt.date(2026, 3, 18)


@dataclass
class AwardedCycle:
    cycle: Cycle
    notice: PublicNotice
    awards: list[Award]


def awarded_cycle(db: Session, *, make_cycle, make_organization, names: list[str],  # noqa: ANN001
                  revoked: tuple[int, ...] = ()) -> AwardedCycle:
    """A cycle past its notice: every name was on the notice and holds an award (those in `revoked` lost it)."""
    cycle = make_cycle(stage=Stage.AWARDED, year=2026)
    cycle.award_settings = IssuerSettings(city="某某市").stored_in(cycle.award_settings)  # who issues its documents
    notice = PublicNotice(cycle_id=cycle.id, published_at=PUBLISHED_AT, period_kind=PeriodKind.WORKING,
                          period_length=5, ends_at=ENDS_AT, award_title="2026年度市长质量奖",
                          benefits="证书和奖牌", contact="0512-12345678", confirmed_at=ENDS_AT)
    applications = []
    for position, name in enumerate(names, start=1):
        organization = make_organization(name=name[:200])
        application = Application(cycle_id=cycle.id, organization_id=organization.id,
                                  status=ApplicationStatus.ELIGIBLE, org_name=name, sector="C")
        db.add(application)
        db.flush()
        applications.append(application)
        notice.candidates.append(NoticeCandidate(application_id=application.id, position=position,
                                                 credit_code=organization.credit_code, organization_name=name))
    db.add(notice)
    db.flush()
    awards = []
    for index, application in enumerate(applications):
        award = Award(cycle_id=cycle.id, application_id=application.id, organization_id=application.organization_id,
                      organization_name=application.org_name, title=notice.award_title, awarded_on=AWARDED_ON,
                      valid_until=dt.date(2030, 3, 17), certificate_number=new_certificate_number(2026))
        if index in revoked:
            award.status = AwardStatus.REVOKED
            award.revoked_on = dt.date(2026, 6, 1)
            award.revoke_reason = "材料造假"
            award.ban_until = dt.date(2029, 6, 1)
        db.add(award)
        awards.append(award)
    db.commit()
    return AwardedCycle(cycle=cycle, notice=notice, awards=awards)


def documents_world(db: Session, *, make_cycle, make_organization) -> dict[str, object]:  # noqa: ANN001
    awarded = awarded_cycle(db, make_cycle=make_cycle, make_organization=make_organization,
                            names=["某某市精密机械制造股份有限公司", "某某市绿色能源科技有限公司"])
    printer = PrinterProfile(name="办公室激光打印机", offset_x_mm=Decimal("1.5"), offset_y_mm=Decimal("-2.0"))
    db.add(printer)
    db.commit()
    return {"documents_cycle_id": awarded.cycle.id, "printer_id": printer.id}


def receipt_world(db: Session, *, users, make_cycle, make_organization) -> dict[str, int]:  # noqa: ANN001
    """Two submitted applications in a cycle under screening: the world's enterprise's own and another's,
    each with its frozen submission (the receipt's source)."""
    cycle = make_cycle(stage=Stage.SCREENING)
    submitted_at = dt.datetime(2026, 11, 20, 2, 15, tzinfo=dt.UTC)
    ids = []
    for organization in (users["enterprise"].organization, make_organization()):
        application = Application(cycle_id=cycle.id, organization_id=organization.id,
                                  status=ApplicationStatus.SUBMITTED, org_name=organization.name, sector="C",
                                  self_assessment={}, submitted_at=submitted_at)
        db.add(application)
        db.flush()
        db.refresh(application)
        content = submission_content(db, application)
        db.add(ApplicationSubmission(application_id=application.id, number=1, submitted_at=submitted_at,
                                     content=content, content_sha256=content_digest(content)))
        ids.append(application.id)
    db.commit()
    return {"receipt_application_id": ids[0], "other_receipt_application_id": ids[1]}
