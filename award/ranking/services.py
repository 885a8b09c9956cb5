"""The ranking of a cycle from the database: score rows, exclusions, aggregation, shortlist, freezing.

One SQL query loads a round's score rows (submitted independent sheets only, exactly as the
experts submitted them); a round that counts its panel consensus also loads its agreed consensus
sheets, which count instead of the sheets' aggregation while the sheets stay beside them. The
pure core (aggregate.py, rank.py, robustness.py) does the rest in vectorized passes. Sheets of
an expert with a conflict for that application — found at any time, even after scoring — and
sheets of assignments taken off the panel are excluded, each
with its reason. The dishonesty list is checked again on every computation: a listed applicant
is not ranked. `freeze_shortlist` copies the result into a `RankingSnapshot` for the vote.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import gc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, String, cast, exists, func, select
from sqlalchemy.orm import Session

from award.applications.blacklist import blacklist_hits
from award.applications.models import Application, ApplicationStatus
from award.audit.services import record
from award.auth.models import Organization, Role, User
from award.conflicts.services import conflicts_for_cycle, forget_reused_matrices
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Step
from award.cycles.services import cycle_rubric
from award.cycles.settings import AwardLevels
from award.cycles.stages import guard_leaving, procedure_of
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _, _l
from award.lazy import lazy_module
from award.ranking.aggregate import (
    STATUS_INSUFFICIENT,
    STATUS_NO_CONSENSUS,
    STATUS_OK,
    ConsensusSheets,
    Exclusion,
    RoundAggregate,
    RubricLayout,
    ScoreRows,
    aggregate_round,
)
from award.ranking.levels import assign_levels
from award.ranking.models import CombineMode, RankingSettings, RankingSnapshot, ShortlistEntry
from award.ranking.rank import REASON_LABELS
from award.ranking.robustness import (
    VERDICT_CONSENSUS_DECIDES,
    VERDICT_CONSENSUS_HOLDS,
    VERDICT_NOT_RANKED,
    forget_reused_checks,
)
from award.ranking.standings import (
    ROUND_KINDS,
    STATUS_BLACKLISTED,
    STATUS_NO_PRESENTATION,
    STATUS_SOCIAL_VETO,
    VERDICT_NOT_COMPUTED,
    ApplicationInfo,
    EffectiveSettings,
    RankedCycle,
    RoundWeights,
    content_hash,
    disagreement_rule,
    exclusions_from,
    layout_of,
    rank_rounds,
    snapshot_rows,
)
from award.ranking.standings import robustness_of as robustness_of  # the pages and exports ask here
from award.rounds.models import (
    AggregationMethod,
    Assignment,
    AssignmentStatus,
    CountedRecord,
    ReviewRound,
    RoundKind,
    RoundStatus,
)
from award.rounds.services import round_rubric
from award.rubrics import Rubric
from award.scoring.models import (
    ConsensusConfirmation,
    ConsensusFinalization,
    ConsensusScore,
    ItemScore,
    ScoreSheet,
    SheetStatus,
)
from award.scoring.packed import NO_POINTS, POINTS_DTYPE
from award.social import services as social

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported by the first np.… a ranking reads (award/lazy.py)

# Applications that take part in the ranking (withdrawn or ineligible ones never do).
RANKABLE = ApplicationStatus.ELIGIBLE

STATUS_LABELS = {
    STATUS_OK: _l("Ranked"),
    STATUS_INSUFFICIENT: _l("Not enough valid score sheets"),
    "no_onsite_review": _l("No on-site review score"),
    STATUS_NO_PRESENTATION: _l("No presentation score"),
    STATUS_NO_CONSENSUS: _l("No agreed panel consensus, which this round counts"),
    STATUS_BLACKLISTED: _l("On the dishonesty list"),
    STATUS_SOCIAL_VETO: _l("Vetoed by the social evaluation (一票否决)"),
}
REASONS = {**REASON_LABELS, STATUS_BLACKLISTED: _l("On the dishonesty list"),
           STATUS_SOCIAL_VETO: _l("Vetoed by the social evaluation (一票否决)")}
ROUND_LABELS = {"document": _l("Document review"), "presentation": _l("Presentation and defence"),
                "onsite": _l("On-site review")}
VERDICT_LABELS = {
    "stable": _l("Stable"),
    "sensitive": _l("Sensitive"),
    VERDICT_NOT_RANKED: _l("Not ranked"),
    VERDICT_NOT_COMPUTED: _l("Not computed for weighted rounds"),
    VERDICT_CONSENSUS_HOLDS: _l("The independent sheets give the same place"),
    VERDICT_CONSENSUS_DECIDES: _l("The consensus decides: the independent sheets would place it otherwise"),
}
COUNTS_LABELS = {
    CountedRecord.INDEPENDENT.value: _l("Independent sheets"),
    CountedRecord.CONSENSUS.value: _l("Panel consensus"),
}


# --- settings ------------------------------------------------------------------------------


def ranking_settings(session: Session, cycle: Cycle) -> RankingSettings:
    """The cycle's settings row, or an unsaved one holding the defaults."""
    row = session.get(RankingSettings, cycle.id)
    if row is not None:
        return row
    return RankingSettings(cycle_id=cycle.id, combine_mode=CombineMode.REPLACE, onsite_weight=Decimal("0.5"),
                           sector_limits={}, min_sheets_for_leniency=5)


