"""The office's document texts, overlay positions and printer profiles; the data behind each PDF.

The PDFs themselves are made by the pure renderers in ``official.py`` and ``overlay.py``; the
functions here read the cycle's notice and awards into their input, and change the settings
(each change audited).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from decimal import Decimal
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import Role, User
from award.awards.models import Award, AwardStatus
from award.certificates.seals import accept_seal
from award.cycles.models import Cycle
from award.cycles.procedure import decided_by
from award.cycles.services import issuers_of
from award.cycles.settings import AwardLevels, bare_bodies
from award.cycles.stages import procedure_of
from award.db import utcnow
from award.documents.models import DocumentKind, DocumentText, OverlayLayout, PrinterProfile
from award.documents.official import (
    DocumentTexts,
    LevelSection,
    OfficialDocument,
    default_texts,
    document_date,
    joined_names,
    number_year,
)
from award.documents.overlay import DATE_STYLES, FieldPosition, Layout, Offset, OverlayText
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.inputs import check_name
from award.jobs.models import Job
from award.jobs.services import latest_job, start_job
from award.notice.models import PublicNotice
from award.notice.services import notice_of
from award.ranking.services import frozen_levels

MAX_SEAL_BYTES = 1024 * 1024  # a PNG or JPEG seal, checked as the certificates' seal is (accept_seal)
_OFFSET_LIMIT = Decimal(50)


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can change the documents and the printers."))


# --- texts of the official documents ---------------------------------------------------------------


def stored_texts(session: Session, cycle: Cycle, kind: DocumentKind) -> DocumentText | None:
    return session.scalars(select(DocumentText).where(DocumentText.cycle_id == cycle.id,
                                                      DocumentText.kind == kind)).first()


def texts_of(session: Session, cycle: Cycle, kind: DocumentKind) -> DocumentTexts:
    """The office's texts of this document, or the defaults while it has not saved any."""
    row = stored_texts(session, cycle, kind)
    if row is None:
        return default_texts(kind)
    return DocumentTexts(issuing_office=row.issuing_office, document_number=row.document_number, title=row.title,
                         opening=row.opening, closing=row.closing, issued_on=row.issued_on)


def _texts_record(texts: DocumentTexts, seal: bytes | None) -> dict[str, object]:
    return {"issuing_office": texts.issuing_office, "document_number": texts.document_number, "title": texts.title,
            "opening": texts.opening, "closing": texts.closing,
            "issued_on": texts.issued_on.isoformat() if texts.issued_on else None,
            "seal_sha256": hashlib.sha256(seal).hexdigest() if seal else None}


def save_texts(session: Session, *, actor: User | None, cycle: Cycle, kind: DocumentKind, texts: DocumentTexts,
               seal: bytes | None = None, remove_seal: bool = False) -> DocumentText:
    """Store the office's texts of one document (and replace or remove its seal image)."""
    _require_office(actor)
    check_name(texts.issuing_office, field=_("The issuing office"))
    check_name(texts.document_number, field=_("The document number"))
    check_name(texts.title, field=_("The title"))
    texts = replace(texts, issuing_office=texts.issuing_office.strip(), title=texts.title.strip(),
                    document_number=texts.document_number.strip(), opening=texts.opening.strip(),
                    closing=texts.closing.strip())
    if not texts.issuing_office or not texts.title:
        raise Invalid(_("Give the issuing office and the title."), code="texts_missing")
    for name in ("issuing_office", "title", "opening", "closing"):
        bare = bare_bodies(getattr(texts, name))
        if bare:
            raise Invalid(_("“%(body)s” is named without the city: write {government}, {regulator} or "
                            "{award_office} (the cycle's issuing bodies), or the city's name in front of it.",
                            body=bare[0]), code="bare_body", field=name)
    year = number_year(texts.document_number)
    if year is not None and texts.issued_on is not None and year != texts.issued_on.year:
        raise Invalid(_("The number carries the year %(number_year)s but the document is dated %(date)s: write "
                        "{year} in the number (the year of the issue date), or change the date.",
                        number_year=year, date=document_date(texts.issued_on)),
                      code="number_year", field="document_number")
    mime = accept_seal(seal, max_bytes=MAX_SEAL_BYTES).mime if seal is not None else None
    row = stored_texts(session, cycle, kind)
    before = _texts_record(texts_of(session, cycle, kind), row.seal_image) if row else None
    if row is None:
        row = DocumentText(cycle_id=cycle.id, kind=kind)
        session.add(row)
    row.issuing_office = texts.issuing_office[:100]
    row.document_number = texts.document_number[:60]
    row.title = texts.title[:200]
    row.opening = texts.opening
    row.closing = texts.closing
    row.issued_on = texts.issued_on
    if seal is not None:
        row.seal_image, row.seal_mime = seal, mime or ""
    elif remove_seal:
        row.seal_image, row.seal_mime = None, ""
    elif row.seal_image is None:
        row.seal_mime = ""
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="document.texts_saved", target_type="document_texts", target_id=row.id,
           cycle_id=cycle.id, before=before, after={"kind": kind.value, **_texts_record(texts, row.seal_image)})
    return row


