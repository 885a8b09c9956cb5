"""A panel's consensus as a discussion (as HotCRP's per-paper discussion), and its finalization.

Once every sheet of a panel is in, its members agree, disagree with a reason, or comment, on one
rubric item or on the consensus as a whole. Each entry is a row that is never changed: a member
changes position with a new entry, and the latest counts. An overall agreement is the member's
confirmation of the leader's proposal and settles that member's earlier disagreements; a
disagreement withdraws the confirmation. The team leader sees every open disagreement and
finalizes the consensus, which then counts as agreed; with disagreements still open, only with an
explicit acknowledgement and a note, both in the audit trail.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.audit.services import record
from award.auth.models import User
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.inputs import text_problem
from award.limits import REMARK_MAX_CHARS
from award.rounds.models import Assignment, ReviewRound, RoundStatus
from award.rounds.services import round_rubric
from award.scoring import notices
from award.scoring.models import ConsensusConfirmation, ConsensusFinalization, ConsensusRemark, RemarkKind
from award.scoring.services import _require_no_conflict, consensus_scores, panel_members, sheets_complete


@dataclass(frozen=True, kw_only=True)
class OpenDisagreement:
    """A member's disagreement that is still their latest position on its item (None: the whole)."""

    remark: ConsensusRemark
    member: Assignment


def remarks_of(session: Session, review_round: ReviewRound, application_id: int) -> list[ConsensusRemark]:
    """The panel's discussion, oldest first."""
    return list(session.scalars(select(ConsensusRemark).where(
        ConsensusRemark.round_id == review_round.id, ConsensusRemark.application_id == application_id)
        .order_by(ConsensusRemark.created_at, ConsensusRemark.id)))


def finalization_of(session: Session, review_round: ReviewRound, application_id: int) -> ConsensusFinalization | None:
    return session.scalar(select(ConsensusFinalization).where(
        ConsensusFinalization.round_id == review_round.id, ConsensusFinalization.application_id == application_id))


def open_disagreements(remarks: Sequence[ConsensusRemark], members: Iterable[Assignment]) -> list[OpenDisagreement]:
    """Disagreements of active members that are still their latest position: no later agreement on
    the same item, and no later agreement with the whole. Pure: ordered by rubric item as posted."""
    seats = {m.expert_id: m for m in members}
    latest: dict[tuple[int, str | None], ConsensusRemark] = {}
    for remark in remarks:
        if remark.author_id not in seats or remark.kind is RemarkKind.COMMENT:
            continue
        if remark.kind is RemarkKind.AGREE and remark.item_id is None:
            for key in [key for key in latest if key[0] == remark.author_id]:
                del latest[key]
        latest[(remark.author_id, remark.item_id)] = remark
    return [OpenDisagreement(remark=r, member=seats[r.author_id]) for r in latest.values()
            if r.kind is RemarkKind.DISAGREE]


