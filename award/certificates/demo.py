"""Demo data of certificates and feedback reports: the awarded demo cycle (run through its review, vote,
notice and final list by the awards demo) gets its certificate texts; its sheets and frozen ranking are
what the feedback reports read, including the applicant that stayed below the cut-off."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import User
from award.awards.demo import AWARDED_CYCLE_TITLE, BELOW_CUTOFF
from award.certificates.services import update_certificate_texts
from award.cycles.models import Cycle, Stage

__all__ = ["AWARDED_CYCLE_TITLE", "BELOW_CUTOFF", "seed_certificates_demo"]


def seed_certificates_demo(session: Session, *, office: User) -> Cycle | None:
    """Give the awarded demo cycle what its certificates print."""
    cycle = session.scalar(select(Cycle).where(Cycle.title == AWARDED_CYCLE_TITLE, Cycle.stage == Stage.AWARDED))
    if cycle is None:
        return None
    update_certificate_texts(session, actor=office, cycle=cycle, award_title="苏州市市长质量奖",
                             authority="苏州市人民政府", issue_date=None)
    return cycle
