"""Panels on the database: the solver's problem built from the pool, draws, replays, manual changes.

A run (optimal or seeded random draw) reads the round's eligible applications, the available
experts with their sectors, organizations and load caps, and every known conflict; it stores the
solver's input (instance JSON), its SHA-256 and the result in an `AssignmentDraw`, the panels as
`Assignment` rows, and the whole draw in the audit trail, so that a supervisor can re-run it and
get the same panels. Manual changes (replace, add, leader) are checked against the same rules.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.assignment.instance import (
    DEFAULT_MAX_PAIR_PROBABILITY,
    draw_outcome,
    instance_hash,
    parse_instance,
    replay_instance,
    result_to_json,
    solve_instance,
)
from award.assignment.solver import AssignmentResult, Reason, choose_leader
from award.audit.services import record
from award.auth.models import Role, User
from award.conflicts.rules import Conflict as CoiConflict
from award.conflicts.services import avoid_soft_pairs, conflicted_pairs, has_conflict, soft_pairs
from award.cycles.models import Cycle, Stage
from award.cycles.stages import STAGE_LABELS, stage_sequence
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.jobs.models import Job
from award.jobs.services import active_job, latest_job, start_job
from award.pool.models import ExpertAvailability, ExpertProfile
from award.rounds import notices
from award.rounds.access import require_office
from award.rounds.models import (
    Assignment,
    AssignmentDraw,
    AssignmentSource,
    AssignmentStatus,
    ReviewRound,
    RoundKind,
    RoundStatus,
)

SEED_LIMIT = 2**31 - 1  # fits the Integer column on both databases


# --------------------------------------------------------------------------- inputs from the DB


@dataclass(frozen=True, kw_only=True)
class PoolExpert:
    user: User
    profile: ExpertProfile
    max_load: int | None

    @property
    def organization(self) -> str:
        # Without a declared organization the expert shares it with nobody.
        return (self.profile.organization_code or "").strip().upper() or f"expert-{self.user.id}"


def round_applications(session: Session, review_round: ReviewRound) -> list[Application]:
    """The applications a round reviews: the cycle's eligible ones."""
    return list(session.scalars(select(Application).where(
        Application.cycle_id == review_round.cycle_id, Application.status == ApplicationStatus.ELIGIBLE,
    ).order_by(Application.id)))


def pool_experts(session: Session, cycle: Cycle) -> dict[int, PoolExpert]:
    """Experts in the pool, enabled, and not marked unavailable for this cycle; by user id."""
    rows: Sequence[tuple[ExpertProfile, ExpertAvailability | None]] = session.execute(  # an outer join
        select(ExpertProfile, ExpertAvailability)
        .join(User, User.id == ExpertProfile.user_id)
        .outerjoin(ExpertAvailability, (ExpertAvailability.expert_id == ExpertProfile.id)
                   & (ExpertAvailability.cycle_id == cycle.id))
        .where(ExpertProfile.in_pool.is_(True), User.is_enabled.is_(True), User.role == Role.EXPERT)
        .order_by(ExpertProfile.user_id)
    ).all()
    pool = {}
    for profile, availability in rows:
        if availability is not None and not availability.available:
            continue
        pool[profile.user_id] = PoolExpert(user=profile.user, profile=profile,
                                           max_load=availability.max_load if availability else None)
    return pool


def conflict_pairs(session: Session, cycle: Cycle) -> set[tuple[int, int]]:
    """Every (application id, expert user id) pair with a conflict: detected and pinned."""
    return conflicted_pairs(session, cycle)


def build_instance(session: Session, review_round: ReviewRound) -> dict[str, Any]:
    """The solver's JSON instance for a round (ids: application ids and expert user ids)."""
    cycle = review_round.cycle
    applications = round_applications(session, review_round)
    pool = pool_experts(session, cycle)
    app_ids = {a.id for a in applications}
    conflicts = sorted([a, e] for a, e in conflict_pairs(session, cycle) if a in app_ids and e in pool)
    soft = sorted([a, e] for a, e in soft_pairs(session, cycle, application_ids=app_ids) if e in pool)
    instance: dict[str, Any] = {
        "reviewers_per_application": review_round.experts_per_application,
        "applications": [{"id": a.id, "sector": a.sector or "-"} for a in applications],
        "experts": [{"id": user_id, "sectors": sorted(p.profile.sectors or []), "organization": p.organization,
                     "max_load": p.max_load} for user_id, p in pool.items()],
        "conflicts": conflicts,
    }
    if soft and avoid_soft_pairs(session, cycle):  # the cycle says: never seat a soft pair
        instance["conflicts"] = sorted(conflicts + soft)
    elif soft:  # seated only when no clear expert can take the seat (a penalty in the objective)
        instance["soft_pairs"] = soft
    return instance


