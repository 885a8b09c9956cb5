"""Who hears of an application's events, with which link, and the application-deadline reminders.

The services of applications, approval and awards call these right after their audit record, in the
same session, so each notice and its e-mail commit or roll back with the event. Every function
accepts `link=` to override its default path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus, ApplicationSubmission
from award.auth.models import Role, User
from award.cycles.models import Cycle, CycleDeadline, Stage
from award.cycles.services import DeadlineChange, deadline_listener
from award.notifications.events import cycle_name
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.reminders import WINDOWS, Reminder, deadline_window, reminder_source
from award.notifications.services import (
    email_choices,
    existing_dedupe_keys,
    full_dedupe_key,
    notify_prepared,
    notify_users,
    organization_users,
)
from award.runtime import path_for


def organization_name(application: Application) -> str:
    return application.org_name or application.organization.name


def _to_applicant(session: Session, application: Application, kind: Kind, link: str | None,
                  now: dt.datetime | None, dedupe_key: str | None = None, **context: object) -> list[Notification]:
    return notify_users(session, users=organization_users(session, application.organization_id), kind=kind,
                        context={"cycle": cycle_name(application.cycle), **context}, dedupe_key=dedupe_key,
                        link=link or path_for("applications.show", application_id=application.id), now=now)


def receipt_link(application: Application) -> str:
    """The receipt of the latest submission: its print view, with the PDF one click away."""
    return path_for("documents.application_receipt", application_id=application.id)


def application_submitted(session: Session, *, application: Application, submission: ApplicationSubmission,
                          link: str | None = None, now: dt.datetime | None = None) -> list[Notification]:
    """Mandatory: the applicant's receipt e-mail, once per submission (a resubmission is a new one)."""
    return _to_applicant(session, application, Kind.APPLICATION_SUBMITTED, link or receipt_link(application), now,
                         dedupe_key=f"application{application.id}:submission{submission.number}",
                         submitted_at=submission.submitted_at, files=len(submission.content.get("evidence", [])),
                         digest=submission.content_sha256)


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


def review_opened(session: Session, *, applications: Sequence[Application], round_id: int, onsite: bool,
                  deadline: dt.datetime | None, now: dt.datetime | None = None) -> list[Notification]:
    """A review round opened with these applications on its panels (never who sits on them): under review,
    or on-site review scheduled. Once per round and application; the reads are the same for 1 or 100."""
    kind = Kind.APPLICATION_ONSITE_SCHEDULED if onsite else Kind.APPLICATION_UNDER_REVIEW
    if not applications:
        return []
    by_organization: dict[int, list[Application]] = {}
    for application in applications:
        by_organization.setdefault(application.organization_id, []).append(application)
    users = session.scalars(select(User).where(
        User.organization_id.in_(by_organization), User.role == Role.ENTERPRISE, User.is_enabled.is_(True))
        .order_by(User.id)).all()
    pairs = [(user, application, f"application{application.id}:round{round_id}:opened")
             for user in users for application in by_organization[user.organization_id or 0]]
    done = existing_dedupe_keys(session, (full_dedupe_key(kind, user, key) for user, _a, key in pairs))
    choices = email_choices(session, users, kind)
    context: dict[str, object] = {"cycle": cycle_name(applications[0].cycle)}
    if onsite:
        context["deadline"] = deadline or "—"
    created = [notify_prepared(session, user=user, kind=kind, context=context, dedupe_key=key, now=now,
                               link=path_for("applications.show", application_id=application.id),
                               email=choices[user.id], known_new=True)
               for user, application, key in pairs if full_dedupe_key(kind, user, key) not in done]
    return [notice for notice in created if notice is not None]


def application_shortlisted(session: Session, *, application: Application, link: str | None = None,
                            now: dt.datetime | None = None) -> list[Notification]:
    return _to_applicant(session, application, Kind.APPLICATION_SHORTLISTED, link, now)


def application_not_shortlisted(session: Session, *, application: Application, link: str | None = None,
                                now: dt.datetime | None = None) -> list[Notification]:
    """Ranked (or reviewed) but not on the shortlist submitted to the leading group."""
    return _to_applicant(session, application, Kind.APPLICATION_NOT_SHORTLISTED, link, now)


def application_decided(session: Session, *, application: Application, approved: bool, link: str | None = None,
                        now: dt.datetime | None = None) -> list[Notification]:
    """The leading group's decision, at the vote's close: never the counts, only the outcome."""
    kind = Kind.APPLICATION_APPROVED if approved else Kind.APPLICATION_NOT_APPROVED
    return _to_applicant(session, application, kind, link, now)


def application_on_notice(session: Session, *, application: Application, ends_at: dt.datetime,
                          link: str | None = None, now: dt.datetime | None = None) -> list[Notification]:
    return _to_applicant(session, application, Kind.APPLICATION_ON_NOTICE, link or path_for("notice.public_list"),
                         now, ends_at=ends_at)


def application_withdrawn_from_notice(session: Session, *, application: Application, reason: str,
                                      link: str | None = None, now: dt.datetime | None = None) -> list[Notification]:
    return _to_applicant(session, application, Kind.APPLICATION_WITHDRAWN_FROM_NOTICE, link, now, reason=reason)


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


@deadline_listener
def application_deadline_moved(session: Session, change: DeadlineChange) -> list[Notification]:
    """The application deadline moved after applications opened: every applicant of the cycle hears
    of it with the reason (mandatory), whatever their application's state, except one withdrawn."""
    if change.stage is not Stage.APPLICATION:
        return []
    applications = session.scalars(select(Application).where(
        Application.cycle_id == change.cycle.id, Application.status != ApplicationStatus.WITHDRAWN)
        .order_by(Application.id)).all()
    return [notice for application in applications
            for notice in _to_applicant(session, application, Kind.APPLICATION_DEADLINE_MOVED, None, change.now,
                                        before=change.before, after=change.after, reason=change.reason)]


@reminder_source
def application_deadline(session: Session, now: dt.datetime) -> Iterable[Reminder]:
    """Enterprises whose application is still a draft (or returned) 3 days and 1 day before the deadline."""
    rows = session.execute(
        select(Cycle, CycleDeadline.due_at, Application.id, User)
        .join(CycleDeadline, (CycleDeadline.cycle_id == Cycle.id) & (CycleDeadline.stage == Stage.APPLICATION))
        .join(Application, Application.cycle_id == Cycle.id)
        .join(User, (User.organization_id == Application.organization_id) & (User.role == Role.ENTERPRISE))
        .where(Cycle.stage == Stage.APPLICATION,
               CycleDeadline.due_at > now, CycleDeadline.due_at <= now + WINDOWS[-1][1],
               Application.status.in_([ApplicationStatus.DRAFT, ApplicationStatus.RETURNED]),
               User.is_enabled.is_(True))
        .order_by(Cycle.id, Application.id, User.id)
    )
    for cycle, due_at, application_id, user in rows:
        window = deadline_window(due_at, now)
        if window is None:
            continue
        yield Reminder(
            user, Kind.APPLICATION_DEADLINE, {"cycle": f"{cycle.year} {cycle.title}", "deadline": due_at},
            path_for("applications.edit", application_id=application_id),
            f"application{application_id}:deadline:{due_at.isoformat()}:{window}",
        )