def _settings_snapshot(row: RankingSettings) -> dict[str, Any]:
    return {
        "combine_mode": CombineMode(row.combine_mode).value,
        "onsite_weight": str(row.onsite_weight),
        "sector_limits": dict(row.sector_limits or {}),
        "min_sheets_for_leniency": row.min_sheets_for_leniency,
    }


def update_ranking_settings(
    session: Session, *, actor: User | None, cycle: Cycle, combine_mode: CombineMode, onsite_weight: Decimal,
    sector_limits: Mapping[str, int], min_sheets_for_leniency: int,
) -> RankingSettings:
    """Save how rounds combine, sector limits and the leniency threshold (until the shortlist goes out)."""
    _require_office(actor)
    if cycle.stage in (Stage.COMMITTEE, Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED):
        raise Conflict(_("Ranking settings are fixed once the shortlist has been submitted."),
                          code="settings_locked")
    if not Decimal("0") <= onsite_weight <= Decimal("1"):
        raise Invalid(_("The on-site weight must be between 0 and 1."), code="bad_weight")
    if min_sheets_for_leniency < 2:
        raise Invalid(_("The leniency view needs at least 2 sheets per expert."), code="bad_leniency")
    if any(limit < 1 for limit in sector_limits.values()):
        raise Invalid(_("A sector limit must be at least 1."), code="bad_sector_limit")
    row = session.get(RankingSettings, cycle.id)
    before = _settings_snapshot(row) if row is not None else None
    if row is None:
        row = RankingSettings(cycle_id=cycle.id)
        session.add(row)
    row.combine_mode = combine_mode
    row.onsite_weight = onsite_weight.quantize(Decimal("0.001"))
    row.sector_limits = {str(k).strip().upper(): int(v) for k, v in sorted(sector_limits.items())}
    row.min_sheets_for_leniency = min_sheets_for_leniency
    session.flush()
    record(session, actor=actor, action="ranking.settings_updated", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before, after=_settings_snapshot(row))
    return row


def effective_settings(session: Session, cycle: Cycle, rubric: Rubric) -> EffectiveSettings:
    row = ranking_settings(session, cycle)
    # With award levels the shortlist takes the lowest cut-off and every level's quota; the freeze
    # then divides it into levels (levels.assign_levels).
    levels = AwardLevels.of(cycle.award_settings)
    return EffectiveSettings(
        cutoff=float(levels.lowest_cutoff if levels else cycle.cutoff_score),
        quota=levels.total_quota if levels else cycle.awards_count,
        combine_mode=CombineMode(row.combine_mode),
        onsite_weight=float(row.onsite_weight),
        sector_limits=dict(row.sector_limits or {}),
        min_sheets_for_leniency=row.min_sheets_for_leniency,
        tie_break=tuple(rubric.tie_break),
    )


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can do this."))


# --- loading ---------------------------------------------------------------------------------


def review_rounds(session: Session, cycle: Cycle) -> dict[RoundKind, ReviewRound]:
    rounds = session.scalars(select(ReviewRound).where(ReviewRound.cycle_id == cycle.id))
    return {RoundKind(r.kind): r for r in rounds}


