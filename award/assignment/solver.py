"""Assignment of experts to applications: an optimal solver and a seeded random draw (双随机).

The rules (domain.md, "Assignment"), all hard unless said otherwise:
- every covered application gets exactly k experts (`reviewers_per_application`);
- no expert exceeds its load cap: its own `max_load`, else the problem's `default_max_load`, else
  the even spread ceil(k * applications / experts that can take work);
- no pair listed as a conflict of interest;
- soft pairs (回避 soft signals, 需关注) are avoided by a penalty: each costs `soft_penalty`
  affinity, so with affinities in [0, 1] and the default penalty a soft pair is seated only when
  no clear expert can take the seat (the office may make them conflicts instead, per cycle);
- no two experts of one organization on a panel;
- at least one expert of the applicant's sector, whenever a conflict-free expert of that sector
  exists in the pool (otherwise the panel is formed without one and the result says why);
- one team leader (组长) per panel: the member with the highest affinity, ties broken by the
  smallest expert id.

`solve_optimal` covers as many applications as possible and, among those assignments, maximizes
the total affinity (the sum of the expertise match of the assigned pairs). It is exact, and stays
exact under the sector rule, in this order:
1. The LP relaxation over every eligible pair, by column generation: a few promising pairs per
   application first, then every pair whose reduced cost is negative, until none is. The rounds
   run in one HiGHS instance (highspy, the HiGHS team's Python package: SciPy's linprog has no
   warm start), each re-solved by the dual simplex from the
   last optimal basis, so a round that adds a few columns costs milliseconds.
2. Without the sector rows this LP is a network flow (source -> expert, its load cap -> one node
   per (application, organization), capacity 1 -> application, k seats): its matrix is totally
   unimodular and the simplex's optimum is integral. The sector rows (at least one sector expert)
   are the only ones that can make it fractional. When the optimum is integral anyway (the usual
   case: a sector match is worth affinity), it is the integer optimum, proved by the LP bound,
   and no branch and bound runs.
3. Only when it is fractional, the integer program (HiGHS through scipy.optimize.milp, gap 1e-9)
   runs on the priced pairs, and every pair whose LP reduced cost could still beat the integer
   solution found is added before a last solve, which proves optimality over all pairs.
`bench/bench_assignment.py` times this against an exact min-cost flow in OR-Tools with the same
rules. Load is balanced by the cap: the default cap is the most even spread possible (no expert
reviews more than ceil(average)), and the office can lower or raise it per expert.

When some applications cannot be covered, the others are still assigned optimally (status
"infeasible"), and each uncovered application carries structured reasons (code + params + a
translated message). Reasons with code `no_sector_expert` are warnings on covered panels.

`solve_randomized` is OpenReview's randomized assignment: solve the fractional LP with every
pairing capped at probability q, then sample an integral assignment whose marginals equal the
fractional solution (dependent rounding of a flow, Gandhi et al. 2006), seeded and replayable:
every result names the SOLVER_VERSION it was computed with, and a replay runs that version's
algorithm, so a draw stored before a faster algorithm replays bit-identically (with the same
HiGHS: another may reach another optimal vertex of the LP). To
keep the organization and sector rules exact in every sample, an organization that has an expert
of the applicant's sector offers that applicant only its sector experts in this mode (it still
offers one panel seat, so no application loses feasibility through this).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

from award.i18n import _
from award.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp
else:
    np = lazy_module("numpy")  # imported by the first np.… a draw reads (award/lazy.py)

# SciPy is imported where a model is built or solved, not at the top: its optimize package costs
# about 0.4 s that every command and worker start would otherwise pay.

__all__ = [
    "DEFAULT_SOFT_PENALTY",
    "ApplicationSlot",
    "AssignmentProblem",
    "AssignmentResult",
    "ExpertSlot",
    "InvalidProblem",
    "Reason",
    "ReasonCode",
    "Status",
    "choose_leader",
    "default_load_cap",
    "greedy_assignment",
    "lp_bound",
    "solve_optimal",
    "solve_randomized",
]

Id = Hashable  # str or int ids chosen by the caller; all ids of one kind must be of one type
_ExpertId = TypeVar("_ExpertId", bound=Hashable)

# The algorithm a draw records (its result JSON's "solver_version"; absent means 1) and replays
# with. 1: column generation solved from scratch by linprog each round, the node-dict rounding
# (kept only to replay draws stored before 2). 2: warm-started column generation in one HiGHS
# instance (highspy), a capped LP started with 2*ceil(k/q)+5 columns per application, and the
# NumPy rounding. A change that can alter any draw's panels from the same seed and input gets a
# new version; the old one stays as its replay.
SOLVER_VERSION = 2
SOLVER_VERSIONS = (1, 2)

MIP_GAP = 1e-9
# Reduced costs within this of zero count as zero: HiGHS works to about 1e-7 on duals.
PRICE_TOL = 1e-7


class InvalidProblem(ValueError):
    """The problem itself is malformed (duplicate ids, unknown ids, k < 1 ...)."""


class Status(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"  # some applications could not be covered; the rest are optimal
    RANDOMIZED = "randomized"


class ReasonCode(StrEnum):
    TOO_FEW_EXPERTS = "too_few_experts"
    TOO_FEW_ORGANIZATIONS = "too_few_organizations"
    SECTOR_EXPERTS_EXHAUSTED = "sector_experts_exhausted"
    LOAD_CAPS_EXHAUSTED = "load_caps_exhausted"
    PROBABILITY_CAP_TOO_LOW = "probability_cap_too_low"
    NO_SECTOR_EXPERT = "no_sector_expert"  # a warning: the panel is formed without one


@dataclass(frozen=True, kw_only=True)
class Reason:
    """Why an application could not be covered (or, for NO_SECTOR_EXPERT, a warning)."""

    code: ReasonCode
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The reason in the reader's language (call inside a request or CLI context)."""
        p = dict(self.params)
        match self.code:
            case ReasonCode.TOO_FEW_EXPERTS:
                return _("needs %(needed)s experts free of conflicts, only %(available)s available",
                         **p)
            case ReasonCode.TOO_FEW_ORGANIZATIONS:
                return _("needs %(needed)s experts from distinct organizations, only "
                         "%(available)s available", **p)
            case ReasonCode.SECTOR_EXPERTS_EXHAUSTED:
                return _("only %(available)s experts in sector %(sector)s are free of conflicts, "
                         "and their load caps are taken by other panels", **p)
            case ReasonCode.LOAD_CAPS_EXHAUSTED:
                return _("needs %(needed)s experts from distinct organizations, but the load caps "
                         "of the %(available)s eligible experts are taken by other panels", **p)
            case ReasonCode.PROBABILITY_CAP_TOO_LOW:
                return _("with a pairing probability cap of %(cap)s the %(available)s eligible "
                         "experts cannot fill %(needed)s seats", **p)
            case ReasonCode.NO_SECTOR_EXPERT:
                return _("no expert of sector %(sector)s is free of conflicts; the panel has "
                         "none", **p)
        raise AssertionError(self.code)  # pragma: no cover

    def to_json(self) -> dict[str, Any]:
        return {"code": str(self.code), "params": dict(self.params), "message": self.message}


@dataclass(frozen=True, kw_only=True)
class ApplicationSlot:
    id: Id
    sector: str


