"""The scored rounds of a procedure combined by its frozen weights (pure): N rounds, each on its own form.

Each round's total (as presented, 2 decimals) is brought to the cycle's rubric total in proportion to its own
form's total (a 100-point presentation form counts as if scored out of 1000 under GB/T 19580), then the
weights, shares adding up to 1, combine them. Two rounds on the same form with weights (1 - w, w) give
exactly the ranking's "weighted" combination, `(1 - w) x document + w x on-site`, on the presented figures.
An application missing a round with a weight above 0 has no combined total (None): it cannot be ranked on a
procedure it did not complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


def presented(value: float | Decimal) -> Decimal:
    """A figure as the pages present it: 2 decimals, rounded half up."""
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def combine_weighted(
    totals: Mapping[str, Mapping[int, float | Decimal | None]],
    form_totals: Mapping[str, int],
    weights: Mapping[str, Decimal],
    *,
    scale_to: int,
) -> dict[int, Decimal | None]:
    """The combined total of each application over the rounds in `weights` (round key -> share)."""
    if sum(weights.values(), Decimal("0")) != Decimal("1") or any(w < 0 for w in weights.values()):
        raise ValueError("the weights must be shares adding up to 1")
    missing = [key for key in weights if key not in totals or key not in form_totals]
    if missing:
        raise ValueError(f"no totals for the rounds {missing}")
    applications = sorted({app for key in weights for app in totals[key]})
    combined: dict[int, Decimal | None] = {}
    for app in applications:
        values = {key: totals[key].get(app) for key in weights}
        if any(value is None and weights[key] > 0 for key, value in values.items()):
            combined[app] = None  # a round that counts is missing
            continue
        combined[app] = presented(sum((weights[key] * presented(value) * Decimal(scale_to) / Decimal(form_totals[key])
                                       for key, value in values.items() if value is not None), Decimal("0")))
    return combined