def _rankable_ids(cycle_id: int) -> Select:
    return select(Application.id).where(Application.cycle_id == cycle_id, Application.status == RANKABLE)


def score_rows_statement(review_round: ReviewRound, *, packed: bool | None = None) -> Select:
    """item_scores ⋈ score_sheets ⋈ assignments of one round: (application, expert, item, points).

    Submitted sheets only, of applications still in the running, with the points each expert
    gave: a consensus never enters here (it is a sheet of its own, `agreed_consensus_statement`).
    `packed=True`: score_sheets ⋈ assignments instead, (application, expert, packed points or None)
    of every such sheet; `packed=False`: the item rows of the sheets that carry no packed points.
    """
    if packed:
        return (
            select(Assignment.application_id, Assignment.expert_id, ScoreSheet.item_points)
            .select_from(ScoreSheet)
            .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
            .where(
                Assignment.round_id == review_round.id,
                ScoreSheet.status == SheetStatus.SUBMITTED,
                Assignment.application_id.in_(_rankable_ids(review_round.cycle_id)),
            )
        )
    statement = (
        select(Assignment.application_id, Assignment.expert_id, ItemScore.item_id, ItemScore.points)
        .select_from(ItemScore)
        .join(ScoreSheet, ScoreSheet.id == ItemScore.sheet_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(
            Assignment.round_id == review_round.id,
            ScoreSheet.status == SheetStatus.SUBMITTED,
            ItemScore.points.is_not(None),
            Assignment.application_id.in_(_rankable_ids(review_round.cycle_id)),
        )
    )
    return statement if packed is None else statement.where(ScoreSheet.item_points.is_(None))


def agreed_consensus_statement(review_round: ReviewRound) -> Select:
    """The round's agreed consensus sheets: (application, item, points), of applications still in
    the running whose every active panel member has confirmed the consensus, or whose team leader
    finalized it (a proposal waiting for confirmations does not count)."""
    # Applications with an active seat that has not confirmed: one pass over the round's seats,
    # rather than a check per consensus row.
    waiting = select(Assignment.application_id).where(
        Assignment.round_id == review_round.id,
        Assignment.status == AssignmentStatus.ACTIVE,
        ~exists().where(ConsensusConfirmation.round_id == Assignment.round_id,
                        ConsensusConfirmation.application_id == Assignment.application_id,
                        ConsensusConfirmation.expert_id == Assignment.expert_id),
        ~exists().where(ConsensusFinalization.round_id == Assignment.round_id,
                        ConsensusFinalization.application_id == Assignment.application_id),
    )
    return (
        select(ConsensusScore.application_id, ConsensusScore.item_id, ConsensusScore.points)
        .where(ConsensusScore.round_id == review_round.id, ConsensusScore.application_id.not_in(waiting),
               ConsensusScore.application_id.in_(_rankable_ids(review_round.cycle_id)))
        .order_by(ConsensusScore.application_id, ConsensusScore.item_id)
    )


def load_agreed_consensus(session: Session, review_round: ReviewRound) -> ConsensusSheets:
    return ConsensusSheets.from_records(_driver_tuples(session, agreed_consensus_statement(review_round)))


def load_score_rows(session: Session, review_round: ReviewRound, layout: RubricLayout | None = None) -> ScoreRows:
    """The round's score rows, as the core's column arrays (`_load_score_rows`)."""
    return _load_score_rows(session, review_round, layout)[0]


def _load_score_rows(
    session: Session, review_round: ReviewRound, layout: RubricLayout | None = None,
    seats: Sequence[tuple[Any, ...]] | None = None,
) -> tuple[ScoreRows, bytes]:
    """The round's score rows, as the core's column arrays: one row per sheet, not per item; and a
    digest of what was read, which names these rows (for reusing their aggregate).

    A round holds hundreds of thousands of item rows, and turning each into Python values cost
    several times the bare SQL (docs/performance.md). A submitted sheet carries its points packed
    (`ScoreSheet.item_points`, written at submit in the frozen rubric's order): one query reads them
    with the sheet's application and expert, and numpy unpacks them. Sheets without the packed value
    (submitted before it existed, or written outside `submit_sheet`) are read from their item rows.
    """
    if layout is None:
        layout = layout_of(cycle_rubric(review_round.cycle))
    n_items = layout.size
    if seats is None:
        found = _driver_tuples(session, score_rows_statement(review_round, packed=True))
    else:  # the round's seats were read already (`_round_seats`): their submitted sheets
        submitted = SheetStatus.SUBMITTED.value
        found = [(seat[0], seat[1], seat[5]) for seat in seats if seat[4] == submitted]
    sheets = [sheet for sheet in found if sheet[2] is not None]
    packed = b"".join(points for _app, _expert, points in sheets)
    if len(packed) != len(sheets) * n_items * 4:
        # Not this rubric's layout (it cannot change once frozen): trust the item rows alone.
        return _item_score_rows(session, score_rows_statement(review_round))
    values = np.frombuffer(packed, dtype=POINTS_DTYPE)
    present = values != NO_POINTS
    apps = np.fromiter((s[0] for s in sheets), dtype=np.int64, count=len(sheets))
    experts = np.fromiter((s[1] for s in sheets), dtype=np.int64, count=len(sheets))
    digest = hashlib.blake2b(digest_size=24)
    for part in (repr(layout).encode(), apps.tobytes(), experts.tobytes(), packed):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    fast = ScoreRows(
        application_id=np.repeat(apps, n_items)[present],
        expert_id=np.repeat(experts, n_items)[present],
        item_id=np.tile(np.asarray(layout.item_ids), len(sheets))[present],
        points=values[present] / 100.0,
        item_index=np.tile(np.arange(n_items), len(sheets))[present],
    )
    if len(sheets) == len(found):
        return fast, digest.digest()
    rest, rest_digest = _item_score_rows(session, score_rows_statement(review_round, packed=False))
    digest.update(rest_digest)
    return ScoreRows(*(np.concatenate((getattr(fast, column), getattr(rest, column)))
                       for column in ("application_id", "expert_id", "item_id", "points"))), digest.digest()


def _item_score_rows(session: Session, statement: Select) -> tuple[ScoreRows, bytes]:
    """Score rows read item row by item row, in one query.

    The database joins each column into one comma-separated string (group_concat / string_agg),
    and numpy parses the four strings: one Python object per value cost several times the query.
    The four aggregates run in the same pass over the same rows, so the k-th element of every
    string belongs to the same score row. Rubric item ids hold no commas (the rubric loader's
    item_id_format rule).
    """
    rows = statement.subquery()
    # PostgreSQL's string_agg joins text only; SQLite's group_concat converts by itself, where a
    # CAST per value would add half again to the query.
    as_text = session.get_bind().dialect.name != "sqlite"
    packed = select(*(func.aggregate_strings(cast(c, String) if as_text else c, ",") for c in rows.c))
    columns = tuple(session.execute(packed).one())
    digest = hashlib.blake2b(repr(columns).encode(), digest_size=24).digest()
    application_ids, expert_ids, item_ids, points = columns
    if application_ids is None:
        return ScoreRows(application_id=np.empty(0, np.int64), expert_id=np.empty(0, np.int64),
                         item_id=np.empty(0, str), points=np.empty(0)), digest
    return ScoreRows(
        application_id=np.fromstring(application_ids, dtype=np.int64, sep=","),
        expert_id=np.fromstring(expert_ids, dtype=np.int64, sep=","),
        item_id=np.array(item_ids.split(","), dtype=str),
        points=np.fromstring(points, dtype=float, sep=","),
    ), digest


def _driver_tuples(session: Session, stmt: Select) -> Sequence[tuple[Any, ...]]:
    """Rows as the database driver's plain tuples, on the session's connection and transaction.

    A round holds hundreds of thousands of score rows and thousands of assignments; building a
    SQLAlchemy Row for each cost more than the query itself. Enum columns come back as their
    stored strings. The statement's only parameters are ids and enum constants chosen by the
    code, so they are rendered as literals.
    """
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    result = connection.exec_driver_sql(sql)  # through the engine, so its events and logging see it
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _round_seats(session: Session, review_round: ReviewRound) -> Sequence[tuple[Any, ...]]:
    """The round's seats of applications still in the running, with their sheets, in one pass:
    (application, expert, seat status, status reason, sheet status, packed points), the last two
    None for a seat without a sheet; by application, then expert."""
    return _driver_tuples(session, (
        select(Assignment.application_id, Assignment.expert_id, Assignment.status, Assignment.status_reason,
               ScoreSheet.status, ScoreSheet.item_points)
        .select_from(Assignment)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.round_id == review_round.id,
               Assignment.application_id.in_(_rankable_ids(review_round.cycle_id)))
        .order_by(Assignment.application_id, Assignment.expert_id)
    ))


