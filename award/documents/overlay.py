"""Overlay printing (套打): only the variable text of the certificates, for pre-printed stock.

Pure functions: data in, PDF bytes out. Each sheet is one SVG whose units are millimetres, so a
field's position is exactly the point where its text's baseline starts, measured from the
sheet's top-left corner; the printer's calibration offset is added to every position. The test
page draws a ruler grid (a line every 5 mm, labelled every 10 mm) with the same offset, plus a
cross at each field, so the office can measure how far the printer is off and correct it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from award.certificates.assets import FetchRecord
from award.certificates.fonts import FontLookup, installed_cjk_families
from award.certificates.render import chinese_date
from award.documents.official import document_date
from award.documents.pdf import render_pdf

__all__ = [
    "DATE_STYLES",
    "FieldPosition",
    "Layout",
    "Offset",
    "OverlayText",
    "fitted_size_pt",
    "render_overlay_pdf",
    "render_test_page_pdf",
]

MM_PER_PT = 25.4 / 72
DATE_STYLES = ("chinese", "arabic")  # 二〇二六年三月十八日 / 2026年3月18日


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldPosition:
    """Where one text starts (left end of its baseline, mm from the top-left corner) and its size."""

    x_mm: float
    y_mm: float
    size_pt: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """The positions on one cycle's certificate stock; the defaults suit an A4 landscape sheet."""

    page_width_mm: float = 297.0
    page_height_mm: float = 210.0
    organization: FieldPosition = field(default_factory=lambda: FieldPosition(x_mm=60, y_mm=88, size_pt=22))
    organization_max_width_mm: float = 180.0  # a longer name is set smaller to stay inside
    number: FieldPosition = field(default_factory=lambda: FieldPosition(x_mm=40, y_mm=182, size_pt=12))
    date: FieldPosition = field(default_factory=lambda: FieldPosition(x_mm=196, y_mm=168, size_pt=16))
    date_style: str = "chinese"  # one of DATE_STYLES


@dataclass(frozen=True, slots=True, kw_only=True)
class Offset:
    """A printer's calibration: added to every position (positive x moves right, positive y down)."""

    name: str = ""
    x_mm: float = 0.0
    y_mm: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlayText:
    """The variable text of one certificate; the organization name is untrusted text."""

    organization_name: str
    certificate_number: str
    issue_date: date


def _width_em(text: str) -> float:
    # Chinese characters are one em wide; Latin letters and digits about half of that.
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


def fitted_size_pt(text: str, size_pt: float, max_width_mm: float) -> float:
    """The font size at which ``text`` stays inside ``max_width_mm`` (never larger than ``size_pt``)."""
    width_mm = _width_em(text) * size_pt * MM_PER_PT
    if width_mm <= max_width_mm:
        return size_pt
    return size_pt * max_width_mm / width_mm


def _number(value: float) -> str:
    return f"{value:.2f}"


def _text(content: str, position: FieldPosition, offset: Offset, size_pt: float | None = None) -> dict[str, str]:
    return {"x": _number(position.x_mm + offset.x_mm), "y": _number(position.y_mm + offset.y_mm),
            "size": _number((size_pt or position.size_pt) * MM_PER_PT), "text": content}


def _sheet(text: OverlayText, layout: Layout, offset: Offset) -> list[dict[str, str]]:
    day = chinese_date(text.issue_date) if layout.date_style == "chinese" else document_date(text.issue_date)
    name_pt = fitted_size_pt(text.organization_name, layout.organization.size_pt, layout.organization_max_width_mm)
    return [
        _text(text.organization_name, layout.organization, offset, name_pt),
        _text(text.certificate_number, layout.number, offset),
        _text(day, layout.date, offset),
    ]


def _page(layout: Layout) -> dict[str, str]:
    return {"width": _number(layout.page_width_mm), "height": _number(layout.page_height_mm)}


def render_overlay_pdf(texts: Sequence[OverlayText], *, layout: Layout, offset: Offset = Offset(),
                       font_lookup: FontLookup = installed_cjk_families,
                       fetch_log: list[FetchRecord] | None = None) -> bytes:
    """One sheet per certificate, in order, with nothing on it but the three texts."""
    if not texts:
        raise ValueError("no certificates to print")
    return render_pdf("overlay.html", stylesheet="overlay.css", font_lookup=font_lookup, fetch_log=fetch_log,
                      page=_page(layout), sheets=[_sheet(text, layout, offset) for text in texts])


def _grid(layout: Layout) -> tuple[list[dict], list[dict]]:
    def lines(length: float) -> list[dict]:
        # A line every 5 mm, a bolder one every 10 mm, labelled except at the sheet's edges.
        return [{"at": _number(mm), "major": mm % 10 == 0,
                 "label": str(mm) if mm % 10 == 0 and 0 < mm < length else ""}
                for mm in range(0, int(length) + 1, 5)]

    return lines(layout.page_width_mm), lines(layout.page_height_mm)


_FIELD_LABELS = (("organization", "单位名称"), ("number", "证书编号"), ("date", "颁发日期"))


def render_test_page_pdf(*, layout: Layout, offset: Offset = Offset(), font_lookup: FontLookup = installed_cjk_families,
                         fetch_log: list[FetchRecord] | None = None) -> bytes:
    """The calibration sheet: a millimetre grid and a cross at each field, all moved by the offset."""
    vertical, horizontal = _grid(layout)
    markers = []
    for name, label in _FIELD_LABELS:
        position: FieldPosition = getattr(layout, name)
        markers.append({"x": _number(position.x_mm + offset.x_mm), "y": _number(position.y_mm + offset.y_mm),
                        "label": f"{label} ({position.x_mm:g}, {position.y_mm:g})"})
    return render_pdf(
        "test_page.html", stylesheet="overlay.css", font_lookup=font_lookup, fetch_log=fetch_log,
        page=_page(layout), dx=_number(offset.x_mm), dy=_number(offset.y_mm),
        vertical=vertical, horizontal=horizontal, markers=markers,
        printer=offset.name, offset_x=f"{offset.x_mm:+.1f}", offset_y=f"{offset.y_mm:+.1f}",
        middle_x=_number(layout.page_width_mm / 2), middle_y=_number(layout.page_height_mm / 2),
    )
