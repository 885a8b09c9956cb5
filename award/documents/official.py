"""The official documents as PDF: the public notice list (公示名单) and the award decision list (表彰决定名单).

Pure functions: data in, PDF bytes out. The layout follows the usual government document format
(GB/T 9704-2012, 党政机关公文格式): A4 portrait, the issuing office's mark in red with the
document number (文号) and a red line under them (版头), the title, the body with a table, and the
issuing office and date at the bottom, where the seal goes.

The office edits the texts, not the template: the texts are plain text with a few placeholders
(``{count}``, ``{award_title}`` …) filled in here; the template is a file rendered in a sandbox.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from award.audit.anchors import Anchor
from award.certificates.assets import FetchRecord
from award.certificates.fonts import FontLookup, installed_cjk_families
from award.documents.models import DocumentKind
from award.documents.pdf import image_data_url, render_html, render_pdf

__all__ = [
    "PLACEHOLDERS",
    "DocumentTexts",
    "LevelSection",
    "OfficialDocument",
    "default_texts",
    "document_date",
    "fill_placeholders",
    "joined_names",
    "number_year",
    "render_official_html",
    "render_official_pdf",
]

PLACEHOLDERS = ("year", "cycle_title", "award_title", "count", "period_start", "period_end", "contact",
                "city", "government", "regulator", "award_office", "decided_by")
"""The names the office may write in braces in its texts, e.g. ``{count}``; others stay as typed.

