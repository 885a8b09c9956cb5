"""The vote on the database: who may vote, once, until the close; secrecy; blinded mode; the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from award.approval import services
from award.approval.models import Ballot, Choice
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import transition_problems
from award.db import utcnow
from award.errors import DomainError, NotAllowed
from award.notifications.models import Notification
from award.notifications.reminders import run_reminders
from tests.approval.access_world import applications_of, frozen_snapshot

NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def leaders(make_user):
    return [make_user(Role.LEADER) for _ in range(3)]


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def setup(db, make_cycle, make_organization, leaders, office):
    cycle = make_cycle(stage=Stage.APPROVAL)
    applications = applications_of(db, cycle, make_organization, 2)
    frozen_snapshot(db, cycle, applications)
    vote = services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW)
    db.commit()
    return cycle, applications, vote


def cast(db, vote, leader, application, choice=Choice.APPROVE, now=NOW + dt.timedelta(hours=1)):
    return services.cast_ballot(db, actor=leader, vote=vote, application_id=application.id, choice=choice, now=now)


def test_opening_fixes_members_and_candidates(setup, leaders):
    cycle, applications, vote = setup
    assert {m.leader_id for m in vote.members} == {leader.id for leader in leaders}
    assert [c.application_id for c in vote.candidates] == [a.id for a in applications]
    assert sorted(c.code for c in vote.candidates) == ["C01", "C02"]


@pytest.mark.parametrize(("stage", "closes_in", "code"), [
    (Stage.DELIBERATION, dt.timedelta(days=1), "wrong_stage"),
    (Stage.APPROVAL, dt.timedelta(seconds=-1), "closes_in_past"),
])
def test_opening_refused(db, make_cycle, make_organization, leaders, office, stage, closes_in, code):
    cycle = make_cycle(stage=stage)
    frozen_snapshot(db, cycle, applications_of(db, cycle, make_organization, 1))
    with pytest.raises(DomainError) as refused:
        services.open_vote(db, actor=office, cycle=cycle, closes_at=NOW + closes_in, now=NOW)
    assert refused.value.code == code


def test_opening_without_a_shortlist_or_twice_is_refused(db, make_cycle, office, setup, leaders):
    bare = make_cycle(stage=Stage.APPROVAL)
    with pytest.raises(DomainError, match="no frozen shortlist"):
        services.open_vote(db, actor=office, cycle=bare, closes_at=NOW + dt.timedelta(days=1), now=NOW)
    with pytest.raises(DomainError, match="already been opened"):
        services.open_vote(db, actor=office, cycle=setup[0], closes_at=NOW + dt.timedelta(days=1), now=NOW)


@pytest.mark.parametrize(("case", "expected"), [
    ("second vote on the same candidate", "already_voted"),
    ("after the office closed the vote", "vote_closed"),
    ("after the deadline", "vote_closed"),
])
def test_a_leader_cannot_vote_twice_or_after_the_close(db, setup, leaders, office, case, expected):
    _cycle, (first, _second), vote = setup
    now = NOW + dt.timedelta(hours=1)
    if case == "second vote on the same candidate":
        cast(db, vote, leaders[0], first)
    elif case == "after the office closed the vote":
        services.close_vote(db, actor=office, vote=vote, now=now)
    else:
        now = vote.closes_at
    with pytest.raises(DomainError) as refused:
        cast(db, vote, leaders[0], first, Choice.REJECT, now=now)
    assert refused.value.code == expected


def test_the_database_refuses_a_second_ballot(db, setup, leaders):
    _cycle, (first, _second), vote = setup
    cast(db, vote, leaders[0], first)
    db.add(Ballot(session_id=vote.id, leader_id=leaders[0].id, application_id=first.id, choice=Choice.REJECT))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_the_database_refuses_a_ballot_from_a_non_member(db, setup, make_user):
    _cycle, (first, _second), vote = setup
    late_leader = make_user(Role.LEADER)  # joined after the vote opened
    with pytest.raises(NotAllowed):
        cast(db, vote, late_leader, first)
    db.add(Ballot(session_id=vote.id, leader_id=late_leader.id, application_id=first.id, choice=Choice.APPROVE))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SUPERVISOR, Role.EXPERT])
def test_only_leaders_vote(db, setup, make_user, role):
    _cycle, (first, _second), vote = setup
    with pytest.raises(NotAllowed):
        cast(db, vote, make_user(role), first)


def test_closing_records_the_outcome_and_puts_every_ballot_in_the_chain(db, setup, leaders, office):
    cycle, (first, second), vote = setup
    cast(db, vote, leaders[0], first, Choice.APPROVE)
    cast(db, vote, leaders[1], first, Choice.APPROVE)
    cast(db, vote, leaders[0], second, Choice.APPROVE)
    cast(db, vote, leaders[1], second, Choice.REJECT)
    # While open, the chain names candidates, never choices.
    cast_records = db.scalars(select(AuditRecord).where(AuditRecord.action == "approval.ballot_cast")).all()
    assert all("choice" not in record.after for record in cast_records)
    assert "Close the leading group's vote first." in transition_problems(db, cycle, Stage.NOTICE, NOW)
    outcomes = {o.application_id: o for o in services.close_vote(db, actor=office, vote=vote, now=NOW)}
    assert (outcomes[first.id].approve, outcomes[first.id].passed) == (2, True)
    assert (outcomes[second.id].reject, outcomes[second.id].passed) == (1, False)  # a tie of 1 to 1
    assert services.approved_application_ids(db, cycle) == [first.id]
    closed = db.scalars(select(AuditRecord).where(AuditRecord.action == "approval.vote_closed")).one()
    assert len(closed.after["ballots"]) == 4
    with pytest.raises(DomainError, match="already closed"):
        services.close_vote(db, actor=office, vote=vote, now=NOW)


def test_turnout_shows_counts_not_choices(db, setup, leaders):
    _cycle, (first, second), vote = setup
    cast(db, vote, leaders[0], first, Choice.REJECT)
    counts = {t.leader.id: t.cast for t in services.turnout(db, vote)}
    assert counts == {leaders[0].id: 1, leaders[1].id: 0, leaders[2].id: 0}


def test_reminder_a_day_before_the_close_goes_to_members_who_have_not_finished(db, setup, leaders):
    _cycle, (first, second), vote = setup
    cast(db, vote, leaders[0], first)
    cast(db, vote, leaders[0], second)
    day_before = vote.closes_at - dt.timedelta(hours=20)
    assert run_reminders(db, now=day_before, sources=[services.vote_closing]) == 2
    assert run_reminders(db, now=day_before + dt.timedelta(hours=1), sources=[services.vote_closing]) == 0
    reminded = set(db.scalars(select(Notification.user_id).where(Notification.kind == "vote_closing")))
    assert reminded == {leaders[1].id, leaders[2].id}


def test_blinded_ballot_shows_codes_and_scores_until_the_close(app, db, client, login, setup, leaders, office):
    cycle, (first, _second), vote = setup
    vote.blinded = True
    vote.closes_at = utcnow() + dt.timedelta(days=1)
    db.commit()
    login(leaders[0])
    page = client.get(f"/approval/cycles/{cycle.id}/ballot").get_data(as_text=True)
    assert first.org_name not in page and "Candidate C0" in page and "900" in page
    client.post("/logout")
    login(office)
    assert client.post(f"/approval/cycles/{cycle.id}/close").status_code == 302
    client.post("/logout")
    login(leaders[0])
    assert first.org_name in client.get(f"/approval/cycles/{cycle.id}/ballot").get_data(as_text=True)


def test_ballot_page_is_made_for_a_narrow_screen(app, db, client, login, setup, leaders):
    cycle, applications, vote = setup
    vote.closes_at = utcnow() + dt.timedelta(days=1)
    db.commit()
    login(leaders[0])
    response = client.get(f"/approval/cycles/{cycle.id}/ballot")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="ballot-card') == len(applications)  # one card per candidate
    assert page.count('class="ballot-buttons"') == len(applications)
    assert "<table" not in page  # nothing that scrolls sideways
    assert 'name="viewport" content="width=device-width' in page


@pytest.mark.parametrize(("data", "shown"), [
    ({"choice": "approve", "comment": "意" * 100_000}, "Field cannot be longer than 2000 characters."),
    ({"choice": "approve", "comment": "bell \a"}, "Comment (optional) contains a control character (U+0007)"),
    ({"choice": "maybe", "comment": "fine"}, "Choose approve, reject or abstain."),
], ids=["long-comment", "control-character", "bad-choice"])
def test_a_refused_ballot_names_the_field_at_fault(db, client, login, setup, leaders, data, shown):
    cycle, (first, _second), vote = setup
    vote.closes_at = utcnow() + dt.timedelta(days=1)
    db.commit()
    login(leaders[0])
    response = client.post(f"/approval/cycles/{cycle.id}/ballot/{first.id}", data=data)
    errors = [line.strip() for line in response.get_data(as_text=True).splitlines() if "field-error" in line]
    assert response.status_code == 422
    assert len(errors) == 1 and shown in errors[0]
    assert data["comment"] in response.get_data(as_text=True)  # what was typed comes back
    assert db.scalars(select(Ballot)).all() == []


def test_a_ballot_opens_the_application_it_is_about_read_only(app, db, client, login, setup, leaders, make_user):
    cycle, (first, _second), vote = setup
    vote.closes_at = utcnow() + dt.timedelta(days=1)
    db.commit()
    login(leaders[0])
    ballot = client.get(f"/approval/cycles/{cycle.id}/ballot").get_data(as_text=True)
    assert f'href="/applications/{first.id}"' in ballot
    assert 'class="back"><a href="/dashboard"' in ballot  # and a way back
    page = client.get(f"/applications/{first.id}")
    assert page.status_code == 200 and first.org_name in page.get_data(as_text=True)
    assert 'type="file"' not in page.get_data(as_text=True)  # read-only: nothing to upload or change
    assert 'class="back"><a href="/dashboard"' in page.get_data(as_text=True)
    client.post("/logout")
    login(make_user(Role.LEADER))  # not a member of this vote
    assert client.get(f"/applications/{first.id}").status_code == 404


def test_a_blinded_ballot_opens_no_application_until_the_close(app, db, client, login, setup, leaders):
    cycle, (first, _second), vote = setup
    vote.blinded = True
    vote.closes_at = utcnow() + dt.timedelta(days=1)
    db.commit()
    login(leaders[0])
    assert f'href="/applications/{first.id}"' not in client.get(f"/approval/cycles/{cycle.id}/ballot").get_data(
        as_text=True)
    assert client.get(f"/applications/{first.id}").status_code == 404
