"""Render certificates (荣誉证书) and feedback reports (评审反馈报告) as PDF bytes.

Pure functions: data in, bytes out; no request, no database. Safety rests on three walls:

1. Templates run in Jinja's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with
   autoescape on, so every caller-supplied string reaches the HTML as text, never markup.
2. WeasyPrint fetches through :class:`~award.certificates.engine.AssetFetcher`, which serves only ``award-asset:NAME``
   files from the templates folder and the ``data:`` URLs this module created itself (the
   seal image); ``file:``, ``http(s):`` and foreign ``data:`` URLs are refused. Fonts come
   from fontconfig, not through the fetcher.
3. The only markup built in Python (the QR code and the bar chart SVG) escapes its inputs.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from award.certificates.assets import FetchRecord
from award.certificates.fonts import FontLookup, installed_cjk_families, require_cjk_font
from award.i18n import gettext_in
from award.lazy import lazy_module
from award.numbers import format_score

if TYPE_CHECKING:
    import segno
else:  # its tables take 20 to 50 ms to import, paid by every command: only a certificate needs it
    segno = lazy_module("segno")

__all__ = [
    "DEFAULT_TEMPLATES_DIR",
    "CategoryFeedback",
    "CertificateData",
    "ExpertComment",
    "FeedbackReport",
    "BATCH_CHUNK_SIZE",
    "QR_MASK",
    "Progress",
    "bar_chart_svg",
    "chinese_date",
    "merge_expert_comments",
    "qr_svg",
    "render_certificate_html",
    "render_certificate_pdf",
    "render_certificates_batch",
    "render_feedback_html",
    "render_feedback_pdf",
]

# Equivalent to Path(award.__file__).parent.parent / "templates" / "certificates", without
# needing award/__init__.py to be importable as a regular package.
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "certificates"

QR_MASK = 0  # the QR code's data mask, (row + column) % 2 == 0: a checkerboard over the data
_SEAL_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_CN_DIGITS = "〇一二三四五六七八九"
DOCUMENT_LOCALE = "zh_CN"  # the language of every printed document

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each certificate of a batch."""

Renderer = Callable[[Sequence["CertificateData"], Progress], bytes]
"""Lays out a batch: the certificates and a progress callback in, the PDF out."""


# --- input data -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateData:
    """Everything printed on one winner's certificate; all strings are untrusted text."""

    number: str
    organization_name: str
    award_title: str  # e.g. "某某市市长质量奖"; the year is printed in front of it
    year: int
    issue_date: date
    valid_until: date | None
    authority: str  # issuing body, e.g. "某某市人民政府"
    verify_url: str  # public check page, encoded in the QR code
    seal_image: bytes | None = None
    seal_mime: str | None = None  # "image/png" or "image/jpeg" when seal_image is given


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryFeedback:
    """One rubric category of a feedback report: its points and the experts' pooled words."""

    id: str  # e.g. "4.1"
    name: str  # e.g. "领导"
    points: float  # category maximum, e.g. 110
    scored: float  # the applicant's official score in this category
    strengths: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscussionNote:
    """One comment of a panel's consensus discussion, as a feedback report shows it: the author by
    letter only (专家 A, B, C…, the same letter for the same expert within one panel)."""

    round_kind: str  # "document", "presentation" or "onsite"
    author: str  # e.g. "专家 A"
    item: str  # e.g. "4.1.2 高层领导的作用", or "总体意见"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackReport:
    """The feedback report one applicant receives after a cycle (Baldrige style)."""

    cycle_title: str
    year: int
    organization_name: str
    total: float
    cutoff: float
    shortlisted: bool  # explicit, because the quota can leave out applicants above the cut-off
    categories: list[CategoryFeedback]
    issued_on: date
    # What the total was computed from: the records that counted ("independent" sheets or the panel
    # "consensus"), empty for a ranking frozen before rounds stated it; the independent sheets beside it.
    counted: tuple[str, ...] = ()
    method: str = ""  # the official method over the independent sheets: mean, trimmed_mean, median
    independent_total: float | None = None
    sheet_ranges: tuple[tuple[str, float, float], ...] = ()  # (round kind, lowest, highest sheet total)
    # The panels' comments in their consensus discussions (never a disagreement's reason), oldest first.
    discussion: tuple[DiscussionNote, ...] = ()

    issuer: str = ""  # the award office that sends the report, named with its city; empty: not named yet


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpertComment:
    """One expert's written strengths and improvement points on one category.

    ``expert`` is accepted so that callers can pass scoring sheets through unchanged; it is
    dropped by :func:`merge_expert_comments` and never reaches a report.
    """

    category_id: str
    strengths: Sequence[str] = ()
    improvements: Sequence[str] = ()
    expert: str | None = None