# --------------------------------------------------------------------------- runs and replays


# The stage each round is scored in; its panels may be formed from the first stage named here on.
SETUP_STAGES: dict[RoundKind, tuple[Stage, Stage]] = {
    RoundKind.DOCUMENT: (Stage.SCREENING, Stage.DOCUMENT_REVIEW),
    RoundKind.ONSITE: (Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW),
    RoundKind.PRESENTATION: (Stage.DOCUMENT_REVIEW, Stage.PRESENTATION),
}


def setup_stages(cycle: Cycle, kind: RoundKind) -> tuple[Stage, ...]:
    """The stages in which the round's panels may be formed: from the first stage of SETUP_STAGES to the
    round's own stage, in the cycle's procedure order (on-site panels are formed during the presentation
    round when the presentation comes first)."""
    first, last = SETUP_STAGES[kind]
    order = stage_sequence(cycle)
    if first not in order or last not in order:
        return ()
    return order[order.index(first):order.index(last) + 1]


def _require_setup(session: Session, review_round: ReviewRound) -> None:
    if review_round.status is not RoundStatus.SETUP:
        raise Conflict(_("Panels can only be drawn while the round is in preparation."), code="round_not_setup")
    first, last = SETUP_STAGES[review_round.kind]
    if review_round.cycle.stage not in setup_stages(review_round.cycle, review_round.kind):
        raise Conflict(_("The panels of this round can only be drawn from “%(first)s” to “%(last)s”.",
                         first=STAGE_LABELS[first], last=STAGE_LABELS[last]), code="wrong_stage")
    # Signing the pledge opens the seat's score sheet (scoring.services.sign_pledge): scoring has
    # started in the round once any seat has signed.
    started = session.scalar(select(func.count(Assignment.id))
                             .where(Assignment.round_id == review_round.id, Assignment.pledge_signed_at.is_not(None)))
    if started:
        raise Conflict(_("Scoring has started in this round; change panels one expert at a time."),
                          code="scoring_started")


@dataclass(frozen=True, kw_only=True)
class DrawPlan:
    """What a run solves: the round's instance (with the seed and the pairing cap of a random draw)."""

    round_id: int
    mode: AssignmentSource
    seed: int | None
    max_pair_probability: float
    instance: dict[str, Any]

    @property
    def size(self) -> int:
        """Applications × pool experts: what the solver's time grows with."""
        return len(self.instance["applications"]) * len(self.instance["experts"])


def plan_assignment(
    session: Session, *, actor: User | None, review_round: ReviewRound, mode: AssignmentSource,
    seed: int | None = None, max_pair_probability: float = DEFAULT_MAX_PAIR_PROBABILITY,
) -> DrawPlan:
    """Check that the office may form the round's panels now and build the solver's instance (a random
    draw's seed is chosen here when none is given)."""
    require_office(actor)
    if mode is AssignmentSource.MANUAL:
        raise Invalid(_("Choose the optimal or the randomized mode."), code="bad_mode")
    _require_setup(session, review_round)
    if not 0 < max_pair_probability <= 1:
        raise Invalid(_("The pairing probability cap must be above 0 and at most 1."), code="bad_cap")
    instance = build_instance(session, review_round)
    if not instance["applications"]:
        raise Conflict(_("There are no eligible applications to assign."), code="no_applications")
    if mode is AssignmentSource.RANDOMIZED:
        seed = secrets.randbelow(SEED_LIMIT) if seed is None else seed
        if not 0 <= seed <= SEED_LIMIT:
            raise Invalid(_("The seed must be a whole number between 0 and %(max)s.", max=SEED_LIMIT),
                              code="bad_seed")
        instance["seed"] = seed
        instance["max_pair_probability"] = max_pair_probability
    else:
        seed = None
    return DrawPlan(round_id=review_round.id, mode=mode, seed=seed, max_pair_probability=max_pair_probability,
                    instance=instance)


