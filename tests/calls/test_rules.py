"""The time left before a deadline, at its boundaries, and plain text cut into paragraphs."""

from __future__ import annotations

import datetime as dt

import pytest

from award.calls.rules import TimeLeft, describe_time_left, paragraphs, time_left
from award.i18n import force_locale

DEADLINE = dt.datetime(2026, 12, 31, 9, 0, tzinfo=dt.UTC)  # 17:00 in Beijing


def before(**delta: float) -> dt.datetime:
    return DEADLINE - dt.timedelta(**delta)


@pytest.mark.parametrize(("now", "expected"), [
    (DEADLINE, TimeLeft(closed=True)),  # at the deadline itself it is over
    (DEADLINE + dt.timedelta(seconds=1), TimeLeft(closed=True)),
    (DEADLINE + dt.timedelta(days=400), TimeLeft(closed=True)),
    (before(seconds=1), TimeLeft(closed=False, minutes=1)),  # the last second still reads one minute
    (before(seconds=59), TimeLeft(closed=False, minutes=1)),
    (before(seconds=61), TimeLeft(closed=False, minutes=2)),  # rounded up under an hour
    (before(minutes=59, seconds=59), TimeLeft(closed=False, minutes=60)),
    (before(hours=1), TimeLeft(closed=False, hours=1)),
    (before(hours=5, minutes=12, seconds=30), TimeLeft(closed=False, hours=5, minutes=12)),
    (before(hours=23, minutes=59, seconds=59), TimeLeft(closed=False, hours=23, minutes=59)),
    (before(days=1), TimeLeft(closed=False, days=1)),  # a whole day: days, and hours rounded down
    (before(days=3, hours=4, minutes=59), TimeLeft(closed=False, days=3, hours=4)),
    (before(days=30), TimeLeft(closed=False, days=30)),
])
def test_time_left_at_its_boundaries(now, expected):
    assert time_left(DEADLINE, now) == expected


@pytest.mark.parametrize(("left", "chinese", "english"), [
    (TimeLeft(closed=True), "已截止", "Deadline passed"),
    (TimeLeft(closed=False, days=3, hours=4), "还剩 3 天 4 小时", "3 days 4 hours left"),
    (TimeLeft(closed=False, days=1), "还剩 1 天", "1 day left"),
    (TimeLeft(closed=False, hours=5, minutes=12), "还剩 5 小时 12 分钟", "5 hours 12 minutes left"),
    (TimeLeft(closed=False, hours=1), "还剩 1 小时", "1 hour left"),
    (TimeLeft(closed=False, minutes=1), "还剩 1 分钟", "1 minute left"),
])
def test_the_time_left_reads_in_each_language(app, left, chinese, english):
    with app.app_context(), force_locale("zh_CN"):
        assert describe_time_left(left) == chinese
    with app.app_context(), force_locale("en"):
        assert describe_time_left(left) == english


def test_paragraphs_split_on_blank_lines_and_keep_lines():
    text = "各有关单位：\r\n\r\n  一、申报条件\n二、申报材料\n\n\n\n<b>不是标记</b>\n"
    assert paragraphs(text) == [["各有关单位："], ["  一、申报条件", "二、申报材料"], ["<b>不是标记</b>"]]


def test_empty_text_has_no_paragraph():
    assert paragraphs("") == [] and paragraphs("\n \n") == []