def merge_expert_comments(
    categories: Iterable[tuple[str, str, float, float]],
    comments: Iterable[ExpertComment],
) -> list[CategoryFeedback]:
    """Pool the experts' comments per category, anonymously, for a feedback report.

    ``categories`` holds ``(id, name, points, scored)`` in rubric order. Identical remarks
    are kept once, and remarks are sorted by text so that their order does not reveal which
    expert wrote what.
    """
    strengths: dict[str, set[str]] = {}
    improvements: dict[str, set[str]] = {}
    for comment in comments:
        strengths.setdefault(comment.category_id, set()).update(
            text.strip() for text in comment.strengths if text.strip())
        improvements.setdefault(comment.category_id, set()).update(
            text.strip() for text in comment.improvements if text.strip())
    return [
        CategoryFeedback(
            id=category_id, name=name, points=points, scored=scored,
            strengths=sorted(strengths.get(category_id, ())),
            improvements=sorted(improvements.get(category_id, ())),
        )
        for category_id, name, points, scored in categories
    ]


# --- pieces of markup built in Python ---------------------------------------------------


def qr_svg(url: str) -> Markup:
    """Return an inline SVG QR code of ``url``, made locally by segno (no network service).

    Error correction level M survives a smudged print; sizing is left to CSS (no width and
    height attributes, a viewBox only). The mask is fixed (`QR_MASK`): every mask is valid and
    readers decode any of them, while segno's search for the best-scoring one of eight took
    most of the time of a certificate batch beyond WeasyPrint's own (docs/performance.md).
    """
    code = segno.make(url, error="m", micro=False, boost_error=False, mask=QR_MASK)
    return Markup(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr",
                                  lineclass=None, dark="#000"))


