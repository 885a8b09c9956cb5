"""CPU per request of the score sheet page and its autosave, in one process (no server), with an
optional cProfile of each: `python -m bench.profile_scoring [--profile] [--sort tottime] [--postgres] [--requests N]`.

Builds the load bench's world (`scoring_app.build_scoring_database`), signs one expert in through
the real login page (CSRF on), then times N GETs of the sheet and N autosaves that change every
item, as the load bench does. CPU time is `time.process_time()` of this process, so the database
server's own work (PostgreSQL) is not in it; SQLite's is.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from bench.scoring_app import PASSWORD, build_scoring_database, postgres_database, sheet_fields

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


def measure(url: str, requests: int, profile: bool, top: int = 25, sort: str = "cumulative") -> dict:
    from award import create_app
    from award.app_db import get_database

    world = build_scoring_database(url, experts=5)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-profile"})
    seat = world.seats[0]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    answer = client.post("/login", data={"email": seat.email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    sheet_url = f"/review/assignments/{seat.assignment_id}/sheet"
    autosave_url = f"/review/assignments/{seat.assignment_id}/autosave"
    page = client.get(sheet_url).get_data(as_text=True)  # warm-up
    token, version = _CSRF.search(page).group(1), int(_VERSION.search(page).group(1))
    out: dict = {"database": url.split(":")[0], "requests": requests, "page_bytes": len(page.encode())}

    def get() -> None:
        answer = client.get(sheet_url)
        assert answer.status_code == 200, answer.status_code

    step = [0]

    def save() -> None:
        nonlocal version
        step[0] += 1
        fields = sheet_fields(world.item_ids, percent=5 * (step[0] % 21), note=f"第{step[0]}次")
        answer = client.post(autosave_url, json={"version": version, "fields": fields},
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
        version = answer.get_json()["version"]

    save()  # warm-up
    for name, call in (("sheet_page", get), ("autosave", save)):
        profiler = cProfile.Profile() if profile else None
        start = time.process_time()
        with (profiler if profiler is not None else nullcontext()):
            for _ in range(requests):
                call()
        out[f"{name}_cpu_ms"] = round((time.process_time() - start) * 1000 / requests, 2)
        if profiler is not None:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(sort).print_stats(top)
            out[f"{name}_profile"] = text.getvalue()
    get_database(app).engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_scoring")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="a pstats key: cumulative, tottime, ...")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="award-profile-") as folder:
        context = postgres_database() if args.postgres else nullcontext(f"sqlite:///{Path(folder) / 'p.sqlite'}")
        with context as url:
            if url is None:
                raise SystemExit("no PostgreSQL server on the loopback")
            result = measure(url, args.requests, args.profile, args.top, args.sort)
    for key in [k for k in result if k.endswith("_profile")]:
        print(result.pop(key))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
