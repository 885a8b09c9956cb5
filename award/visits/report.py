"""The team's on-site report (现场评审报告) as a PDF: the visit, its team, the itinerary, and per rubric item
what was found, the notes and the photos. Rendered by documents/pdf.py (sandboxed Jinja, the certificates'
URL fetcher, a CJK font required); in Chinese, as the official documents are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceStore
from award.auth.models import User
from award.certificates.fonts import FontLookup, installed_cjk_families
from award.cycles.services import cycle_rubric
from award.documents.pdf import A4_PORTRAIT, image_data_url, render_pdf
from award.i18n import format_date, format_datetime
from award.visits.models import CheckStatus, SiteVisit
from award.visits.services import require_view, team_of

REPORT_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "visits" / "pdf"
# The report is printed in Chinese whatever the page language, like the official documents.
STATUS_WORDS = {
    CheckStatus.OPEN: "未核查",
    CheckStatus.CONFIRMED: "现场核实",
    CheckStatus.PARTLY: "部分核实",
    CheckStatus.NOT_CONFIRMED: "未能核实",
}


@dataclass(frozen=True)
class ReportPhoto:
    name: str
    src: str | None  # a data: URL, None when the stored file is missing or changed
    location_stripped: bool


@dataclass(frozen=True)
class ReportItem:
    item_id: str
    title: str
    points: int
    status: str
    note: str
    photos: list[ReportPhoto] = field(default_factory=list)


@dataclass(frozen=True)
class VisitReport:
    cycle: str
    organization: str
    credit_code: str
    visit_on: str
    itinerary: str
    team: list[tuple[str, str]]  # (name, role word)
    items: list[ReportItem]
    counts: dict[str, int]
    printed_at: str


def visit_report(session: Session, visit: SiteVisit, *, actor: User | None, store: EvidenceStore | None,
                 now: dt.datetime) -> VisitReport:
    """What the report prints, read for someone who may open the visit."""
    require_view(session, actor, visit)
    application = visit.application
    rubric = cycle_rubric(visit.round.cycle)
    checks = {c.item_id: c for c in visit.checks}
    items = []
    for item in rubric.items:
        check = checks.get(item.id)
        photos = []
        for photo in (p for p in visit.photos if p.item_id == item.id):
            data = store.read_checked(photo.sha256) if store is not None else None
            photos.append(ReportPhoto(photo.display_name, image_data_url(data, photo.content_type) if data else None,
                                      photo.location_stripped))
        status = check.status if check is not None else CheckStatus.OPEN
        items.append(ReportItem(item.id, item.display_name("zh"), item.points, STATUS_WORDS[status],
                                check.note if check is not None else "", photos))
    counts = {word: sum(1 for i in items if i.status == word) for word in STATUS_WORDS.values()}
    team = [(seat.expert.full_name, "组长" if seat.is_leader else "组员")
            for seat in team_of(session, visit.round_id, visit.application_id)]
    cycle = visit.round.cycle
    return VisitReport(
        cycle=f"{cycle.year} {cycle.title}", organization=application.org_name or application.organization.name,
        credit_code=application.organization.credit_code, visit_on=format_date(visit.visit_on),
        itinerary=visit.itinerary, team=team, items=items, counts=counts,
        printed_at=format_datetime(now))


def render_visit_report(report: VisitReport, *, font_lookup: FontLookup = installed_cjk_families) -> bytes:
    """A4 portrait PDF; every value typed by the office or the team reaches it as text."""
    photos = [p.src for item in report.items for p in item.photos if p.src]
    return render_pdf("report.html", stylesheet="report.css", page_stylesheet=A4_PORTRAIT, folder=REPORT_TEMPLATES_DIR,
                      font_lookup=font_lookup, own_data_urls=photos, report=report)
