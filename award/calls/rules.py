"""Pure rules of a call: the time left before a deadline, and plain text cut into paragraphs."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from award.i18n import _, ngettext

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True)
class TimeLeft:
    """Whole days, hours and minutes before a deadline; `closed` from the deadline itself on."""

    closed: bool
    days: int = 0
    hours: int = 0
    minutes: int = 0


def time_left(deadline: dt.datetime, now: dt.datetime) -> TimeLeft:
    """Days and hours (rounded down) while a day or more is left; hours and minutes under a day; under an
    hour the minutes are rounded up, so the last seconds still read "1 minute" and never "0"."""
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        return TimeLeft(closed=True)
    if seconds >= DAY:
        whole = int(seconds)
        return TimeLeft(closed=False, days=whole // DAY, hours=whole % DAY // HOUR)
    if seconds >= HOUR:
        whole = int(seconds)
        return TimeLeft(closed=False, hours=whole // HOUR, minutes=whole % HOUR // MINUTE)
    return TimeLeft(closed=False, minutes=max(1, math.ceil(seconds / MINUTE)))


def describe_time_left(left: TimeLeft) -> str:
    """"还剩 3 天 4 小时", "还剩 5 小时 12 分钟", "还剩 1 分钟" or "已截止", in the language in force."""
    if left.closed:
        return _("Deadline passed")
    parts = []
    if left.days:
        parts.append(ngettext("%(num)d day", "%(num)d days", left.days))
    if left.hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", left.hours))
    if left.minutes and not left.days:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", left.minutes))
    return _("%(time)s left", time=" ".join(parts))


def paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs (separated by blank lines), each a list of its lines; nothing is read as markup."""
    blocks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]
