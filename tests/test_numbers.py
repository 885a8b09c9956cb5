"""Scores are printed rounded half up (四舍五入) by one function, award.numbers.format_score."""

from __future__ import annotations

from decimal import Decimal

import pytest

from award.numbers import format_score, round_score


@pytest.mark.parametrize(("value", "places", "printed"), [
    (797.25, 1, "797.3"),  # round() and "%.1f" print 797.2 (half to even)
    (Decimal("797.25"), 1, "797.3"),
    ("797.25", 1, "797.3"),
    (0.125, 2, "0.13"),  # "%.2f" prints 0.12
    (2.675, 2, "2.68"),  # the float is 2.67499999…; a reader checks the figure as written
    (1.005, 2, "1.01"),
    (0.5, 0, "1"),
    (1.5, 0, "2"),
    (2.5, 0, "3"),  # round(2.5) == 2
    (-797.25, 1, "-797.3"),  # half away from zero for negatives too
    (-2.675, 2, "-2.68"),
    (-0.004, 2, "0.00"),  # no "-0.00"
    (0, 2, "0.00"),
    (600, 2, "600.00"),
    (Decimal("99999999999999999999999999999.995"), 2, "100000000000000000000000000000.00"),  # beyond 28 digits
    (1e20 + 0.5, 1, "100000000000000000000.0"),
    (Decimal("612.50"), 1, "612.5"),
])
def test_half_up(value, places, printed):
    assert format_score(value, places) == printed


@pytest.mark.parametrize(("value", "printed"), [(80.0, "80"), (797.25, "797.3"), (612.5, "612.5"), (0.04, "0")])
def test_trim_drops_a_useless_decimal(value, printed):
    assert format_score(value, 1, trim=True) == printed


@pytest.mark.parametrize("value", [None, float("nan"), Decimal("NaN")])
def test_nothing_to_show_prints_a_dash(value):
    assert format_score(value) == "–"


def test_round_score_returns_a_decimal_of_the_places():
    assert round_score(797.25, 1) == Decimal("797.3") and round_score(797.25, 1).as_tuple().exponent == -1


@pytest.mark.parametrize(("value", "error"), [
    (float("inf"), ValueError), ("abc", ValueError), (True, TypeError),
])
def test_what_is_not_a_score_is_refused(value, error):
    with pytest.raises(error):
        round_score(value)


def test_places_out_of_range_are_refused():
    with pytest.raises(ValueError):
        round_score(1, 7)


def test_the_pages_use_the_same_function(app):
    assert app.jinja_env.filters["score"] is format_score
    assert app.jinja_env.from_string("{{ 797.25|score(1) }} {{ x|score }}").render(x=None) == "797.3 –"
