"""The end of a public-notice period, in working days or calendar days.

Counting follows the Civil Code (民法典 art. 201, 203): the day of publication is not counted,
counting starts the next day, and a period whose last day is a rest day ends on the first working
day after it. Working days skip weekends and public holidays and include adjusted working days
(调休), kept as data in holidays.toml; a period reaching into a year without data is refused
rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import enum
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HOLIDAYS_FILE = Path(__file__).with_name("holidays.toml")
ONE_DAY = dt.timedelta(days=1)


class PeriodKind(enum.StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


class CalendarError(ValueError):
    """The holidays file is malformed."""


class MissingHolidayData(ValueError):
    """The period reaches a year that the holidays file does not cover."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no holiday data for {year}")
        self.year = year


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5

    def require(self, year: int) -> None:
        if year not in self.years:
            raise MissingHolidayData(year)


def _days(value: Any, where: str) -> list[dt.date]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return [value]
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in value):
        first, last = value
        if last < first:
            raise CalendarError(f"{where}: range ends before it starts")
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    raise CalendarError(f"{where}: expected a date or a [first, last] pair, got {value!r}")


def parse_calendar(text: str) -> WorkCalendar:
    """Read holidays.toml text; every date must lie in its year's table, none both off and on."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CalendarError(str(error)) from None
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    years: set[int] = set()
    for key, table in data.items():
        if not key.isdigit() or not isinstance(table, dict) or set(table) - {"holidays", "workdays"}:
            raise CalendarError(f"[{key}]: expected a year with 'holidays' and 'workdays'")
        year = int(key)
        years.add(year)
        for name, target in (("holidays", holidays), ("workdays", workdays)):
            for value in table.get(name, []):
                for day in _days(value, f"[{key}] {name}"):
                    if day.year != year:
                        raise CalendarError(f"[{key}] {name}: {day} is not in {year}")
                    target.add(day)
        clash = sorted(d for d in workdays & holidays if d.year == year)
        if clash:
            raise CalendarError(f"[{key}]: {clash[0]} is both a holiday and a working day")
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


@lru_cache(maxsize=8)
def load_calendar(path: str | Path = HOLIDAYS_FILE) -> WorkCalendar:
    return parse_calendar(Path(path).read_text(encoding="utf-8"))


def last_day(start: dt.date, *, kind: PeriodKind, length: int, calendar: WorkCalendar) -> dt.date:
    """The last day of a period of `length` days published on `start` (which is not counted)."""
    if length < 1:
        raise ValueError("a period lasts at least one day")
    calendar.require(start.year)
    day, counted = start, 0
    while counted < length:
        day += ONE_DAY
        calendar.require(day.year)
        if kind is PeriodKind.CALENDAR or calendar.is_working_day(day):
            counted += 1
    while not calendar.is_working_day(day):  # a period never ends on a rest day (art. 203)
        day += ONE_DAY
        calendar.require(day.year)
    return day


def period_end(published_at: dt.datetime, *, kind: PeriodKind, length: int, calendar: WorkCalendar,
               zone: ZoneInfo) -> dt.datetime:
    """The moment the period is over: midnight (local time) after its last day, as aware UTC."""
    start = published_at.astimezone(zone).date()
    end = last_day(start, kind=PeriodKind(kind), length=length, calendar=calendar)
    return dt.datetime.combine(end + ONE_DAY, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
