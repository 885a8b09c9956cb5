"""The notifications' work for the job worker: due reminders, every REMINDERS_EVERY_MINUTES minutes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from award.jobs.kinds import scheduled
from award.notifications.reminders import run_reminders


@scheduled("reminders", minutes_setting="REMINDERS_EVERY_MINUTES")
def send_due_reminders(session: Session) -> str:
    return f"{run_reminders(session)} new reminder(s)"