def anonymous_labels(remarks: Iterable[ConsensusRemark]) -> dict[int, str]:
    """专家 A, B, C… for the authors of one panel's discussion, in the order they first wrote: the
    same letter for the same expert wherever the thread is shown without names."""
    labels: dict[int, str] = {}
    for remark in remarks:
        if remark.author_id not in labels:
            n = len(labels)
            letter = string.ascii_uppercase[n % 26] + (str(n // 26) if n >= 26 else "")
            labels[remark.author_id] = f"专家 {letter}"
    return labels


def _require_open(session: Session, actor: User, review_round: ReviewRound, application: Application) -> Assignment:
    """The actor's active seat on the panel, while its consensus is open."""
    seat = next((m for m in panel_members(session, review_round, application.id) if m.expert_id == actor.id), None)
    if seat is None:
        raise NotAllowed(_("Only a member of this panel can take part in its consensus."))
    _require_no_conflict(session, actor, application)
    if review_round.status is not RoundStatus.OPEN:
        raise Conflict(_("Scoring is not open in this round."), code="round_not_open")
    if not sheets_complete(session, review_round, application.id):
        raise Conflict(_("The consensus opens once every panel member has submitted."), code="sheets_missing")
    if finalization_of(session, review_round, application.id) is not None:
        raise Conflict(_("The team leader has finalized this consensus; the discussion is closed."),
                       code="consensus_final")
    return seat


def add_remark(session: Session, *, actor: User, review_round: ReviewRound, application: Application,
               kind: RemarkKind, item_id: str | None, text: str) -> ConsensusRemark:
    """A member's new entry in the panel's discussion: agree, disagree (with a reason) or comment,
    on one item or (item_id None) on the whole consensus."""
    seat = _require_open(session, actor, review_round, application)
    text = (text or "").strip()
    rubric = round_rubric(review_round)
    if item_id is not None and not rubric.has_item(item_id):
        raise Invalid(_("There is no such rubric item."), code="unknown_item")
    if kind is not RemarkKind.COMMENT:
        if seat.is_leader:
            raise Invalid(_("As team leader your position is your proposal; add a comment instead."),
                          code="leader_position")
        if not consensus_scores(session, review_round, application.id):
            raise Conflict(_("The team leader has not proposed a consensus yet."), code="no_consensus")
    if kind is RemarkKind.DISAGREE and not text:
        raise Invalid(_("Give the reason for your disagreement."), code="reason_required", field="text")
    if kind is RemarkKind.COMMENT and not text:
        raise Invalid(_("Write the comment."), code="text_required", field="text")
    if len(text) > REMARK_MAX_CHARS:
        raise Invalid(_("The text is too long: at most %(limit)s characters.", limit=REMARK_MAX_CHARS),
                      code="too_long", field="text")
    if problem := text_problem(text, multiline=True, field=_("The text")):
        raise Invalid(problem, code="bad_text", field="text")
    remark = ConsensusRemark(round_id=review_round.id, application_id=application.id, author_id=actor.id,
                             item_id=item_id, kind=kind, text=text)
    session.add(remark)
    confirmed = session.scalar(select(ConsensusConfirmation.id).where(
        ConsensusConfirmation.round_id == review_round.id, ConsensusConfirmation.application_id == application.id,
        ConsensusConfirmation.expert_id == actor.id)) is not None
    if kind is RemarkKind.AGREE and item_id is None and not confirmed:
        session.add(ConsensusConfirmation(round_id=review_round.id, application_id=application.id,
                                          expert_id=actor.id))
    elif kind is RemarkKind.DISAGREE and confirmed:
        session.execute(delete(ConsensusConfirmation).where(
            ConsensusConfirmation.round_id == review_round.id,
            ConsensusConfirmation.application_id == application.id, ConsensusConfirmation.expert_id == actor.id))
    session.flush()
    record(session, actor=actor, action="review.consensus_remark", target_type="application",
           target_id=application.id, cycle_id=review_round.cycle_id,
           after={"round_id": review_round.id, "remark_id": remark.id, "item_id": item_id, "kind": kind.value,
                  "text": text})
    if kind is RemarkKind.DISAGREE:
        notices.tell_disagreement(session, review_round, application, author=actor, item_id=item_id, reason=text,
                                  remark_id=remark.id,
                                  members=panel_members(session, review_round, application.id))
    return remark


def finalize_consensus(session: Session, *, actor: User, review_round: ReviewRound, application: Application,
                       acknowledge: bool = False, note: str = "") -> ConsensusFinalization:
    """The team leader closes the discussion; the consensus then counts as agreed. With disagreements
    still open, only with `acknowledge` and a note, both kept in the audit trail."""
    seat = _require_open(session, actor, review_round, application)
    if not seat.is_leader:
        raise NotAllowed(_("Only the panel's team leader can finalize the consensus."))
    if not consensus_scores(session, review_round, application.id):
        raise Conflict(_("The team leader has not proposed a consensus yet."), code="no_consensus")
    note = (note or "").strip()
    if len(note) > REMARK_MAX_CHARS:
        raise Invalid(_("The text is too long: at most %(limit)s characters.", limit=REMARK_MAX_CHARS),
                      code="too_long", field="note")
    if problem := text_problem(note, multiline=True, field=_("The note")):
        raise Invalid(problem, code="bad_text", field="note")
    members = panel_members(session, review_round, application.id)
    disagreements = open_disagreements(remarks_of(session, review_round, application.id), members)
    if disagreements and not acknowledge:
        raise Conflict(_("%(count)s disagreements are still open. Tick the box to acknowledge them and say why "
                         "you finalize anyway.", count=len(disagreements)), code="disagreements_open")
    if disagreements and not note:
        raise Invalid(_("Say why you finalize despite the open disagreements."), code="note_required",
                      field="note")
    final = ConsensusFinalization(round_id=review_round.id, application_id=application.id,
                                  finalized_by_id=actor.id, open_disagreements=len(disagreements),
                                  note=note if disagreements else "")
    session.add(final)
    session.flush()
    record(session, actor=actor, action="review.consensus_finalized", target_type="application",
           target_id=application.id, cycle_id=review_round.cycle_id,
           after={"round_id": review_round.id, "acknowledged": bool(disagreements), "note": final.note,
                  "open_disagreements": [{"remark_id": d.remark.id, "expert_id": d.remark.author_id,
                                          "item_id": d.remark.item_id, "reason": d.remark.text}
                                         for d in disagreements]})
    return final
