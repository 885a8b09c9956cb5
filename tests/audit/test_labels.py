"""Every action and object kind a service records has words for the trail page; changes read field by field."""

from __future__ import annotations

import ast
from pathlib import Path

from award import PROJECT_ROOT
from award.applications.services import TRANSITIONS
from award.audit.changes import FieldChange, field_changes
from award.audit.labels import ACTION_LABELS, TARGET_LABELS


def _strings(value: ast.AST) -> list[str]:
    """The strings an expression can be: a constant, or either branch of a condition."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.IfExp):
        return _strings(value.body) + _strings(value.orelse)
    return []


def _recorded_codes() -> tuple[set[str], set[str]]:
    """The action and target-type strings of award/: keyword arguments `action=` / `target_type=` of any
    call, and strings assigned to a name `action` (chosen by a condition before the call)."""
    actions: set[str] = set()
    targets: set[str] = set()
    for path in (PROJECT_ROOT / "award").rglob("*.py"):
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            found: list[tuple[str, ast.AST]] = []
            if isinstance(node, ast.Call):
                found += [(k.arg, k.value) for k in node.keywords if k.arg in ("action", "target_type")]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "action"
                                                       for t in node.targets):
                found.append(("action", node.value))
            for name, value in found:
                if isinstance(value, ast.JoinedStr) and name == "action":  # application.{transition.action}
                    prefix = "".join(str(part.value) for part in value.values if isinstance(part, ast.Constant))
                    actions.update(f"{prefix}{t.action}" for t in TRANSITIONS)
                    continue
                for text in _strings(value):
                    (actions if name == "action" else targets).add(text)
    return actions, targets


def test_every_recorded_action_and_object_kind_has_words():
    actions, targets = _recorded_codes()
    assert len(actions) > 80 and "application.submitted" in actions and "user.disabled" in actions
    assert sorted(actions - ACTION_LABELS.keys()) == []
    assert sorted(targets - TARGET_LABELS.keys()) == []


def test_changes_list_only_what_differs():
    assert field_changes({"status": "draft", "title": "甲", "n": 1}, {"status": "submitted", "title": "甲", "n": 1}) \
        == [FieldChange("status", "draft", "submitted")]


def test_a_creation_has_only_afters_and_a_removal_only_befores():
    assert field_changes(None, {"b": True, "a": ["质量", 2]}) == [
        FieldChange("a", None, '["质量", 2]'), FieldChange("b", None, "yes")]
    assert field_changes({"reason": "重复"}, None) == [FieldChange("reason", "重复", None)]
    assert field_changes({"x": None}, {}) == [FieldChange("x", "—", None)]


def test_plain_values_and_long_values():
    assert field_changes("a", "b") == [FieldChange("", "a", "b")]
    long = field_changes(None, {"text": "字" * 1000})[0].after
    assert long is not None and len(long) == 300 and long.endswith("…")
