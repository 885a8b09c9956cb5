"""The presentation round's schedule (陈述答辩): the order drawn by a seeded, replayable lot, laid into time
slots and rooms, and each applicant's attendance. The round's panels, 回避 and scoring are those of every
round (`panels.py`, `scoring/`); its form is rubrics/presentation-100.toml (`services.round_rubric`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.stages import guard_leaving, stage_sequence
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.inputs import check_name
from award.rounds import lots
from award.rounds.access import require_office
from award.rounds.models import (
    Attendance,
    PresentationDraw,
    PresentationSlot,
    ReviewRound,
    RoundKind,
    RoundStatus,
)
from award.rounds.notices import tell_presentation_slots
from award.rounds.panels import round_applications

NOTE_MAX = 500


def _require_presentation(review_round: ReviewRound) -> None:
    if review_round.kind is not RoundKind.PRESENTATION:
        raise Conflict(_("Only the presentation round has a schedule."), code="not_presentation")


def slots_of(session: Session, review_round: ReviewRound) -> list[PresentationSlot]:
    return list(session.scalars(select(PresentationSlot).where(PresentationSlot.round_id == review_round.id)
                                .order_by(PresentationSlot.position)))


def draws_of(session: Session, review_round: ReviewRound) -> list[PresentationDraw]:
    return list(session.scalars(select(PresentationDraw).where(PresentationDraw.round_id == review_round.id)
                                .order_by(PresentationDraw.id.desc())))


def _checked_rooms(rooms: Sequence[str]) -> list[str]:
    cleaned = [room.strip() for room in rooms if room.strip()]
    if not cleaned:
        raise Invalid(_("Name at least one room."), code="no_rooms", field="rooms")
    if len(cleaned) > lots.MAX_ROOMS:
        raise Invalid(_("At most %(count)s rooms.", count=lots.MAX_ROOMS), code="too_many_rooms", field="rooms")
    for room in cleaned:
        check_name(room, field=_("A room"))
        if len(room) > 100:
            raise Invalid(_("A room's name is at most 100 characters."), code="room_too_long", field="rooms")
    if len(set(cleaned)) != len(cleaned):
        raise Invalid(_("A room is named twice."), code="room_twice", field="rooms")
    return cleaned


def draw_presentation_order(
    session: Session, *, actor: User | None, review_round: ReviewRound, starts_at: dt.datetime, minutes: int,
    rooms: Sequence[str], seed: int | None = None, now: dt.datetime | None = None,
) -> PresentationDraw:
    """Draw the presentation order by lot and lay it into slots, replacing an earlier schedule.

    Open before any attendance is recorded, while the round is not closed; the seed, the input and its hash
    are stored so that anyone can replay the lot."""
    require_office(actor)
    _require_presentation(review_round)
    now = now or utcnow()
    if review_round.status is RoundStatus.CLOSED:
        raise Conflict(_("This round is closed."), code="round_closed")
    if not _before_presentation(review_round.cycle):
        raise Conflict(_("The presentation order is drawn after screening and before the presentations end."),
                       code="wrong_stage")
    slots = slots_of(session, review_round)
    if any(slot.attendance is not Attendance.PENDING for slot in slots):
        raise Conflict(_("Attendance has been recorded: the order can no longer be drawn again."),
                       code="attendance_recorded")
    if not 1 <= minutes <= lots.MAX_MINUTES:
        raise Invalid(_("A slot lasts from 1 to %(max)s minutes.", max=lots.MAX_MINUTES), code="bad_minutes",
                      field="minutes")
    if starts_at <= now:
        raise Invalid(_("The presentations must start in the future."), code="starts_in_past", field="starts_at")
    cleaned = _checked_rooms(rooms)
    seed = secrets.randbelow(lots.SEED_LIMIT) if seed is None else seed
    if not 0 <= seed <= lots.SEED_LIMIT:
        raise Invalid(_("The seed must be a whole number between 0 and %(max)s.", max=lots.SEED_LIMIT),
                      code="bad_seed", field="seed")
    applications = round_applications(session, review_round)
    if not applications:
        raise Conflict(_("There are no eligible applications to schedule."), code="no_applications")
    instance = lots.lot_input([a.id for a in applications])
    order = lots.draw_order(instance, seed)
    draw = PresentationDraw(round_id=review_round.id, seed=seed, instance=instance,
                            input_hash=lots.input_hash(instance), order=order,
                            created_by_id=actor.id if actor else None, created_at=now)
    session.add(draw)
    session.execute(delete(PresentationSlot).where(PresentationSlot.round_id == review_round.id))
    session.flush()
    laid = lots.schedule(order, starts_at=starts_at, minutes=minutes, rooms=cleaned)
    session.add_all(PresentationSlot(round_id=review_round.id, draw_id=draw.id, application_id=slot.application_id,
                                     position=slot.position, starts_at=slot.starts_at, minutes=minutes,
                                     room=slot.room) for slot in laid)
    session.flush()
    record(session, actor=actor, action="review.presentation_drawn", target_type="presentation_draw",
           target_id=draw.id, cycle_id=review_round.cycle_id,
           after={"round_id": review_round.id, "seed": seed, "input_hash": draw.input_hash, "order": order,
                  "starts_at": starts_at.isoformat(), "minutes": minutes, "rooms": cleaned,
                  "replaced": len(slots)})
    tell_presentation_slots(session, review_round, now=now)
    return draw


def attendance_open(review_round: ReviewRound) -> bool:
    """Whether attendance can be recorded now: in the presentation stage, while its round is not closed."""
    return review_round.cycle.stage is Stage.PRESENTATION and review_round.status is not RoundStatus.CLOSED


def draw_open(review_round: ReviewRound, slots: Sequence[PresentationSlot]) -> bool:
    """Whether the order can be drawn (again) now; the service says why not."""
    return review_round.kind is RoundKind.PRESENTATION and review_round.status is not RoundStatus.CLOSED \
        and _before_presentation(review_round.cycle) and all(s.attendance is Attendance.PENDING for s in slots)


def _before_presentation(cycle: Cycle) -> bool:
    """Whether the cycle is between document review and its presentation stage (in the procedure's order)."""
    order = stage_sequence(cycle)
    return Stage.PRESENTATION in order and cycle.stage in order \
        and order.index(Stage.DOCUMENT_REVIEW) <= order.index(cycle.stage) <= order.index(Stage.PRESENTATION)


@dataclass(frozen=True)
class LotReplay:
    draw_id: int
    hash_matches: bool
    order_matches: bool
    recomputed_hash: str
    replayed_order: list[int]


def replay_presentation_draw(session: Session, *, actor: User | None, draw: PresentationDraw) -> LotReplay:
    """Re-draw the lot from its stored input and seed and compare with the stored order (office, supervisor)."""
    if actor is not None and actor.role not in (Role.OFFICE, Role.SUPERVISOR):
        raise NotAllowed(_("Only the office and the supervisor can re-run a draw."), code="not_allowed")
    recomputed = lots.input_hash(draw.instance)
    replayed = lots.draw_order(draw.instance, draw.seed)
    replay = LotReplay(draw_id=draw.id, hash_matches=recomputed == draw.input_hash,
                       order_matches=replayed == list(draw.order), recomputed_hash=recomputed,
                       replayed_order=replayed)
    cycle_id = session.scalar(select(ReviewRound.cycle_id).where(ReviewRound.id == draw.round_id))
    record(session, actor=actor, action="review.presentation_replayed", target_type="presentation_draw",
           target_id=draw.id, cycle_id=cycle_id,
           after={"hash_matches": replay.hash_matches, "order_matches": replay.order_matches})
    return replay


def record_attendance(
    session: Session, *, actor: User | None, slot: PresentationSlot, attendance: Attendance, note: str = "",
    now: dt.datetime | None = None,
) -> PresentationSlot:
    """Record whether the applicant came to its presentation (office, in the presentation stage)."""
    require_office(actor)
    review_round = session.get(ReviewRound, slot.round_id)
    assert review_round is not None  # a slot's round exists (foreign key)
    if not attendance_open(review_round):
        raise Conflict(_("Attendance is recorded during the presentation stage, while its round is not closed."),
                       code="wrong_stage")
    if attendance is Attendance.PENDING:
        raise Invalid(_("Choose present or absent."), code="bad_attendance", field="attendance")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Invalid(_("The note is at most %(max)s characters.", max=NOTE_MAX), code="note_too_long", field="note")
    if attendance is Attendance.ABSENT and not note:
        raise Invalid(_("Write why the applicant was absent."), code="absence_reason", field="note")
    before = {"attendance": slot.attendance.value, "note": slot.attendance_note}
    slot.attendance, slot.attendance_note = attendance, note
    slot.recorded_at, slot.recorded_by_id = now or utcnow(), actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="review.presentation_attendance", target_type="application",
           target_id=slot.application_id, cycle_id=review_round.cycle_id, before=before,
           after={"attendance": attendance.value, "note": note, "round_id": review_round.id})
    return slot


@guard_leaving(Stage.PRESENTATION)
def _attendance_recorded(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    """The presentation stage ends once the schedule exists and every applicant's attendance is recorded."""
    review_round = session.scalar(select(ReviewRound).where(ReviewRound.cycle_id == cycle.id,
                                                            ReviewRound.kind == RoundKind.PRESENTATION))
    if review_round is None:
        return []  # the scoring guard says the round is missing
    slots = slots_of(session, review_round)
    if not slots:
        return [_("Draw the presentation order first.")]
    pending = sum(1 for slot in slots if slot.attendance is Attendance.PENDING)
    if pending:
        return [_("%(count)s applicant(s) have no attendance recorded yet.", count=pending)]
    return []