# A soft pair costs this much affinity: more than the 0-to-1 range of the default affinities.
DEFAULT_SOFT_PENALTY = 2.0


@dataclass(frozen=True, kw_only=True)
class ExpertSlot:
    id: Id
    sectors: frozenset[str]
    organization: str  # unified social credit code of the expert's employer
    max_load: int | None = None  # None: the problem's default cap

    def __post_init__(self) -> None:
        object.__setattr__(self, "sectors", frozenset(self.sectors))
        if self.max_load is not None and self.max_load < 0:
            raise InvalidProblem(f"expert {self.id!r}: max_load must be >= 0")


@dataclass(frozen=True, kw_only=True)
class AssignmentProblem:
    """One review round's assignment problem; affinity[app][expert] overrides the default
    (1 when the expert's sectors contain the application's sector, else 0)."""

    reviewers_per_application: int
    applications: tuple[ApplicationSlot, ...]
    experts: tuple[ExpertSlot, ...]
    affinity: Mapping[Id, Mapping[Id, float]] = field(default_factory=dict)
    conflicts: frozenset[tuple[Id, Id]] = frozenset()
    default_max_load: int | None = None  # None: the even spread, see default_load_cap
    soft_pairs: frozenset[tuple[Id, Id]] = frozenset()  # allowed, but each costs soft_penalty
    soft_penalty: float = DEFAULT_SOFT_PENALTY

    def __post_init__(self) -> None:
        object.__setattr__(self, "applications", tuple(self.applications))
        object.__setattr__(self, "experts", tuple(self.experts))
        object.__setattr__(self, "conflicts", frozenset(tuple(c) for c in self.conflicts))
        object.__setattr__(self, "soft_pairs", frozenset(tuple(c) for c in self.soft_pairs))
        if not math.isfinite(self.soft_penalty) or self.soft_penalty < 0:
            raise InvalidProblem("soft_penalty must be a finite number >= 0")
        if self.reviewers_per_application < 1:
            raise InvalidProblem("reviewers_per_application must be >= 1")
        if self.default_max_load is not None and self.default_max_load < 0:
            raise InvalidProblem("default_max_load must be >= 0")
        app_ids = [a.id for a in self.applications]
        expert_ids = [e.id for e in self.experts]
        for kind, ids in (("application", app_ids), ("expert", expert_ids)):
            seen: set[Id] = set()
            for id_ in ids:
                if id_ in seen:
                    raise InvalidProblem(f"duplicate {kind} id {id_!r}")
                seen.add(id_)
        apps, experts = set(app_ids), set(expert_ids)
        for what, pairs in (("conflict", self.conflicts), ("soft pair", self.soft_pairs)):
            for app_id, expert_id in pairs:
                if app_id not in apps:
                    raise InvalidProblem(f"{what} names unknown application {app_id!r}")
                if expert_id not in experts:
                    raise InvalidProblem(f"{what} names unknown expert {expert_id!r}")
        for app_id, row in self.affinity.items():
            if app_id not in apps:
                raise InvalidProblem(f"affinity names unknown application {app_id!r}")
            for expert_id, value in row.items():
                if expert_id not in experts:
                    raise InvalidProblem(f"affinity names unknown expert {expert_id!r}")
                if not math.isfinite(value):
                    raise InvalidProblem(f"affinity {app_id!r}/{expert_id!r} is not finite")


@dataclass(frozen=True, kw_only=True)
class AssignmentResult:
    status: Status
    panels: Mapping[Id, tuple[Id, ...]]  # covered application -> its experts, sorted by id
    leaders: Mapping[Id, Id]  # covered application -> its team leader
    objective: float  # total affinity of the assigned pairs
    unassignable: tuple[Id, ...]
    reasons: Mapping[Id, tuple[Reason, ...]]  # uncovered apps, and warnings on covered ones
    seconds: float
    lp_bound: float | None = None  # LP relaxation of the covered set (optimal mode)
    seed: int | None = None
    max_pair_probability: float | None = None
    solver_version: int = SOLVER_VERSION

    @property
    def assignments(self) -> list[tuple[Id, Id]]:
        return [(app, expert) for app, panel in self.panels.items() for expert in panel]


def _id_key(id_: Id) -> tuple[str, Any]:
    """Sort key that orders ids of one type naturally (ints as numbers, strings as text)."""
    return (type(id_).__name__, id_)


def default_load_cap(problem: AssignmentProblem) -> int:
    """The even spread: ceil(total seats / experts that can take work)."""
    if problem.default_max_load is not None:
        return problem.default_max_load
    able = sum(1 for e in problem.experts if e.max_load is None or e.max_load > 0)
    seats = problem.reviewers_per_application * len(problem.applications)
    return math.ceil(seats / able) if able else 0


def choose_leader(panel: Iterable[_ExpertId], affinity: Mapping[_ExpertId, float]) -> _ExpertId:
    """The team leader: highest affinity, ties broken by the smallest expert id."""
    return min(panel, key=lambda e: (-affinity[e], _id_key(e)))


# --------------------------------------------------------------------------------------------
# The compiled problem: dense arrays, applications and experts sorted by id so that the result
# does not depend on the order in which the caller listed them.


@dataclass
class _Data:
    apps: list[ApplicationSlot]
    experts: list[ExpertSlot]
    k: int
    aff: np.ndarray  # (A, E) float
    eligible: np.ndarray  # (A, E) bool: no conflict and the expert can take work
    insec: np.ndarray  # (A, E) bool: expert's sectors contain the app's sector
    org: np.ndarray  # (E,) int organization index
    n_orgs: int
    cap: np.ndarray  # (E,) int
    version: int = SOLVER_VERSION  # the algorithm's version, see SOLVER_VERSION

    @property
    def sector_pool(self) -> np.ndarray:
        pool: np.ndarray = (self.eligible & self.insec).any(axis=1)  # (A,) bool
        return pool


def _compile(problem: AssignmentProblem, version: int = SOLVER_VERSION) -> _Data:
    if version not in SOLVER_VERSIONS:
        raise InvalidProblem(f"unknown solver version {version!r}")
    apps = sorted(problem.applications, key=lambda a: _id_key(a.id))
    experts = sorted(problem.experts, key=lambda e: _id_key(e.id))
    a_index = {a.id: i for i, a in enumerate(apps)}
    e_index = {e.id: j for j, e in enumerate(experts)}
    n_a, n_e = len(apps), len(experts)
    insec = np.zeros((n_a, n_e), dtype=bool)
    by_sector: dict[str, list[int]] = {}
    for j, e in enumerate(experts):
        for s in e.sectors:
            by_sector.setdefault(s, []).append(j)
    for i, a in enumerate(apps):
        insec[i, by_sector.get(a.sector, [])] = True
    aff = insec.astype(float)
    for app_id, row in problem.affinity.items():
        aff[a_index[app_id], [e_index[expert_id] for expert_id in row]] = np.fromiter(
            row.values(), dtype=float, count=len(row))
    default_cap = default_load_cap(problem)
    cap = np.array([default_cap if e.max_load is None else e.max_load for e in experts], dtype=int)
    eligible = np.ones((n_a, n_e), dtype=bool)
    for app_id, expert_id in problem.conflicts:
        eligible[a_index[app_id], e_index[expert_id]] = False
    for app_id, expert_id in problem.soft_pairs:
        aff[a_index[app_id], e_index[expert_id]] -= problem.soft_penalty
    eligible[:, cap <= 0] = False
    org_ids: dict[str, int] = {}
    org = np.array([org_ids.setdefault(e.organization, len(org_ids)) for e in experts], dtype=int)
    return _Data(apps=apps, experts=experts, k=problem.reviewers_per_application, aff=aff,
                 eligible=eligible, insec=insec, org=org, n_orgs=max(len(org_ids), 1), cap=cap,
                 version=version)


