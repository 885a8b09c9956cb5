"""Who hears of scoring events, with which link, and the review-deadline reminders.

The scoring services call these right after their audit record, in the same session, so each notice
and its e-mail commit or roll back with the event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from award.applications.models import Application
from award.applications.notices import organization_name
from award.auth.models import User
from award.i18n import _l
from award.notifications.events import cycle_name
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.reminders import WINDOWS, Reminder, deadline_window, reminder_source
from award.notifications.services import notify
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound, RoundStatus
from award.runtime import path_for
from award.scoring.models import ScoreSheet, SheetStatus


def sheet_link(assignment: Assignment) -> str:
    return path_for("scoring.sheet", assignment_id=assignment.id)


def consensus_link(review_round: ReviewRound, application_id: int) -> str:
    return path_for("scoring.consensus", round_id=review_round.id, application_id=application_id)


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


def tell_sheet_reopened(session: Session, sheet: ScoreSheet, *, reason: str, now: dt.datetime | None = None) -> None:
    seat = sheet.assignment
    sheet_reopened(session, expert=seat.expert, application=seat.application, reason=reason,
                          link=sheet_link(seat), now=now)


def tell_panel_complete(session: Session, review_round: ReviewRound, leader: Assignment, *,
                        now: dt.datetime | None = None) -> None:
    """The team leader: every sheet of the panel is in (once per round and application)."""
    panel_complete(session, leader=leader.expert, application=leader.application,
                          link=consensus_link(review_round, leader.application_id), round_id=review_round.id,
                          now=now)


def consensus_disagreement(session: Session, *, member: User, author: User, application: Application, item: object,
                           reason: str, link: str, remark_id: int,
                           now: dt.datetime | None = None) -> Notification | None:
    """A panel member: another member disagrees with the consensus (once per entry)."""
    return notify(session, user=member, kind=Kind.CONSENSUS_DISAGREEMENT, link=link, now=now,
                  context={"organization": organization_name(application), "author": author.full_name,
                           "item": item, "reason": reason},
                  dedupe_key=f"remark{remark_id}:disagreement:user{member.id}")


def tell_disagreement(session: Session, review_round: ReviewRound, application: Application, *, author: User,
                      item_id: str | None, reason: str, remark_id: int, members: Iterable[Assignment],
                      now: dt.datetime | None = None) -> None:
    """Every other active member of the panel, the team leader included, hears of a new disagreement."""
    item = item_id if item_id is not None else _l("the consensus as a whole")
    for member in members:
        if member.expert_id != author.id:
            consensus_disagreement(session, member=member.expert, author=author, application=application,
                                   item=item, reason=reason, link=consensus_link(review_round, application.id),
                                   remark_id=remark_id, now=now)


@reminder_source
def review_deadline(session: Session, now: dt.datetime) -> Iterable[Reminder]:
    """Experts with sheets still open (no pledge yet, or a draft) 3 days and 1 day before an open round's deadline.

    One reminder per expert and round naming how many sheets are open; three queries whatever the
    number of experts. The key holds the deadline, so a moved deadline earns its own reminders.
    """
    open_sheet = ScoreSheet.id.is_(None) | (ScoreSheet.status != SheetStatus.SUBMITTED)
    rows = session.execute(
        select(Assignment.round_id, Assignment.expert_id, func.count(Assignment.id))
        .join(ReviewRound, ReviewRound.id == Assignment.round_id)
        .join(User, User.id == Assignment.expert_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(ReviewRound.status == RoundStatus.OPEN, ReviewRound.deadline > now,
               ReviewRound.deadline <= now + WINDOWS[-1][1], Assignment.status == AssignmentStatus.ACTIVE,
               open_sheet, User.is_enabled.is_(True))
        .group_by(Assignment.round_id, Assignment.expert_id)
        .order_by(Assignment.round_id, Assignment.expert_id)
    ).all()
    if not rows:
        return
    review_rounds = {r.id: r for r in session.scalars(
        select(ReviewRound).options(joinedload(ReviewRound.cycle))
        .where(ReviewRound.id.in_({round_id for round_id, _expert, _count in rows})))}
    experts = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_({expert_id for _round, expert_id, _count in rows})))}
    link = path_for("scoring.my_assignments")
    for round_id, expert_id, count in rows:
        review_round = review_rounds[round_id]
        deadline = review_round.deadline
        assert deadline is not None
        window = deadline_window(deadline, now)
        if window is None:
            continue
        yield Reminder(experts[expert_id], Kind.REVIEW_DEADLINE,
                       {"cycle": cycle_name(review_round.cycle), "open_sheets": count, "deadline": deadline},
                       link, f"round{round_id}:deadline:{deadline.isoformat()}:{window}")