# --- the documents' data ------------------------------------------------------------------------------


def _last_day(notice: PublicNotice, zone: ZoneInfo) -> dt.date:
    # ends_at is midnight after the last day (local time).
    return (notice.ends_at.astimezone(zone) - dt.timedelta(microseconds=1)).date()


def _placeholders(cycle: Cycle, notice: PublicNotice | None, zone: ZoneInfo, award_title: str) -> dict[str, str]:
    values = {"year": str(cycle.year), "cycle_title": cycle.title, "award_title": award_title,
              "decided_by": decided_by(procedure_of(cycle)), **issuers_of(cycle).placeholders()}
    if notice is not None:
        values.update(period_start=document_date(notice.published_at.astimezone(zone).date()),
                      period_end=document_date(_last_day(notice, zone)), contact=notice.contact)
    return values


class _Seal(TypedDict, total=False):
    seal_image: bytes
    seal_mime: str


def _with_seal(session: Session, cycle: Cycle, kind: DocumentKind) -> _Seal:
    row = stored_texts(session, cycle, kind)
    if row is None or row.seal_image is None:
        return {}
    return {"seal_image": row.seal_image, "seal_mime": row.seal_mime}


def checked_document(cycle: Cycle, document: OfficialDocument) -> OfficialDocument:
    """The document if it names its issuers in full and its number's year is its date's; a Conflict otherwise.

    The service refuses to print what the issue reported: 市人民政府 without the city, 〔2023〕 on a
    document dated 2025."""
    if not issuers_of(cycle).complete:
        raise Conflict(_("Name the city that issues this cycle's documents first (Documents and printing, "
                         "“Issuing bodies”): without it they would say “市人民政府”."), code="no_city")
    texts = document.filled()
    for text in (texts.issuing_office, texts.title, texts.opening, texts.closing):
        bare = bare_bodies(text)
        if bare:
            raise Conflict(_("The document names “%(body)s” without the city: correct its texts (or the notice's "
                             "contact) before printing it.", body=bare[0]), code="bare_body")
    year = number_year(texts.document_number)
    if year is not None and year != document.issued_on.year:
        raise Conflict(_("The document number %(number)s carries the year %(number_year)s but the document is "
                         "dated %(date)s: write {year} in the number (the year of the issue date), or change "
                         "the date.", number=texts.document_number, number_year=year,
                         date=document_date(document.issued_on)), code="number_year")
    return document


