"""The reminder scheduler: due windows, registry, idempotence (running it twice sends one reminder)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role
from award.cycles.models import Stage
from award.db import utcnow
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage
from award.notifications.reminders import Reminder, deadline_window, run_reminders


@pytest.fixture
def reminders(app):
    def run(db, now, **kwargs):
        with app.test_request_context("/"):
            return run_reminders(db, now=now, **kwargs)

    return run


@pytest.mark.parametrize(("hours_left", "window"), [
    (100, None), (72, "3d"), (60, "3d"), (24.5, "3d"), (24, "1d"), (1, "1d"), (0, None), (-5, None),
])
def test_deadline_windows(hours_left, window):
    now = utcnow()
    assert deadline_window(now + dt.timedelta(hours=hours_left), now) == window


@pytest.fixture
def draft_world(db, make_cycle, make_user, make_organization):
    deadline = utcnow() + dt.timedelta(days=10)
    cycle = make_cycle(stage=Stage.APPLICATION, deadlines={Stage.APPLICATION: deadline})
    drafting, submitted = make_organization(), make_organization()
    users = [make_user(Role.ENTERPRISE, organization=drafting) for _n in range(2)]
    quiet = make_user(Role.ENTERPRISE, organization=submitted)
    db.add_all([Application(cycle_id=cycle.id, organization_id=drafting.id, status=ApplicationStatus.DRAFT),
                Application(cycle_id=cycle.id, organization_id=submitted.id, status=ApplicationStatus.SUBMITTED)])
    db.commit()
    return {"deadline": deadline, "users": users, "quiet": quiet}


def _notices(db, user) -> int:
    return db.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                               Notification.kind == Kind.APPLICATION_DEADLINE))


def test_application_deadline_reminders_are_sent_once_per_window(db, draft_world, reminders):
    deadline, users, quiet = draft_world["deadline"], draft_world["users"], draft_world["quiet"]
    assert reminders(db, deadline - dt.timedelta(days=5)) == 0
    three_days = deadline - dt.timedelta(days=2, hours=20)
    assert reminders(db, three_days) == 2  # both accounts of the drafting organization
    assert reminders(db, three_days) == 0
    assert reminders(db, three_days + dt.timedelta(hours=5)) == 0
    one_day = deadline - dt.timedelta(hours=20)
    assert reminders(db, one_day) == 2
    assert reminders(db, one_day) == 0
    assert reminders(db, deadline + dt.timedelta(hours=1)) == 0
    assert [_notices(db, user) for user in users] == [2, 2]
    assert _notices(db, quiet) == 0  # a submitted application needs no reminder
    emails = db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == Kind.APPLICATION_DEADLINE,
                                                                  OutboxMessage.user_id.in_([u.id for u in users])))
    assert emails == 4


def test_a_reminder_links_to_the_draft_and_names_the_deadline(db, draft_world, reminders):
    reminders(db, draft_world["deadline"] - dt.timedelta(hours=10))
    notice = db.scalars(select(Notification).where(Notification.user_id == draft_world["users"][0].id)).one()
    assert notice.link.startswith("/applications/") and notice.link.endswith("/edit")
    assert "The application deadline is" in notice.body


def test_a_first_run_close_to_the_deadline_sends_only_the_one_day_reminder(db, draft_world, reminders):
    assert reminders(db, draft_world["deadline"] - dt.timedelta(hours=3)) == 2
    assert reminders(db, draft_world["deadline"] - dt.timedelta(hours=2)) == 0


def test_other_areas_register_their_own_sources(db, make_user, reminders):
    leader = make_user(Role.LEADER)
    closes = utcnow() + dt.timedelta(hours=12)

    def vote_closing(session, now):
        yield Reminder(leader, Kind.VOTE_CLOSING, {"cycle": "C", "deadline": closes}, "/dashboard", "vote7:closing")

    assert reminders(db, utcnow(), sources=[vote_closing]) == 1
    assert reminders(db, utcnow(), sources=[vote_closing]) == 0
