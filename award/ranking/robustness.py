"""Leave-one-expert-out: does an application's place in or out of the shortlist survive
removing any single expert's sheets?

For every expert of the round, all of that expert's valid sheets (across all applications)
are removed, the affected applications are re-aggregated with the round's official method,
everyone is re-ranked and the shortlist re-applied. An application is "sensitive" when some
removal flips it in or out of the shortlist, and the anonymized experts (E1, E2 ... by sorted
expert id, never the real id) whose removal does so are named; otherwise "stable".

Which applications: ALL ranked ones. One removal re-aggregates only the applications that
expert scored and re-ranks with one lexsort, so the whole check costs E small passes (tens of
milliseconds for 2,000 applications); no "near the cut-off" margin is needed, and a margin
would hide quota effects that ripple down the list.

The status (enough sheets or not) stays as in the full round: the check measures the
influence of one expert's scoring, not the sheet-count rule (with 5 required sheets every
removal would otherwise flip everything). The trimmed-mean rule is re-applied as it stands,
so an application left with 4 sheets is averaged without trimming. Applications not ranked
in the full round get the verdict "not_ranked".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from award.i18n import _
from award.ranking.aggregate import (
    GB_T_19580_TIE_BREAK,
    STATUS_OK,
    RoundAggregate,
    aggregate_cube,
    expert_label,
    round2,
)
from award.ranking.rank import rank_order, resolve_rules, shortlist

VERDICT_STABLE = "stable"
VERDICT_SENSITIVE = "sensitive"
VERDICT_NOT_RANKED = "not_ranked"


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

    Takes the same shortlist settings as `rank_applications`.
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
    official = aggregate.official
    base_totals = round2(official.totals)
    base_tie = round2(official.categories[:, tb])
    ok = np.asarray(aggregate.status) == STATUS_OK
    n_apps = len(base_totals)

    def place(totals: np.ndarray, tie: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = rank_order(totals, tie, ok)
        inside, _reason = shortlist(order, totals, rules)
        in_mask = np.zeros(n_apps, dtype=bool)
        in_mask[order] = inside
        rank = np.zeros(n_apps, dtype=np.intp)
        rank[order] = np.arange(1, len(order) + 1)
        return in_mask, rank

    base_in, base_rank = place(base_totals, base_tie)
    n_exp = len(aggregate.expert_ids)
    flips = np.zeros((n_exp, n_apps), dtype=bool)
    best, worst = base_rank.copy(), base_rank.copy()

    valid = aggregate.sheet_valid
    experts = np.where(valid, aggregate.sheet_expert, -1)
    # Applications per expert, grouped once: (expert, application) pairs sorted by expert.
    app_of, _slot = np.nonzero(experts >= 0)
    exp_of = experts[experts >= 0]
    by_expert = np.argsort(exp_of, kind="stable")
    bounds = np.searchsorted(exp_of[by_expert], np.arange(n_exp + 1))
    for e in range(n_exp):
        rows = np.unique(app_of[by_expert[bounds[e] : bounds[e + 1]]])
        if len(rows) == 0:
            continue
        keep = valid[rows] & (aggregate.sheet_expert[rows] != e)
        result = aggregate_cube(
            aggregate.sheet_points[rows], keep, aggregate.layout, (aggregate.method,)
        )[aggregate.method]
        totals = base_totals.copy()
        tie = base_tie.copy()
        totals[rows] = round2(result.totals)
        tie[rows] = round2(result.categories[:, tb])
        in_mask, rank = place(totals, tie)
        flips[e] = (in_mask != base_in) & ok
        np.minimum(best, np.where(ok, rank, best), out=best)
        np.maximum(worst, np.where(ok, rank, worst), out=worst)

    out: dict[Any, Robustness] = {}
    ids = aggregate.application_ids.tolist()
    for a, app_id in enumerate(ids):
        if not ok[a]:
            out[app_id] = Robustness(app_id, False, VERDICT_NOT_RANKED, (), None, None)
            continue
        who = tuple(expert_label(e) for e in np.flatnonzero(flips[:, a]).tolist())
        out[app_id] = Robustness(
            application_id=app_id,
            in_shortlist=bool(base_in[a]),
            verdict=VERDICT_SENSITIVE if who else VERDICT_STABLE,
            flipped_by=who,
            best_rank=int(best[a]),
            worst_rank=int(worst[a]),
        )
    return out
