"""The review committee's vote (评委会审议): the leading group's ballot machinery under another body; its
result feeds the leading group's vote, or the public notice when the committee decides alone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from award.approval import services
from award.approval.models import Choice, VoteBody
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import set_procedure, transition_problems
from award.errors import Conflict, NotAllowed
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from tests.approval.access_world import applications_of, frozen_snapshot

NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
BOTH = ["screening", "document_review", "committee", "leading_group", "notice", "award"]
ALONE = ["screening", "document_review", "committee", "notice", "award"]


@pytest.fixture
def leaders(make_user):
    return [make_user(Role.LEADER) for _ in range(3)]


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def committee_cycle(db, make_cycle, make_organization, office, steps):
    cycle = make_cycle()
    set_procedure(db, actor=office, cycle=cycle, steps=steps, weights={"document_review": "1"})
    cycle.stage = Stage.COMMITTEE
    applications = applications_of(db, cycle, make_organization, 3)
    frozen_snapshot(db, cycle, applications)
    return cycle, applications


def vote_all(db, vote, leaders, choices):
    for leader in leaders:
        for candidate, choice in zip(vote.candidates, choices, strict=True):
            services.cast_ballot(db, actor=leader, vote=vote, application_id=candidate.application_id, choice=choice,
                                 now=NOW + dt.timedelta(hours=1))


def test_the_committee_votes_first_and_the_leading_group_on_those_it_passed(
        db, make_cycle, make_organization, leaders, office):
    cycle, applications = committee_cycle(db, make_cycle, make_organization, office, BOTH)
    with pytest.raises(Conflict, match="leading-group approval stage"):  # not the leading group's stage yet
        services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW)
    assert "Open the review committee's vote first." in transition_problems(db, cycle, Stage.APPROVAL, NOW)
    committee = services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW,
                                   body=VoteBody.COMMITTEE, blinded=True)
    assert committee.body is VoteBody.COMMITTEE and committee.blinded
    assert "Close the review committee's vote first." in transition_problems(db, cycle, Stage.APPROVAL, NOW)
    rejected = committee.candidates[1].application_id
    vote_all(db, committee, leaders, [Choice.APPROVE, Choice.REJECT, Choice.APPROVE])
    services.close_vote(db, actor=office, vote=committee, now=NOW + dt.timedelta(hours=2))
    passed = services.approved_by(db, cycle, VoteBody.COMMITTEE)
    assert rejected not in passed and len(passed) == 2
    assert services.approved_application_ids(db, cycle) == []  # the leading group decides; it has not voted
    assert transition_problems(db, cycle, Stage.APPROVAL, NOW) == []
    cycle.stage = Stage.APPROVAL
    group = services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW)
    assert [c.application_id for c in group.candidates] == passed
    vote_all(db, group, leaders, [Choice.APPROVE, Choice.APPROVE])
    services.close_vote(db, actor=office, vote=group, now=NOW + dt.timedelta(hours=3))
    assert services.approved_application_ids(db, cycle) == passed
    opened = db.scalars(select(AuditRecord).where(AuditRecord.action == "approval.vote_opened")
                        .order_by(AuditRecord.seq)).all()
    assert opened[0].after["body"] == "committee" and "body" not in opened[1].after
    told = db.scalars(select(Notification.kind).where(Notification.user_id == leaders[0].id)).all()
    assert Kind.COMMITTEE_VOTE_OPENED.value in told and Kind.VOTE_OPENED.value in told


def test_a_committee_that_decides_alone_feeds_the_notice(db, make_cycle, make_organization, leaders, office):
    cycle, applications = committee_cycle(db, make_cycle, make_organization, office, ALONE)
    assert services.decision_body(cycle) is VoteBody.COMMITTEE
    vote = services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW,
                              body=VoteBody.COMMITTEE)
    vote_all(db, vote, leaders, [Choice.APPROVE, Choice.APPROVE, Choice.REJECT])
    services.close_vote(db, actor=office, vote=vote, now=NOW + dt.timedelta(hours=2))
    assert services.approved_application_ids(db, cycle) == [c.application_id for c in vote.candidates[:2]]
    problems = transition_problems(db, cycle, Stage.NOTICE, NOW)
    assert problems and all("committee" not in p for p in problems)  # only the notice itself is missing


def test_the_committee_applies_quorum_and_pass_rule(db, make_cycle, make_organization, leaders, office):
    cycle, applications = committee_cycle(db, make_cycle, make_organization, office, ALONE)
    vote = services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW,
                              body=VoteBody.COMMITTEE)
    services.cast_ballot(db, actor=leaders[0], vote=vote, application_id=vote.candidates[0].application_id,
                         choice=Choice.APPROVE, now=NOW + dt.timedelta(hours=1))
    outcomes = services.close_vote(db, actor=office, vote=vote, now=NOW + dt.timedelta(hours=2))
    assert not any(o.passed for o in outcomes) and not outcomes[0].quorum_met  # 1 of 3 voted: no quorum (2/3)
    assert "The review committee passed no candidate." in transition_problems(db, cycle, Stage.NOTICE, NOW)


def test_only_members_vote_and_only_the_office_opens(db, make_cycle, make_organization, leaders, office, make_user):
    cycle, applications = committee_cycle(db, make_cycle, make_organization, office, ALONE)
    with pytest.raises(NotAllowed):
        services.open_vote(db, actor=make_user(Role.SUPERVISOR), cycle=cycle, closes_at=NOW + dt.timedelta(days=2),
                           now=NOW, body=VoteBody.COMMITTEE)
    vote = services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW,
                              body=VoteBody.COMMITTEE)
    late = make_user(Role.LEADER)  # added after the opening: not a member
    with pytest.raises(NotAllowed, match="review committee"):
        services.cast_ballot(db, actor=late, vote=vote, application_id=vote.candidates[0].application_id,
                             choice=Choice.APPROVE, now=NOW + dt.timedelta(hours=1))
    with pytest.raises(Conflict):
        services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW,
                           body=VoteBody.COMMITTEE)
