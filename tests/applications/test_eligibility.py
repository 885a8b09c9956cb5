"""Eligibility rules (资格审核): one table per rule, pure functions, award history as a plain stub."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from award.applications import eligibility as e
from award.applications.models import RuleOutcome as R
from award.cycles.settings import EligibilitySettings

ON = dt.date(2026, 6, 30)
SETTINGS = EligibilitySettings()  # 5 years, QMS 3, accidents 3, penalties 1, cool-down 3, ban 3


def facts(**values) -> e.ApplicantFacts:
    return e.ApplicantFacts(credit_code="91320500MA1XXXXX0X", **values)


@pytest.mark.parametrize(("founded", "expected"), [
    (dt.date(2021, 6, 30), R.PASS),  # exactly five years on the reference day
    (dt.date(2021, 7, 1), R.FAIL),  # one day short
    (dt.date(1990, 1, 1), R.PASS),
    (None, R.REVIEW),
])
def test_years_in_operation(founded, expected):
    result = e.check_years_in_operation(facts(founded_on=founded), SETTINGS, ON)
    assert result.outcome is expected


@pytest.mark.parametrize(("minimum", "certified", "expected"), [
    (3, dt.date(2023, 6, 30), R.PASS),
    (3, dt.date(2024, 1, 1), R.FAIL),
    (2, dt.date(2024, 1, 1), R.PASS),  # another city's setting
])
def test_qms_years_follow_the_cycle_setting(minimum, certified, expected):
    settings = EligibilitySettings(min_qms_years=minimum)
    assert e.check_qms_years(facts(qms_certified_on=certified), settings, ON).outcome is expected


@pytest.mark.parametrize(("window", "last", "expected"), [
    (3, None, R.PASS),
    (3, dt.date(2023, 6, 30), R.PASS),  # exactly three years ago: outside
    (3, dt.date(2023, 7, 1), R.FAIL),
    (5, dt.date(2022, 1, 1), R.FAIL),  # China Quality Award: five years
    (0, dt.date(2026, 6, 1), R.PASS),  # rule switched off
])
def test_no_major_accident(window, last, expected):
    settings = EligibilitySettings(accident_window_years=window)
    result = e.check_no_major_accident(facts(last_major_accident_on=last), settings, ON)
    assert result.outcome is expected
    assert result.fact["window"] == window


@pytest.mark.parametrize(("last", "expected"), [
    (dt.date(2025, 6, 30), R.PASS),
    (dt.date(2025, 7, 1), R.FAIL),
    (None, R.PASS),
])
def test_no_penalty_in_the_last_year(last, expected):
    assert e.check_no_penalty(facts(last_penalty_on=last), SETTINGS, ON).outcome is expected


def test_blacklist_hit_fails_with_source_and_date():
    result = e.check_not_blacklisted([e.BlacklistHit(source="市市场监管局", listed_on=dt.date(2025, 3, 1))])
    assert result.outcome is R.FAIL
    assert result.fact["listings"] == [{"source": "市市场监管局", "listed_on": "2025-03-01"}]
    assert e.check_not_blacklisted([]).outcome is R.PASS


@pytest.mark.parametrize(("history", "cycle_year", "expected"), [
    ((), 2026, R.PASS),
    ((e.PastAward(cycle_year=2023),), 2026, R.FAIL),  # 2024, 2025, 2026 are the cool-down
    ((e.PastAward(cycle_year=2022),), 2026, R.PASS),
    ((e.PastAward(cycle_year=2025, revoked_on=dt.date(2026, 1, 1)),), 2026, R.PASS),  # revoked: ban rule instead
])
def test_award_cooldown_reads_the_history(history, cycle_year, expected):
    assert e.check_award_cooldown(history, SETTINGS, cycle_year).outcome is expected


@pytest.mark.parametrize(("revoked", "expected"), [
    (dt.date(2024, 1, 1), R.FAIL),
    (dt.date(2023, 6, 30), R.PASS),
    (None, R.PASS),
])
def test_revocation_ban(revoked, expected):
    history = [e.PastAward(cycle_year=2020, revoked_on=revoked)]
    assert e.check_revocation_ban(history, SETTINGS, ON).outcome is expected


def test_registration_in_city_always_needs_the_office():
    result = e.check_registered_in_city(facts(district="工业园区"))
    assert result.outcome is R.REVIEW and result.fact["division"] == "320500"


def test_check_all_runs_every_rule_in_order():
    results = e.check_all(facts(founded_on=dt.date(2000, 1, 1), qms_certified_on=dt.date(2010, 1, 1)),
                          settings=SETTINGS, on=ON, cycle_year=2026)
    assert [r.rule for r in results] == list(e.RULES)
    assert {r.rule for r in results if r.outcome is not R.PASS} == {"registered_in_city"}


def test_every_fact_has_words(app):
    with app.test_request_context():
        results = e.check_all(facts(last_penalty_on=dt.date(2026, 1, 1)), settings=SETTINGS, on=ON, cycle_year=2026,
                              history=[e.PastAward(cycle_year=2024, revoked_on=dt.date(2025, 1, 1))],
                              blacklist=[e.BlacklistHit(source="x", listed_on=dt.date(2025, 1, 1))])
        for result in results:
            assert e.describe(result.rule, result.outcome, result.fact)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 40))
def test_years_before_is_exactly_that_many_full_years(day, years):
    assert e.full_years(e.years_before(day, years), day) == years
