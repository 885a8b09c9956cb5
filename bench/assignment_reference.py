"""The baseline of `bench_assignment`: an exact min-cost flow with the panel-diversity rules, in
OR-Tools (a dev dependency; the app itself solves with SciPy's HiGHS).

Same rules as `award.assignment.solver.solve_optimal` when every application can be covered:
k experts per application, each expert's load cap (its own, else the problem's default, else
the even spread), no conflicts, no two experts of one organization on a panel, and at least one
expert of the applicant's sector whenever the pool has a conflict-free one; maximum total
affinity (soft pairs cost their penalty).

How it stays exact under the sector rule: the organization rule is a flow (source -> expert,
capacity its load cap -> one node per (application, organization), capacity 1 -> application,
capacity k -> sink), solved by OR-Tools' min-cost flow on integer costs (affinity x 10^6). The
sector rule is not a flow constraint together with the organization rule, so the flow is a
relaxation: when its panels all meet the sector rule they are optimal for the whole problem.
Only when some panel misses it does the reference solve the full integer program (OR-Tools'
SCIP over every eligible pair), which is slow but exact.

It handles only instances where every application can be covered (the benchmark's); it raises
otherwise. Independent of the solver it checks: it compiles the problem itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from award.assignment.solver import AssignmentProblem

SCALE = 10**6  # affinities with up to six decimals are exact as integer costs


@dataclass(frozen=True)
class ReferenceResult:
    objective: float  # total affinity of the assigned pairs (soft pairs net of their penalty)
    panels: dict[Any, tuple[Any, ...]]
    method: str  # "flow" or "flow+mip" (the flow missed the sector rule)
    seconds: float


def _arrays(problem: AssignmentProblem) -> dict[str, Any]:
    key = lambda id_: (type(id_).__name__, id_)  # noqa: E731 - the solver's id order
    apps = sorted(problem.applications, key=lambda a: key(a.id))
    experts = sorted(problem.experts, key=lambda e: key(e.id))
    a_index = {a.id: i for i, a in enumerate(apps)}
    e_index = {e.id: j for j, e in enumerate(experts)}
    n_a, n_e = len(apps), len(experts)
    sector_names = sorted({a.sector for a in apps} | {s for e in experts for s in e.sectors})
    s_index = {s: n for n, s in enumerate(sector_names)}
    expert_sectors = np.zeros((n_e, len(sector_names)), dtype=bool)
    for j, e in enumerate(experts):
        expert_sectors[j, [s_index[s] for s in e.sectors]] = True
    insec = expert_sectors[:, [s_index[a.sector] for a in apps]].T.copy()
    aff = insec.astype(float)
    for app_id, row in problem.affinity.items():
        columns = [e_index[e] for e in row]
        aff[a_index[app_id], columns] = list(row.values())
    for app_id, expert_id in problem.soft_pairs:
        aff[a_index[app_id], e_index[expert_id]] -= problem.soft_penalty
    if problem.default_max_load is not None:
        default_cap = problem.default_max_load
    else:
        able = sum(1 for e in experts if e.max_load is None or e.max_load > 0)
        default_cap = math.ceil(problem.reviewers_per_application * n_a / able) if able else 0
    cap = np.array([default_cap if e.max_load is None else e.max_load for e in experts])
    eligible = np.ones((n_a, n_e), dtype=bool)
    for app_id, expert_id in problem.conflicts:
        eligible[a_index[app_id], e_index[expert_id]] = False
    eligible[:, cap <= 0] = False
    orgs: dict[str, int] = {}
    org = np.array([orgs.setdefault(e.organization, len(orgs)) for e in experts])
    return {"apps": apps, "experts": experts, "aff": aff, "insec": insec, "eligible": eligible,
            "cap": cap, "org": org, "n_orgs": max(len(orgs), 1)}


def _flow(d: dict[str, Any], k: int) -> np.ndarray:
    from ortools.graph.python import min_cost_flow

    aff, eligible, org = d["aff"], d["eligible"], d["org"]
    n_a, n_e = aff.shape
    pi, pj = np.nonzero(eligible)
    # A pair goes through an (application, organization) node only where that organization has
    # two or more eligible experts for the application; otherwise straight to the application.
    group_key = pi * d["n_orgs"] + org[pj]
    keys, inverse, counts = np.unique(group_key, return_inverse=True, return_counts=True)
    shared = counts >= 2
    group_node = np.full(len(keys), -1)
    source, first_expert = 0, 1
    first_group = first_expert + n_e
    group_node[shared] = first_group + np.arange(int(shared.sum()))
    first_app = first_group + int(shared.sum())
    sink = first_app + n_a
    app_node = first_app + pi
    head = np.where(shared[inverse], group_node[inverse], app_node)
    g_keys = keys[shared]
    tails = np.r_[np.zeros(n_e, dtype=np.int64), first_expert + pj, group_node[shared],
                  first_app + np.arange(n_a)]
    heads = np.r_[first_expert + np.arange(n_e), head, first_app + g_keys // d["n_orgs"],
                  np.full(n_a, sink)]
    capacities = np.r_[d["cap"], np.ones(len(pi), dtype=np.int64),
                       np.ones(len(g_keys), dtype=np.int64), np.full(n_a, k)]
    costs = np.r_[np.zeros(n_e, dtype=np.int64), -np.rint(aff[pi, pj] * SCALE).astype(np.int64),
                  np.zeros(len(g_keys) + n_a, dtype=np.int64)]
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                                 capacities.astype(np.int64), costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source], supplies[sink] = k * n_a, -k * n_a
    network.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = network.solve()
    if status != network.OPTIMAL:
        raise ValueError(f"reference: not every application can be covered ({status})")
    flows = network.flows(np.arange(n_e, n_e + len(pi), dtype=np.int32))
    X = np.zeros_like(eligible)
    X[pi[flows > 0], pj[flows > 0]] = True
    return X


def _mip(d: dict[str, Any], k: int) -> np.ndarray:  # pragma: no cover - the flow usually suffices
    from ortools.linear_solver import pywraplp

    aff, eligible, insec, org = d["aff"], d["eligible"], d["insec"], d["org"]
    n_a, n_e = aff.shape
    solver = pywraplp.Solver.CreateSolver("SCIP")
    x = {(i, j): solver.BoolVar("") for i, j in zip(*np.nonzero(eligible), strict=True)}
    sector_pool = (eligible & insec).any(axis=1)
    for i in range(n_a):
        row = [j for j in np.flatnonzero(eligible[i])]
        solver.Add(sum(x[i, j] for j in row) == k)
        for o in np.unique(org[row]):
            same = [j for j in row if org[j] == o]
            if len(same) > 1:
                solver.Add(sum(x[i, j] for j in same) <= 1)
        if sector_pool[i]:
            solver.Add(sum(x[i, j] for j in row if insec[i, j]) >= 1)
    for j in range(n_e):
        solver.Add(sum(x[i, j] for i in np.flatnonzero(eligible[:, j])) <= int(d["cap"][j]))
    solver.Maximize(sum(float(aff[i, j]) * var for (i, j), var in x.items()))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        raise ValueError("reference: the integer program found no optimal assignment")
    X = np.zeros_like(eligible)
    for (i, j), var in x.items():
        X[i, j] = var.solution_value() > 0.5
    return X


def solve_reference(problem: AssignmentProblem) -> ReferenceResult:
    """The exact optimum by min-cost flow, and by the full integer program only where the flow's
    panels miss the sector rule."""
    started = time.perf_counter()
    k = problem.reviewers_per_application
    d = _arrays(problem)
    X = _flow(d, k)
    sector_pool = (d["eligible"] & d["insec"]).any(axis=1)
    method = "flow"
    if (sector_pool & ~(X & d["insec"]).any(axis=1)).any():
        X, method = _mip(d, k), "flow+mip"
    panels = {d["apps"][i].id: tuple(d["experts"][j].id for j in np.flatnonzero(X[i]))
              for i in range(len(d["apps"]))}
    objective = float(d["aff"][X].sum())
    return ReferenceResult(objective=objective, panels=panels, method=method,
                           seconds=time.perf_counter() - started)