def bar_chart_svg(categories: Sequence[CategoryFeedback], *, font_family: str) -> Markup:
    """Return an inline SVG of horizontal bars: each category's score as percent of its points.

    Every text that reaches the SVG is escaped here, because the result is marked safe.
    """
    row, label_width, bar_width, top = 11, 62, 120, 4
    height = top + row * len(categories) + 2
    family = escape(f"'{font_family}', serif")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" viewBox="0 0 220 {height}" '
        f'font-family="{family}" font-size="4.2">',
        f'<line x1="{label_width}" y1="1" x2="{label_width}" y2="{height - 1}" '
        f'stroke="#888" stroke-width="0.3"/>',
    ]
    for index, category in enumerate(categories):
        percent = _percent(category.scored, category.points)
        y = top + index * row
        width = bar_width * percent / 100
        label = escape(f"{category.id} {category.name}")
        value = escape(f"{format_score(percent, 0)}%  ({_points(category.scored)}/{_points(category.points)})")
        parts.append(
            f'<text x="{label_width - 2}" y="{y + 5}" text-anchor="end">{label}</text>'
            f'<rect x="{label_width}" y="{y + 1}" width="{bar_width}" height="6" fill="#eee"/>'
            f'<rect x="{label_width}" y="{y + 1}" width="{width:.2f}" height="6" '
            f'fill="#b22222"/>'
            f'<text x="{label_width + bar_width + 3}" y="{y + 5}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _percent(scored: float, points: float) -> float:
    if points <= 0:
        raise ValueError(f"category points must be positive, got {points!r}")
    return max(0.0, min(100.0, float(scored) * 100 / float(points)))


def _points(value: float) -> str:
    """Points with one decimal, rounded half up (四舍五入), without a useless ``.0`` (scores are often whole)."""
    return format_score(value, 1, trim=True)


def chinese_date(day: date) -> str:
    """Write a date the way official documents do: 二〇二六年三月十八日."""

    def number(value: int) -> str:
        tens, ones = divmod(value, 10)
        if tens == 0:
            return _CN_DIGITS[ones]
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + ("" if ones == 0 else
                                                               _CN_DIGITS[ones])

    year = "".join(_CN_DIGITS[int(digit)] for digit in str(day.year))
    return f"{year}年{number(day.month)}月{number(day.day)}日"


def _css_string(text: str) -> str:
    """Quote ``text`` as a CSS string that cannot break out of a <style> element."""
    escaped = "".join(ch if ch.isalnum() or ch in " -_" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


# --- templates --------------------------------------------------------------------------


@functools.cache
def _environment(templates_dir: Path) -> ImmutableSandboxedEnvironment:
    # One environment per folder: Jinja caches compiled templates inside it.
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _templates_dir(templates_dir: Path | None) -> Path:
    return (templates_dir or DEFAULT_TEMPLATES_DIR).resolve()


def _stylesheet(folder: Path, name: str, font_family: str) -> Markup:
    # The CSS is our own file, inlined so the HTML is self-contained; the chosen font
    # family is the only value put into it, quoted as a CSS string.
    css = (folder / name).read_text(encoding="utf-8")
    return Markup(f":root {{ --cjk-font: {_css_string(font_family)}; }}\n{css}")


def _seal_data_url(data: CertificateData) -> str | None:
    if data.seal_image is None:
        return None
    magic = _SEAL_MAGIC.get(data.seal_mime or "")
    if magic is None:
        raise ValueError(f"seal_mime must be image/png or image/jpeg, got {data.seal_mime!r}")
    if not data.seal_image.startswith(magic):
        raise ValueError(f"seal_image is not a {data.seal_mime} image")
    encoded = base64.b64encode(data.seal_image).decode("ascii")
    return f"data:{data.seal_mime};base64,{encoded}"


def _check_verify_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"verify_url must be an http(s) URL, got {url[:80]!r}")
    return url


def _name_size(name: str) -> str:
    # Long organization names get a smaller size so that they stay on at most two lines.
    length = len(name)
    return "short" if length <= 16 else "long" if length <= 32 else "very-long"


def _certificate_context(data: CertificateData) -> dict:
    return {
        "number": data.number,
        "organization_name": data.organization_name,
        "name_size": _name_size(data.organization_name),
        "award_title": data.award_title,
        "year": data.year,
        "issue_date": chinese_date(data.issue_date),
        "valid_until": chinese_date(data.valid_until) if data.valid_until else None,
        "authority": data.authority,
        "verify_url": _check_verify_url(data.verify_url),
        "qr": qr_svg(data.verify_url),
        "seal_url": _seal_data_url(data),
    }


def _render_certificates_html(
    certificates: Sequence[CertificateData], *, folder: Path, font_family: str,
    template_name: str,
) -> tuple[str, set[str]]:
    contexts = [_certificate_context(data) for data in certificates]
    html = _environment(folder).get_template(template_name).render(
        stylesheet=_stylesheet(folder, "certificate.css", font_family),
        certificates=contexts,
    )
    return html, {context["seal_url"] for context in contexts if context["seal_url"]}


def render_certificate_html(
    data: CertificateData, *, templates_dir: Path | None = None,
    font_lookup: FontLookup = installed_cjk_families, template_name: str = "certificate.html",
) -> str:
    """Return the certificate's HTML, as fed to WeasyPrint (for previews and benchmarks)."""
    folder = _templates_dir(templates_dir)
    font = require_cjk_font(font_lookup)
    html, _seals = _render_certificates_html(
        [data], folder=folder, font_family=font.family, template_name=template_name)
    return html


def _write_pdf(html: str, *, folder: Path, own_data_urls: Iterable[str],
               fetch_log: list[FetchRecord] | None) -> bytes:
    from award.certificates import engine

    return engine.write_pdf(html, templates_dir=folder, own_data_urls=own_data_urls, log=fetch_log)


def render_certificate_pdf(
    data: CertificateData, *, templates_dir: Path | None = None,
    font_lookup: FontLookup = installed_cjk_families, template_name: str = "certificate.html",
    fetch_log: list[FetchRecord] | None = None,
) -> bytes:
    """Render one winner's certificate: one A4 landscape page.

    Raises :class:`~award.certificates.fonts.MissingFontError` when no CJK font is
    installed. ``fetch_log``, when given, receives every URL WeasyPrint asked for.
    """
    return render_certificates_batch(
        [data], templates_dir=templates_dir, font_lookup=font_lookup,
        template_name=template_name, fetch_log=fetch_log)


BATCH_CHUNK_SIZE = 25
"""Certificates laid out per WeasyPrint document in a batch (see render_certificates_batch)."""


def render_certificates_batch(
    certificates: Sequence[CertificateData], progress: Progress | None = None, *,
    templates_dir: Path | None = None, font_lookup: FontLookup = installed_cjk_families,
    template_name: str = "certificate.html", fetch_log: list[FetchRecord] | None = None,
    chunk_size: int = BATCH_CHUNK_SIZE,
) -> bytes:
    """Render all certificates of a cycle into one PDF for the printer, one page each.

    Certificates are laid out ``chunk_size`` at a time, each chunk as one HTML document with
    one page per certificate, sharing one font configuration; the pages of all chunks are
    then written as one PDF, so fonts are embedded and subset once. Measured (see
    bench/bench_certificates.py): one document for many certificates costs about 2/3 of
    one document per certificate, and chunks of 25 get nearly all of that gain while
    ``progress(done, total)`` still moves during a long batch. It is called once per
    certificate, after the chunk holding it is laid out; writing the PDF comes after.
    """
    if not certificates:
        raise ValueError("no certificates to render")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size!r}")
    from award.certificates import engine

    folder = _templates_dir(templates_dir)
    font = require_cjk_font(font_lookup)
    font_config = engine.FontConfiguration()
    documents = []
    total = len(certificates)
    for start in range(0, total, chunk_size):
        chunk = certificates[start:start + chunk_size]
        html, seals = _render_certificates_html(
            chunk, folder=folder, font_family=font.family, template_name=template_name)
        documents.append(engine.lay_out(html, templates_dir=folder, own_data_urls=seals, log=fetch_log,
                                        font_config=font_config))
        if progress is not None:
            for done in range(start + 1, start + len(chunk) + 1):
                progress(done, total)
    pages = [page for document in documents for page in document.pages]
    if len(pages) != total:
        # A template whose content overflows would shift every later certificate.
        raise RuntimeError(f"expected {total} pages, laid out {len(pages)}: check the template")
    return documents[0].copy(pages).write_pdf()


