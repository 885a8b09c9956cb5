"""The 回避 check of one (application, expert) pair, as the score sheet page and the autosave ask it.

Builds the scoring load bench's world (`scoring_app.build_scoring_database`: 40 experts with
profiles, their applicants' enterprise accounts) in a SQLite file, then in a fresh PostgreSQL
database when one answers, and times `has_conflict` for every seat, alternating call by call with
the reads as they were before issue 23 (`tests/conflicts/reference_reads.py`, the baseline, in
the same run), and counts each one's queries. Medians of every call.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.scoring_app import build_scoring_database, postgres_database


def _measure(url: str, rounds: int) -> dict[str, float]:
    from sqlalchemy import event, select

    from award import create_app
    from award.app_db import get_database
    from award.conflicts import services as conflicts
    from award.rounds.models import Assignment
    from tests.conflicts import reference_reads as before

    world = build_scoring_database(url, experts=40)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-conflicts"})
    database = get_database(app)
    statements: list[str] = []
    with app.app_context(), database.session_factory() as session:
        seats = [session.get(Assignment, seat.assignment_id) for seat in world.seats]
        pairs = [(seat.application, seat.expert) for seat in seats if seat is not None]
        session.scalars(select(Assignment)).all()
        times: dict[str, list[float]] = {"new": [], "old": []}
        checks = {"new": conflicts.has_conflict, "old": before.has_conflict}
        for _ in range(rounds):
            for application, expert in pairs:
                for name in ("old", "new"):
                    start = time.perf_counter()
                    checks[name](session, application, expert)
                    times[name].append(time.perf_counter() - start)
        engine = session.get_bind().engine
        counts = {}
        for name, check in checks.items():
            statements.clear()
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                check(session, *pairs[0])
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            counts[name] = len(statements)
    database.engine.dispose()
    return {"new": statistics.median(times["new"]), "old": statistics.median(times["old"]),
            "new_queries": counts["new"], "old_queries": counts["old"]}


def _records(measured: dict[str, float], dialect: str, size: str) -> list[dict]:
    return [
        {"name": f"conflicts.has_conflict.{dialect}", "value": round(measured["new"] * 1000, 3), "unit": "ms",
         "baseline": round(measured["old"] * 1000, 3),
         "baseline_name": "the same check with the reads before issue 23, alternated call by call",
         "ratio": round(measured["new"] / measured["old"], 3), "size": size, "statistic": "median"},
        {"name": f"conflicts.has_conflict.queries.{dialect}", "value": measured["new_queries"], "unit": "queries",
         "baseline": measured["old_queries"], "baseline_name": "the reads before issue 23",
         "ratio": round(measured["new_queries"] / measured["old_queries"], 3), "size": size},
    ]


def run(quick: bool = False) -> list[dict]:
    rounds = 2 if quick else 10
    size = f"40 experts with profiles, {rounds} checks of each seat"
    records = []
    with tempfile.TemporaryDirectory() as folder:
        records += _records(_measure(f"sqlite:///{Path(folder) / 'bench.sqlite'}", rounds), "sqlite", size)
    with postgres_database() as url:
        if url is not None:
            records += _records(_measure(url, rounds), "postgresql", size)
    return records
