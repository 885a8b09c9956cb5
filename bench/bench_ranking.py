"""Ranking speed: aggregate + rank + shortlist of a full cycle against the bare SQL aggregate.

Builds 2,000 applications x 7 sheets x 23 items (GB/T 19580) in memory (quick: 100
applications), then times, in the same run, (a) ``aggregate_round`` + ``rank_applications``
from column arrays, (b) the same from a list of row tuples (what a query returns), (c) the
leave-one-expert-out check, against the baseline ``SELECT application_id, expert_id,
SUM(points) ... GROUP BY`` over the same rows in an in-memory SQLite table. Medians of
several repeats are reported.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable

import numpy as np

from award.ranking.aggregate import GB_T_19580_2012, ScoreRows, aggregate_round
from award.ranking.rank import rank_applications
from award.ranking.robustness import leave_one_expert_out

SHEETS = 7
POOL = 150


def build_rows(n_apps: int, *, seed: int = 2025) -> ScoreRows:
    """Random but plausible sheets: percentages in steps of 5 around each application's level."""
    rng = np.random.default_rng(seed)
    lay = GB_T_19580_2012
    n_items = lay.size
    experts = np.argsort(rng.random((n_apps, POOL)), axis=1)[:, :SHEETS]  # distinct per panel
    level = rng.integers(6, 15, size=(n_apps, 1, 1))
    steps = np.clip(level + rng.integers(-3, 4, size=(n_apps, SHEETS, n_items)), 0, 20)
    points = steps * 0.05 * lay.points
    return ScoreRows(
        application_id=np.repeat(np.arange(1, n_apps + 1), SHEETS * n_items),
        expert_id=np.repeat(experts.ravel(), n_items),
        item_id=np.tile(np.asarray(lay.item_ids), n_apps * SHEETS),
        points=points.ravel(),
    )


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool = False) -> list[dict]:
    n_apps = 100 if quick else 2000
    repeats = 5 if quick else 7
    rows = build_rows(n_apps)
    records = list(
        zip(
            rows.application_id.tolist(),
            rows.expert_id.tolist(),
            rows.item_id.tolist(),
            rows.points.tolist(),
            strict=True,
        )
    )
    settings = {
        "cutoff": 500.0,
        "quota": max(1, n_apps // 50),
        "sector_of": {a: "ACF"[a % 3] for a in range(1, n_apps + 1)},
        "sector_limits": max(1, n_apps // 100),
    }

    def rank_from(score_rows: ScoreRows) -> object:
        aggregate = aggregate_round(
            score_rows, GB_T_19580_2012, method="trimmed_mean", required_sheets=5
        )
        return rank_applications(aggregate, **settings)

    aggregate = aggregate_round(rows, GB_T_19580_2012, method="trimmed_mean", required_sheets=5)

    db = sqlite3.connect(":memory:")
    try:
        db.execute(
            "CREATE TABLE score (application_id INTEGER, expert_id INTEGER, item_id TEXT,"
            " points REAL)"
        )
        db.executemany("INSERT INTO score VALUES (?, ?, ?, ?)", records)
        db.commit()
        sql = (
            "SELECT application_id, expert_id, SUM(points) FROM score"
            " GROUP BY application_id, expert_id"
        )
        baseline = _median_time(lambda: db.execute(sql).fetchall(), repeats)
    finally:
        db.close()

    measured = {
        "ranking.aggregate_rank_shortlist.arrays": _median_time(lambda: rank_from(rows), repeats),
        "ranking.aggregate_rank_shortlist.tuples": _median_time(
            lambda: rank_from(ScoreRows.from_records(records)), repeats
        ),
        "ranking.leave_one_expert_out": _median_time(
            lambda: leave_one_expert_out(aggregate, **settings), max(3, repeats // 2)
        ),
    }
    size = f"{n_apps} applications x {SHEETS} sheets x {GB_T_19580_2012.size} items"
    return [
        {
            "name": name,
            "value": round(value, 6),
            "unit": "s",
            "baseline": round(baseline, 6),
            "baseline_name": "sqlite in-memory SUM(points) GROUP BY application_id, expert_id",
            "ratio": round(value / baseline, 3) if baseline else None,
            "size": size,
            "statistic": "median",
        }
        for name, value in measured.items()
    ]


if __name__ == "__main__":
    import json

    for record in run():
        print(json.dumps(record))