def round_exclusions(
    session: Session, cycle: Cycle, review_round: ReviewRound, seats: Sequence[tuple[Any, ...]] | None = None,
) -> list[Exclusion]:
    """Sheets to leave out, with reasons: conflicts known now, and panel members taken off.

    Conflicts are asked for the round's assigned pairs only, so pairs never assigned do not
    clutter the list. An assignment not active (conflict declared, removed) excludes its sheet.
    `seats`: the round's seats as `_round_seats` reads them, when they were read already.
    """
    pairs = [seat[:4] for seat in (_round_seats(session, review_round) if seats is None else seats)]
    if not pairs:
        return []
    conflicts = conflicts_for_cycle(session, cycle, application_ids={p[0] for p in pairs},
                                    expert_ids={p[1] for p in pairs})
    reasons = {pair: [c.reason for c in found] for pair, found in conflicts.items()}
    # Only a seat not active or with a conflict excludes anything: the others need no look.
    return exclusions_from(((a, e, str(status), reason) for a, e, status, reason in pairs
                            if status != "active" or (a, e) in reasons), reasons)


def aggregate_review_round(
    session: Session, cycle: Cycle, review_round: ReviewRound, layout: RubricLayout, *,
    min_sheets_for_leniency: int = 5, applications: Sequence[int] | None = None,
) -> RoundAggregate:
    """Load, exclude and aggregate one round with its official method and thresholds, counting the
    record the round states (its agreed consensus sheets are loaded only when they count)."""
    rule = disagreement_rule(review_round.range_threshold_pct, review_round.std_threshold_pct)
    counts = CountedRecord(review_round.counts)
    seats = _round_seats(session, review_round)
    rows, rows_digest = _load_score_rows(session, review_round, layout, seats)
    arguments: dict[str, Any] = {
        "method": AggregationMethod(review_round.method).value,
        "exclusions": round_exclusions(session, cycle, review_round, seats),
        "required_sheets": review_round.required_sheets,
        "disagreement": rule,
        "min_sheets_for_leniency": min_sheets_for_leniency,
        "applications": None if applications is None else list(applications),
        "counts": counts.value,
        "consensus": load_agreed_consensus(session, review_round) if counts is CountedRecord.CONSENSUS else None,
    }
    key = _aggregate_digest(rows_digest, layout, arguments)
    with _aggregates_lock:
        found = _aggregates.get(key)
    if found is None:
        found = aggregate_round(rows, layout, **arguments)
        with _aggregates_lock:
            _aggregates[key] = found
            while len(_aggregates) > _AGGREGATES_KEPT:
                _aggregates.popitem(last=False)
    # A copy: what a caller does with its aggregate never reaches the kept one.
    return copy.deepcopy(found)


