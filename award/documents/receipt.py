"""The applicant's receipt (申报回执): the application as last submitted, as a PDF and as a print view.

It is printed from the submission frozen when it was sent (applications.models.ApplicationSubmission), not
from the application as it is now: after a return for correction the applicant edits the application again,
and until it is submitted again the receipt still shows what the office received the last time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from award.applications.models import Application
from award.applications.sectors import GBT4754_SECTIONS
from award.applications.services import latest_submission
from award.certificates.fonts import FontLookup, installed_cjk_families
from award.cycles.services import issuers_of
from award.documents.pdf import A4_PORTRAIT, render_pdf
from award.errors import NotFound
from award.i18n import _, format_datetime

# The profile's fields in the order and with the words of the printed receipt (the receipt is in Chinese,
# as the official documents are).
PROFILE_LABELS: tuple[tuple[str, str], ...] = (
    ("org_name", "单位名称"),
    ("address", "注册地址"),
    ("district", "所在区"),
    ("sector", "所属行业（GB/T 4754）"),
    ("employees", "从业人数"),
    ("revenue", "上年度营业收入（万元）"),
    ("founded_on", "成立日期"),
    ("qms_certified_on", "质量管理体系认证日期"),
    ("last_major_accident_on", "最近一次重大质量、安全、环境事故日期"),
    ("accident_note", "事故说明"),
    ("last_penalty_on", "最近一次行政处罚日期"),
    ("penalty_note", "处罚说明"),
    ("declaration_confirmed", "申报声明"),
)


@dataclass(frozen=True, kw_only=True)
class EvidenceLine:
    number: int
    name: str
    size: str
    sha256: str
    item: str = ""  # the rubric item it supports ("" for a file of the whole application, and older ones)


@dataclass(frozen=True, kw_only=True)
class Receipt:
    application_id: int
    number: int  # which submission: 1, or 2 after one return, ...
    cycle: str
    organization: str
    credit_code: str
    submitted_at: dt.datetime
    submitted_local: str  # "2026-12-07 18:05（北京时间）"
    profile: tuple[tuple[str, str], ...]
    self_assessment: tuple[dict[str, str], ...]
    evidence: tuple[EvidenceLine, ...]
    content_sha256: str
    city: str = ""  # the cycle's issuing city, e.g. 苏州市; empty: not named yet
    issuer: str = ""  # the award office that received the application, named with its city


def beijing_time(moment: dt.datetime) -> str:
    """The app's one format of a moment (in Beijing time), said so on the printed page."""
    return f"{format_datetime(moment)}（北京时间）"


def _value(name: str, value: Any) -> str:
    if name == "declaration_confirmed":
        return "已确认" if value else "未确认"
    if value in (None, ""):
        return "无" if name in ("last_major_accident_on", "last_penalty_on") else "—"
    if name == "sector":
        return f"{value} {GBT4754_SECTIONS.get(str(value), '')}".strip()
    return str(value)


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1048576:.2f} MB" if size_bytes >= 104858 else f"{size_bytes / 1024:.1f} KB"


def receipt_of(session: Session, application: Application) -> Receipt:
    """The receipt of the latest submission; NotFound while the application was never submitted."""
    submission = latest_submission(session, application)
    if submission is None:
        raise NotFound(_("The application has not been submitted yet: the receipt is made on submission."),
                       code="no_receipt")
    content = submission.content
    issuers = issuers_of(application.cycle)
    evidence = tuple(EvidenceLine(number=n, name=f["name"], size=_size(int(f["size_bytes"])), sha256=f["sha256"],
                                  item=str(f.get("item") or ""))
                     for n, f in enumerate(content.get("evidence", []), start=1))
    profile = content.get("profile", {})
    cycle = content.get("cycle", {})
    return Receipt(
        application_id=application.id, number=submission.number,
        cycle=f"{cycle.get('year', '')}年度 {cycle.get('title', '')}",
        organization=content.get("organization", {}).get("name", ""),
        credit_code=content.get("organization", {}).get("credit_code", ""),
        submitted_at=submission.submitted_at, submitted_local=beijing_time(submission.submitted_at),
        profile=tuple((label, _value(name, profile.get(name))) for name, label in PROFILE_LABELS),
        self_assessment=tuple({"item": entry["item"], "title": entry["title"]["zh"], "points": entry["points"],
                               "text": entry["text"],
                               "evidence": "、".join(str(e.number) for e in evidence if e.item == entry["item"])}
                              for entry in content.get("self_assessment", [])),
        evidence=evidence,
        content_sha256=submission.content_sha256,
        city=issuers.city, issuer=issuers.award_office_name,
    )


def receipt_file_name(receipt: Receipt) -> str:
    return f"申报回执-{receipt.application_id}-{receipt.number}.pdf"


def render_receipt_pdf(receipt: Receipt, *, printed_at: str,
                       font_lookup: FontLookup = installed_cjk_families) -> bytes:
    """A4 portrait, numbered pages; every value the applicant typed reaches the PDF as text."""
    return render_pdf("receipt.html", stylesheet="receipt.css", page_stylesheet=A4_PORTRAIT, font_lookup=font_lookup,
                      receipt=receipt, printed_at=printed_at)