def _local_reasons(data: _Data, eligible: np.ndarray, q: float = 1.0) -> dict[int, Reason]:
    """Applications that no assignment can cover, judged on their own pool alone."""
    reasons: dict[int, Reason] = {}
    k = data.k
    for i in range(len(data.apps)):
        pool = np.flatnonzero(eligible[i])
        if len(pool) < k:
            reasons[i] = Reason(code=ReasonCode.TOO_FEW_EXPERTS,
                                params={"needed": k, "available": int(len(pool))})
            continue
        orgs, counts = np.unique(data.org[pool], return_counts=True)
        if len(orgs) < k:
            reasons[i] = Reason(code=ReasonCode.TOO_FEW_ORGANIZATIONS,
                                params={"needed": k, "available": int(len(orgs))})
            continue
        if q < 1 and np.minimum(1.0, q * counts).sum() < k - 1e-9:
            reasons[i] = Reason(code=ReasonCode.PROBABILITY_CAP_TOO_LOW,
                                params={"cap": q, "needed": k, "available": int(len(pool))})
    return reasons


# --------------------------------------------------------------------------------------------
# The model. Columns are (app, expert) pairs; each active app may also use an artificial column
# r_i (a panel seat filled by nobody) at a prohibitive price, so that a restricted column set is
# always feasible. Rows: app seats (= k), expert caps, organizations per app (<= 1, only where an
# organization has two columns), sector (>= 1 where the pool has a sector expert).


@dataclass
class _Model:
    pi: np.ndarray
    pj: np.ndarray
    n_art: int
    art_apps: np.ndarray
    rows: dict[str, Any]
    A: sp.csr_matrix
    lb: np.ndarray
    ub: np.ndarray
    c: np.ndarray  # minimization costs (-affinity, +penalty for artificials)
    col_ub: np.ndarray


def _build(data: _Data, active: np.ndarray, cols: np.ndarray, ub: float, penalty: float) -> _Model:
    import scipy.sparse as sp

    pi, pj = np.nonzero(cols & active[:, None])
    n = len(pi)
    act = np.flatnonzero(active)
    n_a, n_e = data.aff.shape
    art_index = np.full(n_a, -1)
    art_index[act] = np.arange(len(act))
    # app rows
    app_row = np.full(n_a, -1)
    app_row[act] = np.arange(len(act))
    r_app = sp.csr_matrix(
        (np.ones(n + len(act)),
         (np.r_[app_row[pi], np.arange(len(act))], np.r_[np.arange(n), n + np.arange(len(act))])),
        shape=(len(act), n + len(act)))
    r_cap = sp.csr_matrix((np.ones(n), (pj, np.arange(n))), shape=(n_e, n + len(act)))
    key = pi * data.n_orgs + data.org[pj]
    uk, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    multi = cnt >= 2
    org_row = np.full(len(uk), -1)
    org_row[multi] = np.arange(multi.sum())
    sel = multi[inv]
    r_org = sp.csr_matrix((np.ones(sel.sum()), (org_row[inv[sel]], np.flatnonzero(sel))),
                          shape=(int(multi.sum()), n + len(act)))
    sec_apps = act[data.sector_pool[act]]
    sec_row = np.full(n_a, -1)
    sec_row[sec_apps] = np.arange(len(sec_apps))
    s = data.insec[pi, pj] & (sec_row[pi] >= 0)
    art_sec = sec_row[act] >= 0
    r_sec = sp.csr_matrix(
        (np.ones(s.sum() + art_sec.sum()),
         (np.r_[sec_row[pi[s]], sec_row[act[art_sec]]],
          np.r_[np.flatnonzero(s), n + np.flatnonzero(art_sec)])),
        shape=(len(sec_apps), n + len(act)))
    A = sp.vstack([r_app, r_cap, r_org, r_sec]).tocsr()
    k = data.k
    lb = np.r_[np.full(len(act), k), np.full(n_e, -np.inf), np.full(r_org.shape[0], -np.inf),
               np.ones(len(sec_apps))]
    rub = np.r_[np.full(len(act), k), data.cap.astype(float), np.ones(r_org.shape[0]),
                np.full(len(sec_apps), np.inf)]
    c = np.r_[-data.aff[pi, pj], np.full(len(act), penalty)]
    col_ub = np.r_[np.full(n, ub), np.full(len(act), float(k))]
    rows = {"act": act, "sec_apps": sec_apps, "org_keys": uk[multi], "n_org": int(multi.sum())}
    return _Model(pi=pi, pj=pj, n_art=len(act), art_apps=act, rows=rows, A=A, lb=lb, ub=rub, c=c,
                  col_ub=col_ub)


def _split_rows(model: _Model, n_e: int) -> tuple[slice, slice, slice, slice]:
    n_act, n_org = len(model.rows["act"]), model.rows["n_org"]
    return (slice(0, n_act), slice(n_act, n_act + n_e), slice(n_act + n_e, n_act + n_e + n_org),
            slice(n_act + n_e + n_org, None))


