"""Consensus: after every sheet is in, the leader sees the spread, proposes a score per item with
a reason where it moved, members confirm; nobody sees others' scores before submitting."""

from __future__ import annotations

import pytest

from award.errors import DomainError, NotAllowed
from award.rounds.models import CountedRecord, RoundStatus
from award.scoring import services as scoring
from award.scoring.progress import missing_consensus
from award.scoring.services import ConsensusEntry
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries


@pytest.fixture
def world(review_world):
    return review_world(experts=5, opened=True)


def submit_all(db, world, percents=(40, 50, 50, 55, 60)):
    panel = world.panel(db, world.applications[0])
    for member, percent in zip(panel, percents, strict=True):
        scoring.sign_pledge(db, actor=member.expert, assignment=member)
        scoring.submit_sheet(db, actor=member.expert, assignment=member, expected_version=1,
                             entries=full_entries(world.cycle, percent_of=lambda item, p=percent: p))
    return panel


def medians(world, value=50, reason=""):
    from award.cycles.services import cycle_rubric

    return {item.id: ConsensusEntry(percent=value, reason=reason) for item in cycle_rubric(world.cycle).items}


def test_the_spread_per_item_and_the_flag(db, world):
    world.review_round.range_threshold_pct = 15
    submit_all(db, world)
    spread = scoring.panel_spread(db, world.review_round, world.applications[0].id)
    assert len(spread) == 23
    first = spread[0]
    assert first.percents == (40, 50, 50, 55, 60)  # in expert order
    assert (first.low, first.high, first.median, first.spread) == (40, 60, 50, 20)
    assert first.flagged


def test_consensus_waits_for_every_sheet(db, world):
    panel = world.panel(db, world.applications[0])
    leader = next(m for m in panel if m.is_leader)
    with pytest.raises(DomainError, match="every panel member has submitted"):
        scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                                  application=world.applications[0], proposals=medians(world))


def test_only_the_leader_proposes(db, world):
    panel = submit_all(db, world)
    member = next(m for m in panel if not m.is_leader)
    with pytest.raises(NotAllowed):
        scoring.propose_consensus(db, actor=member.expert, review_round=world.review_round,
                                  application=world.applications[0], proposals=medians(world))


def test_a_moved_item_needs_a_reason_and_the_grid_holds(db, world):
    panel = submit_all(db, world)
    leader = next(m for m in panel if m.is_leader)
    moved = medians(world)
    moved["4.1.2"] = ConsensusEntry(percent=55)
    with pytest.raises(DomainError, match="4.1.2: the consensus moved"):
        scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                                  application=world.applications[0], proposals=moved)
    moved["4.1.2"] = ConsensusEntry(percent=57, reason="x")
    with pytest.raises(DomainError, match="not a multiple of 5%"):
        scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                                  application=world.applications[0], proposals=moved)


def test_propose_and_confirm_until_agreed(db, world):
    panel = submit_all(db, world)
    leader = next(m for m in panel if m.is_leader)
    proposals = medians(world)
    proposals["4.7.2"] = ConsensusEntry(percent=60, reason="现场核实了市场占有率数据")
    scores = scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                                       application=world.applications[0], proposals=proposals)
    by_item = {s.item_id: s for s in scores}
    assert by_item["4.7.2"].points == 48 and by_item["4.7.2"].reason
    app_id = world.applications[0].id
    assert not scoring.consensus_agreed(db, world.review_round, app_id)
    for member in panel:
        if not member.is_leader:
            scoring.confirm_consensus(db, actor=member.expert, review_round=world.review_round,
                                      application=world.applications[0])
    assert scoring.consensus_agreed(db, world.review_round, app_id)
    with pytest.raises(DomainError, match="already confirmed"):
        scoring.confirm_consensus(db, actor=leader.expert, review_round=world.review_round,
                                  application=world.applications[0])


def test_reopening_a_sheet_clears_the_consensus(db, world):
    panel = submit_all(db, world)
    leader = next(m for m in panel if m.is_leader)
    scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                              application=world.applications[0], proposals=medians(world))
    scoring.reopen_sheet(db, actor=world.office, sheet=scoring.sheet_of(panel[-1]), reason="数据有误")
    assert scoring.consensus_scores(db, world.review_round, world.applications[0].id) == {}


def _sheets_as_stored(db, panel):
    db.expire_all()
    return {seat.id: (scoring.sheet_of(seat).total, scoring.sheet_of(seat).status,
                      {i.item_id: (i.band_id, i.percent, i.points) for i in scoring.sheet_of(seat).items})
            for seat in panel}


def test_the_independent_sheets_stay_as_submitted_after_the_consensus(db, world):
    panel = submit_all(db, world)
    submitted = _sheets_as_stored(db, panel)
    assert sorted(total for total, _status, _items in submitted.values()) == [400, 500, 500, 550, 600]
    leader = next(m for m in panel if m.is_leader)
    proposals = medians(world)
    proposals["4.7.2"] = ConsensusEntry(percent=90, reason="现场核实了市场占有率数据")
    scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                              application=world.applications[0], proposals=proposals)
    for member in panel:
        if not member.is_leader:
            scoring.confirm_consensus(db, actor=member.expert, review_round=world.review_round,
                                      application=world.applications[0])
    assert scoring.consensus_agreed(db, world.review_round, world.applications[0].id)
    assert _sheets_as_stored(db, panel) == submitted  # every item's band, percent and points, and each total


def test_a_round_counting_the_consensus_closes_only_once_every_panel_agreed(db, world):
    world.review_round.counts = CountedRecord.CONSENSUS
    panel = submit_all(db, world)
    with pytest.raises(DomainError, match="1 panels have no agreed consensus yet"):
        scoring.close_round(db, actor=world.office, review_round=world.review_round)
    leader = next(m for m in panel if m.is_leader)
    scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                              application=world.applications[0], proposals=medians(world))
    assert missing_consensus(db, world.review_round) == [world.applications[0].id]  # proposed, not confirmed
    for member in panel:
        if not member.is_leader:
            scoring.confirm_consensus(db, actor=member.expert, review_round=world.review_round,
                                      application=world.applications[0])
    assert missing_consensus(db, world.review_round) == []
    scoring.close_round(db, actor=world.office, review_round=world.review_round)
    assert world.review_round.status is RoundStatus.CLOSED


def test_a_round_counting_the_sheets_closes_without_a_consensus(db, world):
    submit_all(db, world)
    assert missing_consensus(db, world.review_round) == []
    scoring.close_round(db, actor=world.office, review_round=world.review_round)
    assert world.review_round.status is RoundStatus.CLOSED
