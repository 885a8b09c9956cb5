"""Deterministic ranking and the shortlist (cut-off score, quota, per-sector limits).

Order: presented total (2 decimals) descending, then each tie-break category's presented
figure descending (GB/T 19580: results 4.7, then leadership 4.1), then the application id
ascending (integers numerically, strings by code point; use zero-padded numbers). Ranking on
the presented figures means what people see explains the order: two totals that both read
856.43 are a tie, decided by the tie-break categories.

Shortlist, walking the ranked list: an application is out as
``insufficient_sheets`` (not ranked at all), ``below_cutoff`` (total < cut-off),
``over_quota`` (the quota is already filled by better-ranked ones) or ``sector_limit``
(its sector already has the maximum number; the next application of another sector moves
up). When the quota is already full, ``over_quota`` is reported even if the sector is full
too. Applications without a sector are not subject to a sector limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from award.i18n import _l
from award.lazy import lazy_module
from award.ranking.aggregate import GB_T_19580_TIE_BREAK, STATUS_OK, MethodResult, round2

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported by the first np.… a ranking reads (award/lazy.py)

REASON_INSUFFICIENT = "insufficient_sheets"
REASON_BELOW_CUTOFF = "below_cutoff"
REASON_OVER_QUOTA = "over_quota"
REASON_SECTOR_LIMIT = "sector_limit"
REASON_NO_ONSITE = "no_onsite_review"
REASON_NO_CONSENSUS = "no_consensus"
REASON_NO_PRESENTATION = "no_presentation"

REASON_LABELS = {
    REASON_INSUFFICIENT: _l("Not enough valid score sheets"),
    REASON_BELOW_CUTOFF: _l("Below the cut-off score"),
    REASON_OVER_QUOTA: _l("Outside the number of awards"),
    REASON_SECTOR_LIMIT: _l("Sector limit reached"),
    REASON_NO_ONSITE: _l("No on-site review score"),
    REASON_NO_PRESENTATION: _l("No presentation score"),
    REASON_NO_CONSENSUS: _l("No agreed panel consensus, which this round counts"),
}

DECIDED_BY_TOTAL = "total"
DECIDED_BY_APPLICATION_ID = "application_id"


class Standings(Protocol):
    """What the ranking needs: a RoundAggregate or a CombinedRound."""

    @property
    def application_ids(self) -> np.ndarray: ...
    @property
    def category_ids(self) -> tuple[str, ...]: ...
    @property
    def official(self) -> MethodResult: ...
    @property
    def status(self) -> np.ndarray: ...


@dataclass(frozen=True)
class RankedEntry:
    """One application's place: rank (None when not ranked), shortlist flag and reason."""

    application_id: Any
    rank: int | None
    status: str
    total: float | None
    tie_break: tuple[tuple[str, float | None], ...]  # (category id, presented figure)
    decided_by: str | None  # key that put it below the previous entry: total, category, id
    in_shortlist: bool
    reason: str | None  # None when in the shortlist
    sector: str | None


@dataclass(frozen=True, eq=False)
class ShortlistRules:
    """Shortlist settings resolved to arrays over the applications (reused by robustness)."""

    cutoff: float | None
    quota: int | None
    sector_code: np.ndarray  # (A,) index into sector_names, -1 = no sector
    sector_names: tuple[str, ...]
    sector_limit: np.ndarray  # (S,) max per sector (large = unlimited)
    tie_break_index: tuple[int, ...]  # category columns


