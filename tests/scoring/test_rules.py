"""Rules of one expert's item score: band, step, comments, justification, points."""

from __future__ import annotations

from decimal import Decimal

import pytest

from award.rubrics import RUBRICS_DIR, Rubric, load_rubric
from award.scoring.rules import (
    ItemEntry,
    category_points,
    item_points,
    sheet_total,
    validate_draft_entry,
    validate_item_score,
    validate_sheet,
)

OK = "好"  # a non-blank comment


@pytest.fixture(scope="module")
def gbt() -> Rubric:
    return load_rubric(RUBRICS_DIR / "gbt19580-2012.toml")


@pytest.fixture(scope="module")
def city() -> Rubric:
    return load_rubric(RUBRICS_DIR / "city-100.toml")


def codes(problems: list) -> list[str]:
    return [p.code for p in problems]


def full_entry(rubric: Rubric, item_id: str, percent: int = 50) -> ItemEntry:
    """A complete, valid entry for an item at ``percent``."""
    band = rubric.band_for_percent(item_id, percent)
    return ItemEntry(item_id=item_id, band_id=band.id, percent=percent, strength=OK,
                     improvement=OK, justification=OK)


# ------------------------------------------------------------------ band and step

BAND_AND_STEP = [
    # (band, percent, expected codes) for 4.1.2, a 50-point process item
    ("1", 0, []),
    ("1", 5, []),
    ("2", 10, []),
    ("3", 45, []),
    ("6", 100, []),
    ("6", 105, ["out_of_range"]),
    ("1", -5, ["out_of_range"]),
    ("3", 37, ["wrong_step"]),
    ("1", 37, ["wrong_step", "band_mismatch"]),
    ("3", 50, ["band_mismatch"]),
    ("2", 5, ["band_mismatch"]),
    ("6", 85, ["band_mismatch"]),
    ("4", Decimal("52.5"), ["wrong_step"]),
    ("4", Decimal("55.0"), []),
    ("4", Decimal("NaN"), ["out_of_range"]),
    ("9", 50, ["unknown_band"]),
    ("", 50, ["missing_band"]),
    (None, 50, ["missing_band"]),
    ("4", None, ["missing_percent"]),
]


@pytest.mark.parametrize(("band", "percent", "expected"), BAND_AND_STEP)
def test_band_and_step_rules(gbt: Rubric, band, percent, expected) -> None:
    problems = validate_item_score(gbt, "4.1.2", band, percent, OK, OK, OK)
    assert codes(problems) == expected
    assert all(p.item_id == "4.1.2" for p in problems)


def test_wrong_step_message_names_item_percent_and_step(gbt: Rubric) -> None:
    (problem,) = validate_item_score(gbt, "4.1.2", "3", 37, OK, OK)
    assert str(problem) == "4.1.2: 37% is not a multiple of 5%."


def test_out_of_range_message(gbt: Rubric) -> None:
    (problem,) = validate_item_score(gbt, "4.7.2", "6", 105, OK, OK, OK)
    assert str(problem) == "4.7.2: 105% is outside 0–100%."


def test_band_mismatch_message_lists_the_allowed_percentages(gbt: Rubric) -> None:
    (problem,) = validate_item_score(gbt, "4.1.2", "3", 50, OK, OK)
    assert str(problem) == "4.1.2: 50% is outside band 3 (30–45%); allowed: 30, 35, 40, 45%."


def test_unknown_band_message_lists_the_bands(gbt: Rubric) -> None:
    (problem,) = validate_item_score(gbt, "4.1.2", "9", 50, OK, OK)
    assert "1 (0–5%)" in str(problem)
    assert "6 (90–100%)" in str(problem)


def test_messages_are_lazy_translatable_strings(gbt: Rubric) -> None:
    (problem,) = validate_item_score(gbt, "4.1.2", "3", 37, OK, OK)
    assert not isinstance(problem.message, str)  # rendered in the reader's locale later
    assert "4.1.2" in str(problem.message)


def test_unknown_item_stops_further_checks(gbt: Rubric) -> None:
    problems = validate_item_score(gbt, "4.1.1", "9", 37, "", "")
    assert codes(problems) == ["unknown_item"]
    assert str(problems[0]) == "Unknown item 4.1.1."


@pytest.mark.parametrize("percent", [37.0, True, "50"])
def test_percent_of_a_wrong_type_is_a_programming_error(gbt: Rubric, percent) -> None:
    with pytest.raises(TypeError):
        validate_item_score(gbt, "4.1.2", "4", percent, OK, OK)


@pytest.mark.parametrize("kind", ["process", "results"])
def test_every_grid_percent_lies_in_exactly_one_band(gbt: Rubric, kind: str) -> None:
    bands = gbt.kind(kind).bands
    for percent in range(0, 101, gbt.step):
        assert sum(b.contains(percent) for b in bands) == 1, percent


