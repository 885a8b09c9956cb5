"""How fast a command starts, and how much memory a web worker holds (issue 23, points 5 and 6).

Start-up: the wall time of `flask --app award --help` (the command line builds the app to list its
commands, as every `flask --app award …` command does), median of 5 runs, against `python -c
"import award"` measured the same way in the same run; and `import award.cli` beside it. One untimed
run of each first, with bytecode writing on (an installed package has its `.pyc` files; a run without
them would time the compiler). Goal: at most 1 s.

Memory: one gunicorn sync worker (the README's worker class) serving `award.wsgi:app` over a migrated
SQLite file with one open document round (`scoring_app.build_scoring_database`). An expert and an
office account take turns through a mix of five pages: the score sheet, an autosave, the expert's
dashboard, the cycle's ranking and the expert pool's list; 1,000 requests in all (login untimed).
The worker's resident memory (VmRSS) after the last request, against a hello-world Flask page's
worker after the same count of requests under the same settings, in the same run. Goal: at most
150 MB.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.scoring_app import (
    PROJECT_ROOT,
    Answer,
    Client,
    build_scoring_database,
    gunicorn_process,
    sheet_fields,
)

GOAL_SECONDS = 1.0
GOAL_RSS_MB = 150.0


def _environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    return environment


def _wall(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of `command` over `runs` runs, after one
    untimed run. The CPU time moves less than the wall time when other work shares the machine."""
    environment = _environment()
    walls, cpus = [], []
    for number in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=PROJECT_ROOT, env=environment, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if number:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def startup_records(runs: int) -> list[dict]:
    baseline, baseline_cpu = _wall([sys.executable, "-c", "import award"], runs)
    records = []
    for name, command in (
            ("startup.flask_help", [sys.executable, "-m", "flask", "--app", "award", "--help"]),
            ("startup.import_award_cli", [sys.executable, "-c", "import award.cli"])):
        value, cpu = _wall(command, runs)
        records.append({"name": name, "value": round(value, 3), "unit": "s", "baseline": round(baseline, 3),
                        "ratio": round(value / baseline, 2), "baseline_name": 'python -c "import award"',
                        "statistic": f"median of {runs} runs, after one untimed run", "goal": f"<= {GOAL_SECONDS:g} s",
                        "goal_met": value <= GOAL_SECONDS, "command": " ".join(command[1:]),
                        "cpu_seconds": round(cpu, 3), "baseline_cpu_seconds": round(baseline_cpu, 3)})
    return records


# --------------------------------------------------------------------------- a worker's memory


def _worker_rss_mb(master: subprocess.Popen) -> float:
    """VmRSS of the master's one child (the worker), in MB (10^6 bytes)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmRSS line")


def _serve(spec: str, env: dict[str, str], log: Path, requests: int,
           prepare: Callable[[str], Callable[[int], Answer]]) -> tuple[float, float, int]:
    """One worker: `prepare(base_url)` logs in and returns the request for step n. Returns the RSS after
    the first request, after the last one, and the count of answers other than 200."""
    with gunicorn_process(spec, workers=1, env=env, log=log) as (base_url, master):
        step = prepare(base_url)
        errors = 0 if step(0).status == 200 else 1
        first = _worker_rss_mb(master)
        for number in range(1, requests):
            errors += 0 if step(number).status == 200 else 1
        return first, _worker_rss_mb(master), errors


def memory_records(requests: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="award-bench-") as folder:
        logs = Path(folder)
        url = f"sqlite:///{logs / 'startup.sqlite'}"
        world = build_scoring_database(url, experts=5)
        seat = world.seats[0]
        env = {"AWARD_DATABASE_URL": url, "AWARD_SECRET_KEY": "bench-startup"}
        kinds = ("sheet_page", "autosave", "dashboard", "ranking", "expert_list")

        def app_steps(base_url: str) -> Callable[[int], Answer]:
            expert, office = Client(base_url), Client(base_url)
            expert.login(seat.email)
            office.login("office@bench.example.cn")
            version = [expert.sheet(seat.assignment_id)[1]]

            def step(number: int) -> Answer:
                kind = kinds[number % len(kinds)]
                if kind == "sheet_page":
                    answer, version[0] = expert.sheet(seat.assignment_id)
                    return answer
                if kind == "autosave":
                    answer = expert.autosave(seat.assignment_id, version=version[0], fields=sheet_fields(
                        world.item_ids, percent=5 * (number % 21), note=f"第{number}次"))
                    if answer.status == 200:
                        version[0] = answer.json()["version"]
                    return answer
                if kind == "dashboard":
                    return expert.request("GET", "/dashboard")
                if kind == "ranking":
                    return office.request("GET", f"/cycles/{world.cycle_id}/ranking/")
                return office.request("GET", "/pool/")

            return step

        def hello_steps(base_url: str) -> Callable[[int], Answer]:
            client = Client(base_url)
            return lambda _number: client.request("GET", "/")

        first, after, errors = _serve("award.wsgi:app", env, logs / "app.log", requests, app_steps)
        hello_first, hello_after, hello_errors = _serve("bench.scoring_app:hello_app()", {}, logs / "hello.log",
                                                        requests, hello_steps)
    common = {"server": "gunicorn 1 sync worker, 127.0.0.1", "database": "SQLite file", "requests": requests,
              "mix": " / ".join(kinds), "errors": errors, "baseline_errors": hello_errors}
    return [
        {"name": "startup.worker_rss", "value": round(after, 1), "unit": "MB", "baseline": round(hello_after, 1),
         "ratio": round(after / hello_after, 2), "baseline_name": f"hello-world Flask worker after {requests} requests",
         "statistic": f"VmRSS after {requests} requests", "goal": f"<= {GOAL_RSS_MB:g} MB",
         "goal_met": after <= GOAL_RSS_MB and errors == 0, **common},
        {"name": "startup.worker_rss_first_request", "value": round(first, 1), "unit": "MB",
         "baseline": round(hello_first, 1), "ratio": round(first / hello_first, 2),
         "baseline_name": "hello-world Flask worker after its first request", "statistic": "VmRSS after 1 request",
         **common},
    ]


def run(quick: bool = False) -> list[dict]:
    started = _load_average()
    records = startup_records(runs=2 if quick else 5) + memory_records(requests=50 if quick else 1000)
    for record in records:
        record["load_average"] = f"{started} → {_load_average()}"  # start, end (1, 5, 15 min)
    return records


if __name__ == "__main__":
    import json

    for record in run(quick="--quick" in sys.argv):
        print(json.dumps(record, ensure_ascii=False))