def solve_plan(plan: DrawPlan) -> tuple[str, AssignmentResult]:
    """The instance's SHA-256 and the solver's result (no database: the long part of a large draw)."""
    parsed = parse_instance(plan.instance)
    return instance_hash(parsed), solve_instance(parsed)


def _store_draw(session: Session, *, actor: User | None, review_round: ReviewRound, plan: DrawPlan,
                     digest: str, result: AssignmentResult) -> AssignmentDraw:
    """Replace the round's panels by the solved ones and record the draw (instance, seed, result) and its
    audit record."""
    result_json = result_to_json(result, input_hash=digest)
    result_json.pop("seconds", None)  # timing is not part of the outcome
    previous = _current_pairs(session, review_round)
    session.execute(delete(Assignment).where(Assignment.round_id == review_round.id))
    draw = AssignmentDraw(round_id=review_round.id, mode=plan.mode, seed=plan.seed,
                          max_pair_probability=(Decimal(str(plan.max_pair_probability))
                                                if plan.seed is not None else None),
                          instance=plan.instance, input_hash=digest, result=result_json,
                          created_by_id=actor.id if actor else None)
    session.add(draw)
    session.flush()
    _store_panels(session, review_round, draw, result)
    record(session, actor=actor, action="review.panels_drawn", target_type="assignment_draw", target_id=draw.id,
           cycle_id=review_round.cycle_id, before={"assignments": previous},
           after={"round_id": review_round.id, "mode": plan.mode.value, "seed": plan.seed,
                  "max_pair_probability": plan.instance.get("max_pair_probability"), "input_hash": digest,
                  **draw_outcome(result_json)})
    return draw


def run_assignment(
    session: Session, *, actor: User | None, review_round: ReviewRound, mode: AssignmentSource,
    seed: int | None = None, max_pair_probability: float = DEFAULT_MAX_PAIR_PROBABILITY,
) -> AssignmentDraw:
    """Form every panel of a round afresh, optimally or by a seeded random draw, here and now.

    The round's previous panels are replaced. Applications that cannot be covered keep no panel
    and the draw's result says why (reasons per application)."""
    plan = plan_assignment(session, actor=actor, review_round=review_round, mode=mode, seed=seed,
                           max_pair_probability=max_pair_probability)
    digest, result = solve_plan(plan)
    return _store_draw(session, actor=actor, review_round=review_round, plan=plan, digest=digest,
                            result=result)


# --------------------------------------------------------------------------- large draws as jobs

DRAW_KIND = "rounds.draw"


def _draw_identity(review_round: ReviewRound) -> dict[str, Any]:
    return {"round_id": review_round.id}


def running_draw(session: Session, review_round: ReviewRound) -> Job | None:
    """The draw job of the round that is queued or running, if any."""
    return active_job(session, kind=DRAW_KIND, inputs=_draw_identity(review_round))


def latest_draw_job(session: Session, review_round: ReviewRound) -> Job | None:
    return latest_job(session, kind=DRAW_KIND, inputs=_draw_identity(review_round))


def draw_panels(
    session: Session, *, actor: User | None, review_round: ReviewRound, mode: AssignmentSource,
    seed: int | None = None, max_pair_probability: float = DEFAULT_MAX_PAIR_PROBABILITY, job_above: int,
) -> AssignmentDraw | Job:
    """Form the round's panels: here for a pool of at most ``job_above`` applications × experts, else as a
    job of the worker (the same draw, stored the same way, once solved). While a draw of the round runs as
    a job, starting another gives that job."""
    running = running_draw(session, review_round)
    if running is not None:
        require_office(actor)
        return running
    plan = plan_assignment(session, actor=actor, review_round=review_round, mode=mode, seed=seed,
                           max_pair_probability=max_pair_probability)
    if plan.size <= job_above:
        digest, result = solve_plan(plan)
        return _store_draw(session, actor=actor, review_round=review_round, plan=plan, digest=digest,
                                result=result)
    job, _created = start_job(session, started_by=actor, kind=DRAW_KIND, same_as=_draw_identity(review_round),
                              inputs={**_draw_identity(review_round), "cycle_id": review_round.cycle_id,
                                      "mode": plan.mode.value, "seed": plan.seed,
                                      "max_pair_probability": plan.max_pair_probability})
    return job


