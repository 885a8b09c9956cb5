"""Leave-one-expert-out: stable vs sensitive places, anonymous expert labels."""

from __future__ import annotations

import numpy as np
import pytest

from award.ranking import robustness
from award.ranking.aggregate import (
    COUNTS_CONSENSUS,
    GB_T_19580_2012,
    ConsensusSheets,
    RubricLayout,
    ScoreRows,
    aggregate_round,
)
from award.ranking.rank import rank_applications
from award.ranking.robustness import leave_one_expert_out

ONE = RubricLayout.from_items([("4.1.2", "4.1", 100), ("4.7.2", "4.7", 100)])


def rows_of(totals: dict[tuple[int, str], float]) -> ScoreRows:
    """Sheets whose 4.7 item carries the whole total (4.1 stays 0)."""
    return ScoreRows.from_records(
        r for (app, expert), t in totals.items() for r in ((app, expert, "4.1.2", 0), (app, expert, "4.7.2", t))
    )


# Experts li < wang < zhang in id order: E1 = li, E2 = wang, E3 = zhang.
CRAFTED = {
    (1, "li"): 50, (1, "wang"): 50, (1, "zhang"): 90,  # mean 63.33, only thanks to zhang
    (2, "li"): 60, (2, "wang"): 60, (2, "zhang"): 60,  # 60
    (3, "li"): 10, (3, "wang"): 10, (3, "zhang"): 10,  # 10
}


def test_stable_and_sensitive_on_a_crafted_round():
    aggregate = aggregate_round(rows_of(CRAFTED), ONE, method="mean", required_sheets=3)
    result = leave_one_expert_out(aggregate, quota=1)
    # without zhang (E3), application 1 falls to 50 and 2 takes the only place
    assert (result[1].in_shortlist, result[1].verdict, result[1].flipped_by) == (True, "sensitive", ("E3",))
    assert (result[2].in_shortlist, result[2].verdict, result[2].flipped_by) == (False, "sensitive", ("E3",))
    assert (result[3].verdict, result[3].flipped_by) == ("stable", ())
    assert (result[1].best_rank, result[1].worst_rank) == (1, 2)
    # the real id never appears
    assert "zhang" not in repr(result)
    assert result[1].flipped_by_display() == ["Expert E3"]


def test_wide_margin_is_stable():
    totals = dict(CRAFTED) | {(1, "li"): 80, (1, "wang"): 80}  # 83.33; without zhang 80
    aggregate = aggregate_round(rows_of(totals), ONE, method="mean", required_sheets=3)
    result = leave_one_expert_out(aggregate, quota=1)
    assert {k: v.verdict for k, v in result.items()} == {1: "stable", 2: "stable", 3: "stable"}


def test_cutoff_sensitivity():
    # application 1 passes the cut-off 60 only with zhang's 90
    aggregate = aggregate_round(rows_of(CRAFTED), ONE, method="mean", required_sheets=3)
    result = leave_one_expert_out(aggregate, cutoff=61)
    assert result[1].verdict == "sensitive" and result[1].flipped_by == ("E3",)
    assert result[2].verdict == "stable" and not result[2].in_shortlist


def test_unranked_application_is_marked_not_ranked():
    totals = dict(CRAFTED)
    del totals[(3, "zhang")]
    aggregate = aggregate_round(rows_of(totals), ONE, method="mean", required_sheets=3)
    result = leave_one_expert_out(aggregate, quota=1)
    assert result[3].verdict == "not_ranked" and result[3].best_rank is None


