"""The JSON instance of an assignment problem: parsing with one clear error, results as JSON,
and the SHA-256 of the canonical input that a draw record (seed, input hash, result) keeps.

Instance: {"reviewers_per_application": k, "applications": [{"id", "sector"}],
"experts": [{"id", "sectors": [...], "organization", "max_load"?}], "affinity"?: {app: {expert:
number}}, "conflicts"?: [[app, expert]], "soft_pairs"?: [[app, expert]], "soft_penalty"?: number,
"seed"?: int, "max_pair_probability"?: number, "default_max_load"?: int}. Ids are strings or integers.
Soft pairs (回避 soft signals) are allowed but cost `soft_penalty` affinity each.
A result records the `solver_version` it was computed with; a replay of a stored result runs that
version (a result stored without it is version 1).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from award.assignment.solver import (
    DEFAULT_SOFT_PENALTY,
    SOLVER_VERSION,
    SOLVER_VERSIONS,
    ApplicationSlot,
    AssignmentProblem,
    AssignmentResult,
    ExpertSlot,
    InvalidProblem,
    solve_optimal,
    solve_randomized,
)

__all__ = [
    "DEFAULT_MAX_PAIR_PROBABILITY",
    "Instance",
    "InvalidInstance",
    "canonical_instance",
    "draw_outcome",
    "instance_hash",
    "parse_instance",
    "problem_from_instance",
    "replay_instance",
    "result_to_json",
    "solve_instance",
    "solver_version_of",
]

DEFAULT_MAX_PAIR_PROBABILITY = 0.5
_TOP_KEYS = {"reviewers_per_application", "applications", "experts", "affinity", "conflicts",
             "seed", "max_pair_probability", "default_max_load", "soft_pairs", "soft_penalty"}


class InvalidInstance(ValueError):
    """A malformed instance; the message names the offending place in one line."""


@dataclass(frozen=True, kw_only=True)
class Instance:
    problem: AssignmentProblem
    seed: int | None
    max_pair_probability: float


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _id(value: Any, where: str) -> str | int:
    if isinstance(value, str) and value or _is_int(value):
        return value
    raise InvalidInstance(f"{where}: an id must be a non-empty string or an integer")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInstance(f"{where}: expected an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInstance(f"{where}: expected a list")
    return value


def _require(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise InvalidInstance(f"{where}: missing key {key!r}")
    return obj[key]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInstance(f"{where}: expected a finite number")
    return float(value)


def parse_instance(data: Any) -> Instance:
    """Check every key and type of a decoded JSON instance; raise InvalidInstance."""
    root = _object(data, "instance")
    unknown = sorted(set(root) - _TOP_KEYS)
    if unknown:
        raise InvalidInstance(f"instance: unknown key {unknown[0]!r}")
    k = _require(root, "reviewers_per_application", "instance")
    if not _is_int(k) or k < 1:
        raise InvalidInstance("reviewers_per_application: expected an integer >= 1")
    applications = []
    for n, raw in enumerate(_list(_require(root, "applications", "instance"), "applications")):
        where = f"applications[{n}]"
        app = _object(raw, where)
        sector = _require(app, "sector", where)
        if not isinstance(sector, str) or not sector:
            raise InvalidInstance(f"{where}.sector: expected a non-empty string")
        applications.append(ApplicationSlot(id=_id(_require(app, "id", where), where),
                                            sector=sector))
    experts = []
    for n, raw in enumerate(_list(_require(root, "experts", "instance"), "experts")):
        where = f"experts[{n}]"
        expert = _object(raw, where)
        sectors = _list(_require(expert, "sectors", where), f"{where}.sectors")
        if not all(isinstance(s, str) and s for s in sectors):
            raise InvalidInstance(f"{where}.sectors: expected a list of non-empty strings")
        organization = _require(expert, "organization", where)
        if not isinstance(organization, str) or not organization.strip():
            raise InvalidInstance(f"{where}.organization: expected a non-empty string")
        max_load = expert.get("max_load")
        if max_load is not None and (not _is_int(max_load) or max_load < 0):
            raise InvalidInstance(f"{where}.max_load: expected an integer >= 0")
        experts.append(ExpertSlot(id=_id(_require(expert, "id", where), where),
                                  sectors=frozenset(sectors),
                                  organization=organization.strip().upper(), max_load=max_load))
    affinity: dict[Any, dict[Any, float]] = {}
    app_ids = {str(a.id): a.id for a in applications}
    expert_ids = {str(e.id): e.id for e in experts}
    for app_key, row in _object(root.get("affinity", {}), "affinity").items():
        # JSON object keys are strings: map them back to integer ids where the ids are integers.
        if app_key not in app_ids:
            raise InvalidInstance(f"affinity: unknown application {app_key!r}")
        parsed: dict[Any, float] = {}
        for expert_key, value in _object(row, f"affinity[{app_key!r}]").items():
            if expert_key not in expert_ids:
                raise InvalidInstance(f"affinity[{app_key!r}]: unknown expert {expert_key!r}")
            parsed[expert_ids[expert_key]] = _number(value, f"affinity[{app_key!r}][{expert_key!r}]")
        affinity[app_ids[app_key]] = parsed
    conflicts = set()
    for n, pair in enumerate(_list(root.get("conflicts", []), "conflicts")):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInstance(f"conflicts[{n}]: expected [application id, expert id]")
        conflicts.add((_id(pair[0], f"conflicts[{n}]"), _id(pair[1], f"conflicts[{n}]")))
    soft_pairs = set()
    for n, pair in enumerate(_list(root.get("soft_pairs", []), "soft_pairs")):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInstance(f"soft_pairs[{n}]: expected [application id, expert id]")
        soft_pairs.add((_id(pair[0], f"soft_pairs[{n}]"), _id(pair[1], f"soft_pairs[{n}]")))
    soft_penalty = _number(root.get("soft_penalty", DEFAULT_SOFT_PENALTY), "soft_penalty")
    seed = root.get("seed")
    if seed is not None and not _is_int(seed):
        raise InvalidInstance("seed: expected an integer")
    q = root.get("max_pair_probability", DEFAULT_MAX_PAIR_PROBABILITY)
    q = _number(q, "max_pair_probability")
    if not 0 < q <= 1:
        raise InvalidInstance("max_pair_probability: expected a number in (0, 1]")
    default_max_load = root.get("default_max_load")
    if default_max_load is not None and (not _is_int(default_max_load) or default_max_load < 0):
        raise InvalidInstance("default_max_load: expected an integer >= 0")
    try:
        problem = AssignmentProblem(reviewers_per_application=k, applications=tuple(applications),
                                    experts=tuple(experts), affinity=affinity,
                                    conflicts=frozenset(conflicts),
                                    default_max_load=default_max_load,
                                    soft_pairs=frozenset(soft_pairs), soft_penalty=soft_penalty)
    except InvalidProblem as error:
        raise InvalidInstance(str(error)) from None
    return Instance(problem=problem, seed=seed, max_pair_probability=q)


def problem_from_instance(data: Any) -> AssignmentProblem:
    """The AssignmentProblem of a decoded JSON instance (seed and cap ignored)."""
    return parse_instance(data).problem


def _sort_key(id_: Any) -> tuple[str, Any]:
    return (type(id_).__name__, id_)


def canonical_instance(instance: Instance) -> dict[str, Any]:
    """The instance as one canonical object: everything sorted, numbers normalized, no seed;
    two instances describing the same problem give the same object."""
    p = instance.problem
    soft: dict[str, Any] = {}
    if p.soft_pairs:  # absent before soft signals existed: older draws keep their hash
        soft = {"soft_pairs": sorted(([a, e] for a, e in p.soft_pairs),
                                     key=lambda pair: (_sort_key(pair[0]), _sort_key(pair[1]))),
                "soft_penalty": float(p.soft_penalty)}
    return soft | {
        "reviewers_per_application": p.reviewers_per_application,
        "default_max_load": p.default_max_load,
        "max_pair_probability": instance.max_pair_probability,
        "applications": [{"id": a.id, "sector": a.sector}
                         for a in sorted(p.applications, key=lambda a: _sort_key(a.id))],
        "experts": [{"id": e.id, "sectors": sorted(e.sectors), "organization": e.organization,
                     "max_load": e.max_load}
                    for e in sorted(p.experts, key=lambda e: _sort_key(e.id))],
        "affinity": [[a, e, float(v)] for a in sorted(p.affinity, key=_sort_key)
                     for e, v in sorted(p.affinity[a].items(), key=lambda kv: _sort_key(kv[0]))],
        "conflicts": sorted(([a, e] for a, e in p.conflicts),
                            key=lambda pair: (_sort_key(pair[0]), _sort_key(pair[1]))),
    }


def instance_hash(data: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a decoded instance, seed excluded, so that a draw
    record (seed, input hash, result) can be audited and re-run."""
    instance = data if isinstance(data, Instance) else parse_instance(data)
    text = json.dumps(canonical_instance(instance), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def solve_instance(instance: Instance, *, solver_version: int = SOLVER_VERSION) -> AssignmentResult:
    """The randomized draw when the instance carries a seed, else the optimal assignment; an
    older solver_version only to replay a result stored with it."""
    if instance.seed is not None:
        return solve_randomized(instance.problem, seed=instance.seed,
                                max_pair_probability=instance.max_pair_probability,
                                solver_version=solver_version)
    return solve_optimal(instance.problem, solver_version=solver_version)


def result_to_json(result: AssignmentResult, *, input_hash: str | None = None) -> dict[str, Any]:
    """The result as JSON-ready data (the CLI's output)."""
    out: dict[str, Any] = {
        "assignments": [[app, expert] for app, expert in result.assignments],
        "objective": round(result.objective, 9),
        "status": str(result.status),
        "unassignable": list(result.unassignable),
        "seconds": round(result.seconds, 6),
        "leaders": dict(result.leaders),
        "reasons": {str(app): [r.to_json() for r in reasons]
                    for app, reasons in result.reasons.items()},
        "solver_version": result.solver_version,
    }
    if result.lp_bound is not None and math.isfinite(result.lp_bound):
        out["lp_bound"] = round(result.lp_bound, 9)
    if result.seed is not None:
        out["seed"] = result.seed
        out["max_pair_probability"] = result.max_pair_probability
    if input_hash is not None:
        out["input_hash"] = input_hash
    return out


def draw_outcome(result_json: Mapping[str, Any]) -> dict[str, Any]:
    """What a replay of a stored draw must reproduce: the pairs, the leaders and the uncovered
    applications (integer ids, sorted)."""
    return {
        "assignments": sorted([int(a), int(e)] for a, e in result_json.get("assignments", [])),
        "leaders": sorted([int(a), int(e)] for a, e in (result_json.get("leaders") or {}).items()),
        "unassignable": sorted(int(a) for a in result_json.get("unassignable", [])),
    }


def solver_version_of(result_json: Mapping[str, Any]) -> int:
    """The solver version a stored result was computed with: results stored before versions
    were recorded carry none and are version 1."""
    version = result_json.get("solver_version", 1)
    if not _is_int(version) or version not in SOLVER_VERSIONS:
        raise InvalidInstance(f"result: unknown solver_version {version!r}")
    return version


def replay_instance(data: Any, result_json: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Re-run a stored instance with its own seed and the solver version of its stored result:
    (its input hash recomputed, the outcome)."""
    version = solver_version_of(result_json)
    parsed = parse_instance(data)
    replayed = solve_instance(parsed, solver_version=version)
    return instance_hash(parsed), draw_outcome(result_to_json(replayed))
