"""What an expert may see: their own assignments, built by a query that already leaves out
conflicts, removed seats and rounds not yet open; and the predicates the web layer checks.

Also the rows other areas read: submitted item scores per round and consensus scores (ranking).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload, object_session

from award.applications.models import Application
from award.applications.queries import register_view_rule
from award.auth.models import Organization
from award.auth.permissions import is_expert
from award.conflicts.models import PinnedConflict
from award.conflicts.services import has_conflict, load_groups
from award.pool.models import ExpertProfile, ExpertRelation
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound, RoundStatus
from award.scoring.models import ConsensusScore, ItemScore, ScoreSheet, SheetStatus

VISIBLE_ROUND_STATUSES = (RoundStatus.OPEN, RoundStatus.CLOSED)


@dataclass(frozen=True, kw_only=True)
class GroupMember:
    credit_code: str
    name: str  # "" when no account of the app carries the code


@dataclass(frozen=True, kw_only=True)
class PledgeFacts:
    """What an expert must see before swearing there is no conflict: whom the pledge is about, its
    group, and the expert's own declarations to hold beside them."""

    enterprise: str
    credit_code: str
    group: tuple[GroupMember, ...]  # the other organizations of the applicant's group
    relations: tuple[ExpertRelation, ...]  # the expert's declared relations, any party


def pledge_facts(session: Session, assignment: Assignment) -> PledgeFacts:
    application = assignment.application
    code = application.organization.credit_code
    others = [member for member in load_groups(session).members(code) if member != code]
    names = dict(session.execute(select(Organization.credit_code, Organization.name)
                                 .where(Organization.credit_code.in_(others))).all()) if others else {}
    profile = session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == assignment.expert_id))
    return PledgeFacts(
        enterprise=application.org_name or application.organization.name, credit_code=code,
        group=tuple(GroupMember(credit_code=member, name=names.get(member, "")) for member in others),
        relations=tuple(profile.relations) if profile is not None else (),
    )


def expert_assignments_query(expert_id: int) -> Select[Assignment]:
    """The expert's active seats in open or closed rounds, without any pinned or declared conflict."""
    no_conflict = ~exists().where(PinnedConflict.application_id == Assignment.application_id,
                                  PinnedConflict.expert_id == Assignment.expert_id)
    return (select(Assignment).join(ReviewRound, ReviewRound.id == Assignment.round_id)
            .where(Assignment.expert_id == expert_id, Assignment.status == AssignmentStatus.ACTIVE,
                   ReviewRound.status.in_(VISIBLE_ROUND_STATUSES), no_conflict)
            .order_by(ReviewRound.id.desc(), Assignment.application_id))


def expert_assignments(session: Session, user: Any) -> list[Assignment]:
    if not is_expert(user):
        return []
    return list(session.scalars(expert_assignments_query(user.id)))


def own_assignment(session: Session, user: Any, assignment_id: int) -> Assignment | None:
    """The assignment if it is in the user's list; None (a 404) for anyone else's or a removed one."""
    if not is_expert(user):
        return None
    # Its round, the round's cycle (the rubric) and the application come in the same query: every
    # page of a seat reads them.
    return session.scalar(expert_assignments_query(user.id).where(Assignment.id == assignment_id).options(
        joinedload(Assignment.round).joinedload(ReviewRound.cycle), joinedload(Assignment.application)))


def _has_detected_conflict(session: Session, assignment: Assignment) -> bool:
    return bool(has_conflict(session, assignment.application, assignment.expert))


@dataclass(frozen=True, slots=True)
class SeatAccess:
    """What the expert may do with a seat, decided once per request: open the application and
    its sheet, and change the sheet. The services check again on their own."""

    may_open: bool
    may_score: bool
    sheet: ScoreSheet | None = field(default=None, compare=False)  # read to decide, kept for the page