def resolve_rules(
    standings: Standings,
    *,
    cutoff: float | None,
    quota: int | None,
    sector_of: Mapping[Any, str] | None,
    sector_limits: Mapping[str, int] | int | None,
    tie_break_categories: Sequence[str],
) -> ShortlistRules:
    """Check the settings and turn them into arrays."""
    cats = standings.category_ids
    missing = [c for c in tie_break_categories if c not in cats]
    if missing:
        raise ValueError(f"tie-break categories not in the rubric: {missing}")
    if quota is not None and quota < 0:
        raise ValueError("quota must be >= 0")
    ids = standings.application_ids.tolist()
    sectors = [None if sector_of is None else sector_of.get(k) for k in ids]
    names = tuple(sorted({s for s in sectors if s is not None}))
    pos = {s: i for i, s in enumerate(names)}
    code = np.array([-1 if s is None else pos[s] for s in sectors], dtype=np.intp)
    unlimited = len(ids) + 1
    if sector_limits is None:
        limit = np.full(len(names), unlimited, dtype=np.intp)
    elif isinstance(sector_limits, int):
        limit = np.full(len(names), sector_limits, dtype=np.intp)
    else:
        limit = np.array([sector_limits.get(s, unlimited) for s in names], dtype=np.intp)
    return ShortlistRules(
        cutoff=cutoff,
        quota=quota,
        sector_code=code,
        sector_names=names,
        sector_limit=limit,
        tie_break_index=tuple(cats.index(c) for c in tie_break_categories),
    )


