"""The scoring page under concurrent experts, served by gunicorn, beside a hello-world Flask page.

gunicorn runs on 127.0.0.1 with the README's deployment settings (4 sync workers, `award.wsgi:app`)
over a migrated database where every expert holds one pledged draft sheet of GB/T 19580 (23
items): a SQLite file, and PostgreSQL when a server answers on the loopback (see
`scoring_app.postgres_database`). N clients, each logged in as a different expert (CSRF on, as
in production), alternate GET sheet page and POST autosave (every save changes the sheet) for a
fixed number of requests. The baseline is the smallest Flask page under the same gunicorn
settings, driven by the same clients with the same counts, in the same run; and the bare-bytes
baseline: a Flask view at the same two URLs answering the very bytes the app answered (the sheet
page, an autosave's JSON) under the same gunicorn settings and the same mix, also in the same run.
The goal of issue 23: requests per second at least 20 % of the bare-bytes figure, p95 at most
100 ms, no errors; each record says whether it is met (`goal`, `goal_met`).

Reported: p50 and p95 latency of the sheet page and of the autosave, requests per second of the
whole mix, and errors (any answer other than 200, or a failed connection). Login and one warm-up
request per client are not timed. Every run is bounded by a request count and a time limit;
requests not made before the limit count as errors.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.scoring_app import (
    Client,
    ScoringWorld,
    build_scoring_database,
    database_version,
    gunicorn,
    postgres_database,
    sheet_fields,
)

WORKERS = 4


@dataclass
class Load:
    """Latencies (seconds) per request kind, errors and the wall time of one load run."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    requests: int = 0
    wall: float = 0.0

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.requests += 1
        self.errors += 0 if ok else 1

    def merge(self, other: Load) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.errors += other.errors
        self.requests += other.requests

    def quantile(self, kind: str | None, q: float) -> float:
        values = sorted(v for k, vs in self.latencies.items() if kind in (None, k) for v in vs)
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]

    @property
    def per_second(self) -> float:
        return self.requests / self.wall if self.wall else 0.0


def drive(base_url: str, clients: int, requests: int, seconds: float,
          user: Callable[[Client, int, Load, Callable[[], bool]], None],
          prepare: Callable[[Client, int], None]) -> Load:
    """`clients` threads, each with its own Client: prepare (untimed), then `user` makes up to
    `requests` timed requests until the shared deadline. Requests not made count as errors."""
    started: list[float] = []
    # The barrier's action runs once, before any thread goes on: the clock starts for everyone.
    ready = threading.Barrier(clients + 1, action=lambda: started.append(time.monotonic()), timeout=120)

    def one(number: int) -> Load:
        client, load = Client(base_url), Load()
        try:
            prepare(client, number)
        finally:
            ready.wait()
        try:
            user(client, number, load, lambda: time.monotonic() < started[0] + seconds and load.requests < requests)
        finally:
            client.close()
        load.errors += requests - load.requests
        return load

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(one, n) for n in range(clients)]
        ready.wait()
        total = Load()
        for future in futures:
            total.merge(future.result())
        total.wall = time.monotonic() - started[0]
    total.requests = sum(len(v) for v in total.latencies.values())
    return total


def _timed(load: Load, kind: str, call: Callable[[], object]) -> object | None:
    start = time.perf_counter()
    try:
        answer = call()
    except OSError:
        load.add(kind, time.perf_counter() - start, ok=False)
        return None
    load.add(kind, answer.seconds, ok=answer.status == 200)
    return answer


def hello_load(clients: int, requests: int, seconds: float, log: Path) -> Load:
    with gunicorn("bench.scoring_app:hello_app()", workers=WORKERS, log=log) as base_url:
        def user(client: Client, _number: int, load: Load, going: Callable[[], bool]) -> None:
            while going():
                _timed(load, "hello", lambda: client.request("GET", "/"))

        return drive(base_url, clients, requests, seconds, user,
                     prepare=lambda client, _n: client.request("GET", "/"))


def scoring_load(world: ScoringWorld, clients: int, requests: int, seconds: float, log: Path, *,
                 capture: Path | None = None, bare: bool = False) -> Load:
    """The mix against the app; with `bare`, against the bare-bytes app (no login, same URLs).
    `capture`: a folder where the first client writes the page and an autosave answer it got."""
    env = {"AWARD_DATABASE_URL": world.url, "AWARD_SECRET_KEY": "bench-scoring-load"}
    spec = "award.wsgi:app"
    if bare:
        assert capture is not None
        env = {"AWARD_BENCH_PAGE": str(capture / "page.html"), "AWARD_BENCH_SAVED": str(capture / "saved.json")}
        spec = "bench.scoring_app:bytes_app()"
    versions: dict[int, int] = {}
    with gunicorn(spec, workers=WORKERS, env=env, log=log) as base_url:
        def prepare(client: Client, number: int) -> None:
            seat = world.seats[number]
            if not bare:
                client.login(seat.email)
            answer, versions[number] = client.sheet(seat.assignment_id)  # warm-up, untimed
            if answer.status != 200:
                raise RuntimeError(f"{seat.email}: the sheet page answered {answer.status}")
            if number == 0 and capture is not None and not bare:
                (capture / "page.html").write_bytes(answer.body)
                saved = client.autosave(seat.assignment_id, version=versions[number], fields=sheet_fields(
                    world.item_ids, percent=50, note="预热"))
                if saved.status != 200:
                    raise RuntimeError(f"{seat.email}: the warm-up autosave answered {saved.status}")
                versions[number] = saved.json()["version"]
                (capture / "saved.json").write_bytes(saved.body)

        def user(client: Client, number: int, load: Load, going: Callable[[], bool]) -> None:
            seat, step = world.seats[number], 0
            while going():
                if step % 2 == 0:
                    _timed(load, "sheet_page", lambda: client.sheet(seat.assignment_id)[0])
                else:
                    fields = sheet_fields(world.item_ids, percent=5 * (step % 21), note=f"第{step}次")
                    answer = _timed(load, "autosave", lambda f=fields: client.autosave(
                        seat.assignment_id, version=versions[number], fields=f))
                    if answer is not None and answer.status == 200:
                        versions[number] = answer.json()["version"]
                    elif answer is not None:
                        versions[number] = client.sheet(seat.assignment_id)[1]  # resync after a refusal
                step += 1

        return drive(base_url, clients, requests, seconds, user, prepare)


