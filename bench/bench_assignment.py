"""Expert assignment: the exact solver against an exact min-cost-flow reference with the same
diversity rules (OR-Tools, `bench/assignment_reference.py`; a dev dependency: without it the
baseline is the greedy fill), the randomized draw against the optimal solve, and the command
`flask --app award assign solve` on the same instance; solvers timed in turn, same run.

Full size: 2,000 applications x 500 experts x k = 5, 2% random conflicts, sectors drawn from the
20 GB/T 4754 sections skewed toward C (manufacturing), organizations shared by 1 to 4 experts,
affinity = 1 for a sector match plus a random similarity in [0, 0.5). `quick=True`: 120 x 40.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from award.assignment.solver import (
    ApplicationSlot,
    AssignmentProblem,
    ExpertSlot,
    greedy_assignment,
    lp_bound,
    solve_optimal,
    solve_randomized,
)

SECTIONS = "ABCDEFGHIJKLMNOPQRST"
ROOT = Path(__file__).resolve().parent.parent


def make_problem(*, applications: int, experts: int, k: int = 5, conflict_rate: float = 0.02,
                 seed: int = 1) -> AssignmentProblem:
    """A random round shaped like a city award: most applicants and experts are in C."""
    rng = np.random.default_rng(seed)
    weights = np.ones(len(SECTIONS))
    weights[SECTIONS.index("C")] = 15.0
    weights /= weights.sum()
    app_sectors = rng.choice(len(SECTIONS), size=applications, p=weights)
    apps = tuple(ApplicationSlot(id=f"A{i:05d}", sector=SECTIONS[s])
                 for i, s in enumerate(app_sectors))
    organizations: list[int] = []
    while len(organizations) < experts:
        organizations += [len(organizations)] * int(rng.integers(1, 5))
    expert_slots = []
    for j in range(experts):
        sectors = rng.choice(len(SECTIONS), size=int(rng.integers(1, 3)), p=weights)
        expert_slots.append(ExpertSlot(id=f"E{j:04d}", sectors=frozenset(SECTIONS[s] for s in sectors),
                                       organization=f"ORG{organizations[j]:05d}"))
    similarity = rng.random((applications, experts)) * 0.5
    affinity = {}
    for i, app in enumerate(apps):
        row = {}
        for j, expert in enumerate(expert_slots):
            row[expert.id] = float(round(similarity[i, j] + (app.sector in expert.sectors), 4))
        affinity[app.id] = row
    conflicted = np.argwhere(rng.random((applications, experts)) < conflict_rate)
    conflicts = frozenset((apps[i].id, expert_slots[j].id) for i, j in conflicted)
    return AssignmentProblem(reviewers_per_application=k, applications=apps,
                             experts=tuple(expert_slots), affinity=affinity, conflicts=conflicts)


def _median_time(function, repeats: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def _alternated(functions: dict[str, object], repeats: int) -> dict[str, tuple[float, object]]:
    """Median time of each function, run in turn (A, B, A, B, ...) so that other work on the
    machine weighs on each alike."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    values: dict[str, object] = {}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            values[name] = function()
            times[name].append(time.perf_counter() - started)
    return {name: (statistics.median(times[name]), values[name]) for name in functions}


def _reference():
    """The OR-Tools reference, or None when OR-Tools (a dev dependency) is not installed."""
    if importlib.util.find_spec("ortools") is None:
        return None
    from bench.assignment_reference import solve_reference

    return solve_reference


def _cli_run(problem: AssignmentProblem) -> tuple[float, float]:
    """`flask --app award assign solve` on the problem as a JSON instance: (wall, its solve)."""
    instance = {
        "reviewers_per_application": problem.reviewers_per_application,
        "applications": [{"id": a.id, "sector": a.sector} for a in problem.applications],
        "experts": [{"id": e.id, "sectors": sorted(e.sectors), "organization": e.organization}
                    for e in problem.experts],
        "affinity": {app: dict(row) for app, row in problem.affinity.items()},
        "conflicts": sorted([app, expert] for app, expert in problem.conflicts),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "instance.json"
        path.write_text(json.dumps(instance), encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "award", "assign", "solve",
                               str(path)], capture_output=True, check=True, cwd=ROOT)
        wall = time.perf_counter() - started
    return wall, float(json.loads(done.stdout)["seconds"])