@pytest.mark.parametrize("block", [robustness.EXPERTS_PER_BLOCK, 5])
@pytest.mark.parametrize("method", ["mean", "trimmed_mean", "median"])
def test_matches_a_brute_force_recomputation(method, block, monkeypatch):
    """The vectorized check agrees with re-running the public functions without each expert,
    whether the 12 experts are checked in one block or in blocks of 5 (the last one short)."""
    monkeypatch.setattr(robustness, "EXPERTS_PER_BLOCK", block)
    rng = np.random.default_rng(7)
    lay = GB_T_19580_2012
    records = []
    for app in range(40):
        for expert in rng.choice(12, size=int(rng.integers(4, 7)), replace=False):
            for item, pts in zip(lay.item_ids, lay.points, strict=True):
                records.append((app, int(expert), item, float(rng.integers(9, 15)) * 0.05 * pts))
    rows = ScoreRows.from_records(records)
    settings = {"cutoff": 520, "quota": 8, "sector_of": {a: "CF"[a % 2] for a in range(40)},
                "sector_limits": 5}
    aggregate = aggregate_round(rows, lay, method=method, required_sheets=1)
    result = leave_one_expert_out(aggregate, **settings)
    base_entries = rank_applications(aggregate, **settings)
    base = {e.application_id: e.in_shortlist for e in base_entries}
    ranks = {e.application_id: [e.rank] for e in base_entries}
    expected: dict[int, list[str]] = {a: [] for a in range(40)}
    for n, expert in enumerate(aggregate.expert_ids.tolist()):
        keep = rows.expert_id != expert
        reduced = aggregate_round(
            ScoreRows(
                application_id=rows.application_id[keep],
                expert_id=rows.expert_id[keep],
                item_id=rows.item_id[keep],
                points=rows.points[keep],
            ),
            lay,
            method=method,
            required_sheets=1,
        )
        for e in rank_applications(reduced, **settings):
            ranks[e.application_id].append(e.rank)
            if e.in_shortlist != base[e.application_id]:
                expected[e.application_id].append(f"E{n + 1}")
    assert {a: list(r.flipped_by) for a, r in result.items()} == expected
    assert {a: (r.best_rank, r.worst_rank) for a, r in result.items()} == {
        a: (min(r), max(r)) for a, r in ranks.items()}
    assert any(expected.values())  # the example does exercise sensitivity


def test_a_consensus_round_is_checked_against_its_independent_sheets():
    # Sheets put 1 first (63.33 against 60); the consensus agrees 55 for 1 and 60 for 2: 2 is in.
    consensus = ConsensusSheets.from_records([(1, "4.1.2", 0), (1, "4.7.2", 55), (2, "4.1.2", 0), (2, "4.7.2", 60),
                                              (3, "4.1.2", 0), (3, "4.7.2", 10)])
    aggregate = aggregate_round(rows_of(CRAFTED), ONE, method="mean", required_sheets=3,
                                counts=COUNTS_CONSENSUS, consensus=consensus)
    result = robustness.check_robustness(aggregate, quota=1)
    assert result[2].in_shortlist and not result[1].in_shortlist
    assert (result[1].verdict, result[2].verdict, result[3].verdict) == (
        robustness.VERDICT_CONSENSUS_DECIDES, robustness.VERDICT_CONSENSUS_DECIDES, robustness.VERDICT_CONSENSUS_HOLDS)
    assert (result[1].best_rank, result[1].worst_rank) == (1, 2) and result[1].flipped_by == ()
    with pytest.raises(ValueError, match="check_robustness"):
        leave_one_expert_out(aggregate, quota=1)


def test_check_robustness_of_a_sheets_round_is_leave_one_expert_out():
    aggregate = aggregate_round(rows_of(CRAFTED), ONE, method="mean", required_sheets=3)
    assert robustness.check_robustness(aggregate, quota=1) == leave_one_expert_out(aggregate, quota=1)


def test_a_check_is_reused_only_for_the_very_same_inputs():
    """The kept check answers the same inputs again; a changed sheet or setting runs it anew."""
    robustness.forget_reused_checks()
    aggregate = aggregate_round(rows_of(CRAFTED), ONE, method="mean", required_sheets=3)
    first = robustness.check_robustness(aggregate, quota=1)
    again = robustness.check_robustness(aggregate_round(rows_of(CRAFTED), ONE, method="mean", required_sheets=3),
                                        quota=1)
    assert again == first and again is not first  # a copy: a caller cannot change the kept one
    assert again == leave_one_expert_out(aggregate, quota=1)
    # Another quota: application 2 is then in the shortlist, whoever is removed.
    assert robustness.check_robustness(aggregate, quota=2)[2].verdict == "stable"
    # Another sheet: without zhang's 90 nothing hinges on zhang any more.
    changed = aggregate_round(rows_of(CRAFTED | {(1, "zhang"): 50}), ONE, method="mean", required_sheets=3)
    assert robustness.check_robustness(changed, quota=1) == leave_one_expert_out(changed, quota=1)
    assert robustness.check_robustness(changed, quota=1)[1].flipped_by == ()
