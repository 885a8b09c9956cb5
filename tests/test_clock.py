"""The test clock: CLOCK_OFFSET shifts utcnow() only in an app with TESTING on."""

from __future__ import annotations

import datetime as dt

from award import create_app
from award.db import utcnow

WEEK = dt.timedelta(days=7)


def _app(database_url: str, **config):
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "clock-test", "CHECK_SCHEMA_AT_STARTUP": False,
                       **config})


def _close_to(moment: dt.datetime, expected: dt.datetime) -> bool:
    return abs(moment - expected) < dt.timedelta(seconds=5)


def test_the_offset_moves_the_clock_of_a_testing_app(database_url):
    app = _app(database_url, TESTING=True, CLOCK_OFFSET=WEEK)
    with app.app_context():
        now = utcnow()
    assert now.tzinfo is dt.UTC
    assert _close_to(now, dt.datetime.now(dt.UTC) + WEEK)


def test_the_offset_is_ignored_when_not_testing(database_url):
    app = _app(database_url, TESTING=False, CLOCK_OFFSET=WEEK)
    with app.app_context():
        assert _close_to(utcnow(), dt.datetime.now(dt.UTC))


def test_outside_an_app_the_clock_is_real():
    assert _close_to(utcnow(), dt.datetime.now(dt.UTC))


def test_a_request_of_a_testing_app_sees_the_offset(database_url):
    app = _app(database_url, TESTING=True, CLOCK_OFFSET=-WEEK)
    with app.test_request_context("/"):
        assert _close_to(utcnow(), dt.datetime.now(dt.UTC) - WEEK)
