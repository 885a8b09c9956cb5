"""Aggregation rules: methods by hand, exclusions, sheet counts, disagreement, leniency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from award.ranking.aggregate import (
    COUNTS_CONSENSUS,
    GB_T_19580_2012,
    STATUS_INSUFFICIENT,
    STATUS_NO_CONSENSUS,
    STATUS_NO_ONSITE,
    STATUS_OK,
    ConsensusSheets,
    DisagreementRule,
    Exclusion,
    RubricLayout,
    ScoreRows,
    aggregate_round,
    combine_rounds,
    round2,
)

# Three items in two categories: 1.1 (10) + 1.2 (20) in "1", 2.1 (30) in "2"; 60 points.
SMALL = RubricLayout.from_items([("1.1", "1", 10), ("1.2", "1", 20), ("2.1", "2", 30)])


def rows_of(sheets: dict[tuple[object, object], list[float]], layout=SMALL) -> ScoreRows:
    """Score rows from {(application, expert): points per item in rubric order}."""
    return ScoreRows.from_records(
        (app, expert, item, p)
        for (app, expert), points in sheets.items()
        for item, p in zip(layout.item_ids, points, strict=True)
    )


def agg(sheets, *, method="mean", required_sheets=1, **kw):
    return aggregate_round(rows_of(sheets), SMALL, method=method, required_sheets=required_sheets, **kw)


FIVE = {  # totals 6, 60, 30, 24, 36 -> trimmed drops e2 (60) and e1 (6)
    (1, "e1"): [1, 2, 3],
    (1, "e2"): [10, 20, 30],
    (1, "e3"): [5, 10, 15],
    (1, "e4"): [4, 8, 12],
    (1, "e5"): [6, 12, 18],
}
FOUR = {k: v for k, v in FIVE.items() if k[1] != "e5"}  # totals 6, 60, 30, 24
THREE = {(1, "a"): [5, 10, 15], (1, "b"): [7, 14, 21], (1, "c"): [6, 12, 18]}  # 30, 42, 36


@pytest.mark.parametrize(
    ("method", "sheets", "total", "categories", "items"),
    [
        # mean of 30, 42, 36
        ("mean", THREE, 36.0, [18.0, 18.0], [6.0, 12.0, 18.0]),
        # mean of the five: 156 / 5
        ("mean", FIVE, 31.2, [15.6, 15.6], [5.2, 10.4, 15.6]),
        # >= 5 sheets: drop 60 (e2) and 6 (e1), mean of e3, e4, e5 = (30 + 24 + 36) / 3
        ("trimmed_mean", FIVE, 30.0, [15.0, 15.0], [5.0, 10.0, 15.0]),
        # < 5 sheets: nothing dropped, plain mean of 6, 60, 30, 24 = 30
        ("trimmed_mean", FOUR, 30.0, [15.0, 15.0], [5.0, 10.0, 15.0]),
        ("trimmed_mean", THREE, 36.0, [18.0, 18.0], [6.0, 12.0, 18.0]),
        # odd count: middle of 30, 36, 42; per item middle values
        ("median", THREE, 36.0, [18.0, 18.0], [6.0, 12.0, 18.0]),
        # even count: (24 + 30) / 2 = 27; item 1.1 middle of 1, 4, 5, 10 = 4.5
        ("median", FOUR, 27.0, [13.5, 13.5], [4.5, 9.0, 13.5]),
        ("median", FIVE, 30.0, [15.0, 15.0], [5.0, 10.0, 15.0]),
    ],
)
def test_method_by_hand(method, sheets, total, categories, items):
    result = agg(sheets, method=method).figures(1)
    assert result.totals[method] == total
    assert list(result.categories[method].values()) == categories
    assert list(result.items[method].values()) == items


def test_all_three_methods_are_returned_beside_the_official_one():
    result = agg(FIVE, method="median")
    assert result.official.method == "median"
    assert result.figures(1).totals == {"mean": 31.2, "trimmed_mean": 30.0, "median": 30.0}


def test_trimmed_mean_tie_on_highest_drops_the_first_expert_in_id_order():
    # b and d share the highest total 40 with different items; a is lowest.
    sheets = {
        (1, "a"): [0, 0, 10],
        (1, "b"): [10, 0, 30],
        (1, "c"): [5, 5, 10],
        (1, "d"): [0, 10, 30],
        (1, "e"): [5, 5, 15],
    }
    result = agg(sheets, method="trimmed_mean")
    figures = result.figures(1)
    # dropped: b (first of the highest) and a (lowest); kept c, d, e
    assert figures.trimmed_experts == ("E1", "E2")
    assert figures.items["trimmed_mean"] == {"1.1": 3.33, "1.2": 6.67, "2.1": 18.33}
    assert figures.totals["trimmed_mean"] == 28.33  # (20 + 40 + 25) / 3


def test_trimmed_mean_with_identical_totals_still_drops_two_distinct_sheets():
    sheets = {(1, f"e{i}"): [5, 5, 10] for i in range(5)}
    result = agg(sheets, method="trimmed_mean")
    assert result.methods["trimmed_mean"].dropped[0].sum() == 2
    assert result.figures(1).totals["trimmed_mean"] == 20.0


def test_median_parts_need_not_add_up_and_say_so():
    sheets = {(1, "a"): [10, 0, 0], (1, "b"): [0, 20, 0], (1, "c"): [0, 0, 30]}
    result = agg(sheets, method="median")
    figures = result.figures(1)
    assert figures.totals["median"] == 20.0
    assert figures.categories["median"] == {"1": 10.0, "2": 0.0}
    assert sum(figures.items["median"].values()) == 0.0
    assert figures.parts_add_up == {"mean": True, "trimmed_mean": True, "median": False}


def test_conflicted_expert_sheet_drops_out_of_the_total():
    six = dict(FIVE) | {(1, "e6"): [8, 16, 24]}  # totals 6, 60, 30, 24, 36, 48
    before = agg(six, method="trimmed_mean")
    # drop 60 and 6: (30 + 24 + 36 + 48) / 4 = 34.5
    assert before.figures(1).totals["trimmed_mean"] == 34.5
    after = agg(
        six,
        method="trimmed_mean",
        exclusions=[Exclusion(1, "e6", "worked for the applicant in 2023")],
    )
    # e6 out: the five of FIVE remain, trimmed = 30
    assert after.figures(1).totals["trimmed_mean"] == 30.0
    assert after.figures(1).totals["mean"] == 31.2
    assert after.sheet_count.tolist() == [5]
    (record,) = after.exclusions
    assert (record.expert_id, record.reason, record.matched) == (
        "e6",
        "worked for the applicant in 2023",
        True,
    )
    assert record.expert_label == "E6"


def test_exclusion_given_as_mapping_and_unmatched_exclusion_is_still_listed():
    result = agg(THREE, exclusions={(1, "a"): "shares", (1, "zz"): "relative"})
    assert result.figures(1).totals["mean"] == 39.0  # (42 + 36) / 2
    assert [(e.expert_id, e.matched) for e in result.exclusions] == [("a", True), ("zz", False)]


@pytest.mark.parametrize(
    ("sheets", "exclusions", "required", "status"),
    [
        (FIVE, {}, 5, STATUS_OK),
        (FOUR, {}, 5, STATUS_INSUFFICIENT),
        (FIVE, {(1, "e3"): "conflict"}, 5, STATUS_INSUFFICIENT),
        (FOUR, {}, 4, STATUS_OK),
    ],
)
def test_insufficient_sheets_are_flagged(sheets, exclusions, required, status):
    result = agg(sheets, exclusions=exclusions, required_sheets=required)
    assert result.status.tolist() == [status]


def test_expected_application_without_sheets_is_listed_as_insufficient():
    result = agg(THREE, applications=[1, 2])
    assert result.status.tolist() == [STATUS_OK, STATUS_INSUFFICIENT]
    assert result.figures(2).totals == {"mean": None, "trimmed_mean": None, "median": None}


def test_incomplete_sheet_does_not_count_and_is_listed():
    rows = ScoreRows.from_records(
        [(1, "a", "1.1", 5), (1, "a", "1.2", 5), (1, "a", "2.1", 5), (1, "b", "1.1", 9)]
    )
    result = aggregate_round(rows, SMALL, method="mean", required_sheets=1)
    assert result.incomplete_sheets == ((1, "b"),)
    assert result.figures(1).totals["mean"] == 15.0


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([(1, "a", "9.9", 1)], "unknown rubric item"),
        ([(1, "a", "1.1", 1), (1, "a", "1.1", 2)], "duplicate"),
        ([(1, "a", "1.1", 10.5)], "out of range"),
        ([(1, "a", "1.1", -1)], "out of range"),
    ],
)
def test_bad_rows_are_refused(records, message):
    with pytest.raises(ValueError, match=message):
        aggregate_round(ScoreRows.from_records(records), SMALL, method="mean")


def test_mixed_id_types_are_refused():
    with pytest.raises(TypeError):
        ScoreRows.from_records([(1, "a", "1.1", 1), ("X", "a", "1.1", 1)])


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown aggregation method"):
        agg(THREE, method="mode")


# Disagreement on item 2.1 (30 points): range limit 30% = 9, std limit 12% = 3.6.
@pytest.mark.parametrize(
    ("scores", "rule", "by_range", "by_std"),
    [
        ([0, 9], DisagreementRule(range_fraction=0.3, std_fraction=1), False, False),
        ([0, 9.5], DisagreementRule(range_fraction=0.3, std_fraction=1), True, False),
        # population std of two scores = half their distance: 7.2 / 2 = 3.6, on the limit
        ([0, 7.2], DisagreementRule(range_fraction=1, std_fraction=0.12), False, False),
        ([0, 7.5], DisagreementRule(range_fraction=1, std_fraction=0.12), False, True),
        # sample std (ddof=1) of 0 and 5.1 = 5.1 / sqrt(2) = 3.606 > 3.6
        ([0, 5.1], DisagreementRule(range_fraction=1, std_fraction=0.12, ddof=1), False, True),
        ([0, 5.1], DisagreementRule(range_fraction=1, std_fraction=0.12, ddof=0), False, False),
        ([0, 9.5], DisagreementRule(range_fraction=0.3, std_fraction=0.12), True, True),
    ],
)
def test_disagreement_threshold_boundaries(scores, rule, by_range, by_std):
    sheets = {(1, f"e{i}"): [5, 10, s] for i, s in enumerate(scores)}
    result = agg(sheets, disagreement=rule)
    flagged = [d for d in result.disagreements if d.item_id == "2.1"]
    if by_range or by_std:
        (d,) = flagged
        assert (d.by_range, d.by_std) == (by_range, by_std)
    else:
        assert flagged == []
    assert not any(d.item_id != "2.1" for d in result.disagreements)


def test_single_sheet_is_never_a_disagreement():
    result = agg({(1, "a"): [0, 20, 30]}, disagreement=DisagreementRule(0, 0))
    assert result.disagreements == ()


def test_disagreement_record_carries_figures():
    result = agg({(1, "a"): [5, 10, 0], (1, "b"): [5, 10, 12]})
    (d,) = result.disagreements
    assert (d.application_id, d.item_id, d.range, d.std, d.range_threshold, d.std_threshold) == (
        1,
        "2.1",
        12.0,
        6.0,
        9.0,
        3.6,
    )
    assert result.figures(1).disagreements == (d,)


def test_leniency_z_scores_only_for_experts_with_enough_sheets():
    # expert x scores three applications (totals 12, 24, 36); expert y only one.
    sheets = {
        (1, "x"): [2, 4, 6],
        (2, "x"): [4, 8, 12],
        (3, "x"): [6, 12, 18],
        (1, "y"): [10, 20, 30],
    }
    result = agg(sheets, min_sheets_for_leniency=3)
    len_ = result.leniency
    assert len_.counts.tolist() == [3, 1]
    assert len_.meaningful.tolist() == [True, False]
    assert len_.mean[0] == pytest.approx(24.0)
    std = math.sqrt((144 + 0 + 144) / 3)
    assert len_.std[0] == pytest.approx(std)
    # application 1: x's z = -12/std; y's sheet is not meaningful, so it is left out
    assert len_.application_mean_z.tolist() == pytest.approx([-12 / std, 0.0, 12 / std])
    assert len_.application_z_count.tolist() == [1, 1, 1]
    assert result.figures(1).mean_z == -1.22
    table = result.expert_leniency()
    assert [(x.label, x.sheets, x.mean_total, x.std_total, x.meaningful) for x in table] == [
        ("E1", 3, 24.0, 9.8, True),
        ("E2", 1, 60.0, 0.0, False),
    ]
    not_enough = agg(sheets, min_sheets_for_leniency=4).leniency
    assert not not_enough.meaningful.any()
    assert np.isnan(not_enough.application_mean_z).all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.005, 1.01), (2.675, 2.68), (0.125, 0.13), (-1.235, -1.24), (-0.001, 0.0), (3.14159, 3.14)],
)
def test_round2_is_half_away_from_zero(value, expected):
    assert float(round2(value)) == expected


def test_combine_rounds_replace_and_weighted():
    document = agg({(1, "a"): [5, 10, 15], (2, "a"): [10, 20, 30]})  # 30 and 60
    onsite = agg({(1, "b"): [8, 16, 24]})  # 48
    replaced = combine_rounds(document, onsite, "replace", require_onsite=False)
    assert replaced.official.totals.tolist() == [48.0, 60.0]
    weighted = combine_rounds(document, onsite, "weighted", 0.6, require_onsite=False)
    assert weighted.official.totals.tolist() == pytest.approx([0.4 * 30 + 0.6 * 48, 60.0])
    assert weighted.official.categories[0].tolist() == pytest.approx([0.4 * 15 + 0.6 * 24] * 2)
    gated = combine_rounds(document, onsite, "weighted", 0.6)
    assert gated.status.tolist() == [STATUS_OK, STATUS_NO_ONSITE]


@pytest.mark.parametrize(("mode", "weight"), [("weighted", None), ("weighted", 1.5), ("mix", 0.5)])
def test_combine_rounds_refuses_bad_settings(mode, weight):
    document = agg(THREE)
    with pytest.raises(ValueError):
        combine_rounds(document, document, mode, weight)


def test_gb19580_layout_has_23_items_and_1000_points():
    assert GB_T_19580_2012.size == 23
    assert GB_T_19580_2012.total_points == 1000
    assert dict(zip(GB_T_19580_2012.category_ids, GB_T_19580_2012.category_points.tolist(),
                    strict=True)) == {
        "4.1": 110, "4.2": 90, "4.3": 90, "4.4": 130, "4.5": 100, "4.6": 80, "4.7": 400,
    }


sheet_sets = st.dictionaries(
    keys=st.tuples(st.integers(1, 4), st.sampled_from("abcdefg")),
    values=st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(sheet_sets, st.randoms())
def test_properties_of_the_methods(sheets, random):
    # points in steps of half a point (item 1.1) and one point (1.2, 2.1)
    data = {k: [v[0] / 2, float(v[1]), float(v[2])] for k, v in sheets.items()}
    result = agg(data)
    items = list(data.items())
    random.shuffle(items)
    shuffled = agg(dict(items))
    for method, r in result.methods.items():
        # row order never matters
        assert np.array_equal(r.totals, shuffled.methods[method].totals, equal_nan=True)
        if r.parts_add_up:
            assert np.allclose(r.items.sum(axis=1), r.totals)
            assert np.allclose(r.categories.sum(axis=1), r.totals)
    totals = result.sheet_points.sum(axis=2)
    hi = np.where(result.sheet_valid, totals, -np.inf).max(axis=1)
    lo = np.where(result.sheet_valid, totals, np.inf).min(axis=1)
    for r in result.methods.values():
        assert np.all((r.totals >= lo - 1e-9) & (r.totals <= hi + 1e-9))


def test_empty_round_aggregates_to_nothing():
    result = aggregate_round(ScoreRows.from_records([]), SMALL, method="trimmed_mean")
    assert len(result.application_ids) == 0
    assert result.disagreements == () and result.exclusions == ()


@settings(max_examples=60, deadline=None)
@given(sheet_sets, st.randoms())
def test_rows_of_one_sheet_need_not_be_together(sheets, random):
    """Rows usually come a sheet at a time; split and interleaved sheets aggregate the same."""
    rows = rows_of({k: [v[0] / 2, float(v[1]), float(v[2])] for k, v in sheets.items()})
    order = list(range(len(rows)))
    random.shuffle(order)
    mixed = ScoreRows(application_id=rows.application_id[order], expert_id=rows.expert_id[order],
                      item_id=rows.item_id[order], points=rows.points[order])
    grouped = aggregate_round(rows, SMALL, method="trimmed_mean", required_sheets=1)
    shuffled = aggregate_round(mixed, SMALL, method="trimmed_mean", required_sheets=1)
    assert np.array_equal(grouped.sheet_points, shuffled.sheet_points)
    assert np.array_equal(grouped.sheet_expert, shuffled.sheet_expert)
    assert np.array_equal(grouped.sheet_valid, shuffled.sheet_valid)
    for method, result in grouped.methods.items():
        assert np.array_equal(result.items, shuffled.methods[method].items, equal_nan=True)


# --- which record counts: the independent sheets or the panel consensus ------------------------


def consensus_of(sheets: dict[object, list[float]], layout=SMALL) -> ConsensusSheets:
    """Consensus sheets from {application: points per item in rubric order}."""
    return ConsensusSheets.from_records(
        (app, item, p) for app, points in sheets.items() for item, p in zip(layout.item_ids, points, strict=True))


def test_the_consensus_counts_only_where_the_round_says_so_and_the_sheets_stay_beside_it():
    consensus = consensus_of({1: [2, 10, 20]})  # 32
    independent = agg(FIVE, method="trimmed_mean", consensus=consensus)
    assert independent.official.method == "trimmed_mean" and independent.consensus is None
    assert independent.figures(1).official_total == 30.0

    counted = agg(FIVE, method="trimmed_mean", counts=COUNTS_CONSENSUS, consensus=consensus)
    assert counted.official.method == "consensus" and counted.independent.method == "trimmed_mean"
    figures = counted.figures(1)
    assert (figures.counts, figures.official_total, figures.consensus_total) == ("consensus", 32.0, 32.0)
    assert figures.consensus_categories == {"1": 12.0, "2": 20.0}
    assert figures.consensus_items == {"1.1": 2.0, "1.2": 10.0, "2.1": 20.0}
    # The independent sheets are aggregated exactly as without the consensus.
    assert figures.totals == independent.figures(1).totals == {"mean": 31.2, "trimmed_mean": 30.0, "median": 30.0}
    assert [t for _label, t in figures.sheet_totals] == [6.0, 60.0, 30.0, 24.0, 36.0]
    assert figures.sheet_range == (6.0, 60.0)
    np.testing.assert_array_equal(counted.sheet_points, independent.sheet_points)


def test_without_a_complete_consensus_an_application_is_not_ranked_in_a_consensus_round():
    sheets = {**FIVE, **{(2, e): p for (_a, e), p in FIVE.items()}, **{(3, e): p for (_a, e), p in FIVE.items()}}
    # Application 1 agreed every item, 2 nothing, 3 all but 2.1.
    consensus = ConsensusSheets.from_records(
        [*((1, i, p) for i, p in zip(SMALL.item_ids, [5, 10, 15], strict=True)), (3, "1.1", 5), (3, "1.2", 10)])
    counted = agg(sheets, counts=COUNTS_CONSENSUS, consensus=consensus)
    assert counted.status.tolist() == [STATUS_OK, STATUS_NO_CONSENSUS, STATUS_NO_CONSENSUS]
    assert counted.official.totals[0] == 30.0 and np.isnan(counted.official.totals[1:]).all()
    # Too few sheets stays the more specific reason.
    short = agg(FOUR, required_sheets=5, counts=COUNTS_CONSENSUS, consensus=consensus_of({1: [5, 10, 15]}))
    assert short.status.tolist() == [STATUS_INSUFFICIENT]


def test_a_consensus_item_outside_the_rubric_or_its_points_is_refused():
    with pytest.raises(ValueError, match="unknown rubric item"):
        agg(FIVE, counts=COUNTS_CONSENSUS, consensus=ConsensusSheets.from_records([(1, "9.9", 1)]))
    with pytest.raises(ValueError, match="out of range"):
        agg(FIVE, counts=COUNTS_CONSENSUS, consensus=ConsensusSheets.from_records([(1, "1.1", 11)]))


def test_identical_sheets_name_no_trimmed_sheet():
    identical = {(1, f"e{i}"): [5, 5, 10] for i in range(5)}
    result = agg(identical, method="trimmed_mean")
    assert result.methods["trimmed_mean"].dropped[0].sum() == 2  # the computation's tie rule stands
    figures = result.figures(1)
    assert figures.trimmed_experts == ()
    assert figures.totals == {"mean": 20.0, "trimmed_mean": 20.0, "median": 20.0}
    # Equal totals with different items: the dropped sheets change the item figures, so they are named.
    equal_totals = {**identical, (1, "e0"): [10, 0, 10]}
    assert agg(equal_totals, method="trimmed_mean").figures(1).trimmed_experts == ("E1", "E2")


def test_combining_rounds_brings_each_rounds_counted_record():
    document = agg({(1, "a"): [5, 10, 15], (2, "a"): [5, 10, 15]})  # 30 each, independent
    onsite = agg({(1, "b"): [10, 20, 30], (2, "b"): [10, 20, 30]}, counts=COUNTS_CONSENSUS,
                 consensus=consensus_of({1: [1, 2, 3]}))  # application 1 agreed 6; 2 has no consensus
    replaced = combine_rounds(document, onsite, "replace")
    assert replaced.counts == {"document": "independent", "onsite": "consensus"}
    assert replaced.official.totals[0] == 6.0 and replaced.independent.totals[0] == 60.0
    assert replaced.status.tolist() == [STATUS_OK, STATUS_NO_CONSENSUS]
    weighted = combine_rounds(document, onsite, "weighted", 0.5)
    assert weighted.official.totals[0] == 18.0 and weighted.independent.totals[0] == 45.0
    assert weighted.status.tolist() == [STATUS_OK, STATUS_NO_CONSENSUS]
    # Two rounds counting their sheets combine exactly as before.
    plain = combine_rounds(document, agg({(1, "b"): [10, 20, 30], (2, "b"): [10, 20, 30]}), "replace")
    assert plain.official is plain.independent and plain.counts == {"document": "independent",
                                                                     "onsite": "independent"}
