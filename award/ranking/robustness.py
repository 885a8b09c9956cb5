"""Leave-one-expert-out: does an application's place in or out of the shortlist survive
removing any single expert's sheets?

For every expert of the round, all of that expert's valid sheets (across all applications)
are removed, the affected applications are re-aggregated with the round's official method,
everyone is re-ranked and the shortlist re-applied. An application is "sensitive" when some
removal flips it in or out of the shortlist, and the anonymized experts (E1, E2 ... by sorted
expert id, never the real id) whose removal does so are named; otherwise "stable".

Which applications: ALL ranked ones. One removal re-aggregates only the applications that
expert scored; the removals of a block of experts are aggregated together and ranked in one
sort (one variant of the figures per expert), so the whole check costs a few passes (about
50 ms for 2,000 applications and 150 experts); no "near the cut-off" margin is needed, and a
margin would hide quota effects that ripple down the list.

The status (enough sheets or not) stays as in the full round: the check measures the
influence of one expert's scoring, not the sheet-count rule (with 5 required sheets every
removal would otherwise flip everything). The trimmed-mean rule is re-applied as it stands,
so an application left with 4 sheets is averaged without trimming. Applications not ranked
in the full round get the verdict "not_ranked".

Where the round counts its panel consensus, one expert's sheets cannot be taken out of an
agreed figure, and replaying removals on the independent sheets would test figures that do not
count. `check_robustness` then asks the question that matters instead
(`consensus_against_independent`): would the independent sheets, aggregated by the round's
method, give the application the same place in or out of the shortlist? "consensus_holds" when
they would, "consensus_decides" when the consensus alone puts it on the other side.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from award.i18n import _
from award.lazy import lazy_module
from award.ranking.aggregate import (
    COUNTS_CONSENSUS,
    GB_T_19580_TIE_BREAK,
    STATUS_OK,
    RoundAggregate,
    aggregate_cube,
    expert_label,
    round2,
)
from award.ranking.rank import rank_order, resolve_rules, walk_shortlist

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported by the first np.… a ranking reads (award/lazy.py)

VERDICT_STABLE = "stable"
VERDICT_SENSITIVE = "sensitive"
VERDICT_NOT_RANKED = "not_ranked"
VERDICT_CONSENSUS_HOLDS = "consensus_holds"  # the independent sheets give the same place
VERDICT_CONSENSUS_DECIDES = "consensus_decides"  # the independent sheets would give the other place
EXPERTS_PER_BLOCK = 64


@dataclass(frozen=True)
class Robustness:
    """Leave-one-expert-out result of one application."""

    application_id: Any
    in_shortlist: bool
    verdict: str
    flipped_by: tuple[str, ...]  # anonymized expert codes, e.g. ("E3",)
    best_rank: int | None  # best and worst rank over all single removals (and the full round)
    worst_rank: int | None

    def flipped_by_display(self) -> list[str]:
        """Translated expert labels for the page, e.g. "专家 E3"."""
        return [_("Expert %(code)s", code=code) for code in self.flipped_by]


def leave_one_expert_out(
    aggregate: RoundAggregate,
    *,
    cutoff: float | None = None,
    quota: int | None = None,
    sector_of: Mapping[Any, str] | None = None,
    sector_limits: Mapping[str, int] | int | None = None,
    tie_break_categories: Sequence[str] = GB_T_19580_TIE_BREAK,
) -> dict[Any, Robustness]:
    """Check every application's shortlist place against the removal of each single expert.

    Takes the same shortlist settings as `rank_applications`. For a round whose independent
    sheets count (`check_robustness` picks the check that fits the round).
    """
    if aggregate.counts == COUNTS_CONSENSUS:
        raise ValueError("a round counting its consensus has no expert-by-expert figures; use check_robustness")
    rules = resolve_rules(
        aggregate,
        cutoff=cutoff,
        quota=quota,
        sector_of=sector_of,
        sector_limits=sector_limits,
        tie_break_categories=tie_break_categories,
    )
    tb = list(rules.tie_break_index)
    official = aggregate.official
    base_totals = round2(official.totals)
    base_tie = round2(official.categories[:, tb])
    ok = np.asarray(aggregate.status) == STATUS_OK
    n_apps = len(base_totals)

    def places(totals: np.ndarray, tie: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shortlist flags and ranks (0 = not ranked) of each variant (row) of the figures."""
        order = rank_order(totals, tie, ok)
        inside = walk_shortlist(order, totals, rules).inside
        in_mask = np.zeros(totals.shape, dtype=bool)
        np.put_along_axis(in_mask, order, inside, axis=-1)
        rank = np.zeros(totals.shape, dtype=np.intp)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(1, order.shape[-1] + 1), order.shape), axis=-1)
        return in_mask, rank

    base_in, base_rank = (a[0] for a in places(base_totals[None], base_tie[None]))
    n_exp = len(aggregate.expert_ids)
    flips = np.zeros((n_exp, n_apps), dtype=bool)
    best, worst = base_rank.copy(), base_rank.copy()

    # (expert, application) pairs of the valid sheets, sorted by expert.
    valid = aggregate.sheet_valid
    app_of, slot_of = np.nonzero(valid)
    pairs = np.unique(aggregate.sheet_expert[app_of, slot_of] * n_apps + app_of)
    pair_expert, pair_app = np.divmod(pairs, n_apps)
    # A block of experts at a time: one aggregation and one sort per block, and memory
    # bounded by the block (its figures are block x applications).
    for first in range(0, n_exp, EXPERTS_PER_BLOCK):
        last = min(first + EXPERTS_PER_BLOCK, n_exp)
        lo, hi = np.searchsorted(pair_expert, [first, last])
        experts, apps = pair_expert[lo:hi], pair_app[lo:hi]
        keep = valid[apps] & (aggregate.sheet_expert[apps] != experts[:, None])
        result = aggregate_cube(aggregate.sheet_points[apps], keep, aggregate.layout,
                                (aggregate.method,))[aggregate.method]
        totals = np.repeat(base_totals[None], last - first, axis=0)
        tie = np.repeat(base_tie[None], last - first, axis=0)
        totals[experts - first, apps] = round2(result.totals)
        tie[experts - first, apps] = round2(result.categories[:, tb])
        in_mask, rank = places(totals, tie)
        flips[first:last] = (in_mask != base_in) & ok
        best = np.minimum(best, np.where(ok, rank, best).min(axis=0))
        worst = np.maximum(worst, np.where(ok, rank, worst).max(axis=0))

    # Who flips each application, from one pass over the (few) flips instead of a column each.
    flipped_app, flipping_expert = np.nonzero(flips.T)
    flipped_by: dict[int, list[str]] = {}
    for a, e in zip(flipped_app.tolist(), flipping_expert.tolist(), strict=True):
        flipped_by.setdefault(a, []).append(expert_label(e))
    out: dict[Any, Robustness] = {}
    for a, (app_id, ranked, inside, best_rank, worst_rank) in enumerate(zip(
        aggregate.application_ids.tolist(), ok.tolist(), base_in.tolist(), best.tolist(), worst.tolist(),
        strict=True,
    )):
        if not ranked:
            out[app_id] = Robustness(app_id, False, VERDICT_NOT_RANKED, (), None, None)
            continue
        who = tuple(flipped_by.get(a, ()))
        out[app_id] = Robustness(
            application_id=app_id,
            in_shortlist=inside,
            verdict=VERDICT_SENSITIVE if who else VERDICT_STABLE,
            flipped_by=who,
            best_rank=best_rank,
            worst_rank=worst_rank,
        )
    return out


