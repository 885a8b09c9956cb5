"""The office's bulk tools: one click reminds every expert with a sheet still missing in a round, or every
applicant whose returned application is still waiting; a message goes to all applicants of a cycle or of one
application status, previewed first. Each action writes one audit record with its count and recipients.

Everything goes through notify() (in-app notice and the outbox e-mail, in the caller's transaction).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.applications.services import STATUS_LABELS
from award.audit.services import record
from award.auth.models import Role, User
from award.cycles.models import Cycle
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _, _l
from award.inputs import name_problem, text_problem
from award.jobs.models import Job
from award.jobs.services import start_job
from award.notifications.events import cycle_name
from award.notifications.kinds import SPECS, Kind
from award.notifications.services import RenderedNotice, notify, render_notice
from award.rounds.models import ReviewRound, RoundStatus
from award.rounds.services import KIND_LABELS
from award.runtime import path_for
from award.scoring.progress import missing_sheets

SUBJECT_MAX = 120
MESSAGE_MAX = 5000


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can send reminders and messages."))


@dataclass(frozen=True, kw_only=True)
class BulkResult:
    """What one bulk action did: how many were told, and who."""

    count: int
    recipient_ids: list[int]


# --- experts with a sheet still missing --------------------------------------------------------------


def late_experts(session: Session, review_round: ReviewRound) -> list[tuple[User, int]]:
    """The enabled experts of the round with an active seat whose sheet is not submitted (no pledge yet, a draft,
    or past the deadline), each with how many such sheets; by name."""
    counts = Counter(seat.expert_id for seat in missing_sheets(session, review_round))
    if not counts:
        return []
    experts = session.scalars(select(User).where(User.id.in_(counts), User.is_enabled.is_(True))
                              .order_by(User.full_name, User.id))
    return [(expert, counts[expert.id]) for expert in experts]


def remind_late_experts(session: Session, *, actor: User | None, review_round: ReviewRound,
                        now: dt.datetime | None = None) -> BulkResult:
    """Remind every expert whose sheets in this open round are missing or late: one notice each, one audit record."""
    _require_office(actor)
    now = now or utcnow()
    if review_round.status is not RoundStatus.OPEN:
        raise Conflict(_("Reminders about score sheets are sent while the round is open."), code="round_not_open")
    experts = late_experts(session, review_round)
    if not experts:
        raise Conflict(_("Every score sheet of this round is submitted: nobody to remind."), code="nobody")
    link = path_for("scoring.my_assignments")
    deadline: object = review_round.deadline or _l("not set")
    for expert, count in experts:
        notify(session, user=expert, kind=Kind.SHEETS_LATE, link=link, now=now,
               context={"cycle": cycle_name(review_round.cycle), "round": KIND_LABELS[review_round.kind],
                        "open_sheets": count, "deadline": deadline})
    return _audited(session, actor=actor, action="outreach.experts_reminded", target_type="review_round",
                    target_id=review_round.id, cycle_id=review_round.cycle_id, users=[e for e, _n in experts],
                    extra={"sheets": sum(n for _e, n in experts)})



# --- applicants -----------------------------------------------------------------------------------------


def applicants(session: Session, cycle: Cycle,
               status: ApplicationStatus | None = None) -> list[tuple[User, Application]]:
    """The enabled enterprise accounts of every application of the cycle (of one status if given), each with
    its application; an account is listed once, with its organization's first application."""
    query = (select(User, Application).join(Application, Application.organization_id == User.organization_id)
             .where(Application.cycle_id == cycle.id, User.role == Role.ENTERPRISE, User.is_enabled.is_(True))
             .order_by(Application.id, User.id))
    if status is not None:
        query = query.where(Application.status == status)
    seen: dict[int, tuple[User, Application]] = {}
    for user, application in session.execute(query).all():
        seen.setdefault(user.id, (user, application))
    return list(seen.values())


def status_counts(session: Session, cycle: Cycle) -> dict[ApplicationStatus | None, int]:
    """How many accounts a message to each status group (None: every applicant) would reach."""
    everyone = applicants(session, cycle)
    counts: dict[ApplicationStatus | None, int] = {None: len(everyone)}
    for status in ApplicationStatus:
        counts[status] = sum(1 for _user, application in everyone if application.status is status)
    return counts


def remind_returned_applicants(session: Session, *, actor: User | None, cycle: Cycle,
                               now: dt.datetime | None = None) -> BulkResult:
    """Remind the accounts of every application of the cycle still returned for correction."""
    _require_office(actor)
    now = now or utcnow()
    waiting = applicants(session, cycle, ApplicationStatus.RETURNED)
    if not waiting:
        raise Conflict(_("No application of this cycle is waiting for correction: nobody to remind."),
                       code="nobody")
    for user, application in waiting:
        notify(session, user=user, kind=Kind.RETURNED_WAITING, now=now, context={"cycle": cycle_name(cycle)},
               link=path_for("applications.edit", application_id=application.id))
    return _audited(session, actor=actor, action="outreach.returned_reminded", target_type="cycle",
                    target_id=cycle.id, cycle_id=cycle.id, users=[u for u, _a in waiting],
                    extra={"applications": sorted({a.id for _u, a in waiting})})


