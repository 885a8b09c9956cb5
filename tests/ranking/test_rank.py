"""Ranking rules: deterministic tie-breaks and the shortlist (cut-off, quota, sector limits)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from award.ranking.aggregate import RubricLayout, ScoreRows, aggregate_round, combine_rounds
from award.ranking.rank import REASON_LABELS, rank_applications, rank_order

# One item per category: results 4.7, leadership 4.1 and strategy 4.2, 100 points each.
LAYOUT = RubricLayout.from_items([("4.1.2", "4.1", 100), ("4.2.2", "4.2", 100), ("4.7.2", "4.7", 100)])


def standings(apps: dict[object, tuple[float, float, float]], **kw):
    """One sheet per application with (4.1, 4.2, 4.7) points; mean of one sheet = the sheet."""
    rows = ScoreRows.from_records(
        (app, "x", item, p)
        for app, points in apps.items()
        for item, p in zip(LAYOUT.item_ids, points, strict=True)
    )
    kw.setdefault("required_sheets", 1)
    return aggregate_round(rows, LAYOUT, method="mean", **kw)


def order(apps, **kw):
    return [(e.application_id, e.decided_by) for e in rank_applications(standings(apps), **kw)]


@pytest.mark.parametrize(
    ("apps", "expected"),
    [
        # totals differ: higher total first
        ({1: (10, 10, 10), 2: (20, 10, 10)}, [(2, None), (1, "total")]),
        # equal totals 60: more results (4.7) first
        ({1: (30, 10, 20), 2: (10, 20, 30)}, [(2, None), (1, "4.7")]),
        # equal totals and 4.7: more leadership (4.1) first
        ({1: (10, 20, 30), 2: (20, 10, 30)}, [(2, None), (1, "4.1")]),
        # all equal: application number ascending (integers numerically: 9 before 10)
        ({10: (10, 10, 10), 9: (10, 10, 10)}, [(9, None), (10, "application_id")]),
        # string numbers compare as strings
        ({"MQA-002": (5, 5, 5), "MQA-001": (5, 5, 5)}, [("MQA-001", None), ("MQA-002", "application_id")]),
        # totals 60.001 and 60.004 both present as 60.00: a tie decided by 4.7
        ({1: (20.001, 20, 20), 2: (20, 19.004, 21)}, [(2, None), (1, "4.7")]),
    ],
)
def test_tie_breaks(apps, expected):
    assert order(apps) == expected


def test_tie_break_categories_are_parameters():
    apps = {1: (30, 10, 20), 2: (10, 20, 30)}  # 2 wins on 4.7; 1 wins on 4.1
    assert order(apps, tie_break_categories=("4.1",)) == [(1, None), (2, "4.1")]
    assert order(apps, tie_break_categories=()) == [(1, None), (2, "application_id")]


def test_unknown_tie_break_category_is_refused():
    with pytest.raises(ValueError, match="tie-break"):
        order({1: (1, 1, 1)}, tie_break_categories=("4.9",))


def test_ranked_entry_carries_presented_figures():
    (entry,) = rank_applications(standings({1: (10.005, 20, 30)}))
    assert (entry.rank, entry.total, entry.tie_break) == (1, 60.01, (("4.7", 30.0), ("4.1", 10.01)))


# Ten applications, totals 100, 90, ... 10 (application n has total 110 - 10 n), sectors
# alternate C, C, F, C, F, ... as given below.
TEN = {n: (0, 0, 110 - 10 * n) for n in range(1, 11)}
SECTORS = {1: "C", 2: "C", 3: "C", 4: "F", 5: "C", 6: "F", 7: "I", 8: "C", 9: "F", 10: "I"}


@pytest.mark.parametrize(
    ("rules", "shortlisted", "reasons"),
    [
        # cut-off only: >= 60 is in (60 itself included)
        ({"cutoff": 60}, [1, 2, 3, 4, 5], {6: "below_cutoff", 10: "below_cutoff"}),
        # quota only
        ({"quota": 3}, [1, 2, 3], {4: "over_quota", 10: "over_quota"}),
        # both: the cut-off bites first
        ({"cutoff": 85, "quota": 3}, [1, 2], {3: "below_cutoff"}),
        ({"cutoff": 50, "quota": 3}, [1, 2, 3], {4: "over_quota", 7: "below_cutoff"}),
        # at most 2 per sector: 3 (C) gives way, 4 (F) moves up
        (
            {"quota": 4, "sector_limits": 2},
            [1, 2, 4, 6],
            {3: "sector_limit", 5: "sector_limit", 7: "over_quota", 8: "over_quota"},
        ),
        # per-sector mapping: only C is limited, to 1
        ({"quota": 3, "sector_limits": {"C": 1}}, [1, 4, 6], {2: "sector_limit", 7: "over_quota"}),
        # limits, cut-off and quota together
        (
            {"cutoff": 35, "quota": 5, "sector_limits": {"C": 2, "F": 1}},
            [1, 2, 4, 7],
            {3: "sector_limit", 6: "sector_limit", 8: "below_cutoff"},
        ),
        # quota 0: nobody
        ({"quota": 0}, [], {1: "over_quota"}),
    ],
)
def test_shortlist_table(rules, shortlisted, reasons):
    entries = rank_applications(standings(TEN), sector_of=SECTORS, **rules)
    assert [e.application_id for e in entries if e.in_shortlist] == shortlisted
    by_id = {e.application_id: e for e in entries}
    for app, reason in reasons.items():
        assert by_id[app].reason == reason
    assert all(e.reason is None for e in entries if e.in_shortlist)
    assert [e.rank for e in entries] == list(range(1, 11))


def test_application_without_sector_is_not_limited():
    sectors = {1: "C", 2: "C"}  # 3 has no sector
    entries = rank_applications(
        standings({1: (0, 0, 90), 2: (0, 0, 80), 3: (0, 0, 70)}), sector_of=sectors, sector_limits=1
    )
    assert [(e.application_id, e.in_shortlist, e.reason, e.sector) for e in entries] == [
        (1, True, None, "C"),
        (2, False, "sector_limit", "C"),
        (3, True, None, None),
    ]


def test_insufficient_sheets_are_not_ranked():
    rows = ScoreRows.from_records(
        [(app, expert, item, 50) for app, experts in ((1, "ab"), (2, "a")) for expert in experts
         for item in LAYOUT.item_ids]
    )
    aggregate = aggregate_round(rows, LAYOUT, method="mean", required_sheets=2)
    entries = rank_applications(aggregate, quota=5)
    assert [(e.application_id, e.rank, e.in_shortlist, e.reason) for e in entries] == [
        (1, 1, True, None),
        (2, None, False, "insufficient_sheets"),
    ]
    assert entries[1].total == 150.0  # shown, but not ranked


def test_every_reason_has_a_label():
    for code in ("below_cutoff", "over_quota", "sector_limit", "insufficient_sheets"):
        assert str(REASON_LABELS[code])


def test_combined_rounds_rank_like_a_round():
    document = standings({1: (10, 10, 50), 2: (10, 10, 40), 3: (10, 10, 60)})  # 70, 60, 80
    onsite = standings({1: (10, 10, 80), 2: (10, 10, 70)})  # 100, 90; 3 not visited
    combined = combine_rounds(document, onsite, "weighted", 0.5)  # 85, 75
    entries = rank_applications(combined, quota=2)
    assert [(e.application_id, e.rank, e.total, e.in_shortlist, e.reason) for e in entries] == [
        (1, 1, 85.0, True, None),
        (2, 2, 75.0, True, None),
        (3, None, 80.0, False, "no_onsite_review"),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2).flatmap(lambda n_tie: st.tuples(
        st.just(n_tie),
        st.lists(st.booleans(), min_size=0, max_size=30).flatmap(lambda ok: st.tuples(
            st.just(ok),
            st.lists(  # 1-3 variants of the figures, each (total, tie-breaks) per application
                st.lists(st.tuples(st.integers(0, 6), st.lists(st.integers(0, 3), min_size=n_tie,
                                                                max_size=n_tie)),
                         min_size=len(ok), max_size=len(ok)),
                min_size=1, max_size=3),
        )),
    ))
)
def test_rank_order_equals_one_sort_over_every_key(case):
    """Sorting by total and re-sorting only the tied runs gives the full multi-key order, for
    every variant ranked at once. Few distinct values, so runs of ties are common."""
    n_tie, (ok, variants) = case
    ok = np.array(ok, dtype=bool)
    totals = np.array([[t * 10.0 for t, _ in v] for v in variants]).reshape(len(variants), len(ok))
    tie_breaks = np.array([[[b * 5.0 for b in bs] for _, bs in v] for v in variants]).reshape(
        len(variants), len(ok), n_tie)
    idx = np.flatnonzero(ok)
    ranked = rank_order(totals, tie_breaks, ok)
    assert ranked.shape == (len(variants), len(idx))
    for v in range(len(variants)):
        keys = [idx, *(-tie_breaks[v, idx, j] for j in range(n_tie - 1, -1, -1)), -totals[v, idx]]
        assert ranked[v].tolist() == idx[np.lexsort(keys)].tolist()
        assert rank_order(totals[v], tie_breaks[v], ok).tolist() == ranked[v].tolist()
