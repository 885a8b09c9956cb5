"""The end of the notice period: working days over weekends, holidays and 调休; calendar days; bad data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from award.notice.periods import (
    CalendarError,
    MissingHolidayData,
    PeriodKind,
    last_day,
    load_calendar,
    parse_calendar,
    period_end,
)

CAL = load_calendar()
W, C = PeriodKind.WORKING, PeriodKind.CALENDAR
D = dt.date


@pytest.mark.parametrize(("published", "kind", "length", "last"), [
    (D(2026, 3, 2), W, 5, D(2026, 3, 9)),     # Monday: Tue–Fri, then Monday
    (D(2026, 3, 6), W, 5, D(2026, 3, 13)),    # Friday: the weekend is skipped
    (D(2026, 3, 7), W, 5, D(2026, 3, 13)),    # published on a Saturday
    (D(2026, 9, 30), W, 5, D(2026, 10, 13)),  # National Day off, Saturday 10 October is a working day
    (D(2026, 2, 12), W, 5, D(2026, 2, 26)),   # Spring Festival: 13, 14 (调休), then 24–26 after the holiday
    (D(2025, 12, 30), W, 3, D(2026, 1, 5)),   # across the year: 31 Dec, 4 Jan (调休), 5 Jan
    (D(2026, 3, 2), C, 7, D(2026, 3, 9)),     # 7 calendar days end on Monday 9 March
    (D(2026, 3, 4), C, 7, D(2026, 3, 11)),
    (D(2026, 3, 6), C, 7, D(2026, 3, 13)),
    (D(2026, 3, 7), C, 7, D(2026, 3, 16)),    # would end on Saturday 14: moved to Monday 16 (art. 203)
    (D(2026, 9, 28), C, 7, D(2026, 10, 8)),   # would end on 5 October, a holiday: the first day after it
])
def test_last_day(published, kind, length, last):
    assert last_day(published, kind=kind, length=length, calendar=CAL) == last


def test_period_ends_at_local_midnight_after_the_last_day():
    zone = ZoneInfo("Asia/Shanghai")
    published = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai on Monday
    end = period_end(published, kind=W, length=5, calendar=CAL, zone=zone)
    assert end == dt.datetime(2026, 3, 10, 0, 0, tzinfo=zone)
    assert end.tzinfo is dt.UTC


def test_a_year_without_holiday_data_is_refused_not_guessed():
    with pytest.raises(MissingHolidayData) as missing:
        last_day(D(2026, 12, 28), kind=W, length=5, calendar=CAL)
    assert missing.value.year == 2027


@pytest.mark.parametrize("text", [
    "[2026]\nholidays = [2025-12-31]\n",                     # a date of another year
    "[2026]\nholidays = [2026-01-04]\nworkdays = [2026-01-04]\n",  # both off and on
    "[2026]\nholidays = [[2026-02-23, 2026-02-15]]\n",       # a range backwards
    "[2026]\nholidays = ['1 May']\n",                         # not a date
    "[next]\nholidays = []\n",                                # not a year
    "[2026]\nfestivals = []\n",                                # unknown key
    "[2026\n",                                                # not TOML
])
def test_malformed_holiday_data_is_refused(text):
    with pytest.raises(CalendarError):
        parse_calendar(text)


def test_the_shipped_holiday_file_covers_the_current_years():
    assert {2025, 2026} <= CAL.years
    assert not CAL.is_working_day(D(2026, 2, 16)) and CAL.is_working_day(D(2026, 2, 14))