def _solve_lp(model: _Model, n_e: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Solve the LP relaxation; return (x, minimized objective, row duals y with c - A'y = rc)."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    A = model.A
    # Two-sided rows as A_ub/A_eq for linprog, which reports duals (marginals).
    eq = np.isfinite(model.lb) & (model.lb == model.ub)
    upper = ~eq & np.isfinite(model.ub)
    lower = ~eq & np.isfinite(model.lb)
    result = linprog(model.c, A_ub=sp.vstack([A[upper], -A[lower]]).tocsr(),
                     b_ub=np.r_[model.ub[upper], -model.lb[lower]], A_eq=A[eq], b_eq=model.lb[eq],
                     bounds=np.c_[np.zeros(len(model.c)), model.col_ub], method="highs-ds")
    x, fun = result.x, result.fun
    if result.status != 0 or x is None or fun is None:  # pragma: no cover - artificials keep the model feasible
        raise RuntimeError(f"LP failed: {result.message}")
    y = np.zeros(A.shape[0])
    y[eq] = result.eqlin.marginals
    mu = result.ineqlin.marginals
    n_up = int(upper.sum())
    y[upper] += mu[:n_up]
    y[lower] -= mu[n_up:]
    return x, float(fun), y


def _reduced_costs(data: _Data, model: _Model, y: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Reduced costs (minimization form) of every pair; +inf where the pair is not a column
    candidate. Rows absent from the restricted model have dual 0, which is dual feasible."""
    n_a, n_e = data.aff.shape
    s_app, s_cap, s_org, s_sec = _split_rows(model, n_e)
    ya = np.zeros(n_a)
    ya[model.rows["act"]] = y[s_app]
    rc = -data.aff - ya[:, None] - y[s_cap][None, :]
    ys = np.zeros(n_a)
    ys[model.rows["sec_apps"]] = y[s_sec]
    rc -= ys[:, None] * data.insec
    keys = model.rows["org_keys"]
    if len(keys):
        yo = np.zeros((n_a, data.n_orgs))
        yo[keys // data.n_orgs, keys % data.n_orgs] = y[s_org]
        rc -= yo[:, data.org]
    costs: np.ndarray = np.where(data.eligible & active[:, None], rc, np.inf)
    return costs


def _initial_columns(data: _Data, active: np.ndarray, per_app: int) -> np.ndarray:
    """A few promising pairs per app: the best by affinity and the best sector experts."""
    cols = np.zeros_like(data.eligible)
    score = np.where(data.eligible, data.aff, -np.inf)
    n_e = score.shape[1]
    if per_app >= n_e:
        every: np.ndarray = data.eligible & active[:, None]
        return every
    top = np.argpartition(-score, per_app - 1, axis=1)[:, :per_app]
    np.put_along_axis(cols, top, True, axis=1)
    sec_score = np.where(data.insec, score, -np.inf)
    m = min(3, n_e)
    top = np.argpartition(-sec_score, m - 1, axis=1)[:, :m]
    np.put_along_axis(cols, top, True, axis=1)
    chosen: np.ndarray = cols & data.eligible & active[:, None]
    return chosen


def _penalty(data: _Data, active: np.ndarray) -> float:
    """Price of an empty seat: more than any change of affinity that filling it could cost."""
    spread = float(np.ptp(data.aff)) if data.aff.size else 0.0
    return 1.0 + 2.0 * spread * data.k * max(int(active.sum()), 1) + float(np.abs(data.aff).max(
        initial=0.0))


@dataclass
class _LpSolution:
    model: _Model
    x: np.ndarray
    value: float  # maximized: affinity minus penalties
    rc: np.ndarray  # (A, E) reduced costs, minimization form
    cols: np.ndarray


def _column_generation(data: _Data, active: np.ndarray, ub: float, penalty: float,
                       cols: np.ndarray | None = None, per_round: int = 10) -> _LpSolution:
    """The LP relaxation over all eligible pairs, solved on a growing subset of columns."""
    if data.version == 1:
        if cols is None:
            cols = _initial_columns(data, active, per_app=2 * data.k + 5)
        return _column_generation_cold(data, active, ub, penalty, cols, per_round)
    if cols is None:
        # Each app needs at least k / ub columns in the LP's support.
        cols = _initial_columns(data, active, per_app=2 * math.ceil(data.k / ub) + 5)
    cols = cols.copy()
    lp = _RestrictedLp(data, active, cols, ub, penalty)
    while True:
        x, fun, y = lp.solve()
        rc = lp.reduced_costs(y, active)
        attractive = (rc < -PRICE_TOL) & ~cols
        if not attractive.any():
            break
        new = _most_attractive(attractive, rc, per_round)
        lp.add(*np.nonzero(new))
        cols |= new
    model = _build(data, active, cols, ub, penalty)
    values = lp.pair_values(x)
    x_model = np.r_[values[model.pi, model.pj], x[lp.art0:lp.art0 + lp.n_art]]
    return _LpSolution(model=model, x=x_model, value=-fun, rc=rc, cols=cols)


def _most_attractive(attractive: np.ndarray, rc: np.ndarray, per_round: int) -> np.ndarray:
    """The most attractive few pairs per app: enough to converge in a handful of rounds."""
    masked = np.where(attractive, rc, np.inf)
    m = min(per_round, masked.shape[1])
    best = np.argpartition(masked, m - 1, axis=1)[:, :m]
    add = np.zeros_like(attractive)
    np.put_along_axis(add, best, True, axis=1)
    chosen: np.ndarray = add & attractive
    return chosen


def _column_generation_cold(data: _Data, active: np.ndarray, ub: float, penalty: float,
                            cols: np.ndarray, per_round: int) -> _LpSolution:
    """The same LP through linprog, each round solved from scratch: solver version 1 (kept as
    the replay of draws stored before version 2, never for a new draw), and the tests' check of
    the warm-started one."""
    cols = cols.copy()
    while True:
        model = _build(data, active, cols, ub, penalty)
        x, fun, y = _solve_lp(model, data.aff.shape[1])
        rc = _reduced_costs(data, model, y, active)
        attractive = (rc < -PRICE_TOL) & ~cols
        if not attractive.any():
            return _LpSolution(model=model, x=x, value=-fun, rc=rc, cols=cols)
        cols |= _most_attractive(attractive, rc, per_round)


class _RestrictedLp:
    """The LP over a growing set of pair columns, kept in one HiGHS instance (highspy) so that
    each round re-solves from the last optimal basis instead of from scratch: after the first
    solve a round that adds a few columns costs milliseconds, not a full solve."""

    def __init__(self, data: _Data, active: np.ndarray, cols: np.ndarray, ub: float,
                 penalty: float) -> None:
        import highspy

        model = _build(data, active, cols, ub, penalty)
        n_a, n_e = data.aff.shape
        self.data, self.ub = data, ub
        self.art0 = len(model.pi)  # the artificial columns follow the first pair columns
        self.pi, self.pj = model.pi.copy(), model.pj.copy()
        self.pair_col = np.arange(self.art0)  # column index of each pair column
        self.n_art = model.n_art
        act = model.rows["act"]
        self.app_row = np.full(n_a, -1)
        self.app_row[act] = np.arange(len(act))
        self.cap_row0 = len(act)
        n_org = model.rows["n_org"]
        org_row0 = len(act) + n_e
        self.org_row = np.full(n_a * data.n_orgs, -1)
        self.org_row[model.rows["org_keys"]] = org_row0 + np.arange(n_org)
        self.sec_row = np.full(n_a, -1)
        sec_apps = model.rows["sec_apps"]
        self.sec_row[sec_apps] = org_row0 + n_org + np.arange(len(sec_apps))
        self.n_rows = model.A.shape[0]
        # Per (app, organization) key: how many pair columns it has, and the first one's column.
        keys = self.pi * data.n_orgs + data.org[self.pj]
        self.key_count = np.bincount(keys, minlength=n_a * data.n_orgs)
        self.key_col = np.full(n_a * data.n_orgs, -1)
        self.key_col[keys[::-1]] = self.pair_col[::-1]
        self.n_cols = len(model.c)
        A = model.A.tocsc()
        A.sort_indices()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        lp.col_cost_ = model.c
        lp.col_lower_ = np.zeros(len(model.c))
        lp.col_upper_ = model.col_ub
        inf = highspy.kHighsInf
        lp.row_lower_ = np.where(np.isfinite(model.lb), model.lb, -inf)
        lp.row_upper_ = np.where(np.isfinite(model.ub), model.ub, inf)
        self.highs = highs = _quiet_highs()
        highs.setOptionValue("solver", "simplex")  # dual simplex, as linprog's "highs-ds"
        # Presolve gains nothing on these models (timed: the solve takes longer with it), and
        # the rounds after the first start from the basis anyway.
        highs.setOptionValue("presolve", "off")
        highs.passModel(lp)

    def solve(self) -> tuple[np.ndarray, float, np.ndarray]:
        """(column values, minimized objective, row duals y with reduced costs c - A'y)."""
        import highspy

        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # pragma: no cover
            raise RuntimeError("LP failed: " + self.highs.modelStatusToString(
                self.highs.getModelStatus()))
        solution = self.highs.getSolution()
        return (np.asarray(solution.col_value), float(self.highs.getInfo().objective_function_value),
                np.asarray(solution.row_dual))

    def reduced_costs(self, y: np.ndarray, active: np.ndarray) -> np.ndarray:
        data = self.data
        n_a, n_e = data.aff.shape
        ya = np.where(self.app_row >= 0, y[self.app_row], 0.0)
        rc = -data.aff - ya[:, None] - y[self.cap_row0:self.cap_row0 + n_e][None, :]
        ys = np.where(self.sec_row >= 0, y[self.sec_row], 0.0)
        rc -= ys[:, None] * data.insec
        yo = np.where(self.org_row >= 0, y[self.org_row], 0.0).reshape(n_a, data.n_orgs)
        rc -= yo[:, data.org]
        costs: np.ndarray = np.where(data.eligible & active[:, None], rc, np.inf)
        return costs

    def add(self, pi: np.ndarray, pj: np.ndarray) -> None:
        """Add pair columns, and the organization rows that two columns of one key now need."""
        import highspy

        data = self.data
        inf = highspy.kHighsInf
        keys = pi * data.n_orgs + data.org[pj]
        new_count = np.bincount(keys, minlength=len(self.key_count))
        need = np.flatnonzero((self.org_row < 0) & (self.key_count + new_count >= 2))
        if len(need):
            rows = self.n_rows + np.arange(len(need))
            self.org_row[need] = rows
            self.n_rows += len(need)
            # The one existing column of such a key joins its new row.
            has_old = self.key_count[need] == 1
            old_cols = self.key_col[need]
            starts = np.r_[0, np.cumsum(has_old)[:-1]]
            self.highs.addRows(len(need), np.full(len(need), -inf), np.ones(len(need)),
                               int(has_old.sum()), starts.astype(np.int32),
                               old_cols[has_old].astype(np.int32), np.ones(int(has_old.sum())))
        n = len(pi)
        entries = np.stack([self.app_row[pi], self.cap_row0 + pj, self.org_row[keys],
                            np.where(data.insec[pi, pj], self.sec_row[pi], -1)], axis=1)
        present = entries >= 0
        starts = np.r_[0, np.cumsum(present.sum(axis=1))[:-1]]
        cost = -data.aff[pi, pj]
        self.highs.addCols(n, cost, np.zeros(n), np.full(n, self.ub), int(present.sum()),
                           starts.astype(np.int32), entries[present].astype(np.int32),
                           np.ones(int(present.sum())))
        new_cols = self.n_cols + np.arange(n)
        self.n_cols += n
        first = (self.key_count[keys] == 0) & (self.key_col[keys] < 0)
        self.key_col[keys[first][::-1]] = new_cols[first][::-1]
        self.key_count += new_count
        self.pi = np.r_[self.pi, pi]
        self.pj = np.r_[self.pj, pj]
        self.pair_col = np.r_[self.pair_col, new_cols]

    def pair_values(self, x: np.ndarray) -> np.ndarray:
        """The pair columns' values as an (A, E) array."""
        values = np.zeros(self.data.aff.shape)
        values[self.pi, self.pj] = x[self.pair_col]
        return values


def _quiet_highs() -> Any:
    """A HiGHS instance that prints nothing: highspy's `Highs()` writes its banner to stdout
    while it is being built, before any option can be set (HiGHS issue 2749), which would corrupt
    the CLI's JSON output; so the option is set at the first step of that construction."""
    import highspy

    class QuietHighs(highspy.Highs):
        def enableCallbacks(self) -> None:  # the constructor's first HiGHS call that logs
            self.setOptionValue("output_flag", False)
            super().enableCallbacks()  # type: ignore[no-untyped-call]  # highspy leaves it untyped

    return QuietHighs()  # type: ignore[no-untyped-call]


def _solve_mip(model: _Model) -> tuple[np.ndarray, float] | None:
    from scipy.optimize import Bounds, LinearConstraint, milp

    result = milp(model.c, constraints=LinearConstraint(model.A, model.lb, model.ub),
                  integrality=np.ones(len(model.c), dtype=np.int_), bounds=Bounds(0, model.col_ub),
                  options={"mip_rel_gap": MIP_GAP})
    if result.x is None or result.fun is None:
        return None
    return np.round(result.x), -float(result.fun)


def _exact_on(data: _Data, active: np.ndarray) -> tuple[np.ndarray, float, bool] | None:
    """Optimal integral assignment of the active apps by column generation and reduced-cost
    certification. Returns (X (A,E) bool, LP bound, all seats filled) or None."""
    penalty = _penalty(data, active)
    lp = _column_generation(data, active, 1.0, penalty)
    cols = lp.cols
    model = lp.model
    bound = lp.value if not (lp.x[len(lp.model.pi):] > 1e-9).any() else math.nan
    x = lp.x
    if np.abs(x - np.round(x)).max(initial=0.0) < 1e-7:
        # An integral LP optimum is an optimal integral solution: no branch and bound needed.
        x = np.round(x)
        n = len(model.pi)
        X = np.zeros_like(data.eligible)
        X[model.pi, model.pj] = x[:n] > 0.5
        return X, bound, not (x[n:] > 0.5).any()
    for _round in range(2):
        solved = _solve_mip(model)
        if solved is None:  # pragma: no cover - artificials keep it feasible
            return None
        x, value = solved
        # Any integral solution using a pair of reduced cost rc is worth at most LP + rc (in
        # maximization terms LP - rc); pairs that could beat `value` must be in the model.
        gap = lp.value - value
        needed = (lp.rc < gap - PRICE_TOL) & ~cols
        if not needed.any():
            break
        cols = cols | needed
        model = _build(data, active, cols, 1.0, penalty)
    X = np.zeros_like(data.eligible)
    n = len(model.pi)
    X[model.pi, model.pj] = x[:n] > 0.5
    return X, bound, not (x[n:] > 0.5).any()


# --------------------------------------------------------------------------------------------
# Coverage when not every application can be covered: a full model with a binary "uncovered"
# flag per application, first minimizing the uncovered count, then maximizing affinity.


def _max_coverage(data: _Data, candidates: np.ndarray) -> np.ndarray:
    """The applications of a largest coverable set (the affinity-best one among them)."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_a, n_e = data.aff.shape
    cols = data.eligible & candidates[:, None]
    base = _build(data, candidates, cols, 1.0, 0.0)
    n = len(base.pi)
    n_act = base.n_art
    # Turn artificial r_i (0..k) into k * u_i with u_i binary: scale the artificial columns.
    s_app, s_cap, s_org, s_sec = _split_rows(base, n_e)
    scale = np.ones(base.A.shape[1])
    scale[n:] = data.k
    # In sector rows an uncovered app needs 1, not k: its column there carries 1/k * k = 1.
    scaled = (base.A.tocsc() @ sp.diags(scale)).tocsr()
    sec = scaled[s_sec]
    sec.data = np.minimum(sec.data, 1.0)
    A = sp.vstack([scaled[s_app], scaled[s_cap], scaled[s_org], sec]).tocsr()
    col_ub = np.r_[np.ones(n), np.ones(n_act)]
    # Phase A: minimize the number of uncovered applications.
    c = np.r_[np.zeros(n), np.ones(n_act)]
    res = milp(c, constraints=LinearConstraint(A, base.lb, base.ub), integrality=np.ones(len(c), dtype=np.int_),
               bounds=Bounds(0, col_ub), options={"mip_rel_gap": MIP_GAP})
    if res.fun is None:  # pragma: no cover - leaving every application uncovered is always feasible
        raise RuntimeError(f"MIP failed: {res.message}")
    uncovered = round(res.fun)
    # Phase B: among assignments leaving that many uncovered, the best affinity.
    c = np.r_[-data.aff[base.pi, base.pj], np.zeros(n_act)]
    limit = sp.csr_matrix(np.r_[np.zeros(n), np.ones(n_act)])
    res = milp(c, constraints=[LinearConstraint(A, base.lb, base.ub),
                               LinearConstraint(limit, -np.inf, uncovered)],
               integrality=np.ones(len(c), dtype=np.int_), bounds=Bounds(0, col_ub),
               options={"mip_rel_gap": MIP_GAP})
    if res.x is None:  # pragma: no cover - phase A found such an assignment
        raise RuntimeError(f"MIP failed: {res.message}")
    covered = candidates.copy()
    covered[base.art_apps[res.x[n:] > 0.5]] = False
    return covered


def _global_reason(data: _Data, i: int, X: np.ndarray) -> Reason:
    """Why a locally feasible application was left out: the load caps it needed are taken."""
    pool = data.eligible[i]
    sector = data.apps[i].sector
    sec_pool = pool & data.insec[i]
    if sec_pool.any():
        spare = data.cap - X.sum(axis=0) > 0
        if not (sec_pool & spare).any():
            return Reason(code=ReasonCode.SECTOR_EXPERTS_EXHAUSTED,
                          params={"sector": sector, "available": int(sec_pool.sum())})
    return Reason(code=ReasonCode.LOAD_CAPS_EXHAUSTED,
                  params={"needed": data.k, "available": int(pool.sum())})


def _result(data: _Data, X: np.ndarray, covered: np.ndarray, reasons: dict[int, Reason],
            status: Status, started: float, **extra: Any) -> AssignmentResult:
    panels: dict[Id, tuple[Id, ...]] = {}
    leaders: dict[Id, Id] = {}
    all_reasons: dict[Id, tuple[Reason, ...]] = {}
    objective = 0.0
    no_sector = ~data.sector_pool
    for i, app in enumerate(data.apps):
        if covered[i]:
            members = np.flatnonzero(X[i])
            ids = tuple(data.experts[j].id for j in members)
            panels[app.id] = tuple(sorted(ids, key=_id_key))
            aff = {data.experts[j].id: float(data.aff[i, j]) for j in members}
            leaders[app.id] = choose_leader(ids, aff)
            objective += float(data.aff[i, members].sum())
            if no_sector[i]:
                all_reasons[app.id] = (Reason(code=ReasonCode.NO_SECTOR_EXPERT,
                                              params={"sector": app.sector}),)
        elif i in reasons:
            all_reasons[app.id] = (reasons[i],)
    unassignable = tuple(data.apps[i].id for i in np.flatnonzero(~covered))
    if unassignable and status is Status.OPTIMAL:
        status = Status.INFEASIBLE
    return AssignmentResult(status=status, panels=panels, leaders=leaders, objective=objective,
                            unassignable=unassignable, reasons=all_reasons,
                            seconds=time.perf_counter() - started, solver_version=data.version,
                            **extra)


def _cover(data: _Data, eligible_reasons: dict[int, Reason]) -> tuple[np.ndarray, np.ndarray,
                                                                       float, dict[int, Reason]]:
    """Choose the covered set and its optimal assignment; (X, covered, LP bound, reasons)."""
    n_a = len(data.apps)
    candidates = np.ones(n_a, dtype=bool)
    candidates[list(eligible_reasons)] = False
    reasons = dict(eligible_reasons)
    exact = _exact_on(data, candidates) if candidates.any() else None
    if exact is not None and exact[2]:
        return exact[0], candidates, exact[1], reasons
    covered = _max_coverage(data, candidates) if candidates.any() else candidates
    exact = _exact_on(data, covered) if covered.any() else None
    X = exact[0] if exact is not None else np.zeros_like(data.eligible)
    for i in np.flatnonzero(candidates & ~covered):
        reasons[int(i)] = _global_reason(data, int(i), X)
    return X, covered, (exact[1] if exact is not None else 0.0), reasons


def solve_optimal(problem: AssignmentProblem, *,
                  solver_version: int = SOLVER_VERSION) -> AssignmentResult:
    """Cover as many applications as possible with the highest total affinity; exact. An older
    solver_version only replays a stored draw (equal optima may tie differently)."""
    started = time.perf_counter()
    data = _compile(problem, solver_version)
    X, covered, bound, reasons = _cover(data, _local_reasons(data, data.eligible))
    return _result(data, X, covered, reasons, Status.OPTIMAL, started, lp_bound=bound)


def lp_bound(problem: AssignmentProblem) -> float:
    """The LP relaxation's optimum over all locally coverable applications (a benchmark bound)."""
    data = _compile(problem)
    active = np.ones(len(data.apps), dtype=bool)
    active[list(_local_reasons(data, data.eligible))] = False
    return _column_generation(data, active, 1.0, _penalty(data, active)).value


# --------------------------------------------------------------------------------------------
# Randomized mode.


def _randomized_eligibility(data: _Data) -> np.ndarray:
    """Drop the non-sector colleagues of an organization that has a sector expert for the app
    (see the module docstring): it keeps the sector and organization rules laminar."""
    eligible = data.eligible.copy()
    sec = data.eligible & data.insec
    for i in np.flatnonzero(sec.any(axis=1)):
        sector_orgs = np.zeros(data.n_orgs, dtype=bool)
        sector_orgs[data.org[sec[i]]] = True
        eligible[i] &= ~(sector_orgs[data.org] & ~data.insec[i])
    return eligible


def _to_units(values: np.ndarray, apps: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """The LP values as exact integer units of 1/D (units, D), each app's seats summing to
    exactly k * D."""
    # LP vertices here have few distinct values with small denominators; 10**6 recovers them.
    distinct, inverse = np.unique(values, return_inverse=True)
    fractions = [Fraction(float(v)).limit_denominator(10**6) for v in distinct]
    D = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    # int64 holds every flow below while D stays small; beyond that Python's integers do.
    dtype: Any = np.int64 if D < 2**31 else object
    units = np.array([f.numerator * (D // f.denominator) for f in fractions], dtype=dtype)[inverse]
    if not len(units):
        return units, D
    sums = np.zeros(int(apps.max()) + 1, dtype=dtype)
    np.add.at(sums, apps, units)
    # Solver round-off could leave a sum a hair off k; each app's largest entry (the first of
    # equals) absorbs it.
    order = np.lexsort((-units.astype(float), apps))
    first = order[np.r_[True, apps[order][1:] != apps[order][:-1]]]
    units[first] += k * D - sums[apps[first]]
    return units, D


def _cancel_cycle(cycle: list[tuple[int, int]], flows: list[int], adjacency: dict[int, dict[int, None]],
                  edges_u: list[int], edges_v: list[int], D: int, rng: random.Random) -> None:
    """Move one cycle of fractional edges ((edge, +1 if walked u->v else -1)) up or down by the
    amount that makes at least one edge whole, up with the probability that keeps every edge's
    expected flow (one ``rng.random()`` per cycle: the draws of every solver version depend on it),
    and drop the edges that became whole from ``adjacency``."""
    up = min((D - flows[e] % D) if d == 1 else flows[e] % D for e, d in cycle)
    down = min(flows[e] % D if d == 1 else (D - flows[e] % D) for e, d in cycle)
    delta = up if rng.random() * (up + down) < down else -down
    for e, d in cycle:
        flows[e] += d * delta
        if flows[e] % D == 0:
            for end in (edges_u[e], edges_v[e]):
                adjacency[end].pop(e, None)
                if not adjacency[end]:
                    del adjacency[end]


def _cancel_cycles(adjacency: dict[int, dict[int, None]], edges_u: list[int], edges_v: list[int],
                   flows: list[int], D: int, rng: random.Random) -> None:
    """Walk along fractional edges until a node repeats, then move the cycle that closes by a
    random amount that makes at least one of its edges whole, with the probabilities that keep
    every edge's expected flow; until no edge is fractional. The walk keeps its path up to the
    cycle, so each step of it is taken about once (not once per cycle)."""
    path_nodes: list[int] = []
    path_edges: list[tuple[int, int]] = []  # (edge, +1 if walked u->v else -1)
    position: dict[int, int] = {}
    while adjacency:
        if not path_nodes:
            start = next(iter(adjacency))
            path_nodes.append(start)
            position[start] = 0
        v = path_nodes[-1]
        came = path_edges[-1][0] if path_edges else -1
        e = next(x for x in adjacency[v] if x != came)
        direction = 1 if edges_u[e] == v else -1
        w = edges_v[e] if direction == 1 else edges_u[e]
        path_edges.append((e, direction))
        if w not in position:
            position[w] = len(path_nodes)
            path_nodes.append(w)
            continue
        at = position[w]
        _cancel_cycle(path_edges[at:], flows, adjacency, edges_u, edges_v, D, rng)
        # Back to where the cycle began: the path before it is untouched, still fractional.
        for node in path_nodes[at + 1:]:
            del position[node]
        del path_nodes[at + 1:], path_edges[at:]
        if w not in adjacency:  # the cycle's start has no fractional edge left: start anew
            position.clear()
            path_nodes.clear()
            path_edges.clear()


def _dependent_rounding(data: _Data, pi: np.ndarray, pj: np.ndarray, units: np.ndarray, D: int,
                        rng: random.Random) -> np.ndarray:
    """Round a fractional assignment (pair p carries units[p] / D) to an integral one with the
    same marginals (Gandhi et al. 2006 on a flow): every flow only moves between its floor and
    ceiling, so each app keeps k, each expert's load and each (app, organization) and (app,
    sector) total stay within the floor and ceiling of their fractional values."""
    # The flow network: source -> expert -> (app, group, org) -> (app, group) -> app, where the
    # group says whether the expert counts for the app's sector rule.
    n_a = len(data.apps)
    group = (data.sector_pool[pi] & data.insec[pi, pj]).astype(np.int64)
    go_keys, go_of = np.unique((pi * 2 + group) * data.n_orgs + data.org[pj], return_inverse=True)
    g_keys, g_of = np.unique(go_keys // data.n_orgs, return_inverse=True)
    experts, e_of = np.unique(pj, return_inverse=True)
    # Node numbers: source 0, experts, (app, group, org), (app, group), apps.
    n_x, n_go, n_g = len(experts), len(go_keys), len(g_keys)
    e_node = 1 + np.arange(n_x)
    go_node = 1 + n_x + np.arange(n_go)
    g_node = 1 + n_x + n_go + np.arange(n_g)
    a_node = 1 + n_x + n_go + n_g + np.arange(n_a)

    def summed(index: np.ndarray, size: int) -> np.ndarray:
        total = np.zeros(size, dtype=units.dtype)
        np.add.at(total, index, units)
        return total

    n_pairs = len(pi)
    edges_u = np.r_[np.zeros(n_x, dtype=np.int64), e_node[e_of], go_node, g_node].tolist()
    edges_v = np.r_[e_node, go_node[go_of], g_node[g_of], a_node[g_keys // 2]].tolist()
    flows = np.r_[summed(e_of, n_x), units, summed(go_of, n_go), summed(g_of[go_of], n_g)].tolist()
    first_pair = n_x
    adjacency: dict[int, dict[int, None]] = {}
    for e, f in enumerate(flows):
        if f % D:
            adjacency.setdefault(edges_u[e], {})[e] = None
            adjacency.setdefault(edges_v[e], {})[e] = None
    _cancel_cycles(adjacency, edges_u, edges_v, flows, D, rng)
    X = np.zeros_like(data.eligible)
    whole = np.array(flows[first_pair:first_pair + n_pairs], dtype=object) == D
    X[pi[whole], pj[whole]] = True
    return X


# Solver version 1's rounding, kept verbatim so that draws stored before version 2 replay
# bit-identically; new draws never run it.


def _to_fractions_v1(values: np.ndarray, apps: np.ndarray, k: int) -> list[Fraction]:
    """Solver version 1 (the replay of draws stored before version 2, only): exact fractions
    for the LP values, each app's seats summing to exactly k."""
    # LP vertices here have small denominators; 10**6 recovers them exactly.
    frac = [Fraction(float(v)).limit_denominator(10**6) for v in values]
    by_app: dict[int, list[int]] = {}
    for p, i in enumerate(apps.tolist()):
        by_app.setdefault(i, []).append(p)
    for members in by_app.values():
        # Solver round-off could leave a sum a hair off k; the largest entry absorbs it.
        diff = k - sum(frac[p] for p in members)
        if diff:
            largest = max(members, key=lambda p: frac[p])
            frac[largest] += diff
    return frac


def _fractional_cycle_v1(adjacency: dict[int, dict[int, None]], edges_u: list[int],
                         edges_v: list[int]) -> list[tuple[int, int]]:
    """Solver version 1 (replay only): walk along fractional edges until a node repeats; the
    edges of the cycle that closes, each as (edge, +1 if walked u->v else -1)."""
    start = next(iter(adjacency))
    position = {start: 0}
    path_edges: list[tuple[int, int]] = []
    v, came = start, -1
    while True:
        e = next(x for x in adjacency[v] if x != came)
        direction = 1 if edges_u[e] == v else -1
        w = edges_v[e] if direction == 1 else edges_u[e]
        path_edges.append((e, direction))
        if w in position:
            return path_edges[position[w]:]
        position[w] = len(path_edges)
        v, came = w, e


def _dependent_rounding_v1(data: _Data, active: np.ndarray, pi: np.ndarray, pj: np.ndarray,
                           frac: list[Fraction], rng: random.Random) -> np.ndarray:
    """Solver version 1 (the replay of draws stored before version 2, only): round a fractional
    assignment to an integral one with the same marginals (Gandhi et al.
    2006 on a flow): every flow only moves between its floor and ceiling, so each app keeps k,
    each expert's load and each (app, organization) and (app, sector) total stay within the
    floor and ceiling of their fractional values."""
    denominator = math.lcm(*(f.denominator for f in frac)) if frac else 1
    units = [int(f * denominator) for f in frac]
    D = denominator
    # Node numbering: source 0; experts; (app, group, org); (app, group); apps.
    n_e = len(data.experts)
    node_ids: dict[tuple[str | int, ...], int] = {}

    def node(key: tuple[str | int, ...]) -> int:
        return node_ids.setdefault(key, len(node_ids))

    source = node(("s",))
    edges_u: list[int] = []
    edges_v: list[int] = []
    flows: list[int] = []
    edge_ids: dict[tuple[int, int], int] = {}

    def add(u: int, v: int, f: int) -> int:
        e = edge_ids.get((u, v))
        if e is None:
            e = edge_ids[(u, v)] = len(flows)
            edges_u.append(u)
            edges_v.append(v)
            flows.append(0)
        flows[e] += f
        return e

    sector_pool = data.sector_pool
    pair_edges = []
    for p in range(len(pi)):
        i, j, f = int(pi[p]), int(pj[p]), units[p]
        group = 1 if (sector_pool[i] and data.insec[i, j]) else 0
        e_node = node(("e", j))
        go, g, a = node(("go", i, group, int(data.org[j]))), node(("g", i, group)), node(("a", i))
        add(source, e_node, f)
        pair_edges.append(add(e_node, go, f))
        add(go, g, f)
        add(g, a, f)
    del n_e
    adjacency: dict[int, dict[int, None]] = {}
    for e, f in enumerate(flows):
        if f % D:
            adjacency.setdefault(edges_u[e], {})[e] = None
            adjacency.setdefault(edges_v[e], {})[e] = None
    while adjacency:
        _cancel_cycle(_fractional_cycle_v1(adjacency, edges_u, edges_v), flows, adjacency, edges_u, edges_v, D, rng)
    X = np.zeros_like(data.eligible)
    for p, e in enumerate(pair_edges):
        if flows[e] == D:
            X[pi[p], pj[p]] = True
    return X




def _validate(data: _Data, X: np.ndarray, covered: np.ndarray, eligible: np.ndarray) -> None:
    """Every hard rule on the drawn assignment; a breach is a bug, never a silent result."""
    if (X & ~eligible).any():
        raise RuntimeError("drawn pair is not eligible")
    if not (X.sum(axis=1) == np.where(covered, data.k, 0)).all():
        raise RuntimeError("panel size broken")
    if not (X.sum(axis=0) <= data.cap).all():
        raise RuntimeError("load cap broken")
    per_org = np.zeros((len(data.apps), data.n_orgs), dtype=np.int64)
    rows, columns = np.nonzero(X)
    np.add.at(per_org, (rows, data.org[columns]), 1)
    if (per_org > 1).any():
        raise RuntimeError("organization rule broken")
    if (covered & data.sector_pool & ~(X & data.insec).any(axis=1)).any():
        raise RuntimeError("sector rule broken")


def _fractional(data: _Data, active: np.ndarray, q: float) -> tuple[_LpSolution, np.ndarray]:
    """The capped LP; returns it and the apps whose seats it could not fill."""
    lp = _column_generation(data, active, q, _penalty(data, active))
    n = len(lp.model.pi)
    short = lp.model.art_apps[lp.x[n:] > 1e-9]
    return lp, short


def solve_randomized(problem: AssignmentProblem, *, seed: int, max_pair_probability: float = 0.5,
                     solver_version: int = SOLVER_VERSION) -> AssignmentResult:
    """A seeded random draw whose every pairing has probability <= max_pair_probability, with
    the best expected affinity under that cap; same seed, inputs and solver_version give the same
    panels (an older solver_version only replays a draw stored with it)."""
    q = float(max_pair_probability)
    if not 0 < q <= 1:
        raise InvalidProblem("max_pair_probability must be in (0, 1]")
    started = time.perf_counter()
    data = _compile(problem, solver_version)
    data.eligible = _randomized_eligibility(data)
    reasons = _local_reasons(data, data.eligible, q)
    active = np.ones(len(data.apps), dtype=bool)
    active[list(reasons)] = False
    lp, short = _fractional(data, active, q) if active.any() else (None, np.array([], int))
    if len(short):
        # Not every app fits under the cap: keep a largest integrally coverable set, then drop
        # the apps that the capped LP still cannot fill.
        _X, covered, _bound, more = _cover(data, reasons)
        reasons = more
        while covered.any():
            lp, short = _fractional(data, covered, q)
            if not len(short):
                break
            for i in short:
                reasons[int(i)] = Reason(
                    code=ReasonCode.PROBABILITY_CAP_TOO_LOW,
                    params={"cap": q, "needed": data.k, "available": int(data.eligible[i].sum())})
            covered[short] = False
        active = covered
    X = np.zeros_like(data.eligible)
    if active.any() and lp is not None:
        n = len(lp.model.pi)
        x = lp.x[:n]
        support = x > 1e-9
        if data.version == 1:
            frac = _to_fractions_v1(x[support], lp.model.pi[support], data.k)
            X = _dependent_rounding_v1(data, active, lp.model.pi[support], lp.model.pj[support],
                                       frac, random.Random(seed))
        else:
            units, D = _to_units(x[support], lp.model.pi[support], data.k)
            X = _dependent_rounding(data, lp.model.pi[support], lp.model.pj[support], units, D,
                                    random.Random(seed))
    _validate(data, X, active, data.eligible)
    return _result(data, X, active, reasons, Status.RANDOMIZED, started, seed=seed,
                   max_pair_probability=q)


def pair_probabilities(problem: AssignmentProblem, *,
                       max_pair_probability: float) -> dict[tuple[Id, Id], float]:
    """The marginal probability of each pairing in the randomized mode (the capped LP)."""
    data = _compile(problem)
    data.eligible = _randomized_eligibility(data)
    active = np.ones(len(data.apps), dtype=bool)
    active[list(_local_reasons(data, data.eligible, max_pair_probability))] = False
    lp, _short = _fractional(data, active, max_pair_probability)
    n = len(lp.model.pi)
    return {(data.apps[i].id, data.experts[j].id): float(v)
            for i, j, v in zip(lp.model.pi, lp.model.pj, lp.x[:n], strict=True) if v > 1e-9}


# --------------------------------------------------------------------------------------------
# A greedy baseline for the benchmark (not used by the app).


def greedy_assignment(problem: AssignmentProblem) -> tuple[dict[Id, list[Id]], float]:
    """Fill panels app by app with the best remaining expert that keeps every rule; the sector
    seat first. Returns (panels, objective); a panel it cannot fill stays short."""
    data = _compile(problem)
    load = np.zeros(len(data.experts), dtype=int)
    panels: dict[Id, list[Id]] = {}
    objective = 0.0
    for i, app in enumerate(data.apps):
        chosen: list[int] = []
        used_orgs: set[int] = set()
        order = np.argsort(-data.aff[i], kind="stable")
        need_sector = bool(data.sector_pool[i])
        while len(chosen) < data.k:
            pick = None
            for j in order:
                if (data.eligible[i, j] and load[j] < data.cap[j] and j not in chosen
                        and int(data.org[j]) not in used_orgs
                        and (not need_sector or data.insec[i, j])):
                    pick = int(j)
                    break
            if pick is None:
                if need_sector:
                    need_sector = False
                    continue
                break
            need_sector = False
            chosen.append(pick)
            used_orgs.add(int(data.org[pick]))
            load[pick] += 1
        panels[app.id] = [data.experts[j].id for j in chosen]
        objective += float(data.aff[i, chosen].sum())
    return panels, objective
