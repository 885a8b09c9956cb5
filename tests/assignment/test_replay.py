"""Traceability (可追溯): a draw replays with the solver version it was drawn with.

The golden draws under golden/ were made by the solver before versions were recorded (main at
6ccb707, `tests/assignment/golden/README.md`): their results carry no "solver_version", so they
are version 1, and they must replay bit-identically however fast the current version becomes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from award.archive.recount import Recount, _Files, _recount_draws
from award.assignment.instance import (
    InvalidInstance,
    draw_outcome,
    instance_hash,
    parse_instance,
    replay_instance,
    result_to_json,
    solve_instance,
    solver_version_of,
)
from award.assignment.solver import SOLVER_VERSION
from award.i18n import force_locale

GOLDEN = Path(__file__).parent / "golden"
CASES = ["draw_v1_small", "draw_v1_medium", "optimal_v1_medium"]


def golden(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CASES)
def test_a_version_1_draw_replays_bit_identically(name):
    draw = golden(name)
    assert solver_version_of(draw["result"]) == 1
    parsed = parse_instance(draw["instance"])
    replayed = result_to_json(solve_instance(parsed, solver_version=1), input_hash=instance_hash(parsed))
    replayed.pop("seconds")
    assert replayed.pop("solver_version") == 1
    # Every field the draw stored, as stored (JSON), to the last digit: pairs, leaders, objective,
    # reasons, hash.
    assert json.loads(json.dumps(replayed, ensure_ascii=False)) == draw["result"]
    assert replay_instance(draw["instance"], draw["result"]) == (draw["input_hash"],
                                                                 draw_outcome(draw["result"]))


@pytest.mark.parametrize("name", CASES)
def test_the_current_version_draws_other_panels_from_the_same_seed(name):
    # Why the version is recorded: read as a current draw, a version-1 record would not replay.
    draw = golden(name)
    current = dict(draw["result"], solver_version=SOLVER_VERSION)
    _digest, replayed = replay_instance(draw["instance"], current)
    assert replayed != draw_outcome(draw["result"])


def test_a_new_draw_records_the_current_version_and_replays_with_it():
    draw = golden("draw_v1_medium")
    result = result_to_json(solve_instance(parse_instance(draw["instance"])))
    assert result["solver_version"] == SOLVER_VERSION == 2
    assert replay_instance(draw["instance"], result)[1] == draw_outcome(result)


@pytest.mark.parametrize("version", [0, 3, "2", 2.0, True, None, [2]])
def test_an_unknown_solver_version_is_refused(version):
    draw = golden("draw_v1_small")
    with pytest.raises(InvalidInstance, match="solver_version"):
        replay_instance(draw["instance"], dict(draw["result"], solver_version=version))


def _recount_of(draw: dict, result: dict) -> Recount:
    """The archive recount's draw check on an archive holding this one draw, its audit record and
    its seats."""
    record = {"id": 7, "round_id": 3, "seed": draw["instance"].get("seed"), "instance": draw["instance"],
              "input_hash": draw["input_hash"], "result": result}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("assignment/draws/draw-7.json", json.dumps(record, ensure_ascii=False))
    audit = [{"action": "review.panels_drawn", "target_id": 7,
              "after": {"seed": record["seed"], "input_hash": draw["input_hash"], **draw_outcome(draw["result"])}}]
    seats = [{"application_id": a, "expert_id": e, "draw_id": 7} for a, e in draw["result"]["assignments"]]
    recount = Recount()
    with zipfile.ZipFile(buffer) as archive, force_locale("en"):
        _recount_draws(_Files(archive), audit, seats, recount)
    return recount


def test_the_archive_recount_replays_a_version_1_draw_clean():
    draw = golden("draw_v1_medium")
    recount = _recount_of(draw, draw["result"])
    assert recount.ok, recount.differences
    assert recount.checked == ["1 draws replayed"]


def test_the_archive_recount_finds_a_version_1_draw_relabelled_as_current():
    draw = golden("draw_v1_medium")
    recount = _recount_of(draw, dict(draw["result"], solver_version=SOLVER_VERSION))
    assert any("Draw 7: replayed from its seed and input it gives other panels" in d for d in recount.differences)