def rank_order(totals: np.ndarray, tie_breaks: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Indices of the `ok` applications in ranked order (inputs already rounded).

    totals (..., A) and tie_breaks (..., A, T); leading axes rank several variants of the
    figures at once (the leave-one-expert-out check ranks one variant per expert). Rows are
    in ascending application-id order, so the row index is the last key.

    One stable sort by total orders almost everything; only the entries that tie on the
    total are sorted again by the tie-break categories: a sort over every key for every
    variant cost three times as much.
    """
    idx = np.flatnonzero(ok)
    ranked_totals = totals[..., idx]
    by_total = np.argsort(-ranked_totals, axis=-1, kind="stable")
    order = idx[by_total]
    if len(idx) < 2:
        return order  # nothing can tie
    ordered_totals = np.take_along_axis(ranked_totals, by_total, axis=-1)
    shape = order.shape
    order = order.reshape(-1, shape[-1])
    ordered_totals = ordered_totals.reshape(order.shape)
    same_as_previous = np.zeros(order.shape, dtype=bool)
    same_as_previous[:, 1:] = ordered_totals[:, 1:] == ordered_totals[:, :-1]
    tied = same_as_previous.copy()
    tied[:, :-1] |= same_as_previous[:, 1:]
    if tied.any():
        # Tied entries form runs of equal totals; numbering the runs in (variant, place)
        # order and sorting by run first puts every entry back inside its own run.
        variant, place = np.nonzero(tied)
        run = np.cumsum(~same_as_previous[variant, place])
        apps = order[variant, place]
        tie = tie_breaks.reshape(len(order), *tie_breaks.shape[-2:])[variant, apps]
        keys = [apps, *(-tie[:, j] for j in range(tie.shape[1] - 1, -1, -1)), run]
        order[variant, place] = apps[np.lexsort(keys)]
    return order.reshape(shape)


class ShortlistWalk(NamedTuple):
    """Flags along a ranked order (same shape as the order)."""

    eligible: np.ndarray  # total reaches the cut-off
    sector_ok: np.ndarray  # within its sector's limit (always, without a sector)
    before: np.ndarray  # candidates ranked strictly above
    inside: np.ndarray  # in the shortlist


def walk_shortlist(order: np.ndarray, totals: np.ndarray, rules: ShortlistRules) -> ShortlistWalk:
    """Walk the ranked list(s) in one vectorized pass; order (..., n), totals (..., A)."""
    ordered_totals = np.take_along_axis(totals, order, axis=-1)
    n = order.shape[-1]
    eligible = np.ones(order.shape, dtype=bool) if rules.cutoff is None else ordered_totals >= rules.cutoff - 1e-9
    sector = rules.sector_code[order]
    sector_ok = np.ones(order.shape, dtype=bool)
    for code, limit in enumerate(rules.sector_limit.tolist()):
        if limit >= n:
            continue  # can never bind
        member = eligible & (sector == code)
        sector_ok &= ~member | (np.cumsum(member, axis=-1) <= limit)
    candidate = eligible & sector_ok
    before: np.ndarray = np.cumsum(candidate, axis=-1) - candidate
    quota = n if rules.quota is None else rules.quota
    return ShortlistWalk(eligible, sector_ok, before, candidate & (before < quota))


def shortlist(
    order: np.ndarray, totals: np.ndarray, rules: ShortlistRules
) -> tuple[np.ndarray, np.ndarray]:
    """Shortlist flags and reason codes along one ranked `order`."""
    walk = walk_shortlist(order, totals, rules)
    quota = len(order) if rules.quota is None else rules.quota
    candidate = walk.eligible & walk.sector_ok
    reason = np.full(len(order), None, dtype=object)
    reason[~walk.eligible] = REASON_BELOW_CUTOFF
    reason[candidate & ~walk.inside] = REASON_OVER_QUOTA
    blocked = walk.eligible & ~walk.sector_ok
    reason[blocked] = np.where(walk.before[blocked] >= quota, REASON_OVER_QUOTA, REASON_SECTOR_LIMIT)
    return walk.inside, reason


def rank_applications(
    aggregate: Standings,
    *,
    cutoff: float | None = None,
    quota: int | None = None,
    sector_of: Mapping[Any, str] | None = None,
    sector_limits: Mapping[str, int] | int | None = None,
    tie_break_categories: Sequence[str] = GB_T_19580_TIE_BREAK,
) -> list[RankedEntry]:
    """Rank on the figures that count (`official`) and apply the shortlist; ranked entries first.

    Applications whose status is not "ok" (e.g. insufficient sheets) follow, unranked, in
    application-id order, with their status as the reason.
    """
    rules = resolve_rules(
        aggregate,
        cutoff=cutoff,
        quota=quota,
        sector_of=sector_of,
        sector_limits=sector_limits,
        tie_break_categories=tie_break_categories,
    )
    official = aggregate.official
    totals = round2(official.totals)
    tie = round2(official.categories[:, list(rules.tie_break_index)])
    status = np.asarray(aggregate.status)
    ok = status == STATUS_OK
    order = rank_order(totals, tie, ok)
    inside, reason = shortlist(order, totals, rules)

    ids = aggregate.application_ids.tolist()
    cats = aggregate.category_ids
    tb_names = [cats[j] for j in rules.tie_break_index]
    # Plain Python values once (the loop below builds entries, it computes nothing).
    sector_list = [rules.sector_names[c] if c >= 0 else None for c in rules.sector_code.tolist()]
    total_list = [None if np.isnan(t) else t for t in totals.tolist()]
    tie_list = [
        tuple((name, None if np.isnan(v) else v) for name, v in zip(tb_names, row, strict=True))
        for row in tie.tolist()
    ]
    status_list = status.astype(str).tolist()

    # Which key separates each ranked entry from the one above it.
    decided = np.full(len(order), None, dtype=object)
    if len(order) > 1:
        t, b = totals[order], tie[order]
        same_total = t[1:] == t[:-1]
        differs = b[1:] != b[:-1]  # (n-1, T)
        first = np.full(len(differs), -1)  # -1 picks the application id
        if differs.shape[1]:
            first = np.where(differs.any(axis=1), differs.argmax(axis=1), -1)
        names = np.array([*tb_names, DECIDED_BY_APPLICATION_ID], dtype=object)
        decided[1:] = np.where(same_total, names[first], DECIDED_BY_TOTAL)

    entries = [
        RankedEntry(
            application_id=ids[a],
            rank=place + 1,
            status=status_list[a],
            total=total_list[a],
            tie_break=tie_list[a],
            decided_by=d,
            in_shortlist=i,
            reason=r,
            sector=sector_list[a],
        )
        for place, (a, d, i, r) in enumerate(
            zip(order.tolist(), decided.tolist(), inside.tolist(), reason.tolist(), strict=True)
        )
    ]
    entries += [
        RankedEntry(
            application_id=ids[a],
            rank=None,
            status=status_list[a],
            total=total_list[a],
            tie_break=tie_list[a],
            decided_by=None,
            in_shortlist=False,
            reason=status_list[a],
            sector=sector_list[a],
        )
        for a in np.flatnonzero(~ok).tolist()
    ]
    return entries
