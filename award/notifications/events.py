"""One call per event, for the areas that own the events: who hears of it, with what text and link.

Each function is a thin, typed wrapper over notify(); call it in the service function right after
the state change and its audit record, in the same session, so the notice commits or rolls back
with the event. Links are paths inside the app; every function accepts `link=` to override its default.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.auth.services import Registration, registration_listener
from award.cycles.models import Cycle
from award.db import utcnow
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.services import notify, notify_users, organization_users, users_with_role
from award.runtime import path_for

if TYPE_CHECKING:
    from award.applications.models import Application


def cycle_name(cycle: Cycle) -> str:
    return f"{cycle.year} {cycle.title}"


def organization_name(application: Application) -> str:
    return application.org_name or application.organization.name


def _to_applicant(session: Session, application: Application, kind: Kind, link: str | None,
                  now: dt.datetime | None, **context: object) -> list[Notification]:
    return notify_users(session, users=organization_users(session, application.organization_id), kind=kind,
                        context={"cycle": cycle_name(application.cycle), **context},
                        link=link or path_for("applications.show", application_id=application.id), now=now)


# ------------------------------------------------------------------------- enterprises

def application_returned(session: Session, *, application: Application, reason: str, link: str | None = None,
                         now: dt.datetime | None = None) -> list[Notification]:
    """The office returned the application for correction (call after the move to RETURNED)."""
    link = link or path_for("applications.edit", application_id=application.id)
    return _to_applicant(session, application, Kind.APPLICATION_RETURNED, link, now, reason=reason)


def application_screened(session: Session, *, application: Application, eligible: bool, reason: str = "",
                         link: str | None = None, now: dt.datetime | None = None) -> list[Notification]:
    """Screening moved the application to ELIGIBLE or INELIGIBLE (call only when the status changed)."""
    if eligible:
        return _to_applicant(session, application, Kind.APPLICATION_ELIGIBLE, link, now)
    return _to_applicant(session, application, Kind.APPLICATION_INELIGIBLE, link, now, reason=reason)


def application_shortlisted(session: Session, *, application: Application, link: str | None = None,
                            now: dt.datetime | None = None) -> list[Notification]:
    return _to_applicant(session, application, Kind.APPLICATION_SHORTLISTED, link, now)


def result_link(application: Application) -> str:
    """Where an applicant reads the result: its feedback report (the one place that decides it).

    The report exists once the cycle is awarded, for every ranked application, which is exactly
    who hears the result; the application's page links to it too, beside the certificate.
    """
    return path_for("certificates.feedback_report", application_id=application.id)


def application_result(session: Session, *, application: Application, awarded: bool, link: str | None = None,
                       now: dt.datetime | None = None) -> list[Notification]:
    """Awarded or not, once the final list is confirmed; links to result_link() unless told otherwise."""
    kind = Kind.APPLICATION_AWARDED if awarded else Kind.APPLICATION_NOT_AWARDED
    return _to_applicant(session, application, kind, link or result_link(application), now)


# ----------------------------------------------------------------------------- experts

def expert_assigned(session: Session, *, expert: User, application: Application, link: str,
                    now: dt.datetime | None = None) -> Notification | None:
    """Mandatory: the expert is on the panel and must sign the pledge (link: the pledge page)."""
    return notify(session, user=expert, kind=Kind.EXPERT_ASSIGNED, link=link, now=now,
                  context={"cycle": cycle_name(application.cycle), "organization": organization_name(application)})


def sheet_reopened(session: Session, *, expert: User, application: Application, reason: str, link: str,
                   now: dt.datetime | None = None) -> Notification | None:
    return notify(session, user=expert, kind=Kind.SHEET_REOPENED, link=link, now=now,
                  context={"organization": organization_name(application), "reason": reason})


def panel_complete(session: Session, *, leader: User, application: Application, link: str, round_id: int,
                   now: dt.datetime | None = None) -> Notification | None:
    """The team leader: every sheet of the panel is in. Once per round and application."""
    return notify(session, user=leader, kind=Kind.PANEL_COMPLETE, link=link, now=now,
                  context={"organization": organization_name(application)},
                  dedupe_key=f"round{round_id}:application{application.id}:complete")


# ----------------------------------------------------------------------------- leaders

def vote_opened(session: Session, *, cycle: Cycle, closes_at: dt.datetime, link: str, vote_id: int,
                now: dt.datetime | None = None) -> list[Notification]:
    """Mandatory: every leading-group member is told that the vote is open and until when."""
    return notify_users(session, users=users_with_role(session, Role.LEADER), kind=Kind.VOTE_OPENED, link=link,
                        context={"cycle": cycle_name(cycle), "deadline": closes_at}, now=now,
                        dedupe_key=f"vote{vote_id}:opened")


# ------------------------------------------------------------------------------ office

def objection_received(session: Session, *, application: Application, link: str,
                       now: dt.datetime | None = None) -> list[Notification]:
    return notify_users(session, users=users_with_role(session, Role.OFFICE), kind=Kind.OBJECTION_RECEIVED,
                        link=link, now=now, context={"organization": organization_name(application)})


def conflict_declared(session: Session, *, expert: User, application: Application, link: str,
                      now: dt.datetime | None = None) -> list[Notification]:
    return notify_users(session, users=users_with_role(session, Role.OFFICE), kind=Kind.CONFLICT_DECLARED,
                        link=link, now=now,
                        context={"expert": expert.full_name, "organization": organization_name(application)})


# ----------------------------------------------------------------------------- accounts

@registration_listener
def registration_submitted(session: Session, outcome: Registration) -> list[Notification]:
    """A registration from the web: the new account's holder is welcomed, or the holders of the e-mail
    address or credit code hear that someone tried (at most once a day each, so a stranger cannot
    flood their mailbox); the visitor sees the same page either way."""
    link = path_for("auth.login")
    if outcome.account is not None:
        notice = notify(session, user=outcome.account, kind=Kind.ACCOUNT_REGISTERED, link=link,
                        context={"organization": outcome.account.organization.name})
        return [notice] if notice is not None else []
    return notify_users(session, users=outcome.holders, kind=Kind.REGISTRATION_ATTEMPT, link=link, context={},
                        dedupe_key=f"registration-attempt:{utcnow().date().isoformat()}")