``{city}``, ``{government}``, ``{regulator}`` and ``{award_office}`` are the cycle's issuers
(``cycles.settings.IssuerSettings``). ``{year}`` is the cycle's year, except in the document number, where it
is the year of the issue date: a number 〔2023〕 on a document dated 2025 cannot be printed.
``{decided_by}`` names the votes of the cycle's procedure (``cycles.procedure.decided_by``): 领导小组审定,
评委会审议, or 评委会审议、领导小组审定.
"""

_NUMBER_YEAR = re.compile(r"〔([0-9]{4})〕")

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_TEXT_WIDTH_MM = 156  # A4 less the 28 mm and 26 mm side margins of GB/T 9704
_PT_PER_MM = 72 / 25.4


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentTexts:
    """The words of one document that the office may change; plain text, placeholders allowed."""

    issuing_office: str
    document_number: str
    title: str
    opening: str
    closing: str
    issued_on: date | None = None  # None: the date of the notice or of the awards


_DEFAULTS = {
    DocumentKind.NOTICE: DocumentTexts(
        issuing_office="{award_office}",
        document_number="质奖办〔{year}〕1号",
        title="关于{award_title}拟授奖单位名单的公示",
        opening="根据《{city}市长质量奖管理办法》，经组织申报、资格审核、专家评审、{decided_by}，"
                "拟授予以下{count}家单位“{award_title}”称号，现予以公示。",
        closing="公示期为{period_start}至{period_end}。公示期间，任何单位和个人对公示单位有异议的，"
                "可以书面形式实名提出，写明真实姓名、身份证号码或所在单位以及联系电话，并附必要的证明材料。"
                "匿名异议和逾期提出的异议不予受理。\n联系方式：{contact}",
    ),
    DocumentKind.DECISION: DocumentTexts(
        issuing_office="{government}",
        document_number="政发〔{year}〕1号",
        title="关于授予{award_title}的决定",
        opening="为深入实施质量强市战略，激励各类组织加强全面质量管理，经组织申报、资格审核、专家评审、"
                "{decided_by}和社会公示，决定授予以下{count}家单位“{award_title}”称号。",
        closing="希望获奖单位珍惜荣誉，再接再厉，充分发挥示范引领作用。全市各类组织要以获奖单位为榜样，"
                "追求卓越，为推动高质量发展作出新的贡献。",
    ),
}

_COLUMNS = {
    DocumentKind.NOTICE: ("序号", "单位名称", "统一社会信用代码"),
    DocumentKind.DECISION: ("序号", "单位名称", "证书编号"),
}


def default_texts(kind: DocumentKind) -> DocumentTexts:
    """The texts a cycle starts with, before the office edits them."""
    return _DEFAULTS[kind]


def document_date(day: date) -> str:
    """The date as official documents write it (GB/T 9704: Arabic numerals), e.g. 2026年3月18日."""
    return f"{day.year}年{day.month}月{day.day}日"


def number_year(document_number: str) -> int | None:
    """The year a document number carries in its 〔〕 (质奖办〔2026〕1号 → 2026), or None."""
    match = _NUMBER_YEAR.search(document_number)
    return int(match.group(1)) if match else None


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` by its value for the known names; anything else stays as typed.

    Plain substitution, not ``str.format``: no attribute access, no format specs, no errors.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


_CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelSection:
    """One award level's part of a list: its name, the level's own text, its rows."""

    name: str
    text: str
    rows: Sequence[Sequence[str]]


def joined_names(names: Sequence[str]) -> str:
    """Names as one phrase: 甲 · 甲和乙 · 甲、乙和丙."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return "、".join(names[:-1]) + "和" + names[-1]


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficialDocument:
    """Everything printed on one document; every string is untrusted text."""

    kind: DocumentKind
    texts: DocumentTexts  # with the placeholders still in; filled at rendering
    placeholders: Mapping[str, str]
    issued_on: date
    rows: Sequence[Sequence[str]]  # the table, without the running number
    seal_image: bytes | None = None
    seal_mime: str | None = None
    anchor: Anchor | None = None  # the audit chain's head when the list was published or confirmed
    # With award levels: one heading, text and table per level (the rows above are all of them).
    sections: Sequence[LevelSection] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return _COLUMNS[self.kind]

    def filled(self) -> DocumentTexts:
        values = {**self.placeholders, "count": str(len(self.rows))}
        texts = self.texts
        return replace(texts, issuing_office=fill_placeholders(texts.issuing_office, values),
                       document_number=fill_placeholders(texts.document_number,
                                                         {**values, "year": str(self.issued_on.year)}),
                       title=fill_placeholders(texts.title, values),
                       opening=fill_placeholders(texts.opening, values),
                       closing=fill_placeholders(texts.closing, values))


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _width_em(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


def _masthead_pt(text: str) -> str:
    # The issuing office's mark fills at most the text width, and is never larger than 42 pt.
    width = max(_width_em(text) * 1.1, 1.0)  # letter-spacing 0.1 em
    return f"{min(42.0, _TEXT_WIDTH_MM / width * _PT_PER_MM):.1f}"


def _context(document: OfficialDocument) -> tuple[dict, list[str]]:
    texts = document.filled()
    seal_url = (image_data_url(document.seal_image, document.seal_mime or "")
                if document.seal_image is not None else None)
    masthead = f"{texts.issuing_office}文件"
    return {
        "masthead": masthead,
        "masthead_pt": _masthead_pt(masthead),
        "issuing_office": texts.issuing_office,
        "document_number": texts.document_number,
        "title": texts.title,
        "opening": _paragraphs(texts.opening),
        "closing": _paragraphs(texts.closing),
        "columns": document.columns,
        "rows": [(str(number), *row) for number, row in enumerate(document.rows, start=1)],
        "sections": [{"heading": f"{_CHINESE_NUMERALS[index] if index < 10 else index + 1}、{section.name}"
                                 f"（{len(section.rows)}家）",
                      "text": _paragraphs(fill_placeholders(section.text, {**document.placeholders,
                                                                           "count": str(len(section.rows))})),
                      "rows": [(str(number), *row) for number, row in enumerate(section.rows, start=1)]}
                     for index, section in enumerate(document.sections)],
        "issued_on": document_date(document.issued_on),
        "seal_url": seal_url,
        "anchor": document.anchor,
    }, [seal_url] if seal_url else []


def render_official_html(document: OfficialDocument, *,
                         font_lookup: FontLookup = installed_cjk_families) -> str:
    """The document's HTML, as fed to WeasyPrint."""
    context, _seals = _context(document)
    return render_html("official.html", stylesheet="official.css", font_lookup=font_lookup, **context)


def render_official_pdf(document: OfficialDocument, *, font_lookup: FontLookup = installed_cjk_families,
                        fetch_log: list[FetchRecord] | None = None) -> bytes:
    """Render the document: A4 portrait, as many pages as the table needs, numbered — 1 —."""
    context, seals = _context(document)
    return render_pdf("official.html", stylesheet="official.css", font_lookup=font_lookup, own_data_urls=seals,
                      fetch_log=fetch_log, **context)
