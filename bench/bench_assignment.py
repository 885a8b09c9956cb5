"""Expert assignment: the exact solver against a greedy baseline and the LP bound, same run.

Full size: 2,000 applications x 500 experts x k = 5, 2% random conflicts, sectors drawn from the
20 GB/T 4754 sections skewed toward C (manufacturing), organizations shared by 1 to 4 experts,
affinity = 1 for a sector match plus a random similarity in [0, 0.5). `quick=True`: 120 x 40.
"""

from __future__ import annotations

import statistics
import time

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


def run(quick: bool = False) -> list[dict]:
    size = {"applications": 120, "experts": 40} if quick else {"applications": 2000,
                                                               "experts": 500}
    repeats = 3
    problem = make_problem(**size)
    label = f"{size['applications']}x{size['experts']}xk5"
    optimal_s, result = _median_time(lambda: solve_optimal(problem), repeats)
    greedy_s, (_panels, greedy_objective) = _median_time(lambda: greedy_assignment(problem),
                                                         repeats)
    bound = lp_bound(problem)
    random_s, drawn = _median_time(
        lambda: solve_randomized(problem, seed=7, max_pair_probability=0.5), 1 if not quick
        else repeats)
    return [
        {"name": f"assignment optimal solve time {label}", "value": round(optimal_s, 3),
         "unit": "s", "baseline": round(greedy_s, 3), "ratio": round(optimal_s / greedy_s, 2),
         "baseline_name": "greedy time", "status": str(result.status), "repeats": repeats},
        {"name": f"assignment objective {label}", "value": round(result.objective, 4),
         "unit": "affinity", "baseline": round(greedy_objective, 4),
         "ratio": round(result.objective / greedy_objective, 4), "baseline_name": "greedy",
         "lp_bound": round(bound, 4), "gap_to_lp_bound": round(bound - result.objective, 6)},
        {"name": f"assignment randomized draw time {label} q=0.5", "value": round(random_s, 3),
         "unit": "s", "baseline": round(optimal_s, 3), "ratio": round(random_s / optimal_s, 2),
         "baseline_name": "optimal solve time", "objective": round(drawn.objective, 4)},
    ]