def seat_access(user: Any, assignment: Assignment, *, seat_checked: bool = False) -> SeatAccess:
    """One seat query (skipped when `seat_checked`: the seat came from `own_assignment` in this
    request), one conflict check and one read of the sheet (kept in the answer for the page), for
    `can_open` and `can_score` alike."""
    session = object_session(assignment)
    may_open = (session is not None and assignment.pledge_signed_at is not None
                and (seat_checked or own_assignment(session, user, assignment.id) is not None)
                and not _has_detected_conflict(session, assignment))
    if not may_open or assignment.round.status is not RoundStatus.OPEN:
        return SeatAccess(may_open=may_open, may_score=False)
    assert session is not None
    sheet = session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id))
    return SeatAccess(may_open=True, may_score=sheet is not None and sheet.status is SheetStatus.DRAFT, sheet=sheet)


def can_open(user: Any, assignment: Assignment) -> bool:
    """The expert may open the application: own active seat, pledge signed, no conflict."""
    return seat_access(user, assignment).may_open


def can_score(user: Any, assignment: Assignment) -> bool:
    """The expert may change the sheet: can open it, the round is open, the sheet not submitted."""
    return seat_access(user, assignment).may_score


@register_view_rule
def assigned_expert_may_view(user: Any, application: Application) -> bool:
    """An expert on the application's panel who signed the pledge may open it and its evidence."""
    session = object_session(application)
    if session is None or not is_expert(user):
        return False
    seat = session.scalar(expert_assignments_query(user.id).where(
        Assignment.application_id == application.id, Assignment.pledge_signed_at.is_not(None)).limit(1))
    return seat is not None and not _has_detected_conflict(session, seat)


# --------------------------------------------------------------------------- rows for ranking


def submitted_item_scores_query(round_id: int) -> Select[int, int, str, int | None, Decimal | None]:
    """(application_id, expert_id, item_id, percent, points) of every submitted sheet of active
    panel members in a round: the rows the ranking aggregates. Voided seats are left out."""
    return (select(Assignment.application_id, Assignment.expert_id, ItemScore.item_id, ItemScore.percent,
                   ItemScore.points)
            .join(ScoreSheet, ScoreSheet.id == ItemScore.sheet_id)
            .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
            .where(Assignment.round_id == round_id, Assignment.status == AssignmentStatus.ACTIVE,
                   ScoreSheet.status == SheetStatus.SUBMITTED)
            .order_by(Assignment.application_id, Assignment.expert_id, ItemScore.item_id))


def excluded_item_scores_query(round_id: int) -> Select[int, int, str, int | None, Decimal | None]:
    """The same rows for seats voided by a conflict or a removal (shown as excluded)."""
    return (select(Assignment.application_id, Assignment.expert_id, ItemScore.item_id, ItemScore.percent,
                   ItemScore.points)
            .join(ScoreSheet, ScoreSheet.id == ItemScore.sheet_id)
            .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
            .where(Assignment.round_id == round_id, Assignment.status != AssignmentStatus.ACTIVE,
                   ScoreSheet.status == SheetStatus.SUBMITTED))


def consensus_scores_query(round_id: int) -> Select[ConsensusScore]:
    return (select(ConsensusScore).where(ConsensusScore.round_id == round_id)
            .order_by(ConsensusScore.application_id, ConsensusScore.item_id))


def sheets_of_seats(session: Session, seats: Sequence[Assignment]) -> dict[int, ScoreSheet]:
    """The sheet of each seat, by the seat's id (a seat not scored yet has none)."""
    return {s.assignment_id: s for s in session.scalars(
        select(ScoreSheet).where(ScoreSheet.assignment_id.in_([a.id for a in seats])))}


def sheets_of_round(session: Session, review_round: ReviewRound) -> dict[int, ScoreSheet]:
    """Every sheet of the round, by its seat's id."""
    return {s.assignment_id: s for s in session.scalars(
        select(ScoreSheet).join(Assignment).where(Assignment.round_id == review_round.id))}
