"""Award levels on the shortlist: each shortlisted entry gets the best level it qualifies for.

Pure: the frozen rows in rank order and the cycle's levels in, the rows' ``level`` set out. A cycle
without levels is untouched (one level: the cycle's quota and cut-off, as before levels existed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from award.cycles.settings import AwardLevels
from award.ranking.rank import REASON_OVER_QUOTA


def assign_levels(rows: list[dict[str, Any]], levels: AwardLevels) -> list[dict[str, Any]]:
    """Walk the shortlist in rank order; each entry takes the first level whose cut-off it reaches and
    whose quota is not yet filled. An entry no level can take leaves the shortlist (over the quota).

    The shortlist itself was drawn with the lowest cut-off and the sum of the quotas, so levels only
    divide it; rows keep their order. Returns the rows (changed in place).
    """
    if not levels:
        return rows
    taken = [0] * len(levels.levels)
    for row in sorted((r for r in rows if r["in_shortlist"]), key=lambda r: r["rank"]):
        total = Decimal(row["total"]) if row["total"] is not None else None
        row["level"] = None
        for index, level in enumerate(levels.levels):
            if total is not None and total >= level.cutoff and taken[index] < level.quota:
                taken[index] += 1
                row["level"] = index + 1
                break
        if row["level"] is None:
            row["in_shortlist"] = False
            row["reason"] = REASON_OVER_QUOTA
    for row in rows:
        row.setdefault("level", None)
    return rows