def run(quick: bool = False) -> list[dict]:
    size = {"applications": 120, "experts": 40} if quick else {"applications": 2000,
                                                               "experts": 500}
    repeats = 3
    problem = make_problem(**size)
    label = f"{size['applications']}x{size['experts']}xk5"
    load = {"load_average_start": round(os.getloadavg()[0], 2)}
    reference = _reference()
    functions = {"optimal": lambda: solve_optimal(problem),
                 "random": lambda: solve_randomized(problem, seed=7, max_pair_probability=0.5)}
    if reference is not None:
        functions["reference"] = lambda: reference(problem)
    timed = _alternated(functions, repeats)
    optimal_s, result = timed["optimal"]
    random_s, drawn = timed["random"]
    greedy_s, (_panels, greedy_objective) = _median_time(lambda: greedy_assignment(problem),
                                                         repeats)
    bound = lp_bound(problem)
    load["load_average_end"] = round(os.getloadavg()[0], 2)
    records = []
    if reference is not None:
        reference_s, exact = timed["reference"]
        equal = abs(result.objective - exact.objective) <= 1e-6 * max(1.0, abs(exact.objective))
        records += [
            {"name": f"assignment optimal solve time {label}", "value": round(optimal_s, 3),
             "unit": "s", "baseline": round(reference_s, 3),
             "ratio": round(optimal_s / reference_s, 2),
             "baseline_name": "exact min-cost flow with the diversity rules (OR-Tools), "
                              f"method {exact.method}",
             "goal": "<= 1.5", "goal_met": optimal_s <= 1.5 * reference_s,
             "status": str(result.status), "repeats": repeats, "greedy_s": round(greedy_s, 3),
             **load},
            {"name": f"assignment objective {label}", "value": round(result.objective, 4),
             "unit": "affinity", "baseline": round(exact.objective, 4),
             "ratio": round(result.objective / exact.objective, 6),
             "baseline_name": "the OR-Tools reference's optimum", "equal": equal,
             "greedy": round(greedy_objective, 4), "lp_bound": round(bound, 4),
             "gap_to_lp_bound": round(bound - result.objective, 6)},
        ]
    else:
        records += [
            {"name": f"assignment optimal solve time {label}", "value": round(optimal_s, 3),
             "unit": "s", "baseline": round(greedy_s, 3), "ratio": round(optimal_s / greedy_s, 2),
             "baseline_name": "greedy time (the OR-Tools reference needs `pip install ortools`)",
             "status": str(result.status), "repeats": repeats, **load},
            {"name": f"assignment objective {label}", "value": round(result.objective, 4),
             "unit": "affinity", "baseline": round(greedy_objective, 4),
             "ratio": round(result.objective / greedy_objective, 4), "baseline_name": "greedy",
             "lp_bound": round(bound, 4), "gap_to_lp_bound": round(bound - result.objective, 6)},
        ]
    records.append(
        {"name": f"assignment randomized draw time {label} q=0.5", "value": round(random_s, 3),
         "unit": "s", "baseline": round(optimal_s, 3), "ratio": round(random_s / optimal_s, 2),
         "baseline_name": "optimal solve time", "goal": "<= 2",
         "goal_met": random_s <= 2 * optimal_s, "objective": round(drawn.objective, 4), **load})
    if not quick:
        wall, solve_s = _cli_run(problem)
        baseline = timed["reference"][0] if reference is not None else optimal_s
        records.append(
            {"name": f"flask --app award assign solve {label}, its solve", "value": round(solve_s, 3),
             "unit": "s", "baseline": round(baseline, 3), "ratio": round(solve_s / baseline, 2),
             "baseline_name": "OR-Tools reference" if reference is not None
             else "optimal solve in process", "wall_s": round(wall, 3),
             "load_average_after": round(os.getloadavg()[0], 2)})
    return records
