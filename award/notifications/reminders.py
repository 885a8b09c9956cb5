"""The reminder scheduler: a registry of sources, each saying who should be reminded of what now.

`flask --app award reminders run` (from cron or a systemd timer, e.g. hourly) calls every source and
notify()s what it yields. Each reminder carries a dedupe key naming the occasion (cycle, deadline,
window), so running the scheduler twice, or every five minutes, sends each reminder once.

Areas add their own sources without this module importing them:

    @reminder_source
    def _review_deadline(session, now):
        for expert, open_sheets, round_ in ...:
            yield Reminder(expert, Kind.REVIEW_DEADLINE, {...}, url, f"round{round_.id}:{window}")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from award.auth.models import User
from award.db import utcnow
from award.notifications.kinds import Kind
from award.notifications.services import email_choices, existing_dedupe_keys, full_dedupe_key, notify_prepared


class Reminder(NamedTuple):
    user: User
    kind: Kind
    context: dict[str, Any]
    link: str
    dedupe_key: str


ReminderSource = Callable[[Session, dt.datetime], Iterable[Reminder]]
_SOURCES: list[ReminderSource] = []

# Remind this long before a deadline; the tightest window that applies wins, so a first run
# 20 hours before a deadline sends the one-day reminder only.
WINDOWS: tuple[tuple[str, dt.timedelta], ...] = (("1d", dt.timedelta(days=1)), ("3d", dt.timedelta(days=3)))


def reminder_source(source: ReminderSource) -> ReminderSource:
    """Register a source of reminders (a function of the session and now)."""
    _SOURCES.append(source)
    return source


def deadline_window(deadline: dt.datetime, now: dt.datetime) -> str | None:
    """"1d" or "3d" when the deadline is that close and still ahead; None otherwise."""
    if now >= deadline:
        return None
    return next((name for name, lead in WINDOWS if deadline - now <= lead), None)


def run_reminders(session: Session, *, now: dt.datetime | None = None,
                  sources: Iterable[ReminderSource] | None = None) -> int:
    """Notify every reminder due now that was not sent before; returns how many were new."""
    now = now or utcnow()
    created = 0
    for source in (_SOURCES if sources is None else sources):
        batch = list(source(session, now))
        # What was sent before and who wants e-mail: read in bulk, so a run costs the same
        # few queries for five experts or five hundred.
        done = existing_dedupe_keys(session, (full_dedupe_key(r.kind, r.user, r.dedupe_key) for r in batch))
        due = [r for r in batch if full_dedupe_key(r.kind, r.user, r.dedupe_key) not in done]
        choices = {kind: email_choices(session, [r.user for r in due if r.kind is kind], kind)
                   for kind in {r.kind for r in due}}
        for reminder in due:
            notice = notify_prepared(session, user=reminder.user, kind=reminder.kind, context=reminder.context,
                             link=reminder.link, dedupe_key=reminder.dedupe_key, now=now,
                             email=choices[reminder.kind][reminder.user.id], known_new=True)
            created += notice is not None
    return created
