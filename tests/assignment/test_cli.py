"""`flask --app award assign solve`: good instances print result JSON, bad ones one error line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask_babel import Babel

from award.assignment.cli import assign_cli

GOOD = {
    "reviewers_per_application": 2,
    "applications": [{"id": "A1", "sector": "C"}, {"id": "A2", "sector": "I"}],
    "experts": [
        {"id": "E1", "sectors": ["C"], "organization": "ORG1"},
        {"id": "E2", "sectors": ["C", "I"], "organization": "ORG2"},
        {"id": "E3", "sectors": ["I"], "organization": "ORG3", "max_load": 2},
        {"id": "E4", "sectors": ["M"], "organization": "ORG1"},
    ],
    "affinity": {"A1": {"E4": 0.5}},
    "conflicts": [["A2", "E2"]],
}


def run(args, **kwargs):
    """The group as `flask assign` runs it: inside an app context (a bare app with Babel, as the
    real one has, and no database)."""

    def create_app():
        app = Flask("assign_test")
        Babel(app)
        return app

    script_info = ScriptInfo(create_app=create_app)
    return CliRunner().invoke(assign_cli, args, obj=script_info, **kwargs)


def invoke(tmp_path, instance, *, raw=None):
    path = tmp_path / "instance.json"
    path.write_text(raw if raw is not None else json.dumps(instance), encoding="utf-8")
    return run(["solve", str(path)])


def test_good_instance_prints_the_optimal_result(tmp_path):
    result = invoke(tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["status"] == "optimal"
    assert sorted(map(tuple, out["assignments"])) == [("A1", "E1"), ("A1", "E2"), ("A2", "E3"),
                                                      ("A2", "E4")]
    assert out["objective"] == 3.0
    assert out["unassignable"] == []
    assert out["leaders"] == {"A1": "E1", "A2": "E3"}
    assert out["seconds"] >= 0


def test_stdin_and_seed_give_a_replayable_draw_with_its_input_hash():
    instance = GOOD | {"seed": 42, "max_pair_probability": 1.0}
    runs = [run(["solve", "-"], input=json.dumps(instance))
            for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs)
    first, second = (json.loads(r.stdout) for r in runs)
    assert first["status"] == "randomized"
    assert first["assignments"] == second["assignments"]
    assert first["seed"] == 42 and len(first["input_hash"]) == 64


def test_infeasible_application_is_listed_with_its_reason(tmp_path):
    instance = GOOD | {"conflicts": [["A2", "E2"], ["A2", "E3"], ["A2", "E1"]]}
    out = json.loads(invoke(tmp_path, instance).stdout)
    assert out["status"] == "infeasible"
    assert out["unassignable"] == ["A2"]
    assert out["reasons"]["A2"][0]["code"] == "too_few_experts"
    assert out["reasons"]["A2"][0]["params"] == {"needed": 2, "available": 1}
    assert [a for a, _e in out["assignments"]] == ["A1", "A1"]


@pytest.mark.parametrize(("instance", "raw", "fragment"), [
    (None, "{not json", "not valid JSON"),
    ({k: v for k, v in GOOD.items() if k != "experts"}, None, "missing key 'experts'"),
    (GOOD | {"reviewers_per_application": 0}, None, "reviewers_per_application"),
    (GOOD | {"reviewers_per_application": "2"}, None, "reviewers_per_application"),
    (GOOD | {"applications": {"id": "A1"}}, None, "applications: expected a list"),
    (GOOD | {"applications": [{"id": "A1", "sector": "C"}, {"id": "A1", "sector": "C"}]}, None,
     "duplicate application id 'A1'"),
    (GOOD | {"conflicts": [["A1", "E9"]]}, None, "unknown expert 'E9'"),
    (GOOD | {"conflicts": [["A1"]]}, None, "conflicts[0]"),
    (GOOD | {"affinity": {"A9": {"E1": 1}}}, None, "unknown application 'A9'"),
    (GOOD | {"affinity": {"A1": {"E1": "high"}}}, None, "expected a finite number"),
    (GOOD | {"experts": [{"id": "E1", "sectors": "C", "organization": "O"}]}, None,
     "experts[0].sectors"),
    (GOOD | {"seed": 1.5}, None, "seed"),
    (GOOD | {"max_pair_probability": 0}, None, "max_pair_probability"),
    (GOOD | {"surprise": 1}, None, "unknown key 'surprise'"),
])
def test_malformed_instance_gets_one_error_line(tmp_path, instance, raw, fragment):
    result = invoke(tmp_path, instance, raw=raw)
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_is_one_error_line(tmp_path):
    result = run(["solve", str(tmp_path / "absent.json")])
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1
