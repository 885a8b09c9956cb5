"""The quorum and pass rules as tables: quorum, ties, abstentions, the other pass rules."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from award.approval.rules import Tally, VoteRule, decide, rule_from_settings
from award.cycles.settings import AwardSettings

DEFAULT = VoteRule()  # two thirds vote; more than half of those who voted approve


@pytest.mark.parametrize(("members", "approve", "reject", "abstain", "quorum_met", "passed"), [
    (3, 3, 0, 0, True, True),
    (3, 2, 0, 0, True, True),      # 2 of 3 voted: exactly two thirds is enough
    (3, 1, 0, 0, False, False),    # 1 of 3 voted: no quorum, whatever the votes
    (3, 2, 1, 0, True, True),
    (3, 1, 2, 0, True, False),
    (3, 1, 1, 0, True, False),     # a tie is not more than half
    (4, 2, 2, 0, True, False),     # a tie again
    (4, 2, 0, 0, False, False),    # 2 of 4 is below two thirds
    (4, 3, 0, 0, True, True),      # 3 of 4 is above two thirds
    (5, 2, 1, 1, True, False),     # abstentions count as voted but not as approval: 2 of 4
    (5, 3, 0, 1, True, True),
    (6, 4, 0, 0, True, True),      # 4 of 6 is exactly two thirds
    (6, 3, 0, 0, False, False),
    (0, 0, 0, 0, False, False),    # no members, no decision
    (9, 0, 0, 6, True, False),     # everyone who voted abstained
])
def test_default_rule(members, approve, reject, abstain, quorum_met, passed):
    verdict = decide(Tally(members=members, approve=approve, reject=reject, abstain=abstain), DEFAULT)
    assert (verdict.quorum_met, verdict.passed) == (quorum_met, passed)


@pytest.mark.parametrize(("settings", "tally", "passed"), [
    # two thirds of those who voted, "at least": 2 of 3 passes, 3 of 5 does not
    (AwardSettings(pass_rule="two_thirds_of_voters"), Tally(members=3, approve=2, reject=1, abstain=0), True),
    (AwardSettings(pass_rule="two_thirds_of_voters"), Tally(members=5, approve=3, reject=2, abstain=0), False),
    # more than half of all members: absent members count against
    (AwardSettings(pass_rule="majority_of_members"), Tally(members=7, approve=3, reject=0, abstain=2), False),
    (AwardSettings(pass_rule="majority_of_members"), Tally(members=7, approve=4, reject=1, abstain=0), True),
    # quorum of every member: one missing fails the candidate
    (AwardSettings(quorum="1/1"), Tally(members=5, approve=4, reject=0, abstain=0), False),
    (AwardSettings(quorum="1/2"), Tally(members=6, approve=2, reject=1, abstain=0), True),
])
def test_configured_rules(settings, tally, passed):
    assert decide(tally, rule_from_settings(settings)).passed is passed


def test_rule_round_trips_through_json():
    rule = rule_from_settings(AwardSettings(quorum="3/4", pass_rule="two_thirds_of_voters"))
    assert VoteRule.from_dict(rule.as_dict()) == rule
    assert rule.quorum == Fraction(3, 4) and not rule.pass_strict


def test_more_votes_than_members_is_an_error():
    with pytest.raises(ValueError):
        decide(Tally(members=2, approve=2, reject=1, abstain=0), DEFAULT)


@given(members=st.integers(1, 30), data=st.data())
def test_passing_needs_quorum_and_a_strict_majority(members, data):
    voted = data.draw(st.integers(0, members))
    approve = data.draw(st.integers(0, voted))
    reject = data.draw(st.integers(0, voted - approve))
    verdict = decide(Tally(members=members, approve=approve, reject=reject, abstain=voted - approve - reject), DEFAULT)
    assert verdict.passed == (3 * voted >= 2 * members and 2 * approve > voted)
