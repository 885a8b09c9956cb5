"""Progress of a round for the office (missing sheets by expert and by application), and the
stage guards that keep the cycle from moving on while panels, sheets or, in a round that counts
its panel consensus, agreed consensus sheets are missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.auth.models import User
from award.cycles.models import Cycle, Stage
from award.cycles.stages import guard, guard_leaving
from award.i18n import _
from award.rounds.models import Assignment, AssignmentStatus, CountedRecord, ReviewRound, RoundKind, RoundStatus
from award.rounds.panels import panel_problems_of_round
from award.rounds.services import round_of
from award.scoring.models import ConsensusConfirmation, ConsensusFinalization, ConsensusScore, ScoreSheet, SheetStatus


def missing_sheets(session: Session, review_round: ReviewRound) -> list[Assignment]:
    """Active seats whose sheet is not submitted (no pledge yet, or still a draft)."""
    return list(session.scalars(
        select(Assignment).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE,
               (ScoreSheet.id.is_(None)) | (ScoreSheet.status != SheetStatus.SUBMITTED))
        .order_by(Assignment.application_id, Assignment.expert_id)))


def missing_consensus(session: Session, review_round: ReviewRound) -> list[int]:
    """In a round that counts its panel consensus, the applications whose consensus is not agreed
    yet: not proposed, or neither confirmed by every active panel member nor finalized by the team
    leader. Empty in any other round."""
    if review_round.counts is not CountedRecord.CONSENSUS:
        return []
    seated = select(Assignment.application_id).where(Assignment.round_id == review_round.id,
                                                     Assignment.status == AssignmentStatus.ACTIVE)
    proposed = select(ConsensusScore.application_id).where(ConsensusScore.round_id == review_round.id)
    unconfirmed = seated.where(~exists().where(ConsensusConfirmation.round_id == review_round.id,
                                               ConsensusConfirmation.application_id == Assignment.application_id,
                                               ConsensusConfirmation.expert_id == Assignment.expert_id),
                               ~exists().where(ConsensusFinalization.round_id == review_round.id,
                                               ConsensusFinalization.application_id == Assignment.application_id))
    missing = set(session.scalars(seated.where(Assignment.application_id.not_in(proposed)))) | set(
        session.scalars(unconfirmed))
    return sorted(missing)


@dataclass(frozen=True, kw_only=True)
class ProgressRow:
    key: int
    label: str
    assigned: int
    pledged: int
    submitted: int

    @property
    def missing(self) -> int:
        return self.assigned - self.submitted


@dataclass(frozen=True, kw_only=True)
class RoundProgress:
    by_expert: list[ProgressRow]
    by_application: list[ProgressRow]

    @property
    def assigned(self) -> int:
        return sum(r.assigned for r in self.by_expert)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.by_expert)

    @property
    def missing(self) -> int:
        return self.assigned - self.submitted


def round_progress(session: Session, review_round: ReviewRound) -> RoundProgress:
    """Counts per expert and per application, aggregated by the database."""
    pledged = func.count(Assignment.pledge_signed_at)
    submitted = func.sum(case((ScoreSheet.status == SheetStatus.SUBMITTED, 1), else_=0))
    base = (select(func.count(Assignment.id), pledged, submitted)
            .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE))
    experts = session.execute(
        base.add_columns(User.id, User.full_name).join(User, User.id == Assignment.expert_id)
        .group_by(User.id, User.full_name).order_by(User.full_name, User.id)).all()
    applications = session.execute(
        base.add_columns(Application.id, Application.org_name)
        .join(Application, and_(Application.id == Assignment.application_id))
        .group_by(Application.id, Application.org_name).order_by(Application.id)).all()

    def rows(found: Sequence[Any]) -> list[ProgressRow]:
        return [ProgressRow(key=key, label=label or f"#{key}", assigned=n, pledged=p, submitted=int(s or 0))
                for n, p, s, key, label in found]

    return RoundProgress(by_expert=rows(experts), by_application=rows(applications))


def open_rounds_missing(session: Session, expert: User) -> int:
    """How many of this expert's sheets in open rounds are not submitted yet."""
    return session.scalar(
        select(func.count(Assignment.id)).join(ReviewRound, ReviewRound.id == Assignment.round_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.expert_id == expert.id, Assignment.status == AssignmentStatus.ACTIVE,
               ReviewRound.status == RoundStatus.OPEN,
               (ScoreSheet.id.is_(None)) | (ScoreSheet.status != SheetStatus.SUBMITTED))) or 0


# --------------------------------------------------------------------------- stage guards


@guard(Stage.SCREENING, Stage.DOCUMENT_REVIEW)
def _panels_formed(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    """Scoring cannot open while an eligible application has no full panel."""
    review_round = round_of(session, cycle, RoundKind.DOCUMENT)
    if review_round is None:
        return [_("Set up the document review round and form its panels first.")]
    return panel_problems_of_round(session, review_round)


def _sheets_in(session: Session, cycle: Cycle, kind: RoundKind) -> list[str]:
    review_round = round_of(session, cycle, kind)
    if review_round is None or review_round.opened_at is None:
        return [_("The review round has not been opened yet.")]
    missing = missing_sheets(session, review_round)
    if missing:
        return [_("%(count)s score sheets are still missing.", count=len(missing))]
    return consensus_problems(session, review_round)


def consensus_problems(session: Session, review_round: ReviewRound) -> list[str]:
    """Why a round that counts its panel consensus cannot end yet: panels without an agreed one."""
    unagreed = missing_consensus(session, review_round)
    if unagreed:
        return [_("%(count)s panels have no agreed consensus yet, and this round counts the panel consensus.",
                  count=len(unagreed))]
    return []


# A scored round's sheets are in before the cycle leaves its stage, wherever the procedure goes next.
@guard_leaving(Stage.DOCUMENT_REVIEW)
def _document_sheets_in(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    return _sheets_in(session, cycle, RoundKind.DOCUMENT)


@guard_leaving(Stage.ONSITE_REVIEW)
def _onsite_sheets_in(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    return _sheets_in(session, cycle, RoundKind.ONSITE)


@guard_leaving(Stage.PRESENTATION)
def _presentation_sheets_in(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    return _sheets_in(session, cycle, RoundKind.PRESENTATION)