# The last two aggregates, keyed by a digest of everything `aggregate_round` was given: the same
# rows, exclusions and settings give the same aggregate, so showing a ranking again with nothing
# changed does not aggregate again, while any change (a sheet, a seat, a conflict, a setting)
# changes the digest. What is read from the database is read every time.
_AGGREGATES_KEPT = 2  # a cycle's two rounds; each is a few MB for 2,000 applications (a worker's memory, issue 23)
_aggregates: OrderedDict[bytes, RoundAggregate] = OrderedDict()
_aggregates_lock = threading.Lock()


def forget_reused_computations() -> None:
    """Drop the kept aggregates, robustness checks and conflict matrices (benchmarks time the cold path with
    this)."""
    with _aggregates_lock:
        _aggregates.clear()
    forget_reused_checks()
    forget_reused_matrices()


def _aggregate_digest(rows_digest: bytes, layout: RubricLayout, arguments: Mapping[str, Any]) -> bytes:
    """A digest of `aggregate_round`'s inputs: the score rows (by the digest of what they were read
    from), the layout, the exclusions with their reasons, the settings and any consensus sheets."""
    digest = hashlib.blake2b(rows_digest, digest_size=24)
    digest.update(repr((layout, sorted((k, v) for k, v in arguments.items() if k != "consensus"))).encode())
    consensus = arguments["consensus"]
    if consensus is not None:
        for column in (consensus.application_id, consensus.item_id, consensus.points):
            column = np.ascontiguousarray(column)
            digest.update(f"|{column.dtype.str}{column.shape}|".encode())
            digest.update(repr(column.tolist()).encode() if column.dtype.hasobject else column.tobytes())
    return digest.digest()