def notice_document(session: Session, cycle: Cycle, *, zone: ZoneInfo) -> OfficialDocument:
    """The public notice list (公示名单): the candidates on the cycle's published notice, in its order."""
    notice = notice_of(session, cycle)
    if notice is None:
        raise Conflict(_("The public notice of this cycle has not been published."), code="no_notice")
    texts = texts_of(session, cycle, DocumentKind.NOTICE)
    levels = frozen_levels(session, cycle)
    listed = [(c.level, (c.organization_name, c.credit_code)) for c in notice.listed]
    return checked_document(cycle, OfficialDocument(
        kind=DocumentKind.NOTICE, texts=texts,
        placeholders=_placeholders(cycle, notice, zone, _title_of(levels, listed, notice.award_title)),
        issued_on=texts.issued_on or notice.published_at.astimezone(zone).date(),
        rows=[row for _level, row in listed], anchor=notice.published_anchor,
        sections=_sections(levels, listed), **_with_seal(session, cycle, DocumentKind.NOTICE)))


def _sections(levels: AwardLevels, listed: list[tuple[int | None, tuple[str, str]]]) -> list[LevelSection]:
    """One section per award level that has someone on the list; none for a cycle of one level."""
    if not levels or all(level is None for level, _row in listed):
        return []
    sections = []
    for number, level in enumerate(levels.levels, start=1):
        rows = [row for row_level, row in listed if row_level == number]
        if rows:
            sections.append(LevelSection(name=level.name, text=level.notice_text, rows=rows))
    return sections


def _title_of(levels: AwardLevels, listed: list[tuple[int | None, tuple[str, str]]], single: str) -> str:
    """``{award_title}``: the one title, or the names of the levels on the list (甲和乙)."""
    used = {level for level, _row in listed}
    if not levels or used == {None}:
        return single
    return joined_names([level.name for number, level in enumerate(levels.levels, start=1) if number in used])


def _awards(session: Session, cycle: Cycle) -> list[Award]:
    return list(session.scalars(select(Award).where(Award.cycle_id == cycle.id).order_by(Award.id)))


def decision_document(session: Session, cycle: Cycle, *, zone: ZoneInfo) -> OfficialDocument:
    """The award decision list (表彰决定名单): every award the confirmation granted, in the notice's order.

    A later revocation is a decision of its own and does not rewrite this one.
    """
    awards = _awards(session, cycle)
    if not awards:
        raise Conflict(_("No award has been made in this cycle yet: confirm the final list first."),
                          code="no_awards")
    texts = texts_of(session, cycle, DocumentKind.DECISION)
    notice = notice_of(session, cycle)
    levels = frozen_levels(session, cycle)
    listed = [(a.level, (a.organization_name, a.certificate_number))
              for a in sorted(awards, key=lambda a: (a.level or 0, a.id))]
    return checked_document(cycle, OfficialDocument(
        kind=DocumentKind.DECISION, texts=texts,
        placeholders=_placeholders(cycle, notice, zone, _title_of(levels, listed, awards[0].title)),
        issued_on=texts.issued_on or awards[0].awarded_on,
        rows=[row for _level, row in listed],
        anchor=notice.confirmed_anchor if notice is not None else None,
        sections=_sections(levels, listed), **_with_seal(session, cycle, DocumentKind.DECISION)))


def official_document(session: Session, cycle: Cycle, kind: DocumentKind, *, zone: ZoneInfo) -> OfficialDocument:
    maker = notice_document if kind is DocumentKind.NOTICE else decision_document
    return maker(session, cycle, zone=zone)


# --- the cycle's official documents as one set (a job of the worker) ------------------------------------

OFFICIAL_SET_KIND = "documents.official_set"


def official_set(session: Session, cycle: Cycle, *, zone: ZoneInfo) -> list[OfficialDocument]:
    """Every official document the cycle has reached, checked for printing: the notice list once the notice
    is published, the decision list once the awards are made. A Conflict when there is none yet, or when one
    of them cannot be printed (its reason)."""
    kinds = [kind for kind, reached in ((DocumentKind.NOTICE, notice_of(session, cycle) is not None),
                                        (DocumentKind.DECISION, bool(_awards(session, cycle)))) if reached]
    if not kinds:
        raise Conflict(_("The public notice of this cycle has not been published."), code="no_notice")
    return [official_document(session, cycle, kind, zone=zone) for kind in kinds]


