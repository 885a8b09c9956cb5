"""CPU per request of four kinds of request in one process (no server), with an optional cProfile:
a 404, a form post refused for a NUL character, the score sheet page and its autosave.
`python -m bench.profile_requests [--profile] [--sort tottime] [--postgres] [--requests N] [--only KIND]`.

Same world and sign-in as bench.profile_scoring (one expert, CSRF on); CPU is `time.process_time()`
of this process, so PostgreSQL's own work is not in it and SQLite's is.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from bench.profile_scoring import _CSRF, _VERSION
from bench.scoring_app import PASSWORD, build_scoring_database, postgres_database, sheet_fields


def kinds(url: str) -> tuple[dict[str, Callable[[], None]], Callable[[], None]]:
    from award import create_app
    from award.app_db import get_database

    world = build_scoring_database(url, experts=5)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-profile"})
    seat = world.seats[0]
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"email": seat.email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    sheet_url = f"/review/assignments/{seat.assignment_id}/sheet"
    autosave_url = f"/review/assignments/{seat.assignment_id}/autosave"
    page = client.get(sheet_url).get_data(as_text=True)
    token, version = _CSRF.search(page).group(1), int(_VERSION.search(page).group(1))
    step = [0, version]

    def not_found() -> None:
        assert client.get("/no/such/page").status_code == 404

    def refused_form() -> None:
        answer = client.post("/language/zh_CN", data={"next": "/\x00", "csrf_token": token})
        assert answer.status_code == 400, answer.status_code

    def sheet_page() -> None:
        assert client.get(sheet_url).status_code == 200

    def autosave() -> None:
        step[0] += 1
        fields = sheet_fields(world.item_ids, percent=5 * (step[0] % 21), note=f"第{step[0]}次")
        answer = client.post(autosave_url, json={"version": step[1], "fields": fields},
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
        step[1] = answer.get_json()["version"]

    return ({"not_found": not_found, "refused_form": refused_form, "sheet_page": sheet_page,
             "autosave": autosave}, lambda: get_database(app).engine.dispose())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_requests")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds; the median is printed")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--only", default="")
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="award-profile-") as folder:
        context = postgres_database() if args.postgres else nullcontext(f"sqlite:///{Path(folder) / 'p.sqlite'}")
        with context as url:
            if url is None:
                raise SystemExit("no PostgreSQL server on the loopback")
            calls, close = kinds(url)
            chosen = {k: v for k, v in calls.items() if not args.only or k in args.only.split(",")}
            for call in chosen.values():
                call()  # warm-up
            samples: dict[str, list[float]] = {k: [] for k in chosen}
            profiles = {k: cProfile.Profile() for k in chosen} if args.profile else {}
            for _ in range(args.rounds):
                for name, call in chosen.items():
                    profiler = profiles.get(name)
                    start = time.process_time()
                    with (profiler if profiler is not None else nullcontext()):
                        for _ in range(args.requests):
                            call()
                    samples[name].append((time.process_time() - start) * 1000 / args.requests)
            close()
    for name, profiler in profiles.items():
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(args.top)
        print(f"== {name}\n{text.getvalue()}")
    print(json.dumps({name: round(sorted(values)[len(values) // 2], 2) for name, values in samples.items()}))


if __name__ == "__main__":
    main()
