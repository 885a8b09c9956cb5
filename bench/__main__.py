"""Run every benchmark module in bench/ and print one JSON object per line.

Each module `bench/bench_<name>.py` exposes `run(quick: bool = False) -> list[dict]`, each
record holding name, value, unit, baseline and ratio (value / baseline), measured in the same
run. `python -m bench --quick` runs small sizes (used by the test that keeps the harness honest).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

REQUIRED_KEYS = ("name", "value", "unit", "baseline", "ratio")


def discover() -> list[str]:
    folder = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("only", nargs="*", help="module names (bench_x) to run; default all")
    args = parser.parse_args(argv)
    failed = False
    for name in args.only or discover():
        module = importlib.import_module(f"bench.{name}")
        try:
            records = module.run(quick=args.quick)
        except Exception as error:  # a failing benchmark must not hide the others
            print(json.dumps({"name": name, "error": repr(error)}), flush=True)
            failed = True
            continue
        for record in records:
            missing = [key for key in REQUIRED_KEYS if key not in record]
            if missing:
                raise SystemExit(f"{name}: record lacks {missing}: {record}")
            print(json.dumps(record, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
