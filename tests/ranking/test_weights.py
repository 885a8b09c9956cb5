"""The scored rounds combined by the procedure's frozen weights (pure)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from award.ranking.aggregate import round2
from award.ranking.weights import combine_weighted


def test_two_rounds_on_one_form_give_the_rankings_weighted_combination():
    document = {1: 812.345, 2: 700.0, 3: 655.555}
    onsite = {1: 790.125, 2: 720.5, 3: 640.0}
    weights = {"document": Decimal("0.7"), "onsite": Decimal("0.3")}
    combined = combine_weighted({"document": document, "onsite": onsite}, {"document": 1000, "onsite": 1000},
                                weights, scale_to=1000)
    for app in document:  # ranking.aggregate.combine_rounds: (1 - w) x round2(doc) + w x round2(onsite)
        expected = 0.7 * round2(np.array([document[app]]))[0] + 0.3 * round2(np.array([onsite[app]]))[0]
        assert combined[app] == Decimal(str(round2(np.array([expected]))[0])).quantize(Decimal("0.01"))


def test_a_100_point_presentation_counts_in_proportion_to_its_form():
    combined = combine_weighted({"document": {1: 800}, "presentation": {1: 90}},
                                {"document": 1000, "presentation": 100},
                                {"document": Decimal("0.8"), "presentation": Decimal("0.2")}, scale_to=1000)
    assert combined == {1: Decimal("820.00")}  # 0.8 x 800 + 0.2 x 900


def test_missing_a_weighted_round_leaves_no_total_and_a_zero_weight_does_not_matter():
    totals = {"document": {1: 800, 2: 700}, "onsite": {1: 750}, "presentation": {1: 80, 2: 70}}
    forms = {"document": 1000, "onsite": 1000, "presentation": 100}
    combined = combine_weighted(totals, forms, {"document": Decimal("0.5"), "onsite": Decimal("0.5"),
                                                "presentation": Decimal("0")}, scale_to=1000)
    assert combined == {1: Decimal("775.00"), 2: None}


@pytest.mark.parametrize("weights", [{"document": Decimal("0.5")}, {"document": Decimal("1.5"),
                                                                      "onsite": Decimal("-0.5")}])
def test_weights_must_be_shares_adding_up_to_one(weights):
    with pytest.raises(ValueError):
        combine_weighted({"document": {}, "onsite": {}}, {"document": 1000, "onsite": 1000}, weights, scale_to=1000)