def queue_official_set(session: Session, *, actor: User | None, cycle: Cycle, zone: ZoneInfo) -> tuple[Job, bool]:
    """Queue the printing of the cycle's official documents into one ZIP (a job of the worker: each PDF is
    laid out by WeasyPrint), or give the one already queued or running; refused now if one cannot be printed."""
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can print the cycle's documents as a set."))
    documents = official_set(session, cycle, zone=zone)
    return start_job(session, started_by=actor, kind=OFFICIAL_SET_KIND, inputs={"cycle_id": cycle.id},
                     total=len(documents))


def latest_official_set(session: Session, cycle: Cycle) -> Job | None:
    return latest_job(session, kind=OFFICIAL_SET_KIND, inputs={"cycle_id": cycle.id})


# --- overlay printing ------------------------------------------------------------------------------------

_LAYOUT_FIELDS = ("organization", "number", "date")


def stored_layout(session: Session, cycle: Cycle) -> OverlayLayout | None:
    return session.scalars(select(OverlayLayout).where(OverlayLayout.cycle_id == cycle.id)).first()


def layout_of(session: Session, cycle: Cycle) -> Layout:
    """The cycle's overlay positions, or the defaults while the office has not saved any."""
    row = stored_layout(session, cycle)
    if row is None:
        return Layout()
    positions = {name: FieldPosition(x_mm=float(getattr(row, f"{name}_x_mm")),
                                     y_mm=float(getattr(row, f"{name}_y_mm")),
                                     size_pt=float(getattr(row, f"{name}_pt"))) for name in _LAYOUT_FIELDS}
    return Layout(page_width_mm=float(row.page_width_mm), page_height_mm=float(row.page_height_mm),
                  organization_max_width_mm=float(row.organization_max_width_mm), date_style=row.date_style,
                  **positions)


def _layout_record(layout: Layout) -> dict[str, object]:
    return {"page": [layout.page_width_mm, layout.page_height_mm],
            **{name: [getattr(layout, name).x_mm, getattr(layout, name).y_mm, getattr(layout, name).size_pt]
               for name in _LAYOUT_FIELDS},
            "organization_max_width_mm": layout.organization_max_width_mm, "date_style": layout.date_style}


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))


def save_layout(session: Session, *, actor: User | None, cycle: Cycle, layout: Layout) -> OverlayLayout:
    """Store where the certificate texts go on this cycle's stock."""
    _require_office(actor)
    if not (50 <= layout.page_width_mm <= 500 and 50 <= layout.page_height_mm <= 500):
        raise Invalid(_("The sheet must be between 50 and 500 mm on each side."), code="page_size")
    if layout.date_style not in DATE_STYLES:
        raise Invalid(_("Choose how the date is written."), code="date_style")
    for name in _LAYOUT_FIELDS:
        position: FieldPosition = getattr(layout, name)
        if not (0 <= position.x_mm <= layout.page_width_mm and 0 <= position.y_mm <= layout.page_height_mm):
            raise Invalid(_("Every position must lie on the sheet."), code="off_sheet")
        if not 6 <= position.size_pt <= 72:
            raise Invalid(_("Font sizes must be between 6 and 72 pt."), code="size")
    if layout.organization_max_width_mm <= 0:
        raise Invalid(_("The width of the organization name must be positive."), code="width")
    row = stored_layout(session, cycle)
    before = _layout_record(layout_of(session, cycle)) if row else None
    if row is None:
        row = OverlayLayout(cycle_id=cycle.id)
        session.add(row)
    row.page_width_mm = _decimal(layout.page_width_mm)
    row.page_height_mm = _decimal(layout.page_height_mm)
    for name in _LAYOUT_FIELDS:
        position = getattr(layout, name)
        setattr(row, f"{name}_x_mm", _decimal(position.x_mm))
        setattr(row, f"{name}_y_mm", _decimal(position.y_mm))
        setattr(row, f"{name}_pt", _decimal(position.size_pt))
    row.organization_max_width_mm = _decimal(layout.organization_max_width_mm)
    row.date_style = layout.date_style
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="overlay.layout_saved", target_type="overlay_layout", target_id=row.id,
           cycle_id=cycle.id, before=before, after=_layout_record(layout))
    return row


