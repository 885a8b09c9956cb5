"""An expert's work on one assignment: the pledge, a declared conflict, the score sheet, consensus.

Drafts save with a version check (two tabs or two people never overwrite each other silently:
the later save is refused and shown the difference). Submission validates every item with the
pure rules of `sheet_rules` and locks the sheet; the office can reopen it with a reason. Once
every sheet of a panel is in, the team leader (组长) proposes a consensus score per item, with a
reason wherever it moved from the panel's median, and the other members confirm it (or discuss
it: `discussion.py`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from award.applications.models import Application
from award.audit.services import record
from award.auth.models import Role, User
from award.conflicts.models import PinnedConflict
from award.conflicts.rules import ConflictType
from award.conflicts.services import has_conflict
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.inputs import text_problem
from award.numbers import round_score
from award.rounds import notices as round_notices
from award.rounds.access import require_office
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound, RoundStatus
from award.rounds.panels import vacate_seat
from award.rounds.services import round_rubric
from award.rubrics import PERCENT_MAX, Rubric
from award.scoring import notices
from award.scoring.models import (
    ConsensusConfirmation,
    ConsensusFinalization,
    ConsensusRemark,
    ConsensusScore,
    ItemScore,
    RemarkKind,
    ScoreSheet,
    SheetStatus,
)
from award.scoring.packed import pack_points
from award.scoring.progress import consensus_problems, missing_sheets
from award.scoring.rules import ItemEntry, SheetProblem, item_points, validate_sheet

FIELDS = ("band_id", "percent", "strength", "improvement", "justification")


class SheetInvalid(Invalid):
    """The sheet breaks item rules; `problems` maps item ids to what to fix."""

    def __init__(self, problems: Mapping[str, Sequence[SheetProblem]]) -> None:
        count = sum(len(p) for p in problems.values())
        super().__init__(_("The sheet has %(count)s problems; see the marked items.", count=count),
                         code="sheet_invalid")
        self.problems = {item: list(found) for item, found in problems.items()}


@dataclass(frozen=True)
class Difference:
    """One field of one item where the saved sheet differs from what this save sent."""

    item_id: str
    field: str
    mine: object
    saved: object


class VersionConflict(Conflict):
    """Someone saved the sheet after this page loaded it; nothing was overwritten."""

    def __init__(self, *, current_version: int, differences: list[Difference]) -> None:
        super().__init__(_("This sheet was saved elsewhere (another tab or device) after you opened it. "
                           "Nothing was overwritten; compare the differences below, then save again."),
                         code="version_conflict")
        self.current_version = current_version
        self.differences = differences


# --------------------------------------------------------------------------- checks


def _require_own(actor: User, assignment: Assignment) -> None:
    if actor.role is not Role.EXPERT or assignment.expert_id != actor.id:
        raise NotAllowed(_("This assignment is not yours."))


def _require_active(assignment: Assignment) -> None:
    if assignment.status is not AssignmentStatus.ACTIVE:
        raise Conflict(_("You are no longer on this panel."), code="not_active")
    if assignment.round.status is not RoundStatus.OPEN:
        raise Conflict(_("Scoring is not open in this round."), code="round_not_open")


def _require_no_conflict(session: Session, expert: User, application: Application) -> None:
    """A conflict recorded after the pledge bars the expert here too, not only on the page."""
    if has_conflict(session, application, expert):
        raise NotAllowed(_("A conflict of interest with this applicant is on record; you can no longer score "
                           "it or take part in its consensus."))


def _require_scorable(session: Session, actor: User, assignment: Assignment) -> ScoreSheet:
    _require_own(actor, assignment)
    _require_active(assignment)
    if assignment.pledge_signed_at is None:
        raise Conflict(_("Sign the no-conflict and confidentiality pledge first."), code="pledge_required")
    _require_no_conflict(session, actor, assignment.application)
    sheet = sheet_of(assignment)
    if sheet is None:  # pragma: no cover - the pledge creates it
        raise Conflict(_("Sign the no-conflict and confidentiality pledge first."), code="pledge_required")
    if sheet.status is SheetStatus.SUBMITTED:
        raise Conflict(_("This sheet is submitted and locked; ask the office to reopen it."),
                          code="sheet_locked")
    return sheet


def sheet_of(assignment: Assignment) -> ScoreSheet | None:
    from sqlalchemy.orm import object_session

    session = object_session(assignment)
    assert session is not None
    return session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id))


def rubric_of(assignment: Assignment) -> Rubric:
    return round_rubric(assignment.round)


# --------------------------------------------------------------------------- pledge and conflict


def sign_pledge(session: Session, *, actor: User, assignment: Assignment,
                now: dt.datetime | None = None) -> ScoreSheet:
    """The expert signs the no-conflict and confidentiality pledge (回避与保密承诺); the sheet opens."""
    _require_own(actor, assignment)
    _require_active(assignment)
    if assignment.pledge_signed_at is not None:
        raise Conflict(_("You have already signed the pledge for this application."), code="pledge_signed")
    _require_no_conflict(session, actor, assignment.application)
    assignment.pledge_signed_at = now or utcnow()
    sheet = ScoreSheet(assignment_id=assignment.id, status=SheetStatus.DRAFT, total=Decimal(0))
    session.add(sheet)
    session.flush()
    record(session, actor=actor, action="review.pledge_signed", target_type="assignment", target_id=assignment.id,
           cycle_id=assignment.round.cycle_id,
           after={"application_id": assignment.application_id, "signed_at": assignment.pledge_signed_at})
    return sheet


def declare_conflict(session: Session, *, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """The expert declares a conflict: off the panel (scores void), pinned, and a replacement is due;
    the office is told."""
    _require_own(actor, assignment)
    if assignment.status is not AssignmentStatus.ACTIVE:
        raise Conflict(_("You are no longer on this panel."), code="not_active")
    if assignment.round.status is RoundStatus.CLOSED:
        raise Conflict(_("This round is closed."), code="round_closed")
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Describe the conflict of interest."), code="reason_required")
    vacate_seat(session, assignment, status=AssignmentStatus.CONFLICT_DECLARED, reason=reason)
    pinned = session.scalar(select(PinnedConflict).where(PinnedConflict.application_id == assignment.application_id,
                                                         PinnedConflict.expert_id == actor.id))
    if pinned is None:
        # Recorded for good: later rounds and draws must not pick this pair again.
        session.add(PinnedConflict(application_id=assignment.application_id, expert_id=actor.id,
                                   type=ConflictType.OTHER, reason=_("Declared by the expert: %(reason)s",
                                                                     reason=reason),
                                   created_by_id=actor.id))
    _clear_consensus(session, assignment.round, assignment.application_id)
    session.flush()
    record(session, actor=actor, action="review.conflict_declared", target_type="assignment",
           target_id=assignment.id, cycle_id=assignment.round.cycle_id,
           before={"status": AssignmentStatus.ACTIVE.value},
           after={"status": assignment.status.value, "reason": reason,
                  "application_id": assignment.application_id})
    round_notices.tell_conflict_declared(session, assignment)
    _tell_leader_if_complete(session, assignment.round, assignment.application_id)
    return assignment


# --------------------------------------------------------------------------- the sheet


def _stored(sheet: ScoreSheet) -> dict[str, ItemScore]:
    return {item.item_id: item for item in sheet.items}


def _value(item: ItemScore | None, name: str) -> object:
    if item is None:
        return None if name in ("band_id", "percent") else ""
    value = getattr(item, name)
    return value if value is not None or name in ("band_id", "percent") else ""


def _entry_value(entry: ItemEntry, name: str) -> object:
    value = getattr(entry, name)
    if name == "percent":
        return None if value is None else int(value) if value == int(value) else value
    if name == "band_id":
        return (value or "").strip() or None
    return (value or "").strip()


def _differences(sheet: ScoreSheet, entries: Iterable[ItemEntry]) -> list[Difference]:
    stored = _stored(sheet)
    found = []
    for entry in entries:
        item = stored.get(entry.item_id)
        for name in FIELDS:
            mine, saved = _entry_value(entry, name), _value(item, name)
            if mine != saved:
                found.append(Difference(entry.item_id, name, mine, saved))
    return found


def _with_band(rubric: Rubric, entry: ItemEntry) -> ItemEntry:
    """A percentage alone picks its band (the band picker is a convenience, not a second fact)."""
    if (entry.band_id or "").strip() or entry.percent is None or not rubric.has_item(entry.item_id):
        return entry
    band = rubric.band_for_percent(entry.item_id, entry.percent)
    if band is None:
        return entry
    return ItemEntry(item_id=entry.item_id, band_id=band.id, percent=entry.percent, strength=entry.strength,
                     improvement=entry.improvement, justification=entry.justification)


def _check_version(sheet: ScoreSheet, expected_version: int, entries: list[ItemEntry]) -> None:
    if sheet.version != expected_version:
        raise VersionConflict(current_version=sheet.version, differences=_differences(sheet, entries))


def _write(session: Session, sheet: ScoreSheet, rubric: Rubric, entries: list[ItemEntry],
           expected_version: int) -> dict[str, dict[str, object]]:
    """Upsert the entries' items and bump the sheet's version; returns the changed fields."""
    stored = _stored(sheet)
    changed: dict[str, dict[str, object]] = {}
    try:
        # A savepoint: when another transaction saved the same version in between (PostgreSQL lets
        # both read it), only this write is undone and the session can still answer the conflict.
        with session.begin_nested():
            for entry in entries:
                item = stored.get(entry.item_id)
                if item is None:
                    item = ItemScore(item_id=entry.item_id)
                    sheet.items.append(item)
                values = {name: _entry_value(entry, name) for name in FIELDS}
                fields = {name: value for name, value in values.items() if value != _value(item, name)}
                if fields:
                    changed[entry.item_id] = fields
                for name, value in values.items():
                    if getattr(item, name) != value:  # an equal value would write nothing either
                        setattr(item, name, value)
                points = item_points(rubric, entry.item_id, item.percent) if item.percent is not None else None
                if item.points != points:
                    item.points = points
            sheet.total = sum((i.points for i in sheet.items if i.points is not None), Decimal(0))
            sheet.item_points = None  # packed again at submit
            sheet.updated_at = utcnow()
    except StaleDataError:
        # The other save is committed (the UPDATE waited for it): refuse like any later save, with
        # the differences from what it stored. The rolled-back savepoint expired the sheet and the items
        # this save changed, not the others: an item whose fields this save left as they were still
        # holds what was read before the other save, so every item is read again.
        session.execute(select(ItemScore).where(ItemScore.sheet_id == sheet.id)
                        .execution_options(populate_existing=True)).all()
        raise VersionConflict(current_version=sheet.version, differences=_differences(sheet, entries)) from None
    return changed


def save_draft(session: Session, *, actor: User, assignment: Assignment, entries: Sequence[ItemEntry],
               expected_version: int) -> ScoreSheet:
    """Save what the expert has typed so far; blanks pass, impossible values are refused."""
    sheet = _require_scorable(session, actor, assignment)
    rubric = rubric_of(assignment)
    entries = [_with_band(rubric, e) for e in entries]
    _check_version(sheet, expected_version, entries)
    problems = validate_sheet(rubric, entries, draft=True)
    if problems:
        raise SheetInvalid(problems)
    changed = _write(session, sheet, rubric, entries, expected_version)
    if changed:
        record(session, actor=actor, action="review.sheet_saved", target_type="score_sheet", target_id=sheet.id,
               cycle_id=assignment.round.cycle_id, after={"version": sheet.version, "items": changed})
    return sheet


def _as_entry(item: ItemScore) -> ItemEntry:
    return ItemEntry(item_id=item.item_id, band_id=item.band_id, percent=item.percent, strength=item.strength,
                     improvement=item.improvement, justification=item.justification)


def submit_sheet(session: Session, *, actor: User, assignment: Assignment, entries: Sequence[ItemEntry],
                 expected_version: int, now: dt.datetime | None = None) -> ScoreSheet:
    """Save the last entries, check every item of the rubric, and lock the sheet; the last sheet of
    a panel tells its team leader."""
    sheet = _require_scorable(session, actor, assignment)
    rubric = rubric_of(assignment)
    entries = [_with_band(rubric, e) for e in entries]
    _check_version(sheet, expected_version, entries)
    merged = {item.item_id: _as_entry(item) for item in sheet.items}
    merged.update({e.item_id: e for e in entries})
    problems = validate_sheet(rubric, list(merged.values()))
    if problems:
        raise SheetInvalid(problems)
    _write(session, sheet, rubric, entries, expected_version)
    sheet.item_points = pack_points([item.id for item in rubric.items], {i.item_id: i.points for i in sheet.items})
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_at = now or utcnow()
    session.flush()
    record(session, actor=actor, action="review.sheet_submitted", target_type="score_sheet", target_id=sheet.id,
           cycle_id=assignment.round.cycle_id,
           after={"application_id": assignment.application_id, "total": sheet.total, "version": sheet.version,
                  "items": {i.item_id: {"band": i.band_id, "percent": i.percent, "points": i.points}
                            for i in sheet.items}})
    _tell_leader_if_complete(session, assignment.round, assignment.application_id, now=sheet.submitted_at)
    return sheet


def reopen_sheet(session: Session, *, actor: User, sheet: ScoreSheet, reason: str) -> ScoreSheet:
    """The office reopens a submitted sheet with a reason, which the expert is told; the panel's
    consensus must be redone."""
    if actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can reopen a sheet."))
    if sheet.status is not SheetStatus.SUBMITTED:
        raise Conflict(_("Only a submitted sheet can be reopened."), code="not_submitted")
    if sheet.assignment.round.status is not RoundStatus.OPEN:
        raise Conflict(_("Scoring is not open in this round."), code="round_not_open")
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Give a reason for reopening the sheet."), code="reason_required")
    sheet.status = SheetStatus.DRAFT
    sheet.submitted_at = None
    sheet.item_points = None
    sheet.updated_at = utcnow()
    _clear_consensus(session, sheet.assignment.round, sheet.assignment.application_id)
    session.flush()
    record(session, actor=actor, action="review.sheet_reopened", target_type="score_sheet", target_id=sheet.id,
           cycle_id=sheet.assignment.round.cycle_id, before={"status": SheetStatus.SUBMITTED.value},
           after={"status": SheetStatus.DRAFT.value, "reason": reason})
    notices.tell_sheet_reopened(session, sheet, reason=reason)
    return sheet


# --------------------------------------------------------------------------- consensus


def panel_members(session: Session, review_round: ReviewRound, application_id: int) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(
        Assignment.round_id == review_round.id, Assignment.application_id == application_id,
        Assignment.status == AssignmentStatus.ACTIVE).order_by(Assignment.is_leader.desc(), Assignment.expert_id)))


def sheets_complete(session: Session, review_round: ReviewRound, application_id: int) -> bool:
    """Every active panel member has submitted, and there are at least the required sheets."""
    members = panel_members(session, review_round, application_id)
    submitted = session.scalar(select(func.count(ScoreSheet.id)).join(Assignment).where(
        Assignment.round_id == review_round.id, Assignment.application_id == application_id,
        Assignment.status == AssignmentStatus.ACTIVE, ScoreSheet.status == SheetStatus.SUBMITTED)) or 0
    return bool(members) and submitted == len(members) and submitted >= review_round.required_sheets


@dataclass(frozen=True, kw_only=True)
class ItemSpread:
    item_id: str
    points: int
    percents: tuple[int, ...]
    low: int
    high: int
    mean: Decimal
    median: Decimal
    std: Decimal
    flagged: bool

    @property
    def spread(self) -> int:
        return self.high - self.low


def panel_spread(session: Session, review_round: ReviewRound, application_id: int) -> list[ItemSpread]:
    """Per item: the submitted percentages of the panel in ascending order (the order of the seats would
    tell a member whose figure is whose), their range and deviation, flagged on the round's thresholds
    (the consensus agenda)."""
    rubric = round_rubric(review_round)
    rows = session.execute(
        select(ItemScore.item_id, ItemScore.percent).join(ScoreSheet).join(Assignment).where(
            Assignment.round_id == review_round.id, Assignment.application_id == application_id,
            Assignment.status == AssignmentStatus.ACTIVE, ScoreSheet.status == SheetStatus.SUBMITTED)
        .order_by(ItemScore.item_id, Assignment.expert_id)).all()
    by_item: dict[str, list[int]] = {}
    for item_id, percent in rows:
        if percent is not None:
            by_item.setdefault(item_id, []).append(percent)
    spreads = []
    for item in rubric.items:
        percents = tuple(sorted(by_item.get(item.id, ())))
        if not percents:
            continue
        std = round_score(statistics.pstdev(percents), 2)
        spreads.append(ItemSpread(
            item_id=item.id, points=item.points, percents=percents, low=min(percents), high=max(percents),
            mean=Decimal(sum(percents)) / len(percents), median=Decimal(str(statistics.median(percents))), std=std,
            flagged=(max(percents) - min(percents) > review_round.range_threshold_pct
                     or std > review_round.std_threshold_pct)))
    return spreads


@dataclass(frozen=True, kw_only=True)
class ConsensusEntry:
    percent: int | None
    reason: str = ""


def _clear_consensus(session: Session, review_round: ReviewRound, application_id: int) -> None:
    """A new proposal or a reopened sheet: confirmations and a finalization go; the discussion stays."""
    for model in (ConsensusScore, ConsensusConfirmation, ConsensusFinalization):
        session.execute(delete(model).where(model.round_id == review_round.id,
                                            model.application_id == application_id))


def _leader_of(session: Session, review_round: ReviewRound, application_id: int) -> Assignment | None:
    return next((m for m in panel_members(session, review_round, application_id) if m.is_leader), None)


def _tell_leader_if_complete(session: Session, review_round: ReviewRound, application_id: int,
                             now: dt.datetime | None = None) -> None:
    """Once every sheet of the panel is in, its team leader is told (once per round and application)."""
    if review_round.status is not RoundStatus.OPEN or not sheets_complete(session, review_round, application_id):
        return
    leader = _leader_of(session, review_round, application_id)
    if leader is not None:
        notices.tell_panel_complete(session, review_round, leader, now=now)


def propose_consensus(session: Session, *, actor: User, review_round: ReviewRound, application: Application,
                      proposals: Mapping[str, ConsensusEntry]) -> list[ConsensusScore]:
    """The team leader's consensus score for every item; a reason where it moved from the median.

    A new proposal replaces the previous one and asks every member to confirm again."""
    leader = _leader_of(session, review_round, application.id)
    if leader is None or leader.expert_id != actor.id:
        raise NotAllowed(_("Only the panel's team leader can propose the consensus."))
    if review_round.status is not RoundStatus.OPEN:
        raise Conflict(_("Scoring is not open in this round."), code="round_not_open")
    _require_no_conflict(session, actor, application)
    if not sheets_complete(session, review_round, application.id):
        raise Conflict(_("The consensus opens once every panel member has submitted."), code="sheets_missing")
    rubric = round_rubric(review_round)
    medians = {s.item_id: s.median for s in panel_spread(session, review_round, application.id)}
    problems = []
    for item in rubric.items:
        entry = proposals.get(item.id)
        percent = entry.percent if entry else None
        if entry is None or percent is None:
            problems.append(_("%(item)s: enter a consensus percentage.", item=item.id))
        elif not 0 <= percent <= PERCENT_MAX or percent % rubric.step:
            problems.append(_("%(item)s: %(percent)s%% is not a multiple of %(step)s%% between 0 and 100%%.",
                              item=item.id, percent=percent, step=rubric.step))
        elif reason_problem := text_problem(entry.reason, multiline=True,
                                            field=_("%(item)s: the reason", item=item.id)):
            problems.append(reason_problem)
        elif Decimal(percent) != medians.get(item.id) and not (entry.reason or "").strip():
            problems.append(_("%(item)s: the consensus moved from the panel's median; give the reason.",
                              item=item.id))
    if problems:
        raise Invalid(" ".join(problems), code="consensus_invalid")
    _clear_consensus(session, review_round, application.id)
    scores = []
    for item in rubric.items:
        entry = proposals[item.id]
        assert entry.percent is not None
        scores.append(ConsensusScore(round_id=review_round.id, application_id=application.id, item_id=item.id,
                                     percent=entry.percent, points=item_points(rubric, item.id, entry.percent),
                                     reason=(entry.reason or "").strip(), proposed_by_id=actor.id))
    session.add_all(scores)
    session.add(ConsensusConfirmation(round_id=review_round.id, application_id=application.id, expert_id=actor.id))
    session.flush()
    record(session, actor=actor, action="review.consensus_proposed", target_type="application",
           target_id=application.id, cycle_id=review_round.cycle_id,
           after={"round_id": review_round.id,
                  "items": {s.item_id: {"percent": s.percent, "reason": s.reason} for s in scores}})
    return scores


def confirm_consensus(session: Session, *, actor: User, review_round: ReviewRound,
                      application: Application) -> ConsensusConfirmation:
    """A panel member confirms the leader's consensus."""
    member = next((m for m in panel_members(session, review_round, application.id) if m.expert_id == actor.id), None)
    if member is None:
        raise NotAllowed(_("Only a member of this panel can confirm its consensus."))
    _require_no_conflict(session, actor, application)
    if review_round.status is not RoundStatus.OPEN:
        raise Conflict(_("Scoring is not open in this round."), code="round_not_open")
    if not consensus_scores(session, review_round, application.id):
        raise Conflict(_("The team leader has not proposed a consensus yet."), code="no_consensus")
    if actor.id in confirmed_by(session, review_round, application.id):
        raise Conflict(_("You have already confirmed this consensus."), code="already_confirmed")
    if session.scalar(select(ConsensusFinalization.id).where(
            ConsensusFinalization.round_id == review_round.id,
            ConsensusFinalization.application_id == application.id)) is not None:
        raise Conflict(_("The team leader has finalized this consensus; the discussion is closed."),
                       code="consensus_final")
    confirmation = ConsensusConfirmation(round_id=review_round.id, application_id=application.id, expert_id=actor.id)
    session.add(confirmation)
    session.add(ConsensusRemark(round_id=review_round.id, application_id=application.id, author_id=actor.id,
                                item_id=None, kind=RemarkKind.AGREE, text=""))
    session.flush()
    record(session, actor=actor, action="review.consensus_confirmed", target_type="application",
           target_id=application.id, cycle_id=review_round.cycle_id, after={"round_id": review_round.id})
    return confirmation


