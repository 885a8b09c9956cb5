"""Server-side SVG charts for the ranking pages: no JavaScript, every text escaped.

Each chart is an ``<svg>`` with a viewBox (it scales to its container), ``role="img"``, a
``<title>`` and a ``<desc>`` holding the figures in words for screen readers. Labels pass
through ``markupsafe.escape``; the result is ``Markup`` so Jinja will not escape it again.
The font list starts with CJK fonts so Chinese labels render (WeasyPrint included).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from award.i18n import _
from award.lazy import lazy_module
from award.numbers import format_score
from award.ranking.aggregate import RoundAggregate, expert_label, round2

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported by the first np.… a ranking reads (award/lazy.py)

FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', "
    "'PingFang SC', sans-serif"
)
WIDTH = 640
LEGENDS_PER_LINE = 3
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
ACCENT = "#2563eb"
ALERT = "#c81e1e"


@dataclass(frozen=True)
class SheetPoint:
    """One expert's total on the spread chart (label is the anonymous code)."""

    label: str
    total: float
    dropped: bool = False  # dropped by the trimmed mean: drawn hollow


def _fmt(v: float) -> str:
    return format_score(v)


def _num(v: float) -> str:
    """Coordinate with at most 2 decimals, no trailing zeros."""
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: Any, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>'
        f"{escape(content)}</text>"
    )


