"""Who hears of round and panel events, with which link.

The services of rounds, panels and scoring call these right after their audit record, in the same
session, so each notice and its e-mail commit or roll back with the event. Loops over many seats
load the experts and applications they need up front: a notice costs its inserts, not a query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from award.applications.models import Application
from award.applications.notices import organization_name, review_opened
from award.auth.models import Role, User
from award.notifications.events import cycle_name
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.services import notify, notify_users, organization_users, users_with_role
from award.rounds.models import Assignment, AssignmentStatus, PresentationSlot, ReviewRound, RoundKind
from award.runtime import path_for

# ------------------------------------------------------------------------------ links


def pledge_link(assignment: Assignment) -> str:
    return path_for("scoring.pledge", assignment_id=assignment.id)


def replacement_link(assignment: Assignment) -> str:
    """The round page at the application's panel, where the office appoints the replacement."""
    return path_for("rounds.show_round", round_id=assignment.round_id) + f"#panel-{assignment.application_id}"


# ------------------------------------------------------------------------------ events


def expert_assigned(session: Session, *, expert: User, application: Application, link: str,
                    now: dt.datetime | None = None) -> Notification | None:
    """Mandatory: the expert is on the panel and must sign the pledge (link: the pledge page)."""
    return notify(session, user=expert, kind=Kind.EXPERT_ASSIGNED, link=link, now=now,
                  context={"cycle": cycle_name(application.cycle), "organization": organization_name(application)})


def conflict_declared(session: Session, *, expert: User, application: Application, link: str,
                      now: dt.datetime | None = None) -> list[Notification]:
    return notify_users(session, users=users_with_role(session, Role.OFFICE), kind=Kind.CONFLICT_DECLARED,
                        link=link, now=now,
                        context={"expert": expert.full_name, "organization": organization_name(application)})


def tell_assigned(session: Session, seats: Iterable[Assignment], *, now: dt.datetime | None = None) -> int:
    """Each seat's expert: assigned, sign the pledge (mandatory e-mail). Returns the notices created."""
    return sum(expert_assigned(session, expert=seat.expert, application=seat.application,
                                      link=pledge_link(seat), now=now) is not None for seat in seats)


def tell_round_opened(session: Session, review_round: ReviewRound, *, now: dt.datetime | None = None) -> int:
    """Scoring opened: every seated expert of every panel, loaded with one query."""
    seats = session.scalars(
        select(Assignment)
        .where(Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE)
        .options(joinedload(Assignment.expert),
                 joinedload(Assignment.application).selectinload(Application.organization))
        .order_by(Assignment.application_id, Assignment.expert_id)
    ).unique().all()
    return tell_assigned(session, seats, now=now)


def tell_applicants_round_opened(session: Session, review_round: ReviewRound, *,
                                 now: dt.datetime | None = None) -> int:
    """Each application with a seated panel hears that its review (document or on-site) has begun."""
    applications = session.scalars(
        select(Application).where(Application.id.in_(
            select(Assignment.application_id).where(Assignment.round_id == review_round.id,
                                                    Assignment.status == AssignmentStatus.ACTIVE)))
        .options(joinedload(Application.cycle)).order_by(Application.id)).all()
    return len(review_opened(session, applications=applications, round_id=review_round.id,
                             onsite=review_round.kind is RoundKind.ONSITE, deadline=review_round.deadline, now=now))


def tell_deadline_moved(session: Session, review_round: ReviewRound, *, before: dt.datetime, after: dt.datetime,
                        reason: str, round_name: str, now: dt.datetime | None = None) -> list[Notification]:
    """The round's deadline moved after it opened: every expert seated in it, once each (mandatory)."""
    experts = session.scalars(
        select(User).join(Assignment, Assignment.expert_id == User.id)
        .where(Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE)
        .distinct().order_by(User.id)).all()
    return notify_users(session, users=experts, kind=Kind.REVIEW_DEADLINE_MOVED, now=now,
                        link=path_for("scoring.my_assignments"),
                        context={"cycle": cycle_name(review_round.cycle), "round": round_name, "before": before,
                                 "after": after, "reason": reason})


def tell_conflict_declared(session: Session, seat: Assignment, *, now: dt.datetime | None = None) -> None:
    """The office: an expert declared a conflict, a replacement is needed."""
    conflict_declared(session, expert=seat.expert, application=seat.application,
                             link=replacement_link(seat), now=now)


__all__ = ["pledge_link", "replacement_link", "tell_applicants_round_opened", "tell_assigned",
           "tell_conflict_declared", "tell_deadline_moved", "tell_round_opened"]


def tell_presentation_slots(session: Session, review_round: ReviewRound, *,
                            now: dt.datetime | None = None) -> int:
    """The order is drawn: each scheduled application's accounts hear their time and room (the slots as laid
    out by the latest draw, read with their applications in one query). Returns the notices created."""
    rows = session.execute(
        select(PresentationSlot, Application).join(Application, Application.id == PresentationSlot.application_id)
        .where(PresentationSlot.round_id == review_round.id).order_by(PresentationSlot.position)).all()
    cycle = cycle_name(review_round.cycle)
    sent = 0
    for slot, application in rows:
        sent += len(notify_users(
            session, users=organization_users(session, application.organization_id),
            kind=Kind.PRESENTATION_SCHEDULED, now=now,
            link=path_for("applications.show", application_id=application.id),
            context={"cycle": cycle, "starts_at": slot.starts_at, "room": slot.room, "minutes": slot.minutes,
                     "position": slot.position}))
    return sent