GOAL_RATIO = 0.20  # requests per second, of the bare-bytes baseline's (issue 23)
GOAL_P95_MS = 100.0


def _records(database: str, version: str, load: Load, hello: Load, bare: Load, *, clients: int, requests: int
             ) -> list[dict]:
    common = {"database": version, "clients": clients, "requests_per_client": requests,
              "server": f"gunicorn {WORKERS} sync workers, 127.0.0.1", "requests_made": load.requests}
    hello_p50, hello_p95 = hello.quantile(None, 0.50) * 1000, hello.quantile(None, 0.95) * 1000
    records = []
    for kind in ("sheet_page", "autosave"):
        for label, q, baseline in (("p50", 0.50, hello_p50), ("p95", 0.95, hello_p95)):
            value = load.quantile(kind, q) * 1000
            records.append({"name": f"scoring_load.{database}.{kind}.{label}", "value": round(value, 2),
                            "unit": "ms", "baseline": round(baseline, 2), "ratio": round(value / baseline, 2),
                            "baseline_name": f"hello-world Flask page {label}", "statistic": label, **common})
            bare_value = bare.quantile(kind, q) * 1000
            record = {"name": f"scoring_load.{database}.{kind}.{label}.vs_bare_bytes", "value": round(value, 2),
                      "unit": "ms", "baseline": round(bare_value, 2), "ratio": round(value / bare_value, 2),
                      "baseline_name": f"bare Flask view answering the same bytes, {label}", "statistic": label,
                      **common}
            if label == "p95":
                record.update(goal=f"<= {GOAL_P95_MS:g} ms", goal_met=value <= GOAL_P95_MS)
            records.append(record)
    rps = load.per_second
    records.append({"name": f"scoring_load.{database}.requests_per_second", "value": round(rps, 1),
                    "unit": "req/s", "baseline": round(hello.per_second, 1),
                    "ratio": round(rps / hello.per_second, 3) if hello.per_second else None,
                    "baseline_name": "hello-world Flask page", "statistic": "mean over the run", **common})
    bare_ratio = round(rps / bare.per_second, 3) if bare.per_second else None
    records.append({"name": f"scoring_load.{database}.requests_per_second.vs_bare_bytes", "value": round(rps, 1),
                    "unit": "req/s", "baseline": round(bare.per_second, 1), "ratio": bare_ratio,
                    "baseline_name": "bare Flask view answering the same bytes, same mix",
                    "statistic": "mean over the run", "goal": f">= {GOAL_RATIO:g} of the baseline",
                    "goal_met": bare_ratio is not None and bare_ratio >= GOAL_RATIO, **common})
    records.append({"name": f"scoring_load.{database}.errors", "value": load.errors, "unit": "count",
                    "baseline": bare.errors, "ratio": round(load.errors / bare.errors, 3) if bare.errors else None,
                    "baseline_name": "bare Flask view answering the same bytes", "statistic": "total",
                    "goal": "0", "goal_met": load.errors == 0, **common})
    return records


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def run(quick: bool = False) -> list[dict]:
    clients = 4 if quick else 16
    requests = 10 if quick else 100  # per client, half sheet pages and half autosaves
    seconds = 60.0 if quick else 180.0  # the time limit of each load run
    records: list[dict] = []
    loads = [_load_average()]
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        logs = Path(folder)
        hello = hello_load(clients, requests, seconds, logs / "hello.log")
        sqlite_url = f"sqlite:///{logs / 'scoring.sqlite'}"
        world = build_scoring_database(sqlite_url, experts=max(clients, 5))
        load = scoring_load(world, clients, requests, seconds, logs / "sqlite.log", capture=logs)
        loads.append(_load_average())
        # The bare-bytes baseline answers the bytes the app just answered, under the same settings.
        bare = scoring_load(world, clients, requests, seconds, logs / "bare.log", capture=logs, bare=True)
        records += _records("sqlite", database_version(sqlite_url), load, hello, bare, clients=clients,
                            requests=requests)
        with postgres_database() as postgres_url:
            if postgres_url is not None:
                world = build_scoring_database(postgres_url, experts=max(clients, 5))
                load = scoring_load(world, clients, requests, seconds, logs / "postgresql.log")
                records += _records("postgresql", database_version(postgres_url), load, hello, bare,
                                    clients=clients, requests=requests)
        loads.append(_load_average())
    for record in records:
        record["load_average"] = " → ".join(loads)  # start, after SQLite, end (1, 5, 15 min)
    return records


if __name__ == "__main__":
    import json
    import sys

    for record in run(quick="--quick" in sys.argv):
        print(json.dumps(record, ensure_ascii=False))
