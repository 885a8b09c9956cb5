"""The ranking through the database: hand-computed figures for each method and tie-break,
exclusions of conflicted sheets (even after scoring), consensus, blacklist, rounds, freezing.

Sheets give one percentage to every GB/T 19580 item, so a sheet's total is 10 x percentage and
the results category 4.7 (400 points) gets 4 x percentage: the expected figures are easy to redo.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from award.applications.models import ApplicationStatus, BlacklistEntry
from award.audit.models import AuditRecord
from award.conflicts.models import PinnedConflict
from award.conflicts.rules import ConflictType
from award.cycles.models import Stage
from award.cycles.services import advance_cycle
from award.errors import DomainError
from award.ranking import services
from award.ranking.models import CombineMode, RankingSnapshot
from award.rounds.models import AssignmentStatus, CountedRecord, RoundKind
from award.scoring.models import ConsensusFinalization, SheetStatus

PANEL = [40, 60, 60, 75, 95, 70]  # totals 400 600 600 750 950 700


def entry_of(ranking, application):
    return next(e for e in ranking.entries if e.application_id == application.id)


@pytest.mark.parametrize(
    ("method", "total", "results_4_7"),
    [
        # mean of 6 totals: 4000 / 6
        ("mean", 666.67, 266.67),
        # drop 950 and 400: (600 + 600 + 750 + 700) / 4
        ("trimmed_mean", 662.50, 265.00),
        # median of 400 600 600 700 750 950; 4.7 sums 160 240 240 280 300 380 -> (240 + 280) / 2
        ("median", 650.00, 260.00),
    ],
)
def test_each_method_through_the_database(world, method, total, results_4_7):
    review_round = world.round(method=method)
    application = world.application()
    world.panel(review_round, application, PANEL)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert ranking.method == method
    assert entry_of(ranking, application).total == total
    assert ranking.categories(application.id)["4.7"] == results_4_7
    # The other methods are shown beside the official one.
    assert ranking.method_totals(application.id) == {"mean": 666.67, "trimmed_mean": 662.5, "median": 650.0}


def test_trimmed_mean_below_five_sheets_is_the_plain_mean(world):
    review_round = world.round(method="trimmed_mean", required_sheets=3)
    application = world.application()
    world.panel(review_round, application, [40, 60, 100])
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, application).total == 666.67  # 2000 / 3, nothing dropped


def test_a_conflict_declared_after_scoring_removes_that_sheet(world, office):
    review_round = world.round(method="trimmed_mean")
    application = world.application()
    experts = world.panel(review_round, application, PANEL)
    before = services.compute_ranking(world.db, world.cycle)
    assert entry_of(before, application).total == 662.50
    assert before.exclusions == []

    # The expert who gave 95% turns out to have consulted for the applicant.
    world.db.add(PinnedConflict(application_id=application.id, expert_id=experts[4].id,
                                type=ConflictType.CONSULTING, reason="Coached its self-assessment in 2024",
                                created_by_id=office.id))
    world.db.flush()
    after = services.compute_ranking(world.db, world.cycle)
    # 400 600 600 750 700 left; trimmed: drop 750 and 400 -> (600 + 600 + 700) / 3
    assert entry_of(after, application).total == 633.33
    assert after.sheet_count(application.id) == 5
    [(kind, exclusion)] = after.exclusions
    assert kind == "document"
    assert exclusion.expert_id == experts[4].id and exclusion.expert_label == "E5" and exclusion.matched
    assert "Coached its self-assessment in 2024" in exclusion.reason


def test_too_few_valid_sheets_is_flagged_not_ranked(world, office):
    review_round = world.round(method="mean", required_sheets=6)
    application = world.application()
    experts = world.panel(review_round, application, PANEL)
    world.db.add(PinnedConflict(application_id=application.id, expert_id=experts[0].id,
                                type=ConflictType.OTHER, reason="Former employee", created_by_id=office.id))
    world.db.flush()
    entry = entry_of(services.compute_ranking(world.db, world.cycle), application)
    assert entry.rank is None and not entry.in_shortlist
    assert entry.reason == "insufficient_sheets"


@pytest.mark.parametrize("status", [AssignmentStatus.CONFLICT_DECLARED, AssignmentStatus.REMOVED])
def test_sheets_of_panel_members_taken_off_are_excluded_with_the_reason(world, status):
    review_round = world.round(method="mean", required_sheets=5)
    application = world.application()
    world.panel(review_round, application, [60, 60, 60, 60, 60])
    world.sheet(review_round, application, world.expert(5), 100, assignment_status=status,
                status_reason="works for a supplier")
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, application).total == 600.0
    [(_kind, exclusion)] = ranking.exclusions
    assert exclusion.matched and exclusion.reason.endswith("works for a supplier")


def test_draft_sheets_do_not_count(world):
    review_round = world.round(method="mean", required_sheets=5)
    application = world.application()
    world.panel(review_round, application, [60, 60, 60, 60, 60])
    world.sheet(review_round, application, world.expert(5), 100, status=SheetStatus.DRAFT)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, application).total == 600.0 and ranking.sheet_count(application.id) == 5


def test_an_incomplete_sheet_is_listed_and_not_counted(world):
    review_round = world.round(method="mean", required_sheets=5)
    application = world.application()
    world.panel(review_round, application, [60, 60, 60, 60, 60])
    world.sheet(review_round, application, world.expert(5), 100, skip_items=("4.4.3",))
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, application).total == 600.0
    assert ranking.incomplete_sheets(application.id) == 1


def test_a_round_counting_its_independent_sheets_ignores_the_consensus(world):
    """Until the rounds stated which record counts, a consensus replaced the sheets' scores of its
    items (677.00 here); a round counting its independent sheets now ranks what the experts gave."""
    review_round = world.round(method="mean", required_sheets=5, counts=CountedRecord.INDEPENDENT)
    application = world.application()
    world.panel(review_round, application, [50, 60, 60, 70, 90])  # mean 660
    world.consensus_sheet(review_round, application, 60, per_item={"4.1.2": 100})
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, application).total == 660.0
    assert ranking.items(application.id)["4.1.2"] == 33.0  # 50 points x 66% on average
    assert ranking.method_totals(application.id) == {"mean": 660.0, "trimmed_mean": 633.33, "median": 600.0}
    assert ranking.counted_of(application.id) == {"document": "independent"}
    assert ranking.independent_total(application.id) == 660.0


def test_a_round_counting_its_consensus_ranks_the_panel_sheet_and_shows_the_sheets_beside_it(world):
    review_round = world.round(method="trimmed_mean", required_sheets=5, counts=CountedRecord.CONSENSUS)
    application = world.application()
    world.panel(review_round, application, [50, 60, 60, 70, 90])  # totals 500 600 600 700 900
    # 60 % everywhere (600) but 4.1.2 (50 points) at 100 %: 600 + 50 x 40 % = 620.
    world.consensus_sheet(review_round, application, 60, per_item={"4.1.2": 100})
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, application).total == 620.0
    assert ranking.items(application.id)["4.1.2"] == 50.0
    assert ranking.categories(application.id)["4.7"] == 240.0
    # The independent sheets, untouched, beside it: every method over them, and their range.
    assert ranking.method_totals(application.id) == {"mean": 660.0, "trimmed_mean": 633.33, "median": 600.0}
    assert ranking.independent_total(application.id) == 633.33
    assert ranking.sheet_ranges(application.id) == {"document": (500.0, 900.0)}
    assert ranking.counted_of(application.id) == {"document": "consensus"}
    figures = ranking.document.figures(application.id)
    assert [total for _label, total in figures.sheet_totals] == [500.0, 600.0, 600.0, 700.0, 900.0]
    assert (figures.counts, figures.official_total, figures.consensus_total) == ("consensus", 620.0, 620.0)


def test_a_consensus_not_confirmed_by_every_member_does_not_count(world):
    review_round = world.round(method="mean", required_sheets=5, counts=CountedRecord.CONSENSUS)
    agreed, waiting, without = world.application(), world.application(), world.application()
    for application in (agreed, waiting, without):
        world.panel(review_round, application, [60] * 5)
    world.consensus_sheet(review_round, agreed, 70)
    world.consensus_sheet(review_round, waiting, 90, confirmed=False)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, agreed).total == 700.0 and entry_of(ranking, agreed).rank == 1
    for application in (waiting, without):
        entry = entry_of(ranking, application)
        assert (entry.rank, entry.status, entry.reason) == (None, "no_consensus", "no_consensus")
    assert str(services.STATUS_LABELS["no_consensus"]) == "No agreed panel consensus, which this round counts"


def test_a_consensus_the_team_leader_finalized_counts_without_every_confirmation(world):
    review_round = world.round(method="mean", required_sheets=5, counts=CountedRecord.CONSENSUS)
    finalized = world.application()
    world.panel(review_round, finalized, [60] * 5)
    rows = world.consensus_sheet(review_round, finalized, 80, confirmed=False)
    world.db.add(ConsensusFinalization(round_id=review_round.id, application_id=finalized.id,
                                       finalized_by_id=rows[0].proposed_by_id, open_disagreements=1,
                                       note="现场复核后维持"))
    world.db.flush()
    assert entry_of(services.compute_ranking(world.db, world.cycle), finalized).total == 800.0


def test_the_robustness_of_a_consensus_round_compares_it_with_the_independent_sheets(world):
    world.cycle.awards_count = 1
    review_round = world.round(method="mean", required_sheets=5, counts=CountedRecord.CONSENSUS)
    first, second, third = world.application(), world.application(), world.application()
    world.panel(review_round, first, [80] * 5)
    world.panel(review_round, second, [70] * 5)
    world.panel(review_round, third, [50] * 5)
    world.consensus_sheet(review_round, first, 60)  # the consensus puts the second one first
    world.consensus_sheet(review_round, second, 70)
    world.consensus_sheet(review_round, third, 50)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert [e.application_id for e in ranking.entries if e.in_shortlist] == [second.id]
    assert services.robustness_of(ranking, first.id) == ("consensus_decides", ())
    assert services.robustness_of(ranking, second.id) == ("consensus_decides", ())
    assert services.robustness_of(ranking, third.id) == ("consensus_holds", ())


def test_withdrawn_applications_are_not_ranked(world):
    review_round = world.round(method="mean")
    kept = world.application()
    gone = world.application(status=ApplicationStatus.WITHDRAWN)
    world.panel(review_round, kept, [60] * 5)
    world.panel(review_round, gone, [90] * 5)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert [e.application_id for e in ranking.entries] == [kept.id]


def _one_sheet(world, review_round, percent=60, **per_item):
    application = world.application()
    world.sheet(review_round, application, world.expert(0), percent,
                per_item={k.replace("_", "."): v for k, v in per_item.items()})
    return application


def test_tie_breaks_results_then_leadership_then_application_number(world):
    review_round = world.round(method="mean", required_sheets=1)
    plain = _one_sheet(world, review_round)  # 600; 4.7 = 240; 4.1 = 66
    twin = _one_sheet(world, review_round)  # the same figures: the number decides
    # 4.7 items at 65% (+20) and 4.2.2 (40 points) at 10% (-20): 600, 4.7 = 260
    results = _one_sheet(world, review_round, **{"4_7_2": 65, "4_7_3": 65, "4_7_4": 65, "4_7_5": 65,
                                                 "4_7_6": 65, "4_7_7": 65, "4_2_2": 10})
    # 4.1.2 (50 points) at 100% (+20) and 4.2.2 at 10% (-20): 600, 4.7 = 240, 4.1 = 86
    leadership = _one_sheet(world, review_round, **{"4_1_2": 100, "4_2_2": 10})
    ranking = services.compute_ranking(world.db, world.cycle)
    order = [(e.application_id, e.total, e.decided_by) for e in ranking.entries]
    assert order == [
        (results.id, 600.0, None),
        (leadership.id, 600.0, "4.7"),
        (plain.id, 600.0, "4.1"),
        (twin.id, 600.0, "application_id"),
    ]


def test_cutoff_and_number_of_awards_give_the_shortlist(world):
    review_round = world.round(method="mean", required_sheets=1)  # cycle: cut-off 600, 3 awards
    apps = [_one_sheet(world, review_round, pct) for pct in (90, 80, 70, 65, 55)]
    ranking = services.compute_ranking(world.db, world.cycle)
    assert [(e.application_id, e.rank, e.in_shortlist, e.reason) for e in ranking.entries] == [
        (apps[0].id, 1, True, None), (apps[1].id, 2, True, None), (apps[2].id, 3, True, None),
        (apps[3].id, 4, False, "over_quota"), (apps[4].id, 5, False, "below_cutoff"),
    ]


def test_sector_limit_lets_the_next_sector_move_up(world, office):
    review_round = world.round(method="mean", required_sheets=1)
    first = _one_sheet(world, review_round, 90)
    second_c = _one_sheet(world, review_round, 80)
    services.update_ranking_settings(world.db, actor=office, cycle=world.cycle, combine_mode=CombineMode.REPLACE,
                                     onsite_weight=Decimal("0.5"), sector_limits={"C": 1}, min_sheets_for_leniency=5)
    other = world.application(sector="I")
    world.sheet(review_round, other, world.expert(0), 70)
    ranking = services.compute_ranking(world.db, world.cycle)
    flags = {e.application_id: (e.in_shortlist, e.reason) for e in ranking.entries}
    assert flags == {first.id: (True, None), second_c.id: (False, "sector_limit"), other.id: (True, None)}


def test_the_dishonesty_list_is_checked_again(world, office):
    review_round = world.round(method="mean", required_sheets=1)
    listed = _one_sheet(world, review_round, 95)
    clean = _one_sheet(world, review_round, 90)
    code = world.db.get(type(listed), listed.id).organization.credit_code
    world.db.add(BlacklistEntry(credit_code=code, source="市场监管局失信名单", listed_on=dt.date(2025, 1, 2)))
    world.db.flush()
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, listed).rank is None and entry_of(ranking, listed).reason == "blacklisted"
    assert entry_of(ranking, clean).rank == 1
    assert ranking.blacklist == {listed.id: ["市场监管局失信名单"]}
    services.freeze_shortlist(world.db, actor=office, cycle=world.cycle)
    hit = world.db.scalars(select(AuditRecord).where(AuditRecord.action == "ranking.blacklisted")).one()
    assert hit.target_id == str(listed.id)


@pytest.mark.parametrize(("mode", "weight", "expected"), [
    (CombineMode.REPLACE, Decimal("0.5"), 800.0),
    (CombineMode.WEIGHTED, Decimal("0.25"), 650.0),  # 0.75 x 600 + 0.25 x 800
])
def test_rounds_combine_as_the_cycle_says(world, office, mode, weight, expected):
    document = world.round(method="mean")
    onsite = world.round(kind=RoundKind.ONSITE, method="mean", required_sheets=3)
    application = world.application()
    world.panel(document, application, [60] * 5)
    world.panel(onsite, application, [80] * 3, first_expert=5)
    services.update_ranking_settings(world.db, actor=office, cycle=world.cycle, combine_mode=mode,
                                     onsite_weight=weight, sector_limits={}, min_sheets_for_leniency=5)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert ranking.combined
    assert entry_of(ranking, application).total == expected


def test_without_an_onsite_score_an_application_is_not_ranked_when_rounds_combine(world):
    document = world.round(method="mean")
    onsite = world.round(kind=RoundKind.ONSITE, method="mean", required_sheets=3)
    visited, not_visited = world.application(), world.application()
    world.panel(document, visited, [60] * 5)
    world.panel(document, not_visited, [90] * 5)
    world.panel(onsite, visited, [80] * 3, first_expert=5)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, not_visited).reason == "no_onsite_review"
    assert entry_of(ranking, visited).rank == 1


def test_disagreement_uses_the_rounds_thresholds(world):
    review_round = world.round(method="mean", range_pct=30, std_pct=50)
    application = world.application()
    # 4.1.2 spreads from 20% to 90% (range 70 points of 100 -> 35 of 50 > 15): flagged by range.
    for k, pct in enumerate([20, 60, 60, 60, 90]):
        world.sheet(review_round, application, world.expert(k), 60, per_item={"4.1.2": pct})
    ranking = services.compute_ranking(world.db, world.cycle)
    [(kind, flagged)] = ranking.disagreements_of(application.id)
    assert (kind, flagged.item_id, flagged.by_range, flagged.by_std) == ("document", "4.1.2", True, False)
    assert flagged.range == 35.0 and flagged.range_threshold == 15.0


def test_robustness_names_the_expert_whose_removal_changes_the_shortlist(world):
    review_round = world.round(method="mean")
    near = world.application()
    safe = world.application()
    world.panel(review_round, near, [55, 60, 60, 60, 75])  # 620; without the 75 sheet 587.5 < 600
    world.panel(review_round, safe, [90] * 5)
    ranking = services.compute_ranking(world.db, world.cycle)
    assert services.robustness_of(ranking, near.id) == ("sensitive", ("E5",))
    assert services.robustness_of(ranking, safe.id) == ("stable", ())


def test_leniency_view_only_for_experts_with_enough_sheets(world, office):
    review_round = world.round(method="mean", required_sheets=1)
    for pct in (50, 60, 70):
        _one_sheet(world, review_round, pct)  # expert 0 scores three applications
    ranking = services.compute_ranking(world.db, world.cycle)
    assert not any(e.meaningful for e in ranking.document.expert_leniency())
    services.update_ranking_settings(world.db, actor=office, cycle=world.cycle, combine_mode=CombineMode.REPLACE,
                                     onsite_weight=Decimal("0.5"), sector_limits={}, min_sheets_for_leniency=3)
    ranking = services.compute_ranking(world.db, world.cycle)
    [expert] = ranking.document.expert_leniency()
    assert (expert.label, expert.sheets, expert.mean_total, expert.meaningful) == ("E1", 3, 600.0, True)


@pytest.mark.parametrize("packed", [True, False])
def test_score_rows_come_from_one_query(world, engine, packed):
    """One pass over the round's seats and sheets reads the packed points; sheets without them
    (submitted before the packing existed) take one more query over their item rows."""
    review_round = world.round(method="mean")
    for _ in range(3):
        application = world.application()
        for k in range(5):
            world.sheet(review_round, application, world.expert(k), 60, packed=packed)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        ranking = services.compute_ranking(world.db, world.cycle)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sum("item_points" in s and "item_scores" not in s for s in statements) == 1
    assert sum("FROM item_scores" in s for s in statements) == (0 if packed else 1)
    assert [e.total for e in ranking.entries] == [600.0] * 3


def test_packed_score_rows_equal_the_row_by_row_query(world):
    """The bulk read (columns joined into strings) gives exactly the rows of the plain query."""
    review_round = world.round(method="mean")
    first, second = world.application(), world.application()
    world.panel(review_round, first, [35, 55, 85])
    world.panel(review_round, second, [15, 95], first_expert=1)
    world.consensus(review_round, second, "4.7.2", 50, world.expert(1))
    world.sheet(review_round, second, world.expert(5), 70, status=SheetStatus.DRAFT)

    packed = services.load_score_rows(world.db, review_round)
    statement = services.score_rows_statement(review_round)
    expected = sorted((a, e, i, float(p)) for a, e, i, p in world.db.execute(statement))
    got = sorted(zip(packed.application_id.tolist(), packed.expert_id.tolist(), packed.item_id.tolist(),
                     packed.points.tolist(), strict=True))
    assert len(got) == 5 * len(world.rubric.items)
    assert got == expected
    assert any(p % 1 for *_, p in got)  # fractional points made it through the text round trip
    # The consensus on 4.7.2 is a sheet of its own: the experts' 15 % and 95 % of 80 points stay.
    assert sorted(p for a, _e, i, p in got if a == second.id and i == "4.7.2") == [12.0, 76.0]


def test_a_round_without_submitted_sheets_reads_no_rows(world):
    review_round = world.round(method="mean")
    world.sheet(review_round, world.application(), world.expert(0), 60, status=SheetStatus.DRAFT)
    rows = services.load_score_rows(world.db, review_round)
    assert len(rows) == 0
    assert rows.item_id.dtype.kind == "U"


def test_freeze_writes_the_snapshot_and_one_audit_record_per_exclusion(world, office):
    review_round = world.round(method="trimmed_mean")
    application = world.application()
    experts = world.panel(review_round, application, PANEL)
    world.db.add(PinnedConflict(application_id=application.id, expert_id=experts[4].id,
                                type=ConflictType.EMPLOYMENT, reason="Worked there until 2024",
                                created_by_id=office.id))
    world.db.flush()
    snapshot = services.freeze_shortlist(world.db, actor=office, cycle=world.cycle)
    assert snapshot.version == 1 and snapshot.method == "trimmed_mean"
    [entry] = snapshot.entries
    assert (entry.rank, entry.total, entry.in_shortlist) == (1, Decimal("633.33"), True)
    assert entry.exclusions == [{"round": "document", "expert": "E5", "reason": "Worked there until 2024",
                                 "matched": True}]
    assert entry.robustness in ("stable", "sensitive")
    actions = world.db.scalars(select(AuditRecord.action).where(AuditRecord.cycle_id == world.cycle.id)
                               .order_by(AuditRecord.seq)).all()
    assert actions[-2:] == ["ranking.sheet_excluded", "ranking.frozen"]
    excluded = world.db.scalars(select(AuditRecord).where(AuditRecord.action == "ranking.sheet_excluded")).one()
    assert excluded.after["expert_id"] == experts[4].id and excluded.after["reason"] == "Worked there until 2024"
    # Freezing again keeps the first version and adds the next one.
    assert services.freeze_shortlist(world.db, actor=office, cycle=world.cycle).version == 2
    assert services.current_snapshot(world.db, world.cycle).version == 2
    assert len(world.db.scalars(select(RankingSnapshot)).all()) == 2


def test_freeze_only_in_deliberation(world, office, make_cycle):
    cycle = make_cycle(stage=Stage.DOCUMENT_REVIEW)
    with pytest.raises(DomainError, match="only while"):
        services.freeze_shortlist(world.db, actor=office, cycle=cycle)


def test_freeze_refuses_an_empty_ranking(world, office):
    world.round(method="mean")
    with pytest.raises(DomainError, match="No application can be ranked"):
        services.freeze_shortlist(world.db, actor=office, cycle=world.cycle)


def test_submitting_to_the_leading_group_needs_a_frozen_shortlist(world, office):
    review_round = world.round(method="mean")
    world.panel(review_round, world.application(), [70] * 5)
    with pytest.raises(DomainError, match="Freeze the shortlist"):
        advance_cycle(world.db, actor=office, cycle=world.cycle, target=Stage.APPROVAL)
    services.freeze_shortlist(world.db, actor=office, cycle=world.cycle)
    advance_cycle(world.db, actor=office, cycle=world.cycle, target=Stage.APPROVAL)
    assert world.cycle.stage is Stage.APPROVAL
    with pytest.raises(DomainError, match="fixed once"):
        services.update_ranking_settings(world.db, actor=office, cycle=world.cycle, combine_mode=CombineMode.REPLACE,
                                         onsite_weight=Decimal("0.5"), sector_limits={}, min_sheets_for_leniency=5)


def test_settings_changes_are_audited(world, office):
    services.update_ranking_settings(world.db, actor=office, cycle=world.cycle, combine_mode=CombineMode.WEIGHTED,
                                     onsite_weight=Decimal("0.4"), sector_limits={"c": 2}, min_sheets_for_leniency=4)
    row = world.db.scalars(select(AuditRecord).where(AuditRecord.action == "ranking.settings_updated")).one()
    assert row.before is None
    assert row.after == {"combine_mode": "weighted", "onsite_weight": "0.400", "sector_limits": {"C": 2},
                         "min_sheets_for_leniency": 4}


def test_sheets_with_and_without_packed_points_rank_alike(world):
    """A round mixing sheets submitted with packed points and sheets without them (submitted before
    the column existed) reads every sheet once, with the same figures as the item rows give."""
    review_round = world.round(method="trimmed_mean")
    first, second = world.application(), world.application()
    world.panel(review_round, first, PANEL)
    experts = [world.expert(k) for k in range(len(PANEL))]
    for k, (expert, pct) in enumerate(zip(experts, PANEL, strict=True)):
        world.sheet(review_round, second, expert, pct, packed=k % 2 == 0,
                    skip_items=("4.7.2",) if k == 5 else ())
    rows = services.load_score_rows(world.db, review_round)
    statement = services.score_rows_statement(review_round)
    expected = sorted((a, e, i, float(p)) for a, e, i, p in world.db.execute(statement))
    got = sorted(zip(rows.application_id.tolist(), rows.expert_id.tolist(), rows.item_id.tolist(),
                     rows.points.tolist(), strict=True))
    assert got == expected
    assert len(got) == 12 * len(world.rubric.items) - 1  # the skipped item is no row
    ranking = services.compute_ranking(world.db, world.cycle)
    assert entry_of(ranking, first).total == 662.50
    assert ranking.incomplete_sheets(second.id) == 1


def test_a_ranking_computed_again_after_a_change_is_not_the_old_one(world, office):
    """Reusing the last robustness check never hides a change: a sheet reopened, a conflict pinned."""
    review_round = world.round(method="trimmed_mean", required_sheets=5)
    leader, runner_up = world.application(), world.application()
    world.panel(review_round, leader, [95, 90, 90, 90, 90, 85])
    experts = world.panel(review_round, runner_up, [70, 72, 74, 76, 78, 80])
    world.cycle.awards_count = 1
    before = services.compute_ranking(world.db, world.cycle)
    assert services.robustness_of(before, runner_up.id)[0] == "stable"
    again = services.compute_ranking(world.db, world.cycle)
    assert [e.application_id for e in again.entries] == [e.application_id for e in before.entries]
    # Take the leader's sheets off until it has too few: the runner-up moves up.
    for expert in experts[:2]:
        world.db.add(PinnedConflict(application_id=leader.id, expert_id=expert.id, type=ConflictType.CONSULTING,
                                    reason="Coached it", created_by_id=office.id))
    world.db.flush()
    after = services.compute_ranking(world.db, world.cycle)
    assert entry_of(after, leader).rank is None and entry_of(after, runner_up).rank == 1
    assert services.robustness_of(after, leader.id)[0] == "not_ranked"