def overlay_texts(session: Session, cycle: Cycle) -> list[OverlayText]:
    """The variable text of every certificate of the cycle that still holds (revoked ones are not printed)."""
    texts = [OverlayText(organization_name=a.organization_name, certificate_number=a.certificate_number,
                         issue_date=a.awarded_on)
             for a in _awards(session, cycle) if a.status is AwardStatus.VALID]
    if not texts:
        raise Conflict(_("This cycle has no valid award to print a certificate for."), code="no_awards")
    return texts


# --- printer profiles ------------------------------------------------------------------------------------


def printer_profiles(session: Session) -> list[PrinterProfile]:
    return list(session.scalars(select(PrinterProfile).order_by(PrinterProfile.name)))


def offset_of(printer: PrinterProfile | None) -> Offset:
    """The offset to print with; no printer chosen prints where the layout says."""
    if printer is None:
        return Offset()
    return Offset(name=printer.name, x_mm=float(printer.offset_x_mm), y_mm=float(printer.offset_y_mm))


def _printer_record(printer: PrinterProfile) -> dict[str, object]:
    return {"name": printer.name, "offset_x_mm": str(printer.offset_x_mm), "offset_y_mm": str(printer.offset_y_mm),
            "note": printer.note}


def _check_printer(session: Session, name: str, offset_x_mm: Decimal, offset_y_mm: Decimal,
                   printer: PrinterProfile | None) -> str:
    name = name.strip()
    if not name:
        raise Invalid(_("Give the printer a name."), code="no_name")
    if abs(offset_x_mm) > _OFFSET_LIMIT or abs(offset_y_mm) > _OFFSET_LIMIT:
        raise Invalid(_("An offset is at most 50 mm either way."), code="offset")
    clash = session.scalars(select(PrinterProfile).where(PrinterProfile.name == name)).first()
    if clash is not None and clash is not printer:
        raise Invalid(_("A printer named %(name)s already exists.", name=name), code="duplicate")
    return name


def create_printer(session: Session, *, actor: User | None, name: str, offset_x_mm: Decimal, offset_y_mm: Decimal,
                   note: str = "") -> PrinterProfile:
    """Add a printer with its calibration offset."""
    _require_office(actor)
    name = _check_printer(session, name, offset_x_mm, offset_y_mm, None)
    printer = PrinterProfile(name=name[:100], offset_x_mm=_decimal(float(offset_x_mm)),
                             offset_y_mm=_decimal(float(offset_y_mm)), note=note.strip())
    session.add(printer)
    session.flush()
    record(session, actor=actor, action="printer.created", target_type="printer_profile", target_id=printer.id,
           after=_printer_record(printer))
    return printer


def update_printer(session: Session, *, actor: User | None, printer: PrinterProfile, name: str,
                   offset_x_mm: Decimal, offset_y_mm: Decimal, note: str = "") -> PrinterProfile:
    """Rename a printer or correct its offset after printing a test page."""
    _require_office(actor)
    name = _check_printer(session, name, offset_x_mm, offset_y_mm, printer)
    before = _printer_record(printer)
    printer.name = name[:100]
    printer.offset_x_mm = _decimal(float(offset_x_mm))
    printer.offset_y_mm = _decimal(float(offset_y_mm))
    printer.note = note.strip()
    printer.updated_at = utcnow()
    session.flush()
    record(session, actor=actor, action="printer.updated", target_type="printer_profile", target_id=printer.id,
           before=before, after=_printer_record(printer))
    return printer


def delete_printer(session: Session, *, actor: User | None, printer: PrinterProfile) -> None:
    """Remove a printer that is no longer used (the audit trail keeps its last calibration)."""
    _require_office(actor)
    before = _printer_record(printer)
    printer_id = printer.id
    session.delete(printer)
    session.flush()
    record(session, actor=actor, action="printer.deleted", target_type="printer_profile", target_id=printer_id,
           before=before)