# --- the ranking of a cycle ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CycleRanking(RankedCycle):
    """The ranked cycle with the database rows it came from (the ranking page, the exports, the freeze)."""

    cycle: Cycle
    document_round: ReviewRound | None
    onsite_round: ReviewRound | None
    presentation_round: ReviewRound | None

    def round_of(self, kind: str) -> ReviewRound | None:
        return {"document": self.document_round, "onsite": self.onsite_round,
                "presentation": self.presentation_round}.get(kind)

    def rounds_used(self) -> list[tuple[str, ReviewRound]]:
        """(kind, round) of the rounds the ranking read, in the order they run."""
        return [(kind, r) for kind in ROUND_KINDS if (r := self.round_of(kind)) is not None]


# The round kind of each scored step of a procedure.
STEP_KIND = {Step.DOCUMENT_REVIEW: "document", Step.PRESENTATION: "presentation", Step.ONSITE_REVIEW: "onsite"}


def procedure_weights(cycle: Cycle, rubric: Rubric, forms: Mapping[str, Rubric]) -> RoundWeights | None:
    """The procedure's frozen weights when they decide the ranking: a procedure with a presentation round.
    Cycles of the earlier shape (document review, with or without on-site review) keep the ranking settings'
    combination (replace or weighted), so that they rank exactly as before."""
    chosen = procedure_of(cycle)
    if not chosen.has(Step.PRESENTATION):
        return None
    return RoundWeights(weights={STEP_KIND[step]: weight for step, weight in chosen.weights.items()},
                        form_totals={kind: forms[kind].total if kind in forms else rubric.total
                                     for kind in STEP_KIND.values()},
                        scale_to=rubric.total)


def _applications(session: Session, cycle: Cycle) -> dict[int, ApplicationInfo]:
    rows = _driver_tuples(session, (
        select(Application.id, Application.org_name, Organization.name, Application.sector, Application.district,
               Organization.credit_code)
        .join(Organization, Organization.id == Application.organization_id)
        .where(Application.cycle_id == cycle.id, Application.status == RANKABLE)
        .order_by(Application.id)
    ))
    return {
        r[0]: ApplicationInfo(id=r[0], name=r[1] or r[2], sector=r[3] or "", district=r[4] or "", credit_code=r[5])
        for r in rows
    }


def _seated(session: Session, review_round: ReviewRound, applications: Sequence[int]) -> list[int]:
    return list(session.scalars(
        select(Assignment.application_id).distinct()
        .where(Assignment.round_id == review_round.id, Assignment.application_id.in_(list(applications)))
    ).all())


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one computation (reference counting still frees
    everything at once).

    A ranking holds tens of thousands of Python objects while it runs (rows, applications, conflicts,
    entries). With the collector on, its young-generation passes promoted them to the oldest generation
    while alive, and every few computations that growth set off a full collection of the worker's whole
    heap: a fifth of the ranking's time on the bench (docs/performance.md). Paused, they are freed by their
    reference counts when the computation drops them and never reach the old generation. Process-wide, as
    the collector is: another thread's pause ending first only turns it on early."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compute_ranking(session: Session, cycle: Cycle) -> CycleRanking:
    """Aggregate the cycle's rounds, combine them, re-check the blacklist, rank and test robustness.

    A procedure with a presentation round combines its scored rounds by its frozen weights (each round on its
    own form, brought to the rubric's total); any other ranks as before (`procedure_weights`)."""
    with _cyclic_gc_paused():
        return _compute_ranking(session, cycle)


