"""The command-line groups are registered on the app."""

import json


def test_assign_solve_is_reachable_through_flask(app, tmp_path):
    instance = {
        "reviewers_per_application": 1,
        "applications": [{"id": "A1", "sector": "C"}],
        "experts": [{"id": "E1", "sectors": ["C"], "organization": "91320500MA1X00001X", "max_load": 1}],
        "affinity": {}, "conflicts": [],
    }
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance))
    result = app.test_cli_runner().invoke(args=["assign", "solve", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["assignments"] == [["A1", "E1"]]
