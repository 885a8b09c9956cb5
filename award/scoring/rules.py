"""The pure rules of one expert's score sheet: band, percentage, comments, points.

An expert picks a band, then a percentage on the rubric's step grid inside it;
the points are computed here (item points x percentage / 100, in Decimal) and
never typed. Each item needs a strength and an improvement point (优势 / 改进机会),
and bands marked in the rubric (by default the lowest and highest) need a
written justification. Drafts may be partial but never hold an impossible value.

Nothing here touches Flask requests or the database: callers pass plain values
and get back problems to show next to each item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from award.i18n import _l
from award.inputs import text_problem
from award.rubrics import PERCENT_MAX, Band, Item, Rubric

__all__ = [
    "ItemEntry",
    "SheetProblem",
    "category_points",
    "item_points",
    "sheet_total",
    "validate_draft_entry",
    "validate_item_score",
    "validate_sheet",
]

Percent = int | Decimal

# Problem codes, stable for templates and tests.
UNKNOWN_ITEM = "unknown_item"
MISSING_ITEM = "missing_item"
DUPLICATE_ITEM = "duplicate_item"
MISSING_BAND = "missing_band"
UNKNOWN_BAND = "unknown_band"
MISSING_PERCENT = "missing_percent"
OUT_OF_RANGE = "out_of_range"
WRONG_STEP = "wrong_step"
BAND_MISMATCH = "band_mismatch"
MISSING_STRENGTH = "missing_strength"
MISSING_IMPROVEMENT = "missing_improvement"
MISSING_JUSTIFICATION = "missing_justification"
BAD_TEXT = "bad_text"

# A comment is a few paragraphs; the cap keeps one autosave from carrying megabytes.
COMMENT_MAX_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class SheetProblem:
    """One broken rule of one item: a stable ``code`` and a translatable message."""

    code: str
    item_id: str
    message: Any  # a lazy translatable string; str() renders it in the current locale

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemEntry:
    """What an expert entered for one item; blanks are ``None`` or empty strings."""

    item_id: str
    band_id: str | None = None
    percent: Percent | None = None
    strength: str | None = None
    improvement: str | None = None
    justification: str | None = None


def _fmt(percent: Percent) -> str:
    """A percentage for messages: 35, 37.5 (no trailing zeros, no exponent)."""
    if isinstance(percent, Decimal) and percent.is_finite():
        return format(percent.normalize(), "f")
    return str(percent)


def _check_percent_type(percent: object) -> None:
    # float would bring binary rounding into points; bool is an int by accident.
    if percent is None:
        return
    if isinstance(percent, bool) or not isinstance(percent, int | Decimal):
        raise TypeError(f"percent must be int or Decimal, got {type(percent).__name__}")


def _in_range(percent: Percent) -> bool:
    # NaN and infinities are out of range (comparing NaN would raise InvalidOperation).
    if isinstance(percent, Decimal) and not percent.is_finite():
        return False
    return 0 <= percent <= PERCENT_MAX


def _blank(text: str | None, min_length: int) -> bool:
    return len((text or "").strip()) < max(min_length, 1)


def _allowed_bands(rubric: Rubric, item: Item) -> str:
    return ", ".join(b.label() for b in rubric.bands_for(item))


def _allowed_percents(rubric: Rubric, band: Band) -> str:
    return ", ".join(str(p) for p in rubric.band_percents(band)) + "%"


def _comment_problem(code: str, item_id: str, min_length: int, *, strength: bool) -> SheetProblem:
    if strength:
        message = (
            _l("%(item)s: write a strength.", item=item_id)
            if min_length <= 1
            else _l("%(item)s: the strength needs at least %(min)s characters.",
                    item=item_id, min=min_length)
        )
    else:
        message = (
            _l("%(item)s: write an improvement point.", item=item_id)
            if min_length <= 1
            else _l("%(item)s: the improvement point needs at least %(min)s characters.",
                    item=item_id, min=min_length)
        )
    return SheetProblem(code, item_id, message)


def _text_problems(item_id: str, **texts: str | None) -> list[SheetProblem]:
    labels = {"strength": _l("strength"), "improvement": _l("improvement point"),
              "justification": _l("justification")}
    problems = []
    for name, text in texts.items():
        if text is None:
            continue
        if len(text) > COMMENT_MAX_LENGTH:
            problems.append(SheetProblem(BAD_TEXT, item_id, _l(
                "%(item)s: the %(field)s is longer than %(max)s characters.",
                item=item_id, field=labels[name], max=COMMENT_MAX_LENGTH)))
            continue
        # The label is translated only for a text that is refused (a page of 23 items saves 69 lookups).
        problem = text_problem(text, multiline=True) and text_problem(text, multiline=True,
                                                                       field=f"{item_id} {labels[name]}")
        if problem:
            problems.append(SheetProblem(BAD_TEXT, item_id, problem))
    return problems


def _check_entry(
    rubric: Rubric,
    item_id: str,
    band_id: str | None,
    percent: Percent | None,
    strength: str | None,
    improvement: str | None,
    justification: str | None,
    *,
    draft: bool,
    min_comment_length: int,
    min_justification_length: int,
) -> list[SheetProblem]:
    _check_percent_type(percent)
    if not rubric.has_item(item_id):
        return [SheetProblem(UNKNOWN_ITEM, item_id, _l("Unknown item %(item)s.", item=item_id))]
    item = rubric.item(item_id)
    problems: list[SheetProblem] = []

    band: Band | None = None
    band_id = (band_id or "").strip() or None
    if band_id is None:
        if not draft:
            problems.append(SheetProblem(MISSING_BAND, item_id, _l(
                "%(item)s: choose a band (%(allowed)s).",
                item=item_id, allowed=_allowed_bands(rubric, item))))
    else:
        band = rubric.band(item, band_id)
        if band is None:
            problems.append(SheetProblem(UNKNOWN_BAND, item_id, _l(
                "%(item)s: there is no band %(band)s; allowed bands: %(allowed)s.",
                item=item_id, band=band_id, allowed=_allowed_bands(rubric, item))))

    in_range = False
    if percent is None:
        if not draft:
            problems.append(SheetProblem(MISSING_PERCENT, item_id, _l(
                "%(item)s: enter a percentage.", item=item_id)))
    elif not _in_range(percent):
        problems.append(SheetProblem(OUT_OF_RANGE, item_id, _l(
            "%(item)s: %(percent)s%% is outside 0–100%%.", item=item_id, percent=_fmt(percent))))
    else:
        in_range = True
        if percent % rubric.step:
            problems.append(SheetProblem(WRONG_STEP, item_id, _l(
                "%(item)s: %(percent)s%% is not a multiple of %(step)s%%.",
                item=item_id, percent=_fmt(percent), step=rubric.step)))
        if band is not None and not band.contains(percent):
            problems.append(SheetProblem(BAND_MISMATCH, item_id, _l(
                "%(item)s: %(percent)s%% is outside band %(band)s; allowed: %(allowed)s.",
                item=item_id, percent=_fmt(percent), band=band.label(),
                allowed=_allowed_percents(rubric, band))))

    problems += _text_problems(item_id, strength=strength, improvement=improvement, justification=justification)
    if draft:
        # A draft may leave comments blank; only impossible values are refused.
        return problems

    if _blank(strength, min_comment_length):
        problems.append(_comment_problem(MISSING_STRENGTH, item_id, min_comment_length,
                                         strength=True))
    if _blank(improvement, min_comment_length):
        problems.append(_comment_problem(MISSING_IMPROVEMENT, item_id, min_comment_length,
                                         strength=False))
    # The chosen band decides; without a usable band, the band the percentage falls in.
    needs_band = band
    if needs_band is None and in_range:
        needs_band = rubric.band_for_percent(item, percent)  # type: ignore[arg-type]
    if (needs_band is not None and needs_band.justification_required
            and _blank(justification, min_justification_length)):
        problems.append(SheetProblem(MISSING_JUSTIFICATION, item_id, _l(
            "%(item)s: band %(band)s needs a written justification.",
            item=item_id, band=needs_band.label())))
    return problems


def validate_item_score(
    rubric: Rubric,
    item_id: str,
    band_id: str | None,
    percent: Percent | None,
    strength: str | None,
    improvement: str | None,
    justification: str | None = None,
    *,
    min_comment_length: int = 1,
    min_justification_length: int = 1,
) -> list[SheetProblem]:
    """Every broken rule of one item score as submitted (empty list: the score is valid)."""
    return _check_entry(
        rubric, item_id, band_id, percent, strength, improvement, justification,
        draft=False, min_comment_length=min_comment_length,
        min_justification_length=min_justification_length,
    )


def validate_draft_entry(
    rubric: Rubric,
    item_id: str,
    band_id: str | None,
    percent: Percent | None,
    strength: str | None = None,
    improvement: str | None = None,
    justification: str | None = None,
) -> list[SheetProblem]:
    """Problems of a draft item: blanks pass, impossible values (range, step, band) do not."""
    return _check_entry(
        rubric, item_id, band_id, percent, strength, improvement, justification,
        draft=True, min_comment_length=1, min_justification_length=1,
    )


def validate_sheet(
    rubric: Rubric,
    entries: Iterable[ItemEntry],
    *,
    draft: bool = False,
    min_comment_length: int = 1,
    min_justification_length: int = 1,
) -> dict[str, list[SheetProblem]]:
    """Problems per item id of a whole sheet; only items with problems appear.

    For submission (``draft=False``) every rubric item must be present and complete;
    a draft may omit items. Keys follow rubric order, unknown items come last.
    """
    by_item: dict[str, ItemEntry] = {}
    extra: dict[str, list[SheetProblem]] = {}
    for entry in entries:
        if entry.item_id in by_item:
            extra.setdefault(entry.item_id, []).append(SheetProblem(
                DUPLICATE_ITEM, entry.item_id,
                _l("%(item)s: scored more than once.", item=entry.item_id)))
            continue
        by_item[entry.item_id] = entry

    result: dict[str, list[SheetProblem]] = {}
    for item in rubric.items:
        scored = by_item.pop(item.id, None)
        if scored is None:
            problems = [] if draft else [SheetProblem(MISSING_ITEM, item.id, _l(
                "%(item)s: no score entered for this item.", item=item.id))]
        else:
            problems = _check_entry(
                rubric, scored.item_id, scored.band_id, scored.percent, scored.strength,
                scored.improvement, scored.justification, draft=draft,
                min_comment_length=min_comment_length,
                min_justification_length=min_justification_length,
            )
        problems += extra.pop(item.id, [])
        if problems:
            result[item.id] = problems
    for entry in by_item.values():  # what is left is not in the rubric
        result[entry.item_id] = [SheetProblem(UNKNOWN_ITEM, entry.item_id, _l(
            "Unknown item %(item)s.", item=entry.item_id))] + extra.pop(entry.item_id, [])
    return result


def item_points(rubric: Rubric, item_id: str, percent: Percent) -> Decimal:
    """Points of an item: item points x percent / 100, exact (e.g. 50 x 65% = 32.5).

    With integer points and percentages the result has at most two decimals, so a
    ``Numeric(…, 2)`` column stores it exactly. Raises ``KeyError`` for an unknown
    item and ``ValueError`` for a percentage off the 0–100 step grid.
    """
    _check_percent_type(percent)
    item = rubric.item(item_id)
    if not _in_range(percent) or percent % rubric.step:
        raise ValueError(
            f"{item_id}: {_fmt(percent)}% is not on the 0–100% grid of step {rubric.step}%")
    return Decimal(item.points) * Decimal(percent) / Decimal(PERCENT_MAX)


def sheet_total(rubric: Rubric, percents: Mapping[str, Percent]) -> Decimal:
    """Sum of item points over ``{item_id: percent}`` (items without a percent count 0)."""
    return sum((item_points(rubric, i, p) for i, p in percents.items()), Decimal(0))


def category_points(rubric: Rubric, percents: Mapping[str, Percent]) -> dict[str, Decimal]:
    """Points per category over ``{item_id: percent}``, every category present, rubric order.

    Used for the tie-breaks (results, then leadership) and the feedback report.
    """
    totals = {cat.id: Decimal(0) for cat in rubric.categories}
    for item_id, percent in percents.items():
        totals[rubric.category_of(item_id).id] += item_points(rubric, item_id, percent)
    return totals