def run_draw_job(session: Session, *, actor: User | None, review_round: ReviewRound, inputs: dict[str, Any],
                 end_read: Callable[[], None]) -> AssignmentDraw:
    """The worker's part of a large draw: plan with the job's seed, end the read, solve, then check again
    (the round still in preparation, the same instance) and store it as a draw in the request would be."""
    mode, seed = AssignmentSource(inputs["mode"]), inputs.get("seed")
    cap = float(inputs["max_pair_probability"])
    plan = plan_assignment(session, actor=actor, review_round=review_round, mode=mode, seed=seed,
                           max_pair_probability=cap)
    end_read()  # the solver may take half a minute: no transaction (no write lock on SQLite) meanwhile
    digest, result = solve_plan(plan)
    review_round = session.get(ReviewRound, review_round.id) or review_round
    again = plan_assignment(session, actor=actor, review_round=review_round, mode=mode, seed=seed,
                            max_pair_probability=cap)
    if again.instance != plan.instance:
        raise Conflict(_("The pool, the applications or the conflicts changed while the panels were drawn; "
                         "try again."), code="draw_changed")
    return _store_draw(session, actor=actor, review_round=review_round, plan=plan, digest=digest,
                            result=result)


def _current_pairs(session: Session, review_round: ReviewRound) -> list[list[int]]:
    return [[a, e] for a, e in session.execute(
        select(Assignment.application_id, Assignment.expert_id)
        .where(Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(Assignment.application_id, Assignment.expert_id))]


def _store_panels(session: Session, review_round: ReviewRound, draw: AssignmentDraw,
                  result: AssignmentResult) -> None:
    for app_id, panel in result.panels.items():
        for expert_id in panel:
            session.add(Assignment(round_id=review_round.id, application_id=app_id, expert_id=expert_id,
                                   is_leader=result.leaders.get(app_id) == expert_id, source=draw.mode,
                                   draw_id=draw.id, status=AssignmentStatus.ACTIVE))
    session.flush()


def draw_reasons(draw: AssignmentDraw) -> dict[int, list[str]]:
    """Messages per application id: why it could not be covered, or a warning on its panel."""
    return {int(app): [r["message"] for r in reasons] for app, reasons in draw.result.get("reasons", {}).items()}


@dataclass(frozen=True, kw_only=True)
class DrawReplay:
    """A re-run of a stored draw: does the stored input still hash the same, same panels?"""

    draw_id: int
    hash_matches: bool
    panels_match: bool
    stored_hash: str
    recomputed_hash: str
    only_in_stored: list[list[int]] = field(default_factory=list)
    only_in_replay: list[list[int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.hash_matches and self.panels_match


def replay_draw(session: Session, *, actor: User | None, draw: AssignmentDraw) -> DrawReplay:
    """Re-run a draw from its stored instance and seed and compare with its stored result."""
    if actor is not None and actor.role not in (Role.OFFICE, Role.SUPERVISOR):
        raise NotAllowed(_("Only the office and the supervisor can re-run a draw."), code="not_allowed")
    recomputed, replayed = replay_instance(draw.instance, draw.result)
    stored = draw_outcome(draw.result)
    stored_pairs = {tuple(p) for p in stored["assignments"]}
    replay_pairs = {tuple(p) for p in replayed["assignments"]}
    replay = DrawReplay(
        draw_id=draw.id, hash_matches=recomputed == draw.input_hash, panels_match=stored == replayed,
        stored_hash=draw.input_hash, recomputed_hash=recomputed,
        only_in_stored=sorted(list(p) for p in stored_pairs - replay_pairs),
        only_in_replay=sorted(list(p) for p in replay_pairs - stored_pairs),
    )
    cycle_id = session.scalar(select(ReviewRound.cycle_id).where(ReviewRound.id == draw.round_id))
    record(session, actor=actor, action="review.draw_replayed", target_type="assignment_draw", target_id=draw.id,
           cycle_id=cycle_id, after={"hash_matches": replay.hash_matches, "panels_match": replay.panels_match,
                                     "recomputed_hash": recomputed})
    return replay


def draws_of(session: Session, review_round: ReviewRound) -> list[AssignmentDraw]:
    return list(session.scalars(select(AssignmentDraw).where(AssignmentDraw.round_id == review_round.id)
                                .order_by(AssignmentDraw.id.desc())))


# --------------------------------------------------------------------------- panels as they are


@dataclass(kw_only=True)
class PanelView:
    application: Application
    members: list[Assignment]  # active, leader first
    vacated: list[Assignment]  # conflict declared or removed
    size: int

    @property
    def leader(self) -> Assignment | None:
        return next((m for m in self.members if m.is_leader), None)

    @property
    def missing(self) -> int:
        return max(self.size - len(self.members), 0)

    @property
    def replacements_due(self) -> int:
        """Seats left empty by a declared conflict or a removal."""
        return min(self.missing, len(self.vacated))


def panels_of_round(session: Session, review_round: ReviewRound) -> list[PanelView]:
    applications = round_applications(session, review_round)
    assignments = session.scalars(select(Assignment).where(Assignment.round_id == review_round.id)
                                  .order_by(Assignment.is_leader.desc(), Assignment.expert_id)).all()
    panels = {a.id: PanelView(application=a, members=[], vacated=[], size=review_round.experts_per_application)
              for a in applications}
    for assignment in assignments:
        panel = panels.get(assignment.application_id)
        if panel is None:  # no longer eligible: not shown
            continue
        (panel.members if assignment.status is AssignmentStatus.ACTIVE else panel.vacated).append(assignment)
    return list(panels.values())


def soft_signals_of_round(session: Session, review_round: ReviewRound) -> dict[tuple[int, int], list[CoiConflict]]:
    """The round's active seats whose expert has only soft signals (需关注) with the applicant."""
    seats = {(application_id, expert_id) for application_id, expert_id in session.execute(
        select(Assignment.application_id, Assignment.expert_id).where(
            Assignment.round_id == review_round.id, Assignment.status == AssignmentStatus.ACTIVE))}
    if not seats:
        return {}
    found = soft_pairs(session, review_round.cycle, application_ids={a for a, _e in seats})
    return {pair: signals for pair, signals in found.items() if pair in seats}


def panel_problems_of_round(session: Session, review_round: ReviewRound) -> list[str]:
    """Why scoring cannot open: applications without a full panel or without a team leader."""
    problems = []
    panels = panels_of_round(session, review_round)
    if not panels:
        problems.append(_("There are no eligible applications in this cycle."))
    for panel in panels:
        name = panel.application.org_name or f"#{panel.application.id}"
        if panel.missing:
            problems.append(_("%(name)s has %(count)s of %(size)s experts.", name=name,
                              count=len(panel.members), size=panel.size))
        elif panel.leader is None:
            problems.append(_("%(name)s has no team leader.", name=name))
    return problems


# --------------------------------------------------------------------------- manual changes


@dataclass
class _Context:
    """What every rule check of one panel needs, loaded once."""

    review_round: ReviewRound
    application: Application
    pool: dict[int, PoolExpert]
    conflicts: set[tuple[int, int]]
    panel: list[Assignment]  # active members
    used_pairs: set[int]  # experts with any assignment on this panel in this round
    loads: dict[int, int]
    default_cap: int


def _context(session: Session, review_round: ReviewRound, application: Application) -> _Context:
    cycle = review_round.cycle
    pool = pool_experts(session, cycle)
    rows = session.scalars(select(Assignment).where(Assignment.round_id == review_round.id,
                                                    Assignment.application_id == application.id)).all()
    loads = dict(session.execute(
        select(Assignment.expert_id, func.count()).where(Assignment.round_id == review_round.id,
                                                         Assignment.status == AssignmentStatus.ACTIVE)
        .group_by(Assignment.expert_id)).all())
    able = sum(1 for p in pool.values() if p.max_load is None or p.max_load > 0)
    seats = review_round.experts_per_application * len(round_applications(session, review_round))
    return _Context(review_round=review_round, application=application, pool=pool,
                    conflicts=conflict_pairs(session, cycle),
                    panel=[r for r in rows if r.status is AssignmentStatus.ACTIVE],
                    used_pairs={r.expert_id for r in rows}, loads=loads,
                    default_cap=math.ceil(seats / able) if able else 0)


def _base_problems(ctx: _Context, expert_id: int, leaving: Assignment | None) -> list[str]:
    expert = ctx.pool.get(expert_id)
    if expert is None:
        return [_("This expert is not in the pool or not available in this cycle.")]
    problems = []
    remaining = [m for m in ctx.panel if m is not leaving]
    if expert_id in ctx.used_pairs:
        problems.append(_("This expert is or was already on this panel."))
    if (ctx.application.id, expert_id) in ctx.conflicts:
        problems.append(_("This expert has a conflict of interest with the applicant."))
    organizations = {ctx.pool[m.expert_id].organization for m in remaining if m.expert_id in ctx.pool}
    if expert.organization in organizations:
        problems.append(_("Another expert of the same organization is already on this panel."))
    cap = expert.max_load if expert.max_load is not None else ctx.default_cap
    if ctx.loads.get(expert_id, 0) >= cap:
        problems.append(_("This expert has reached the load cap of %(cap)s applications.", cap=cap))
    if len(remaining) + 1 > ctx.review_round.experts_per_application:
        problems.append(_("The panel is already full."))
    return problems


def _has_sector(ctx: _Context, expert_id: int) -> bool:
    expert = ctx.pool.get(expert_id)
    return expert is not None and ctx.application.sector in (expert.profile.sectors or [])


def member_problems(session: Session, *, review_round: ReviewRound, application: Application, expert_id: int,
                    leaving: Assignment | None = None) -> list[str]:
    """Every rule that putting this expert on the panel (in place of `leaving`) would break."""
    ctx = _context(session, review_round, application)
    return _member_problems(ctx, expert_id, leaving)


def _member_problems(ctx: _Context, expert_id: int, leaving: Assignment | None) -> list[str]:
    problems = _base_problems(ctx, expert_id, leaving)
    remaining = [m for m in ctx.panel if m is not leaving]
    # The sector rule holds whenever the pool allows: is there a sector expert who fits?
    if (not problems and not _has_sector(ctx, expert_id) and not any(_has_sector(ctx, m.expert_id) for m in remaining)
            and any(_has_sector(ctx, e) and not _base_problems(ctx, e, leaving) for e in ctx.pool)):
        problems.append(_("The panel needs an expert of sector %(sector)s, and one is available.",
                          sector=ctx.application.sector))
    return problems


@dataclass(frozen=True, kw_only=True)
class Candidate:
    user: User
    in_sector: bool
    load: int


def candidates(session: Session, *, review_round: ReviewRound, application: Application,
               leaving: Assignment | None = None) -> list[Candidate]:
    """Experts who may take the seat, best first: sector experts, then the least loaded."""
    ctx = _context(session, review_round, application)
    found = [Candidate(user=ctx.pool[e].user, in_sector=_has_sector(ctx, e), load=ctx.loads.get(e, 0))
             for e in ctx.pool if not _member_problems(ctx, e, leaving)]
    return sorted(found, key=lambda c: (not c.in_sector, c.load, c.user.id))


def _ensure_leader(session: Session, review_round: ReviewRound, application: Application) -> Assignment | None:
    """Give the panel a team leader if it has none: the sector expert with the smallest id."""
    members = session.scalars(select(Assignment).where(
        Assignment.round_id == review_round.id, Assignment.application_id == application.id,
        Assignment.status == AssignmentStatus.ACTIVE)).all()
    current = next((m for m in members if m.is_leader), None)
    if current is not None or not members:
        return current
    pool = pool_experts(session, review_round.cycle)
    affinity = {m.expert_id: float(m.expert_id in pool and application.sector in (pool[m.expert_id].profile.sectors
                                                                                  or [])) for m in members}
    leader_id = choose_leader(affinity.keys(), affinity)
    leader = next(m for m in members if m.expert_id == leader_id)
    leader.is_leader = True
    session.flush()
    return leader


def vacate_seat(session: Session, assignment: Assignment, *, status: AssignmentStatus, reason: str) -> None:
    """Take an expert off a panel (the row stays, with the reason); hand over the leadership."""
    was_leader = assignment.is_leader
    assignment.status = status
    assignment.status_reason = reason
    assignment.is_leader = False
    session.flush()
    if was_leader:
        _ensure_leader(session, assignment.round, assignment.application)


def _require_changeable(review_round: ReviewRound) -> None:
    if review_round.status is RoundStatus.CLOSED:
        raise Conflict(_("This round is closed; its panels can no longer change."), code="round_closed")


def _snapshot(assignment: Assignment) -> dict[str, object]:
    return {"application_id": assignment.application_id, "expert_id": assignment.expert_id,
            "status": assignment.status.value, "is_leader": assignment.is_leader,
            "reason": assignment.status_reason}


def _acknowledge_soft(session: Session, *, actor: User | None, review_round: ReviewRound, application_id: int,
                      expert_id: int, acknowledgement: str) -> None:
    """While scoring is open, seating a pair with a soft 回避 signal needs the office's reason, audited
    (before the round opens, opening it asks for every such pair at once)."""
    if review_round.status is not RoundStatus.OPEN:
        return
    signals = soft_pairs(session, review_round.cycle, application_ids=[application_id]).get(
        (application_id, expert_id))
    if not signals:
        return
    if not acknowledgement.strip():
        raise Conflict(_("%(count)d seated pair(s) need attention (soft conflict-of-interest signals). Read them "
                         "on the panels and acknowledge them with a reason before scoring opens.", count=1),
                       code="soft_signals_unacknowledged")
    record(session, actor=actor, action="review.soft_signals_acknowledged", target_type="review_round",
           target_id=review_round.id, cycle_id=review_round.cycle_id,
           after={"reason": acknowledgement.strip(), "pairs": [
               {"application_id": application_id, "expert_id": expert_id,
                "signals": [{"type": c.type.value, "evidence": list(c.evidence)} for c in signals]}]})


def replace_expert(
    session: Session, *, actor: User | None, assignment: Assignment, expert_id: int | None = None, reason: str = "",
    acknowledgement: str = "",
) -> Assignment:
    """Put another expert in this seat, keeping the rest of the panel. Without `expert_id` the
    best candidate is chosen. An active member is removed first, which needs a reason. In an open
    round the new expert is told to sign the pledge; a new pair with a soft signal needs an
    acknowledgement (else the removal's reason serves)."""
    require_office(actor)
    review_round = assignment.round
    _require_changeable(review_round)
    if assignment.status is AssignmentStatus.ACTIVE and not reason.strip():
        raise Invalid(_("Give a reason for taking this expert off the panel."), code="reason_required")
    if assignment.status is not AssignmentStatus.ACTIVE and _replaced(session, assignment):
        raise Conflict(_("This seat has already been filled."), code="already_replaced")
    leaving = assignment if assignment.status is AssignmentStatus.ACTIVE else None
    if expert_id is None:
        found = candidates(session, review_round=review_round, application=assignment.application, leaving=leaving)
        if not found:
            raise Conflict(_("No expert in the pool can take this seat without breaking a rule."),
                              code="no_candidate")
        expert_id = found[0].user.id
    problems = member_problems(session, review_round=review_round, application=assignment.application,
                               expert_id=expert_id, leaving=leaving)
    if problems:
        raise Conflict(" ".join(problems), code="rule_broken")
    _acknowledge_soft(session, actor=actor, review_round=review_round, application_id=assignment.application_id,
                      expert_id=expert_id, acknowledgement=acknowledgement or reason)
    before = _snapshot(assignment)
    if leaving is not None:
        vacate_seat(session, assignment, status=AssignmentStatus.REMOVED, reason=reason.strip())
    replacement = Assignment(round_id=review_round.id, application_id=assignment.application_id,
                             expert_id=expert_id, source=AssignmentSource.MANUAL, status=AssignmentStatus.ACTIVE,
                             status_reason=_("Replaces expert #%(id)s.", id=assignment.expert_id))
    session.add(replacement)
    session.flush()
    _ensure_leader(session, review_round, assignment.application)
    record(session, actor=actor, action="review.expert_replaced", target_type="assignment",
           target_id=replacement.id, cycle_id=review_round.cycle_id, before=before,
           after={**_snapshot(replacement), "replaced_assignment_id": assignment.id, "reason": reason.strip()})
    _tell_if_open(session, review_round, replacement)
    return replacement


def _replaced(session: Session, assignment: Assignment) -> bool:
    """Whether the panel is full again (so this vacated seat needs nobody)."""
    active = session.scalar(select(func.count(Assignment.id)).where(
        Assignment.round_id == assignment.round_id, Assignment.application_id == assignment.application_id,
        Assignment.status == AssignmentStatus.ACTIVE))
    return (active or 0) >= assignment.round.experts_per_application


def add_expert(
    session: Session, *, actor: User | None, review_round: ReviewRound, application: Application, expert_id: int,
    acknowledgement: str = "",
) -> Assignment:
    """Fill an empty seat of a panel by hand; in an open round, a pair with a soft signal needs an
    acknowledgement with a reason."""
    require_office(actor)
    _require_changeable(review_round)
    if application.cycle_id != review_round.cycle_id or application.status is not ApplicationStatus.ELIGIBLE:
        raise Conflict(_("This application is not reviewed in this round."), code="not_in_round")
    problems = member_problems(session, review_round=review_round, application=application, expert_id=expert_id)
    if problems:
        raise Conflict(" ".join(problems), code="rule_broken")
    _acknowledge_soft(session, actor=actor, review_round=review_round, application_id=application.id,
                      expert_id=expert_id, acknowledgement=acknowledgement)
    assignment = Assignment(round_id=review_round.id, application_id=application.id, expert_id=expert_id,
                            source=AssignmentSource.MANUAL, status=AssignmentStatus.ACTIVE)
    session.add(assignment)
    session.flush()
    _ensure_leader(session, review_round, application)
    record(session, actor=actor, action="review.expert_added", target_type="assignment", target_id=assignment.id,
           cycle_id=review_round.cycle_id, after=_snapshot(assignment))
    _tell_if_open(session, review_round, assignment)
    return assignment


def _tell_if_open(session: Session, review_round: ReviewRound, seat: Assignment) -> None:
    """A seat filled while scoring is open: its expert hears at once (opening the round tells the others)."""
    if review_round.status is RoundStatus.OPEN:
        notices.tell_assigned(session, [seat])


def set_leader(session: Session, *, actor: User | None, assignment: Assignment) -> Assignment:
    """Make this active member the panel's team leader (组长)."""
    require_office(actor)
    _require_changeable(assignment.round)
    if assignment.status is not AssignmentStatus.ACTIVE:
        raise Conflict(_("Only an active panel member can lead the panel."), code="not_active")
    if has_conflict(session, assignment.application, assignment.expert):
        # The leader proposes the consensus, which a conflicted expert may not do.
        raise Conflict(_("This expert has a conflict of interest with the applicant."), code="rule_broken")
    members = session.scalars(select(Assignment).where(
        Assignment.round_id == assignment.round_id, Assignment.application_id == assignment.application_id)).all()
    before = next((m.expert_id for m in members if m.is_leader), None)
    for member in members:
        member.is_leader = member is assignment
    session.flush()
    record(session, actor=actor, action="review.leader_set", target_type="assignment", target_id=assignment.id,
           cycle_id=assignment.round.cycle_id, before={"leader_expert_id": before},
           after={"leader_expert_id": assignment.expert_id, "application_id": assignment.application_id})
    return assignment


def unassignable_reasons(draw: AssignmentDraw) -> list[tuple[int, list[str]]]:
    """The applications a draw could not cover, with the reasons (for the office's page)."""
    reasons = draw_reasons(draw)
    return [(int(app), reasons.get(int(app), [])) for app in draw.result.get("unassignable", [])]


__all__ = [
    "Candidate", "DrawReplay", "PanelView", "PoolExpert", "Reason", "add_expert", "build_instance", "candidates",
    "conflict_pairs", "draw_reasons", "draws_of", "member_problems", "panel_problems_of_round", "panels_of_round",
    "soft_signals_of_round",
    "pool_experts", "replace_expert", "replay_draw", "round_applications", "run_assignment", "set_leader",
    "unassignable_reasons", "vacate_seat",
]
