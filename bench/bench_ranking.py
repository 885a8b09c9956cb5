"""Ranking speed: aggregate + rank + shortlist of a full cycle against the bare SQL aggregate.

Builds 2,000 applications x 7 sheets x 23 items (GB/T 19580) in memory (quick: 100
applications), then times, in the same run, (a) ``aggregate_round`` + ``rank_applications``
from column arrays, (b) the same from a list of row tuples (what a query returns), (c) the
leave-one-expert-out check, against the baseline ``SELECT application_id, expert_id,
SUM(points) ... GROUP BY`` over the same rows in an in-memory SQLite table.

Before that (so the process holds no more than a web worker would), the same rows go into
the app's real tables in a SQLite file, and then in a fresh PostgreSQL database on the local
server when one answers (bulk inserts, one executemany per table; every item with a strength
and an improvement text, as submitted sheets have them), and the app's service is timed end
to end: (d) ``load_score_rows`` (the one query over item_scores ⋈ score_sheets ⋈ assignments)
and (e) ``compute_ranking`` (rows, conflicts, blacklist, aggregation, combination, ranking,
leave-one-expert-out), (f) ``round_exclusions`` and the ``conflicts_for_cycle`` it asks (150
experts with pool profiles and two declared clients each), the latter alternated call by call
with the reads before issue 23, beside the bare SQL ``SUM(points) GROUP BY`` over the same three
joined tables in that database. The sheets are inserted as `submit_sheet` leaves them, with
their points also packed on the sheet (`ScoreSheet.item_points`), which the service reads.
(e) is timed twice: as the pages call it again with nothing changed (every part is read from the
database again; the aggregation and the robustness check, given the same inputs, are reused), and
cold (`compute_ranking_cold`: every part computed, as after any change). The
service's figures and the baseline are timed in turns, one call of each per round, many rounds
(a shared machine), and the medians reported with the load average.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url

from award.ranking.aggregate import GB_T_19580_2012, ScoreRows, aggregate_round
from award.ranking.rank import rank_applications
from award.ranking.robustness import leave_one_expert_out
from bench.scoring_app import postgres_database

SHEETS = 7
POOL = 150
# Every scored item carries a strength and an improvement point (the sheet refuses to submit
# without them), so the score rows in the database are this wide, not bare numbers.
STRENGTH = "方针目标层层分解到部门和岗位，过程监测指标完整，数据分析结果用于管理评审，改进循环清晰，领导示范作用突出。"
IMPROVEMENT = "建议扩大对标范围，选择行业标杆进行系统比较；加强创新成果的推广与评价，提高学习与改进的系统性和整合程度。"


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


def _interleaved_medians(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median time of each function over `repeats` rounds, one call of each per round, so that the
    other work on a shared machine weighs on every figure and its baseline alike; and under
    `<name>.cpu` the median CPU time of this process (the database's share, for PostgreSQL, is not
    in it)."""
    for function in functions.values():
        function()  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in functions}
    cpu: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            gc.collect()  # untimed: no call pays for the cyclic garbage the one before it left
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            samples[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    medians.update({f"{name}.cpu": statistics.median(values) for name, values in cpu.items()})
    return medians


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _service_measurements(
    rows: ScoreRows, repeats: int, url: str,
) -> tuple[dict[str, float], float, dict[str, tuple[float, float]]]:
    """Time the app's ranking service on the empty database at `url`, filled with `rows`."""
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy import insert, text

    from award import create_app
    from award.app_db import get_database
    from award.applications.models import Application, ApplicationStatus
    from award.auth.models import Organization, Role, User
    from award.credit_code import make_credit_code
    from award.cycles.models import Stage
    from award.cycles.services import CycleSettings, create_cycle, cycle_rubric
    from award.cycles.settings import EligibilitySettings
    from award.db import utcnow
    from award.models import metadata
    from award.pool.kinds import RelationKind
    from award.pool.models import ExpertProfile, ExpertRelation
    from award.ranking import services
    from award.rounds.models import Assignment, AssignmentSource, ReviewRound, RoundKind, RoundStatus
    from award.scoring.models import ItemScore, ScoreSheet, SheetStatus
    from award.scoring.packed import pack_points

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "BABEL_DEFAULT_LOCALE": "en"})
    database = get_database(app)
    metadata.create_all(database.engine)
    dialect = database.engine.dialect.name
    with app.app_context(), database.session_factory() as session:
        now = utcnow()
        cycle = create_cycle(session, actor=None, rubric_key="gbt19580-2012", settings=CycleSettings(
            year=now.year, title="bench", awards_count=max(1, len(np.unique(rows.application_id)) // 50),
            cutoff_score=Decimal("500"), experts_per_application=SHEETS, onsite_review=False,
            deadlines={Stage.APPLICATION: now + dt.timedelta(days=1)}, eligibility=EligibilitySettings()))
        cycle.stage = Stage.DELIBERATION
        app_keys = np.unique(rows.application_id).tolist()
        expert_keys = np.unique(rows.expert_id).tolist()
        session.execute(insert(Organization), [
            {"id": k, "credit_code": make_credit_code(f"91320500{k:09d}"), "name": f"企业{k}"} for k in app_keys])
        session.execute(insert(Application), [
            {"id": k, "cycle_id": cycle.id, "organization_id": k, "status": ApplicationStatus.ELIGIBLE,
             "sector": "ACF"[k % 3], "org_name": f"企业{k}", "self_assessment": {}} for k in app_keys])
        user_id = {k: 100_000 + k for k in expert_keys}
        session.execute(insert(User), [
            {"id": user_id[k], "email": f"e{k}@bench.cn", "password_hash": "-", "role": Role.EXPERT,
             "full_name": f"expert {k}", "phone": "", "locale": "zh_CN"} for k in expert_keys])
        # every expert has a pool profile and two declared clients, as the 回避 check reads them
        session.execute(insert(ExpertProfile), [
            {"id": k + 1, "user_id": user_id[k], "organization_code": make_credit_code(f"91320600{k:09d}"),
             "organization_name": f"研究院{k}", "sectors": ["C"]} for k in expert_keys])
        session.execute(insert(ExpertRelation), [
            {"expert_id": k + 1, "kind": RelationKind.CLIENT, "party_code": make_credit_code(
                f"91320500{app_keys[(k * 13 + j * 101) % len(app_keys)]:09d}")}
            for k in expert_keys for j in range(2)])
        review_round = ReviewRound(cycle_id=cycle.id, kind=RoundKind.DOCUMENT, status=RoundStatus.CLOSED,
                                   method="trimmed_mean", required_sheets=5, experts_per_application=SHEETS)
        session.add(review_round)
        session.flush()
        n_items = GB_T_19580_2012.size
        sheet_app = rows.application_id[::n_items].tolist()
        sheet_exp = rows.expert_id[::n_items].tolist()
        session.execute(insert(Assignment), [
            {"id": s + 1, "round_id": review_round.id, "application_id": a, "expert_id": user_id[e],
             "source": AssignmentSource.OPTIMAL}
            for s, (a, e) in enumerate(zip(sheet_app, sheet_exp, strict=True))])
        # As submit_sheet writes a sheet: its points also packed in the rubric's order.
        rubric_ids = [item.id for item in cycle_rubric(cycle).items]
        sheet_points = [dict(zip(rows.item_id[s * n_items:(s + 1) * n_items].tolist(),
                                 (Decimal(f"{p:.2f}") for p in rows.points[s * n_items:(s + 1) * n_items].tolist()),
                                 strict=True)) for s in range(len(sheet_app))]
        session.execute(insert(ScoreSheet), [
            {"id": s + 1, "assignment_id": s + 1, "status": SheetStatus.SUBMITTED, "version": 1,
             "total": sum(sheet_points[s].values()), "item_points": pack_points(rubric_ids, sheet_points[s])}
            for s in range(len(sheet_app))])
        session.execute(insert(ItemScore), [
            {"sheet_id": r // n_items + 1, "item_id": item, "points": Decimal(f"{points:.2f}"),
             "strength": STRENGTH, "improvement": IMPROVEMENT}
            for r, (item, points) in enumerate(zip(rows.item_id.tolist(), rows.points.tolist(), strict=True))])
        session.commit()
        if dialect == "postgresql":
            session.execute(text("ANALYZE"))  # as autovacuum will have done by the time a round is ranked

        baseline_sql = text(
            "SELECT a.application_id, a.expert_id, SUM(i.points) FROM item_scores i"
            " JOIN score_sheets s ON s.id = i.sheet_id JOIN assignments a ON a.id = s.assignment_id"
            " WHERE a.round_id = :r AND s.status = 'submitted' GROUP BY a.application_id, a.expert_id")
        def cold() -> object:
            services.forget_reused_computations()  # as after any change: nothing to reuse
            return services.compute_ranking(session, cycle)

        medians = _interleaved_medians({
            "baseline": lambda: session.execute(baseline_sql, {"r": review_round.id}).all(),
            f"ranking.service.load_score_rows.{dialect}": lambda: services.load_score_rows(session, review_round),
            f"ranking.service.compute_ranking.{dialect}": lambda: services.compute_ranking(session, cycle),
            f"ranking.service.compute_ranking_cold.{dialect}": cold,
            # the conflicts of the round's 14,000 assigned pairs (conflicts_for_cycle) and panel changes
            f"ranking.service.round_exclusions.{dialect}": lambda: services.round_exclusions(session, cycle,
                                                                                           review_round),
        }, repeats)
        baseline = medians.pop("baseline")
        baseline_cpu = medians.pop("baseline.cpu")
        measured = {name: value for name, value in medians.items() if not name.endswith(".cpu")}
        cpu = {name: (medians[f"{name}.cpu"], baseline_cpu) for name in measured}
        measured.update(_conflict_reads(session, cycle, review_round, repeats, dialect))
        ranking = services.compute_ranking(session, cycle)
        assert sum(e.in_shortlist for e in ranking.entries) == cycle.awards_count
    database.engine.dispose()
    return measured, baseline, cpu


def _conflict_reads(session, cycle, review_round, repeats: int, dialect: str) -> dict[str, float]:
    """`conflicts_for_cycle` as `round_exclusions` asks it (the round's 2,000 applications and 150
    experts), alternated call by call with the reads before issue 23 (tests/conflicts/reference_reads.py)."""
    from sqlalchemy import select

    from award.conflicts import services as conflicts
    from award.rounds.models import Assignment
    from tests.conflicts import reference_reads as before

    pairs = session.execute(select(Assignment.application_id, Assignment.expert_id)
                            .where(Assignment.round_id == review_round.id)).all()
    narrowed = {"application_ids": {a for a, _e in pairs}, "expert_ids": {e for _a, e in pairs}}
    def new(session, cycle, **narrowed):  # the read itself: no conflict matrix kept from the call before
        conflicts.forget_reused_matrices()
        return conflicts.conflicts_for_cycle(session, cycle, **narrowed)

    reads = {"new": new, "old": before.conflicts_for_cycle}
    times: dict[str, list[float]] = {"new": [], "old": []}
    for read in reads.values():
        read(session, cycle, **narrowed)  # warm-up
    for _ in range(repeats):
        for name, read in reads.items():
            start = time.perf_counter()
            read(session, cycle, **narrowed)
            times[name].append(time.perf_counter() - start)
    return {f"ranking.service.conflicts_for_cycle.{dialect}": statistics.median(times["new"]),
            f"ranking.service.conflicts_for_cycle_before.{dialect}": statistics.median(times["old"])}


def _record(name: str, value: float, baseline: float, baseline_name: str, size: str,
            cpu: tuple[float, float] | None = None) -> dict:
    extra = {} if cpu is None else {"cpu_value": round(cpu[0], 6), "cpu_baseline": round(cpu[1], 6),
                                    "cpu_ratio": round(cpu[0] / cpu[1], 3) if cpu[1] else None}
    return {**extra,
        "load_average": round(os.getloadavg()[0], 2),
        "name": name,
        "value": round(value, 6),
        "unit": "s",
        "baseline": round(baseline, 6),
        "baseline_name": baseline_name,
        "ratio": round(value / baseline, 3) if baseline else None,
        "size": size,
        "statistic": "median",
    }


def _service_records(rows: ScoreRows, repeats: int, url: str, size: str) -> list[dict]:
    measured, baseline, cpu = _service_measurements(rows, repeats, url)
    baseline_name = (f"{make_url(url).get_backend_name()}: SUM(points) over item_scores ⋈ score_sheets ⋈ assignments"
                     " GROUP BY application, expert")
    return [_record(name, value, baseline, baseline_name, size, cpu.get(name)) for name, value in measured.items()]


def run(quick: bool = False) -> list[dict]:
    n_apps = 100 if quick else 2000
    repeats = 5 if quick else 21  # a shared machine: many repeats, medians
    rows = build_rows(n_apps)
    size = f"{n_apps} applications x {SHEETS} sheets x {GB_T_19580_2012.size} items"
    # The service first, while this process holds no more than a web worker would: the
    # 322,000 row tuples built below for (b) make every garbage collection slower.
    service_records: list[dict] = []
    with tempfile.TemporaryDirectory() as folder:
        service_records += _service_records(rows, repeats, f"sqlite:///{Path(folder) / 'bench.sqlite'}", size)
    with postgres_database() as postgres_url:
        if postgres_url is not None:
            service_records += _service_records(rows, repeats, postgres_url, size)
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
    return service_records + [
        _record(name, value, baseline, "sqlite in-memory SUM(points) GROUP BY application_id, expert_id", size)
        for name, value in measured.items()
    ]

if __name__ == "__main__":
    import json

    for record in run():
        print(json.dumps(record))