# --- a message to a group ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Message:
    status: ApplicationStatus | None  # None: every applicant of the cycle
    subject: str
    body: str


@dataclass(frozen=True, kw_only=True)
class MessagePreview:
    count: int
    recipients: list[str]  # organization names, as the office knows them
    notice: RenderedNotice
    group: str


def group_label(status: ApplicationStatus | None) -> str:
    return str(_("Every applicant of the cycle") if status is None else STATUS_LABELS[status])


def _checked(message: Message) -> Message:
    subject, body = message.subject.strip(), message.body.strip()
    if not subject or not body:
        raise Invalid(_("Write both the subject and the message."), code="empty")
    if len(subject) > SUBJECT_MAX or len(body) > MESSAGE_MAX:
        raise Invalid(_("The subject or the message is too long."), code="too_long")
    problem = name_problem(subject, field=_("The subject")) or text_problem(body, multiline=True,
                                                                              field=_("The message"))
    if problem:
        raise Invalid(problem, code="bad_text")
    return Message(status=message.status, subject=subject, body=body)


def preview_message(session: Session, *, actor: User | None, cycle: Cycle, message: Message) -> MessagePreview:
    """What the message would be and whom it would reach; changes nothing."""
    _require_office(actor)
    message = _checked(message)
    reached = applicants(session, cycle, message.status)
    notice = render_notice(SPECS[Kind.OFFICE_MESSAGE], {"subject": message.subject, "message": message.body})
    names = sorted({application.org_name or application.organization.name for _u, application in reached})
    return MessagePreview(count=len(reached), recipients=names, notice=notice, group=group_label(message.status))


MESSAGE_KIND = "outreach.message"  # a message to a group, sent by the job worker


def queue_message(session: Session, *, actor: User | None, cycle: Cycle, message: Message,
                  expected_count: int) -> tuple[Job, bool]:
    """Queue the previewed message as a job of the worker (or give the one of the same message already
    queued or running: a second click sends nothing twice). The same checks as sending it, so a refusal
    shows at once; the job checks the group again when it runs."""
    _require_office(actor)
    message = _checked(message)
    _check_group(session, cycle, message, expected_count)
    inputs = {"cycle_id": cycle.id, "status": message.status.value if message.status else None,
              "subject": message.subject, "body": message.body, "expected_count": expected_count}
    return start_job(session, started_by=actor, kind=MESSAGE_KIND, inputs=inputs, total=expected_count)


def message_of(inputs: dict[str, object]) -> Message:
    """The message a job's inputs hold (as ``queue_message`` wrote them)."""
    status = inputs.get("status")
    return Message(status=ApplicationStatus(status) if isinstance(status, str) else None,
                   subject=str(inputs.get("subject") or ""), body=str(inputs.get("body") or ""))


def _check_group(session: Session, cycle: Cycle, message: Message,
                 expected_count: int) -> list[tuple[User, Application]]:
    reached = applicants(session, cycle, message.status)
    if not reached:
        raise Conflict(_("Nobody is in this group: nothing was sent."), code="nobody")
    if len(reached) != expected_count:
        raise Conflict(_("The group changed since the preview (%(before)s then, %(now)s now): preview it again.",
                         before=expected_count, now=len(reached)), code="changed")
    return reached


def send_message(session: Session, *, actor: User | None, cycle: Cycle, message: Message, expected_count: int,
                 now: dt.datetime | None = None) -> BulkResult:
    """Send the previewed message to its group; refused when the group changed since the preview."""
    _require_office(actor)
    message = _checked(message)
    now = now or utcnow()
    reached = _check_group(session, cycle, message, expected_count)
    for user, application in reached:
        notify(session, user=user, kind=Kind.OFFICE_MESSAGE, now=now,
               context={"subject": message.subject, "message": message.body},
               link=path_for("applications.show", application_id=application.id))
    return _audited(session, actor=actor, action="outreach.message_sent", target_type="cycle", target_id=cycle.id,
                    cycle_id=cycle.id, users=[u for u, _a in reached],
                    extra={"group": message.status.value if message.status else "all", "subject": message.subject,
                           "body": message.body})


def _audited(session: Session, *, actor: User | None, action: str, target_type: str, target_id: int,
             cycle_id: int, users: list[User], extra: dict[str, object]) -> BulkResult:
    ids = sorted(user.id for user in users)
    record(session, actor=actor, action=action, target_type=target_type, target_id=target_id, cycle_id=cycle_id,
           after={"count": len(ids), "recipients": ids, **extra})
    return BulkResult(count=len(ids), recipient_ids=ids)
