"""The services refuse an expert whose conflict with the applicant came to light after the pledge:
saving, submitting, proposing and confirming the consensus. A script, a command or a future API
that calls them directly meets the same rule as the page."""

from __future__ import annotations

import pytest

from award.conflicts.rules import ConflictType
from award.conflicts.services import pin_conflict
from award.errors import NotAllowed
from award.scoring import services as scoring
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries


def _pin(db, world, expert, application):
    pin_conflict(db, actor=world.office, application=application, expert=expert, conflict_type=ConflictType.OTHER,
                 reason="评审期间发现其配偶在该企业任职")


def _pledge_all(db, panel):
    for seat in panel:
        scoring.sign_pledge(db, actor=seat.expert, assignment=seat)


@pytest.mark.parametrize("service", [scoring.save_draft, scoring.submit_sheet])
def test_a_conflict_pinned_after_the_pledge_stops_saving_and_submitting(db, opened, service):
    application = opened.applications[0]
    seat = opened.panel(db, application)[0]
    scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
    scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle)[:1],
                       expected_version=1)
    _pin(db, opened, seat.expert, application)
    version = scoring.sheet_of(seat).version
    with pytest.raises(NotAllowed, match="conflict of interest"):
        service(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle), expected_version=version)
    assert scoring.sheet_of(seat).version == version


def _all_submitted(db, world):
    application = world.applications[0]
    panel = world.panel(db, application)
    _pledge_all(db, panel)
    for seat in panel:
        scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(world.cycle),
                             expected_version=scoring.sheet_of(seat).version)
    return application, panel


def _proposals(world):
    return {entry.item_id: scoring.ConsensusEntry(percent=50, reason="") for entry in full_entries(world.cycle)}


def test_a_conflicted_team_leader_cannot_propose_the_consensus(db, opened):
    application, panel = _all_submitted(db, opened)
    leader = next(seat for seat in panel if seat.is_leader)
    _pin(db, opened, leader.expert, application)
    with pytest.raises(NotAllowed, match="conflict of interest"):
        scoring.propose_consensus(db, actor=leader.expert, review_round=opened.review_round, application=application,
                                  proposals=_proposals(opened))
    assert scoring.consensus_scores(db, opened.review_round, application.id) == {}


def _proposed(db, world):
    """Every sheet submitted and the leader's consensus proposed: (application, a member's seat)."""
    application, panel = _all_submitted(db, world)
    leader = next(seat for seat in panel if seat.is_leader)
    scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round, application=application,
                              proposals=_proposals(world))
    return application, next(seat for seat in panel if not seat.is_leader)


def test_a_conflicted_member_cannot_confirm_the_consensus(db, opened):
    application, member = _proposed(db, opened)
    _pin(db, opened, member.expert, application)
    with pytest.raises(NotAllowed, match="conflict of interest"):
        scoring.confirm_consensus(db, actor=member.expert, review_round=opened.review_round, application=application)
    assert member.expert_id not in scoring.confirmed_by(db, opened.review_round, application.id)


def test_without_a_conflict_the_same_calls_go_through(db, opened):
    application, member = _proposed(db, opened)
    scoring.confirm_consensus(db, actor=member.expert, review_round=opened.review_round, application=application)
    assert member.expert_id in scoring.confirmed_by(db, opened.review_round, application.id)
