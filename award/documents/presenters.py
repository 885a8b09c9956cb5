"""What the documents pages show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from award.cycles.models import Cycle
from award.cycles.services import issuers_of
from award.documents import services
from award.documents.models import DocumentKind
from award.documents.official import DocumentTexts, fill_placeholders
from award.errors import DomainError
from award.i18n import _, _l

KIND_LABELS = {
    DocumentKind.NOTICE: _l("Public notice list (公示名单)"),
    DocumentKind.DECISION: _l("Award decision list (表彰决定名单)"),
}
FILE_NAMES = {DocumentKind.NOTICE: "公示名单", DocumentKind.DECISION: "表彰决定名单"}


def preview_texts(texts: DocumentTexts, cycle: Cycle) -> DocumentTexts:
    """The texts as the page shows them before the document can be made: what is known filled in,
    the rest named in words (the award title is set when the notice is published)."""
    issuers = {name: value or _("(not named yet)") for name, value in issuers_of(cycle).placeholders().items()}
    values = {"year": str(cycle.year), "cycle_title": cycle.title,
              "award_title": _("the award title set on the public notice"), "count": "N", **issuers}
    return replace(texts, issuing_office=fill_placeholders(texts.issuing_office, values),
                   document_number=fill_placeholders(texts.document_number, values),
                   title=fill_placeholders(texts.title, values))


def documents_page(session: Session, cycle: Cycle, *, zone: ZoneInfo) -> dict[str, Any]:
    """Each official document with its texts (placeholders filled once it can be made) or why it
    cannot be made yet; the overlay positions and the printers."""
    documents = []
    for kind, label in KIND_LABELS.items():
        try:
            texts, problem = services.official_document(session, cycle, kind, zone=zone).filled(), None
        except DomainError as error:
            texts, problem = preview_texts(services.texts_of(session, cycle, kind), cycle), error.message
        documents.append({"kind": kind.value, "label": label, "texts": texts, "problem": problem,
                          "edited": services.stored_texts(session, cycle, kind) is not None})
    issuers = issuers_of(cycle)
    return {"cycle": cycle, "documents": documents, "issuers": issuers, "layout": services.layout_of(session, cycle),
            "layout_edited": services.stored_layout(session, cycle) is not None,
            "printers": services.printer_profiles(session), "latest_set": services.latest_official_set(session, cycle)}
