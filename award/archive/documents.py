"""The data printed on a cycle's certificates and feedback reports, built from the database.

The renderers in award/certificates/render.py are pure (data in, PDF out); these builders turn an
award row and a frozen ranking into their inputs. The feedback report's figures are the frozen
snapshot's (what the leading group voted on); its words are the experts' strengths and improvement
points from submitted sheets of panel members still on the panel, pooled per category without names.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.awards.models import Award
from award.certificates.render import CertificateData, ExpertComment, FeedbackReport, merge_expert_comments
from award.cycles.models import Cycle
from award.ranking.models import ShortlistEntry
from award.review.models import Assignment, AssignmentStatus, ItemScore, ScoreSheet, SheetStatus
from award.rubrics import Rubric

VERIFY_PATH = "/certificates/verify"


def verify_url(public_base_url: str, number: str) -> str:
    """The public check page of a certificate, encoded in its QR code."""
    return f"{public_base_url.rstrip('/')}{VERIFY_PATH}?number={quote(number)}"


def certificate_data(award: Award, *, authority: str, public_base_url: str) -> CertificateData:
    """One award's certificate: the organization as named on the notice, its number and validity."""
    return CertificateData(
        number=award.certificate_number, organization_name=award.organization_name,
        award_title=award.title.removeprefix(f"{award.cycle.year}年度"), year=award.cycle.year,
        issue_date=award.awarded_on, valid_until=award.valid_until, authority=authority,
        verify_url=verify_url(public_base_url, award.certificate_number),
    )


def _comments(session: Session, application: Application, rubric: Rubric) -> Iterable[ExpertComment]:
    rows = session.execute(
        select(ItemScore.item_id, ItemScore.strength, ItemScore.improvement)
        .join(ScoreSheet, ItemScore.sheet_id == ScoreSheet.id)
        .join(Assignment, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.application_id == application.id, Assignment.status == AssignmentStatus.ACTIVE,
               ScoreSheet.status == SheetStatus.SUBMITTED)
        .order_by(ItemScore.id)
    )
    for item_id, strength, improvement in rows:
        if rubric.has_item(item_id):
            yield ExpertComment(category_id=rubric.category_of(item_id).id, strengths=[strength],
                                improvements=[improvement])


def feedback_report(session: Session, *, cycle: Cycle, rubric: Rubric, entry: ShortlistEntry,
                    application: Application) -> FeedbackReport:
    """The feedback report of one ranked application: its frozen figures and the pooled comments."""
    snapshot = entry.snapshot

    def figure(value: object) -> float:
        return float(Decimal(str(value))) if value is not None else 0.0

    categories = [(category.id, category.name, float(category.points), figure(entry.categories.get(category.id)))
                  for category in rubric.categories]
    return FeedbackReport(
        cycle_title=cycle.title, year=cycle.year, organization_name=entry.organization_name,
        total=figure(entry.total), cutoff=figure(snapshot.cutoff_score), shortlisted=entry.in_shortlist,
        categories=merge_expert_comments(categories, _comments(session, application, rubric)),
        issued_on=snapshot.frozen_at.date(),
    )
