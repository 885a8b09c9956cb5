"""Every third-party import is declared in pyproject.toml: award/ by the runtime list, tests/ by it or dev."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from award import PROJECT_ROOT

OWN = {"award", "tests", "bench", "migrations"}


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower()


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return {_name(r) for r in project["dependencies"]}, {_name(r) for r in project["optional-dependencies"]["dev"]}


def _imported(folder: str) -> set[str]:
    """Top-level names of the absolute imports of every module under `folder` that are not the stdlib's."""
    names = set()
    for path in (PROJECT_ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - OWN


def _undeclared(folder: str, declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    return sorted(f"{module} ({', '.join(distributions.get(module, ['not installed']))})"
                  for module in _imported(folder)
                  if not {_name(d) for d in distributions.get(module, [])} & declared)


def test_the_application_imports_only_runtime_dependencies():
    runtime, _dev = _declared()
    assert _undeclared("award", runtime) == []


def test_the_tests_import_only_declared_dependencies():
    runtime, dev = _declared()
    assert _undeclared("tests", runtime | dev) == []


def test_no_dependency_is_listed_twice():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    runtime = [_name(r) for r in project["dependencies"]]
    dev = [_name(r) for r in project["optional-dependencies"]["dev"]]
    assert len(set(runtime)) == len(runtime) and len(set(dev)) == len(dev) and not set(runtime) & set(dev)