def consensus_scores(session: Session, review_round: ReviewRound, application_id: int) -> dict[str, ConsensusScore]:
    return {s.item_id: s for s in session.scalars(select(ConsensusScore).where(
        ConsensusScore.round_id == review_round.id, ConsensusScore.application_id == application_id))}


def confirmed_by(session: Session, review_round: ReviewRound, application_id: int) -> set[int]:
    return set(session.scalars(select(ConsensusConfirmation.expert_id).where(
        ConsensusConfirmation.round_id == review_round.id, ConsensusConfirmation.application_id == application_id)))


def consensus_agreed(session: Session, review_round: ReviewRound, application_id: int) -> bool:
    """A consensus exists and every active panel member has confirmed it, or the team leader has
    finalized it."""
    if not consensus_scores(session, review_round, application_id):
        return False
    if session.scalar(select(ConsensusFinalization.id).where(
            ConsensusFinalization.round_id == review_round.id,
            ConsensusFinalization.application_id == application_id)) is not None:
        return True
    members = {m.expert_id for m in panel_members(session, review_round, application_id)}
    return members <= confirmed_by(session, review_round, application_id)


def close_round(
    session: Session, *, actor: User | None, review_round: ReviewRound, now: dt.datetime | None = None
) -> ReviewRound:
    """Close scoring once every active panel member's sheet is submitted and, where the round counts
    the panel consensus, every panel's consensus is agreed."""
    require_office(actor)
    if review_round.status is not RoundStatus.OPEN:
        raise Conflict(_("Only an open round can be closed."), code="round_not_open")
    missing = missing_sheets(session, review_round)
    if missing:
        raise Conflict(_("%(count)s score sheets are still missing.", count=len(missing)),
                          code="sheets_missing")
    unagreed = consensus_problems(session, review_round)
    if unagreed:
        raise Conflict(" ".join(unagreed), code="consensus_missing")
    review_round.status = RoundStatus.CLOSED
    review_round.closed_at = now or utcnow()
    session.flush()
    record(session, actor=actor, action="review.round_closed", target_type="review_round",
           target_id=review_round.id, cycle_id=review_round.cycle_id,
           before={"status": RoundStatus.OPEN.value}, after={"status": RoundStatus.CLOSED.value})
    return review_round