FEEDBACK_METHOD_NAMES = {"mean": "平均值", "trimmed_mean": "去掉一个最高分和一个最低分后的平均值", "median": "中位数"}
FEEDBACK_ROUND_NAMES = {"document": "材料评审", "presentation": "陈述答辩", "onsite": "现场评审"}


def _feedback_basis(report: FeedbackReport) -> dict[str, Any]:
    """How the report says what its total was computed from, and the independent sheets beside it.

    Where every independent sheet has the same total, nothing is said about trimming: there is no
    highest or lowest to drop."""
    by_consensus = "consensus" in report.counted
    all_equal = bool(report.sheet_ranges) and all(low == high for _kind, low, high in report.sheet_ranges)
    if not report.counted:
        basis = ""
    elif by_consensus:
        basis = "评审专家组合议形成的共识评分（专家组共识表）"
    elif all_equal:
        basis = "各位评审专家的独立评分"
    else:
        basis = f"各位评审专家的独立评分，取{FEEDBACK_METHOD_NAMES.get(report.method, report.method)}"
    named = len(report.sheet_ranges) > 1
    ranges = [
        f"{FEEDBACK_ROUND_NAMES.get(kind, kind) if named else ''}"
        + (f"均为 {_points(low)} 分" if low == high else f"{_points(low)}–{_points(high)} 分")
        for kind, low, high in report.sheet_ranges
    ]
    independent = ""
    if by_consensus and report.independent_total is not None and not all_equal:
        method = FEEDBACK_METHOD_NAMES.get(report.method, report.method)
        independent = f"按{method}汇总为 {_points(report.independent_total)} 分"
    return {"basis": basis, "independent_ranges": "；".join(ranges), "independent_total": independent}