def _compute_ranking(session: Session, cycle: Cycle) -> CycleRanking:
    rubric = cycle_rubric(cycle)
    settings = effective_settings(session, cycle, rubric)
    layout = layout_of(rubric)
    applications = _applications(session, cycle)
    rounds = review_rounds(session, cycle)
    document_round = rounds.get(RoundKind.DOCUMENT)
    onsite_round = rounds.get(RoundKind.ONSITE)
    if onsite_round is not None and RoundStatus(onsite_round.status) is RoundStatus.SETUP:
        onsite_round = None  # nothing scored yet: rank on the document round alone
    presentation_round = rounds.get(RoundKind.PRESENTATION)
    if presentation_round is not None and RoundStatus(presentation_round.status) is RoundStatus.SETUP:
        presentation_round = None  # nothing scored yet: its weight leaves every application unranked
    forms = {"presentation": round_rubric(presentation_round)} if presentation_round is not None else {}
    weights = procedure_weights(cycle, rubric, forms)

    hits = blacklist_hits(session, [info.credit_code for info in applications.values()])
    blacklist = {
        info.id: [entry.source for entry in hits[info.credit_code.upper()]]
        for info in applications.values() if info.credit_code.upper() in hits
    }
    document: RoundAggregate | None = None
    onsite: RoundAggregate | None = None
    presentation: RoundAggregate | None = None
    if document_round is not None:
        document = aggregate_review_round(session, cycle, document_round, layout,
                                          min_sheets_for_leniency=settings.min_sheets_for_leniency,
                                          applications=list(applications))
    if document_round is not None and onsite_round is not None:
        onsite = aggregate_review_round(session, cycle, onsite_round, layout,
                                        min_sheets_for_leniency=settings.min_sheets_for_leniency,
                                        applications=_seated(session, onsite_round, list(applications)))
    if document_round is not None and presentation_round is not None and weights is not None:
        presentation = aggregate_review_round(session, cycle, presentation_round, layout_of(forms["presentation"]),
                                              min_sheets_for_leniency=settings.min_sheets_for_leniency,
                                              applications=_seated(session, presentation_round, list(applications)))
    ranked = rank_rounds(rubric, settings, document, onsite, applications=applications, blacklist=blacklist,
                         vetoed=social.vetoes(session, cycle), presentation=presentation, weights=weights)
    figures = {field.name: getattr(ranked, field.name) for field in dataclasses.fields(ranked)}
    return CycleRanking(**figures, cycle=cycle, document_round=document_round, onsite_round=onsite_round,
                        presentation_round=presentation_round if weights is not None else None)


# --- freezing --------------------------------------------------------------------------------


def current_snapshot(session: Session, cycle: Cycle) -> RankingSnapshot | None:
    """The latest frozen ranking of the cycle: what the leading group votes on."""
    return session.scalars(
        select(RankingSnapshot).where(RankingSnapshot.cycle_id == cycle.id)
        .order_by(RankingSnapshot.version.desc()).limit(1)
    ).first()


def shortlist_levels(session: Session, cycle: Cycle) -> dict[int, int]:
    """{application id: award level} of the latest frozen shortlist; {} when the cycle has one level."""
    snapshot = current_snapshot(session, cycle)
    if snapshot is None:
        return {}
    return {entry.application_id: entry.level for entry in snapshot.entries
            if entry.in_shortlist and entry.level is not None}


def frozen_levels(session: Session, cycle: Cycle) -> AwardLevels:
    """The award levels as the latest frozen shortlist used them (the cycle's own before any freeze)."""
    snapshot = current_snapshot(session, cycle)
    if snapshot is None:
        return AwardLevels.of(cycle.award_settings)
    return AwardLevels.from_list((snapshot.settings or {}).get("levels"))