def consensus_against_independent(
    aggregate: RoundAggregate,
    *,
    cutoff: float | None = None,
    quota: int | None = None,
    sector_of: Mapping[Any, str] | None = None,
    sector_limits: Mapping[str, int] | int | None = None,
    tie_break_categories: Sequence[str] = GB_T_19580_TIE_BREAK,
) -> dict[Any, Robustness]:
    """Does the consensus decide an application's shortlist place? Ranks the round twice in one
    pass, on the consensus figures that count and on the official method over the independent
    sheets, and compares each application's place in or out of the shortlist.

    The ranked set is the same in both (the applications with an agreed consensus and enough
    sheets), so only the figures differ. best_rank and worst_rank span both orders.
    """
    rules = resolve_rules(
        aggregate,
        cutoff=cutoff,
        quota=quota,
        sector_of=sector_of,
        sector_limits=sector_limits,
        tie_break_categories=tie_break_categories,
    )
    tb = list(rules.tie_break_index)
    variants = (aggregate.official, aggregate.independent)
    totals = np.stack([round2(r.totals) for r in variants])
    tie = np.stack([round2(r.categories[:, tb]) for r in variants])
    ok = np.asarray(aggregate.status) == STATUS_OK
    order = rank_order(totals, tie, ok)
    inside = walk_shortlist(order, totals, rules).inside
    in_mask = np.zeros(totals.shape, dtype=bool)
    np.put_along_axis(in_mask, order, inside, axis=-1)
    rank = np.zeros(totals.shape, dtype=np.intp)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(1, order.shape[-1] + 1), order.shape), axis=-1)
    out: dict[Any, Robustness] = {}
    for a, app_id in enumerate(aggregate.application_ids.tolist()):
        if not ok[a]:
            out[app_id] = Robustness(app_id, False, VERDICT_NOT_RANKED, (), None, None)
            continue
        counted, independent = bool(in_mask[0, a]), bool(in_mask[1, a])
        out[app_id] = Robustness(
            application_id=app_id,
            in_shortlist=counted,
            verdict=VERDICT_CONSENSUS_HOLDS if counted == independent else VERDICT_CONSENSUS_DECIDES,
            flipped_by=(),
            best_rank=int(rank[:, a].min()),
            worst_rank=int(rank[:, a].max()),
        )
    return out