def _svg(height: float, title: str, desc: str, body: Iterable[str]) -> Markup:
    """Wrap chart elements; ids derive from the content so pages with many charts stay valid."""
    key = hashlib.sha1(f"{title}\n{desc}".encode()).hexdigest()[:10]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_num(height)}" '
        f'role="img" aria-labelledby="c{key}-t c{key}-d" font-family="{FONT_FAMILY}" '
        f'font-size="12" fill="{INK}">'
        f'<title id="c{key}-t">{escape(title)}</title>'
        f'<desc id="c{key}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def nice_step(span: float, target: int) -> float:
    """A 1-2-5 step giving about `target` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def _axis(lo: float, hi: float, x0: float, x1: float, y: float, step: float) -> list[str]:
    """Horizontal axis with ticks every `step` from lo to hi."""
    out = [f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x1)}" y2="{_num(y)}" stroke="{MUTED}"/>']
    ticks = np.arange(lo, hi + step / 2, step)
    for t in ticks:
        x = x0 + (t - lo) / (hi - lo) * (x1 - x0)
        out.append(
            f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x)}" y2="{_num(y + 4)}" '
            f'stroke="{MUTED}"/>'
        )
        out.append(_text(x, y + 16, f"{t:g}", anchor="middle", fill=MUTED))
    return out


def spread_svg(
    sheets: Sequence[SheetPoint],
    *,
    markers: Mapping[str, float | None],
    official: str | None = None,
    max_points: float,
    title: str,
) -> Markup:
    """Strip and box plot of expert totals, with method lines (mean, trimmed mean, median).

    `markers` maps a (translated) method name to its total; `official` names the one drawn
    bold. The scale covers the data with some room, clipped to 0..max_points.
    """
    values = np.array([s.total for s in sheets], dtype=float)
    marks = {k: v for k, v in markers.items() if v is not None and not math.isnan(v)}
    every = np.concatenate([values, np.array(list(marks.values()), dtype=float)])
    if every.size:
        step = nice_step(max(every.max() - every.min(), max_points * 0.05), 8)
        lo = max(0.0, math.floor(every.min() / step) * step - step)
        hi = min(max_points, math.ceil(every.max() / step) * step + step)
    else:
        step, lo, hi = nice_step(max_points, 8), 0.0, max_points
    if hi <= lo:
        hi = lo + step
    x0, x1 = 60.0, WIDTH - 20.0

    def sx(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * (x1 - x0)

    body: list[str] = []
    stack = np.unique(round2(values), return_counts=True)[1].max(initial=1)
    mid = 70.0 + 21.0 * (int(stack) - 1)  # room above for stacked equal totals
    if values.size:
        q1, q2, q3 = np.percentile(values, [25, 50, 75])
        body.append(
            f'<rect x="{_num(sx(q1))}" y="{_num(mid - 18)}" width="{_num(max(sx(q3) - sx(q1), 1))}" '
            f'height="36" fill="#dbeafe" stroke="{ACCENT}"/>'
        )
        body.append(
            f'<line x1="{_num(sx(values.min()))}" y1="{_num(mid)}" x2="{_num(sx(values.max()))}" '
            f'y2="{_num(mid)}" stroke="{ACCENT}"/>'
        )
        body.append(
            f'<line x1="{_num(sx(q2))}" y1="{_num(mid - 18)}" x2="{_num(sx(q2))}" '
            f'y2="{_num(mid + 18)}" stroke="{ACCENT}" stroke-width="2"/>'
        )
    # Dots with the expert code.
    seen: dict[float, int] = {}
    for s in sheets:
        k = float(round2(s.total))
        level = seen.get(k, 0)
        seen[k] = level + 1
        # Equal totals: dots stack upwards and labels above them, so none hides another.
        cx, dot_y = sx(s.total), mid - 9 * level
        cy = mid - 30 - 9 * level - 12 * level
        fill = "white" if s.dropped else INK
        body.append(
            f'<circle cx="{_num(cx)}" cy="{_num(dot_y)}" r="4" fill="{fill}" stroke="{INK}"/>'
        )
        body.append(_text(cx, cy, s.label, anchor="middle", font_size="10"))
    y_marks = mid + 42.0
    for n, (name, v) in enumerate(marks.items()):
        bold = name == official
        x = sx(v)
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(mid - 22)}" x2="{_num(x)}" y2="{_num(mid + 22)}" '
            f'stroke="{ALERT if bold else MUTED}" stroke-width="{2 if bold else 1}" '
            f'stroke-dasharray="{"none" if bold else "3 2"}"/>'
        )
        # Three legends to a line: a fourth (the panel consensus) starts a second line.
        line, column = divmod(n, LEGENDS_PER_LINE)
        body.append(
            _text(
                x0 + column * 180, y_marks + 34 + 16 * line, _("%(name)s: %(value)s", name=name, value=_fmt(v)),
                font_weight="bold" if bold else "normal",
                fill=ALERT if bold else MUTED,
            )
        )
    body.extend(_axis(lo, hi, x0, x1, y_marks - 10, step))
    desc = "; ".join(f"{s.label} {_fmt(s.total)}" for s in sheets)
    if marks:
        desc += ". " + "; ".join(f"{k} {_fmt(v)}" for k, v in marks.items())
    extra_lines = max(0, (len(marks) - 1) // LEGENDS_PER_LINE)
    return _svg(y_marks + 46 + 16 * extra_lines, title, desc, body)


def profile_svg(bars: Sequence[tuple[str, float | None]], *, title: str) -> Markup:
    """Horizontal bars of percentages (0-100), one per (label, percent); None shows a dash."""
    x0, x1 = 190.0, WIDTH - 60.0
    top, row = 16.0, 26.0
    body: list[str] = []
    bottom = top + row * len(bars)
    for p in (0, 25, 50, 75, 100):
        x = x0 + p / 100 * (x1 - x0)
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(top - 4)}" x2="{_num(x)}" y2="{_num(bottom)}" '
            f'stroke="{GRID}"/>'
        )
        body.append(_text(x, bottom + 16, f"{p}%", anchor="middle", fill=MUTED))
    for n, (label, pct) in enumerate(bars):
        y = top + n * row
        body.append(_text(x0 - 8, y + 15, label, anchor="end"))
        if pct is None or math.isnan(pct):
            body.append(_text(x0 + 4, y + 15, "–", fill=MUTED))
            continue
        width = max(0.0, min(pct, 100.0)) / 100 * (x1 - x0)
        body.append(
            f'<rect x="{_num(x0)}" y="{_num(y + 4)}" width="{_num(width)}" height="16" '
            f'fill="{ACCENT}"/>'
        )
        body.append(_text(x0 + width + 4, y + 16, f"{_fmt(pct)}%", font_size="11"))
    desc = "; ".join(
        f"{label} {'–' if p is None or math.isnan(p) else _fmt(p) + '%'}" for label, p in bars
    )
    return _svg(bottom + 26, title, desc, body)


def histogram_svg(
    totals: Iterable[float | None],
    *,
    cutoff: float | None,
    title: str,
    bin_width: float | None = None,
    cutoff_label: str | None = None,
) -> Markup:
    """Histogram of totals with the cut-off drawn as a vertical line; None/NaN are ignored."""
    raw = [t for t in totals if t is not None]
    values = np.array(raw, dtype=float)
    values = values[~np.isnan(values)]
    points = np.concatenate([values, [cutoff]]) if cutoff is not None else values
    if points.size:
        span = max(points.max() - points.min(), 1.0)
        width_ = bin_width or nice_step(span, 12)
        lo = math.floor(points.min() / width_) * width_
        hi = math.floor(points.max() / width_) * width_ + width_
    else:
        width_, lo, hi = bin_width or 100.0, 0.0, 1000.0
    n_bins = max(1, round((hi - lo) / width_))
    # Bin [a, b): a total equal to a bin edge belongs to the bin starting there.
    index = np.clip(np.floor((values - lo) / width_ + 1e-9).astype(int), 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    x0, x1, y_base, y_top = 50.0, WIDTH - 20.0, 200.0, 30.0
    peak = max(int(counts.max(initial=0)), 1)

    def sx(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * (x1 - x0)

    body: list[str] = []
    count_step = max(1, int(nice_step(peak, 4)))
    for c in range(0, peak + 1, count_step):
        y = y_base - c / peak * (y_base - y_top)
        body.append(
            f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x1)}" y2="{_num(y)}" stroke="{GRID}"/>'
        )
        body.append(_text(x0 - 6, y + 4, str(c), anchor="end", fill=MUTED))
    bar_w = (x1 - x0) / n_bins
    for b, c in enumerate(counts.tolist()):
        if not c:
            continue
        h = c / peak * (y_base - y_top)
        body.append(
            f'<rect x="{_num(x0 + b * bar_w + 1)}" y="{_num(y_base - h)}" '
            f'width="{_num(max(bar_w - 2, 1))}" height="{_num(h)}" fill="{ACCENT}"/>'
        )
    body.extend(_axis(lo, hi, x0, x1, y_base, width_ * max(1, math.ceil(n_bins / 12))))
    desc = "; ".join(
        f"{lo + b * width_:g}–{lo + (b + 1) * width_:g}: {c}"
        for b, c in enumerate(counts.tolist())
        if c
    )
    if cutoff is not None:
        x = sx(cutoff)
        label = cutoff_label or _("Cut-off %(score)s", score=_fmt(cutoff))
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(y_top - 12)}" x2="{_num(x)}" y2="{_num(y_base)}" '
            f'stroke="{ALERT}" stroke-width="2" stroke-dasharray="6 3"/>'
        )
        anchor = "end" if x > WIDTH * 0.7 else "start"
        body.append(_text(x + (-4 if anchor == "end" else 4), y_top - 16, label,
                          anchor=anchor, fill=ALERT))
        desc += f". {label}"
    return _svg(y_base + 30, title, desc, body)


# --- conveniences on a RoundAggregate -------------------------------------------------------


def method_names() -> dict[str, str]:
    """Translated method names for legends."""
    return {
        "mean": _("Mean"),
        "trimmed_mean": _("Trimmed mean"),
        "median": _("Median"),
    }


def application_spread_svg(aggregate: RoundAggregate, application_id: Any) -> Markup:
    """Spread of one application's expert totals with all three methods marked, and the panel
    consensus drawn as the official line where the round counts it."""
    a = aggregate.index_of(application_id)
    totals = aggregate.sheet_totals[a]
    dropped = set(aggregate.trimmed_slots(a).tolist())
    sheets = [
        SheetPoint(
            label=expert_label(int(aggregate.sheet_expert[a, k])),
            total=float(totals[k]),
            dropped=k in dropped,
        )
        for k in np.flatnonzero(aggregate.sheet_valid[a]).tolist()
    ]
    names = method_names()
    markers = {names[m]: float(r.totals[a]) for m, r in aggregate.methods.items()}
    official = names[aggregate.method]
    if aggregate.consensus is not None:
        official = _("Panel consensus")
        markers = {official: float(aggregate.consensus.totals[a]), **markers}
    return spread_svg(
        sheets,
        markers=markers,
        official=official,
        max_points=aggregate.layout.total_points,
        title=_("Expert totals of application %(id)s", id=application_id),
    )


def application_profile_svg(
    aggregate: RoundAggregate,
    application_id: Any,
    *,
    category_names: Mapping[str, str] | None = None,
) -> Markup:
    """Official category figures of one application as percent of each category's points."""
    a = aggregate.index_of(application_id)
    cats = aggregate.official.categories[a]
    pct = cats / aggregate.layout.category_points * 100
    names = category_names or {}
    bars = [
        (f"{c} {names[c]}" if c in names else c, None if math.isnan(p) else float(p))
        for c, p in zip(aggregate.category_ids, pct.tolist(), strict=True)
    ]
    return profile_svg(
        bars, title=_("Category profile of application %(id)s", id=application_id)
    )


def ranking_histogram_svg(totals: Iterable[float | None], *, cutoff: float | None) -> Markup:
    """Distribution of the ranked totals with the cut-off line."""
    return histogram_svg(totals, cutoff=cutoff, title=_("Distribution of total scores"))