# ------------------------------------------------------------------ comments

BLANKS = ["", "   ", "\n\t ", "\u3000", None]


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_strength_is_refused(gbt: Rubric, blank) -> None:
    problems = validate_item_score(gbt, "4.2.2", "4", 50, blank, OK)
    assert codes(problems) == ["missing_strength"]
    assert str(problems[0]) == "4.2.2: write a strength."


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_improvement_is_refused(gbt: Rubric, blank) -> None:
    problems = validate_item_score(gbt, "4.2.2", "4", 50, OK, blank)
    assert codes(problems) == ["missing_improvement"]
    assert str(problems[0]) == "4.2.2: write an improvement point."


@pytest.mark.parametrize(("text", "min_length", "ok"), [
    ("好", 1, True),
    (" 好 ", 1, True),
    ("好", 0, True),  # a minimum below 1 still refuses blanks
    ("", 0, False),
    ("流程清晰", 5, False),
    ("  流程清晰  ", 5, False),  # surrounding spaces do not count
    ("流程很清晰", 5, True),
])
def test_min_comment_length(gbt: Rubric, text: str, min_length: int, ok: bool) -> None:
    problems = validate_item_score(gbt, "4.2.2", "4", 50, text, text,
                                   min_comment_length=min_length)
    expected = [] if ok else ["missing_strength", "missing_improvement"]
    assert codes(problems) == expected


def test_min_comment_length_message_names_the_minimum(gbt: Rubric) -> None:
    problems = validate_item_score(gbt, "4.2.2", "4", 50, "短", OK, min_comment_length=5)
    assert str(problems[0]) == "4.2.2: the strength needs at least 5 characters."


# ------------------------------------------------------------------ justification

JUSTIFICATION = [
    # (item, band, percent, justification required?)
    ("4.1.2", "1", 0, True),
    ("4.1.2", "1", 5, True),
    ("4.1.2", "2", 10, False),
    ("4.1.2", "5", 85, False),
    ("4.1.2", "6", 90, True),
    ("4.1.2", "6", 100, True),
    ("4.7.4", "1", 0, True),
    ("4.7.4", "4", 60, False),
    ("4.7.4", "6", 95, True),
]


@pytest.mark.parametrize(("item_id", "band", "percent", "required"), JUSTIFICATION)
def test_extreme_bands_need_a_justification(gbt: Rubric, item_id, band, percent,
                                            required: bool) -> None:
    without = validate_item_score(gbt, item_id, band, percent, OK, OK, "  ")
    assert codes(without) == (["missing_justification"] if required else [])
    assert validate_item_score(gbt, item_id, band, percent, OK, OK, "证据充分") == []


def test_justification_message_names_the_band(gbt: Rubric) -> None:
    (problem,) = validate_item_score(gbt, "4.1.2", "6", 100, OK, OK)
    assert str(problem) == "4.1.2: band 6 (90–100%) needs a written justification."


def test_justification_follows_the_percent_when_the_band_is_missing(gbt: Rubric) -> None:
    problems = validate_item_score(gbt, "4.1.2", None, 0, OK, OK)
    assert codes(problems) == ["missing_band", "missing_justification"]


# ------------------------------------------------------------------ drafts

DRAFTS = [
    # (band, percent, strength, expected codes): blanks pass, impossible values do not
    (None, None, None, []),
    ("", None, "", []),
    ("3", None, None, []),
    (None, 40, None, []),
    ("1", 0, None, []),  # the justification may come later
    (None, 105, None, ["out_of_range"]),
    (None, -5, None, ["out_of_range"]),
    (None, 37, None, ["wrong_step"]),
    ("3", 50, None, ["band_mismatch"]),
    ("9", None, None, ["unknown_band"]),
]


@pytest.mark.parametrize(("band", "percent", "strength", "expected"), DRAFTS)
def test_draft_entry_rules(gbt: Rubric, band, percent, strength, expected) -> None:
    assert codes(validate_draft_entry(gbt, "4.3.2", band, percent, strength)) == expected


def test_draft_of_an_unknown_item_is_refused(gbt: Rubric) -> None:
    assert codes(validate_draft_entry(gbt, "9.9.9", None, None)) == ["unknown_item"]


# ------------------------------------------------------------------ points

POINTS = [
    ("4.1.2", 65, Decimal("32.5")),  # 50 x 65%
    ("4.1.2", 0, Decimal("0")),
    ("4.1.2", 100, Decimal("50")),
    ("4.4.6", 5, Decimal("0.5")),  # 10 x 5%
    ("4.4.3", 5, Decimal("0.75")),  # 15 x 5%
    ("4.4.3", 35, Decimal("5.25")),
    ("4.7.2", 85, Decimal("68")),
    ("4.7.5", Decimal("45"), Decimal("27")),
]