# The last few checks, keyed by a digest of everything they read: a ranking recomputed with
# nothing changed (the page shown again, the export, the freeze) reuses its check.
_REUSED = 2
_reused: OrderedDict[bytes, dict[Any, Robustness]] = OrderedDict()
_reused_lock = threading.Lock()


def _digest(aggregate: RoundAggregate, shortlist_settings: Mapping[str, Any]) -> bytes:
    """A digest of the check's inputs: the round's sheets, figures and status, and the settings."""
    digest = hashlib.blake2b(digest_size=24)

    def text(value: Any) -> None:
        digest.update(repr(value).encode())
        digest.update(b"\0")

    text((aggregate.counts, aggregate.method, aggregate.layout))
    for name, value in sorted(shortlist_settings.items()):
        text((name, sorted(value.items(), key=repr) if isinstance(value, Mapping) else value))
    results = (aggregate.official, aggregate.independent)
    arrays = [aggregate.application_ids, aggregate.expert_ids, np.asarray(aggregate.status),
              aggregate.sheet_points, aggregate.sheet_expert, aggregate.sheet_valid,
              *(r.totals for r in results), *(r.categories for r in results)]
    for array in arrays:
        array = np.ascontiguousarray(array)
        text((array.dtype.str, array.shape))
        if array.dtype.hasobject:
            text(array.tolist())
        else:
            digest.update(array.tobytes())
    return digest.digest()


def forget_reused_checks() -> None:
    """Drop the kept checks (benchmarks time the check itself with this)."""
    with _reused_lock:
        _reused.clear()


def check_robustness(aggregate: RoundAggregate, **shortlist_settings: Any) -> dict[Any, Robustness]:
    """The robustness check that fits the record the round counts: leave-one-expert-out on the
    independent sheets, or the consensus against the independent sheets.

    A check over the very same inputs as one of the last few is not run again (its inputs are
    compared by digest, so a changed sheet, status or setting always runs it)."""
    key = _digest(aggregate, shortlist_settings)
    with _reused_lock:
        found = _reused.get(key)
        if found is not None:
            _reused.move_to_end(key)
            return dict(found)
    if aggregate.counts == COUNTS_CONSENSUS:
        result = consensus_against_independent(aggregate, **shortlist_settings)
    else:
        result = leave_one_expert_out(aggregate, **shortlist_settings)
    with _reused_lock:
        _reused[key] = result
        while len(_reused) > _REUSED:
            _reused.popitem(last=False)
    return dict(result)
