"""What the score sheet shows besides its fields: each item's state for the navigator, how many items
are scored, and a refusal's problems as one line per item (no request, no rendering, no query)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from award.i18n import _
from award.rubrics import Rubric
from award.scoring import rules
from award.scoring.forms import sheet_entries
from award.scoring.models import ItemScore
from award.scoring.rules import ItemEntry, SheetProblem


class ItemState(StrEnum):
    EMPTY = "empty"  # nothing entered
    PARTIAL = "partial"  # something entered, not yet all that a submission needs
    SCORED = "scored"  # would pass the submission's rules
    ERROR = "error"  # the last refusal named this item


def state_labels() -> dict[ItemState, str]:
    return {ItemState.EMPTY: _("not started"), ItemState.PARTIAL: _("incomplete"),
            ItemState.SCORED: _("scored"), ItemState.ERROR: _("has an error")}


# A submission's refusal names each missing field in a word; other problems keep their message.
_SHORT = {
    rules.MISSING_ITEM: lambda: _("not scored"),
    rules.MISSING_BAND: lambda: _("no percentage chosen"),
    rules.MISSING_PERCENT: lambda: _("no percentage chosen"),
    rules.MISSING_STRENGTH: lambda: _("strength missing"),
    rules.MISSING_IMPROVEMENT: lambda: _("improvement point missing"),
    rules.MISSING_JUSTIFICATION: lambda: _("justification missing"),
}


@dataclass(frozen=True, slots=True)
class ProblemLine:
    """One line of the refusal's summary: the item (None for a problem of the whole form) and what to fix."""

    item_id: str | None
    what: list[str]


def _stored_entry(item: ItemScore) -> ItemEntry:
    return ItemEntry(item_id=item.item_id, band_id=item.band_id, percent=item.percent, strength=item.strength,
                     improvement=item.improvement, justification=item.justification)


def _is_blank(entry: ItemEntry | None) -> bool:
    return entry is None or (entry.percent is None and not any(
        (text or "").strip() for text in (entry.strength, entry.improvement, entry.justification)))


def item_states(rubric: Rubric, stored: Mapping[str, ItemScore], posted: Mapping[str, str] | None,
                problems: Mapping[str, Sequence[object]]) -> dict[str, ItemState]:
    """Each rubric item's state, from what the page shows: the posted fields after a refusal, else
    the stored sheet. Pure: the sheet's items are already loaded."""
    if posted is not None:
        entries = {e.item_id: e for e in sheet_entries(posted, rubric)[0]}
    else:
        entries = {item_id: _stored_entry(item) for item_id, item in stored.items()}
    states = {}
    for item in rubric.items:
        entry = entries.get(item.id)
        if problems.get(item.id):
            states[item.id] = ItemState.ERROR
        elif _is_blank(entry):
            states[item.id] = ItemState.EMPTY
        else:
            assert entry is not None
            band = entry.band_id or _band_id(rubric, entry)
            found = rules.validate_item_score(rubric, item.id, band, entry.percent, entry.strength,
                                              entry.improvement, entry.justification)
            states[item.id] = ItemState.PARTIAL if found else ItemState.SCORED
    return states


def _band_id(rubric: Rubric, entry: ItemEntry) -> str | None:
    """The band a percentage falls in, as the service picks it when the post names none."""
    if entry.percent is None or not rubric.has_item(entry.item_id):
        return None
    band = rubric.band_for_percent(entry.item_id, entry.percent)
    return band.id if band is not None else None


FIELD_NAMES = ("percent", "strength", "improvement", "justification")


def field_values(rubric: Rubric, stored: Mapping[str, ItemScore], posted: Mapping[str, str] | None
                 ) -> dict[str, dict[str, str]]:
    """Each item's fields as the page shows them: the posted text after a refusal, else the stored
    sheet ("" for nothing), computed here once rather than by a template macro per field."""
    if posted is not None:
        return {item.id: {name: posted.get(f"{name}-{item.id}", "") for name in FIELD_NAMES}
                for item in rubric.items}
    values = {}
    for item in rubric.items:
        score = stored.get(item.id)
        values[item.id] = {name: "" if score is None or (value := getattr(score, name)) is None else str(value)
                           for name in FIELD_NAMES}
    return values


def scored_count(states: Mapping[str, ItemState]) -> int:
    return sum(state is ItemState.SCORED for state in states.values())


def item_messages(problems: Mapping[str, Sequence[SheetProblem]]) -> dict[str, list[str]]:
    """Each item's messages, shown by its fields. The band follows from the percentage, so a missing
    percentage is said once, not also as a missing band."""
    shown = {}
    for item_id, found in problems.items():
        codes = {problem.code for problem in found}
        shown[item_id] = [str(problem) for problem in found
                          if not (problem.code == rules.MISSING_BAND and rules.MISSING_PERCENT in codes)]
    return shown


def problem_lines(rubric: Rubric, problems: Mapping[str, Sequence[SheetProblem]]) -> list[ProblemLine]:
    """A refusal as one line per item, in rubric order, then the problems of the whole form."""
    lines = []
    for item_id, found in problems.items():
        what: list[str] = []
        for problem in found:
            short = _SHORT.get(problem.code)
            text = short() if short is not None else str(problem)
            if text not in what:
                what.append(text)
        lines.append(ProblemLine(item_id if rubric.has_item(item_id) else None, what))
    order = {item.id: number for number, item in enumerate(rubric.items)}
    return sorted(lines, key=lambda line: order.get(line.item_id or "", len(order)))