@pytest.mark.parametrize(("item_id", "percent", "expected"), POINTS)
def test_item_points_are_exact_decimals(gbt: Rubric, item_id, percent, expected) -> None:
    points = item_points(gbt, item_id, percent)
    assert isinstance(points, Decimal)
    assert points == expected
    assert points.as_tuple().exponent >= -2  # fits a Numeric(..., 2) column


@pytest.mark.parametrize("percent", [37, 105, -5, Decimal("2.5")])
def test_item_points_refuse_off_grid_percent(gbt: Rubric, percent) -> None:
    with pytest.raises(ValueError, match="4.1.2"):
        item_points(gbt, "4.1.2", percent)


def test_item_points_refuse_float(gbt: Rubric) -> None:
    with pytest.raises(TypeError):
        item_points(gbt, "4.1.2", 32.5)


def test_full_marks_give_the_rubric_total(gbt: Rubric) -> None:
    assert sheet_total(gbt, {i.id: 100 for i in gbt.items}) == Decimal(1000)


def test_category_points_cover_every_category(gbt: Rubric) -> None:
    totals = category_points(gbt, {i.id: 50 for i in gbt.items})
    assert list(totals) == [c.id for c in gbt.categories]
    assert totals["4.7"] == Decimal(200)
    assert totals["4.1"] == Decimal(55)
    assert category_points(gbt, {"4.1.2": 65})["4.7"] == Decimal(0)


# ------------------------------------------------------------------ whole sheet


def test_complete_sheet_has_no_problems(gbt: Rubric) -> None:
    entries = [full_entry(gbt, i.id) for i in gbt.items]
    assert validate_sheet(gbt, entries) == {}


def test_submission_reports_missing_items(gbt: Rubric) -> None:
    entries = [full_entry(gbt, i.id) for i in gbt.items if i.id not in {"4.4.6", "4.7.7"}]
    problems = validate_sheet(gbt, entries)
    assert list(problems) == ["4.4.6", "4.7.7"]
    assert codes(problems["4.4.6"]) == ["missing_item"]
    assert str(problems["4.7.7"][0]) == "4.7.7: no score entered for this item."


def test_draft_sheet_may_be_partial_but_not_impossible(gbt: Rubric) -> None:
    entries = [
        ItemEntry(item_id="4.1.2", band_id="3", percent=40),
        ItemEntry(item_id="4.2.2", percent=37),
    ]
    problems = validate_sheet(gbt, entries, draft=True)
    assert {k: codes(v) for k, v in problems.items()} == {"4.2.2": ["wrong_step"]}


def test_sheet_reports_unknown_and_duplicate_items(gbt: Rubric) -> None:
    entries = [full_entry(gbt, i.id) for i in gbt.items]
    entries += [full_entry(gbt, "4.1.2"), ItemEntry(item_id="4.8.1", percent=50)]
    problems = validate_sheet(gbt, entries)
    assert {k: codes(v) for k, v in problems.items()} == {
        "4.1.2": ["duplicate_item"], "4.8.1": ["unknown_item"]}


def test_sheet_problems_follow_rubric_order(gbt: Rubric) -> None:
    entries = [ItemEntry(item_id=i.id) for i in reversed(gbt.items)]
    assert list(validate_sheet(gbt, entries)) == [i.id for i in gbt.items]


# ------------------------------------------------------------------ another rubric

CITY_CASES = [
    # (item, band, percent, justification, expected) with 4 bands D/C/B/A
    ("1.1", "C", 25, "", []),
    ("1.1", "C", 20, "", ["band_mismatch"]),
    ("1.1", "B", 80, "", []),
    ("1.1", "D", 20, "", ["missing_justification"]),
    ("5.2", "A", 85, "", ["missing_justification"]),
    ("5.2", "A", 85, "领先", []),
    ("5.2", "6", 95, "领先", ["unknown_band"]),
    ("4.1.2", "A", 90, "", ["unknown_item"]),
]


@pytest.mark.parametrize(("item_id", "band", "percent", "justification", "expected"),
                         CITY_CASES)
def test_city_rubric_uses_its_own_bands(city: Rubric, item_id, band, percent, justification,
                                        expected) -> None:
    problems = validate_item_score(city, item_id, band, percent, OK, OK, justification)
    assert codes(problems) == expected


def test_city_points(city: Rubric) -> None:
    assert item_points(city, "2.2", 55) == Decimal("3.85")  # 7 x 55%
    assert sheet_total(city, {i.id: 100 for i in city.items}) == Decimal(100)