def freeze_shortlist(session: Session, *, actor: User | None, cycle: Cycle,
                     now: dt.datetime | None = None) -> RankingSnapshot:
    """Freeze the cycle's ranking and shortlist for the leading group, with audit records.

    One audit record per exclusion and per dishonesty-list hit, then one for the snapshot.
    Allowed in deliberation only; freezing again adds a new version (the latest counts).
    """
    _require_office(actor)
    if cycle.stage is not Stage.DELIBERATION:
        raise Conflict(_("The shortlist can be frozen only while the cycle is in ranking and shortlist."),
                          code="wrong_stage")
    ranking = compute_ranking(session, cycle)
    if not any(entry.rank is not None for entry in ranking.entries):
        raise Conflict(_("No application can be ranked yet."), code="nothing_ranked")
    levels = AwardLevels.of(cycle.award_settings)
    rows = assign_levels(snapshot_rows(ranking), levels)
    version = (session.scalar(select(func.max(RankingSnapshot.version))
                              .where(RankingSnapshot.cycle_id == cycle.id)) or 0) + 1
    rounds = {kind: r.id for kind, r in ranking.rounds_used()}
    weighted = ranking.weights is not None
    snapshot = RankingSnapshot(
        cycle_id=cycle.id, version=version, method=ranking.method or "",
        combine_mode=(CombineMode.WEIGHTED.value if weighted else ranking.settings.combine_mode.value)
        if ranking.combined else None,
        onsite_weight=(ranking.weights.weights.get("onsite", Decimal("0")) if ranking.weights is not None
                       else Decimal(str(ranking.settings.onsite_weight))) if ranking.combined else None,
        cutoff_score=cycle.cutoff_score, awards_count=cycle.awards_count, frozen_at=now or utcnow(),
        settings={
            "rounds": rounds,
            "tie_break": list(ranking.settings.tie_break),
            "sector_limits": ranking.settings.sector_limits,
            "min_sheets_for_leniency": ranking.settings.min_sheets_for_leniency,
            "robustness_basis": ranking.robustness_basis,
            "rubric_hash": cycle.rubric_hash,
            # Which record each round counted: its independent sheets or its panel consensus.
            "counts": {kind: CountedRecord(r.counts).value for kind, r in ranking.rounds_used()},
            # The procedure's weights, when they combined the rounds (a procedure with a presentation round).
            **({"weights": ranking.weights.as_dict()} if ranking.weights is not None else {}),
            **({"levels": levels.as_list()} if levels else {}),
        },
        content_hash=content_hash(rows),
        frozen_by_id=actor.id if actor is not None else None,
    )
    for row in rows:
        snapshot.entries.append(ShortlistEntry(
            position=row["position"], application_id=row["application_id"], rank=row["rank"],
            organization_name=row["organization_name"][:200], sector=row["sector"], status=row["status"],
            sheet_count=row["sheet_count"], total=Decimal(row["total"]) if row["total"] is not None else None,
            categories=row["categories"], method_totals=row["method_totals"], items=row["items"],
            mean_z=Decimal(row["mean_z"]) if row["mean_z"] is not None else None, decided_by=row["decided_by"],
            in_shortlist=row["in_shortlist"], reason=row["reason"], exclusions=row["exclusions"],
            flags=row["flags"], robustness=row["robustness"], flipped_by=row["flipped_by"],
            counted=row["counted"], independent=row["independent"], level=row.get("level"),
        ))
    session.add(snapshot)
    session.flush()
    for kind, exclusion in ranking.exclusions:
        review_round = ranking.round_of(kind)
        record(session, actor=actor, action="ranking.sheet_excluded", target_type="application",
               target_id=int(exclusion.application_id), cycle_id=cycle.id,
               after={"snapshot_version": version, "round": kind, "round_id": review_round.id if review_round else None,
                      "expert_id": exclusion.expert_id, "expert_label": exclusion.expert_label,
                      "reason": exclusion.reason, "sheet_found": exclusion.matched})
    for app_id, sources in sorted(ranking.blacklist.items()):
        record(session, actor=actor, action="ranking.blacklisted", target_type="application", target_id=app_id,
               cycle_id=cycle.id, after={"snapshot_version": version, "sources": sources})
    record(session, actor=actor, action="ranking.frozen", target_type="ranking_snapshot", target_id=snapshot.id,
           cycle_id=cycle.id,
           after={"version": version, "method": snapshot.method, "content_hash": snapshot.content_hash,
                  "cutoff_score": str(cycle.cutoff_score), "awards_count": cycle.awards_count,
                  "shortlist": [r["application_id"] for r in rows if r["in_shortlist"]],
                  **({"levels": {r["application_id"]: r["level"] for r in rows if r["in_shortlist"]}}
                     if levels else {})})
    return snapshot


@guard_leaving(Stage.DELIBERATION)
def _shortlist_frozen(session: Session, cycle: Cycle, now: Any) -> list[str]:
    if current_snapshot(session, cycle) is None:
        return [_("Freeze the shortlist before submitting it to the leading group.")]
    return []