def _discussion_by_panel(notes: Sequence[DiscussionNote]) -> list[dict[str, Any]]:
    """The comments grouped by panel (round), each panel named where there is more than one."""
    panels: dict[str, list[DiscussionNote]] = {}
    for note in notes:
        panels.setdefault(note.round_kind, []).append(note)
    named = len(panels) > 1
    return [{"title": f"{FEEDBACK_ROUND_NAMES.get(kind, kind)}专家组" if named else "", "notes": found}
            for kind, found in panels.items()]

def _cutoff_label() -> str:
    # The report is printed in Chinese whatever the reader's language, with the web's own msgid: the page
    # and the PDF give the cut-off one name (获奖分数线).
    return gettext_in(DOCUMENT_LOCALE, "Cut-off score")


def render_feedback_html(
    report: FeedbackReport, *, templates_dir: Path | None = None,
    font_lookup: FontLookup = installed_cjk_families, template_name: str = "feedback.html",
) -> str:
    """Return the feedback report's HTML, as fed to WeasyPrint."""
    folder = _templates_dir(templates_dir)
    font = require_cjk_font(font_lookup)
    return _environment(folder).get_template(template_name).render(
        stylesheet=_stylesheet(folder, "feedback.css", font.family),
        report=report,
        total=_points(report.total),
        cutoff=_points(report.cutoff),
        cutoff_label=_cutoff_label(),
        max_total=_points(sum(category.points for category in report.categories)),
        above_cutoff=report.total >= report.cutoff,
        **_feedback_basis(report),
        issued_on=f"{report.issued_on.year}年{report.issued_on.month}月{report.issued_on.day}日",
        chart=bar_chart_svg(report.categories, font_family=font.family),
        discussion=_discussion_by_panel(report.discussion),
        categories=[
            {"category": category, "scored": _points(category.scored),
             "points": _points(category.points),
             "percent": format_score(_percent(category.scored, category.points), 0)}
            for category in report.categories
        ],
    )


def render_feedback_pdf(
    report: FeedbackReport, *, templates_dir: Path | None = None,
    font_lookup: FontLookup = installed_cjk_families, template_name: str = "feedback.html",
    fetch_log: list[FetchRecord] | None = None,
) -> bytes:
    """Render an applicant's feedback report (A4 portrait, as many pages as needed)."""
    folder = _templates_dir(templates_dir)
    html = render_feedback_html(report, templates_dir=folder, font_lookup=font_lookup,
                                template_name=template_name)
    return _write_pdf(html, folder=folder, own_data_urls=(), fetch_log=fetch_log)
