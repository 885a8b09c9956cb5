"""A pair's conflict verdict is kept per data token (issue 23), and stays exact: every write to what
a conflict check reads draws a new token in the same transaction, so a conflict recorded after the
pledge refuses the sheet, its autosave and its submission at once, and a write elsewhere (a score
sheet's save) keeps the verdict."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text, update

from award.applications.models import Application
from award.auth.models import User
from award.conflicts import data_version
from award.conflicts import services as conflict_services
from award.conflicts.rules import ConflictType
from award.conflicts.services import has_conflict, pin_conflict
from award.credit_code import make_credit_code
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.scoring import services as scoring
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries, pledged_seat

OTHER_PARTY = make_credit_code("91330000MA27XL0E2")


@pytest.fixture()
def checks(monkeypatch):
    """Counts the full conflict checks (the six queries), not the verdicts kept."""
    calls: list[int] = []
    real = conflict_services.conflicts_between

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(conflict_services, "conflicts_between", counted)
    return calls


def _profile(db, expert: User) -> ExpertProfile:
    profile = db.query(ExpertProfile).filter_by(user_id=expert.id).one_or_none()
    if profile is None:
        profile = ExpertProfile(user_id=expert.id, organization_code=make_credit_code("91110000600037341"),
                                organization_name="某高校")
        db.add(profile)
        db.flush()
    return profile


def _declare_employer(db, expert: User, application: Application) -> None:
    db.add(ExpertRelation(expert_id=_profile(db, expert).id, kind=RelationKind.EMPLOYER,
                          party_code=application.organization.credit_code, starts_on=dt.date(2020, 1, 1)))
    db.flush()


def test_the_verdict_is_kept_while_nothing_it_reads_changes(db, opened, checks):
    seat = opened.panel(db, opened.applications[0])[0]
    assert not has_conflict(db, seat.application, seat.expert)
    assert not has_conflict(db, seat.application, seat.expert)
    assert len(checks) == 1


def test_a_sheet_save_keeps_the_token(db, opened):
    seat = opened.panel(db, opened.applications[0])[0]
    scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
    token = data_version.current_token(db)
    scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle)[:3],
                       expected_version=1)
    assert data_version.current_token(db) == token


@pytest.mark.parametrize("write", ["pin", "relation", "group link", "bulk update", "text update"])
def test_a_conflict_recorded_after_the_pledge_refuses_at_once(db, opened, write):
    application = opened.applications[0]
    seat = opened.panel(db, application)[0]
    scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
    scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle)[:1],
                       expected_version=1)  # the verdict "no conflict" is kept now
    assert not has_conflict(db, application, seat.expert)
    if write == "pin":
        pin_conflict(db, actor=opened.office, application=application, expert=seat.expert,
                     conflict_type=ConflictType.OTHER, reason="评审期间发现其配偶在该企业任职")
    elif write == "relation":
        _declare_employer(db, seat.expert, application)
    elif write == "group link":  # the expert's employer and the applicant become one group
        profile = _profile(db, seat.expert)
        db.add(GroupLink(parent_code=profile.organization_code, child_code=application.organization.credit_code))
        db.flush()
    elif write == "bulk update":  # a relation declared about another party, then moved to the applicant
        profile = _profile(db, seat.expert)
        db.add(ExpertRelation(expert_id=profile.id, kind=RelationKind.EMPLOYER, party_code=OTHER_PARTY,
                              starts_on=dt.date(2020, 1, 1)))
        db.flush()
        assert not has_conflict(db, application, seat.expert)
        db.execute(update(ExpertRelation).where(ExpertRelation.expert_id == profile.id)
                   .values(party_code=application.organization.credit_code))
    else:
        profile = _profile(db, seat.expert)
        db.add(ExpertRelation(expert_id=profile.id, kind=RelationKind.EMPLOYER, party_code=OTHER_PARTY,
                              starts_on=dt.date(2020, 1, 1)))
        db.flush()
        assert not has_conflict(db, application, seat.expert)
        db.execute(text("UPDATE expert_relations SET party_code = :code WHERE expert_id = :id"),
                   {"code": application.organization.credit_code, "id": profile.id})
    assert has_conflict(db, application, seat.expert)
    version = scoring.sheet_of(seat).version
    for service in (scoring.save_draft, scoring.submit_sheet):
        with pytest.raises(Exception, match="conflict of interest"):
            service(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle),
                    expected_version=version)


def test_the_page_and_the_autosave_refuse_a_relation_declared_between_two_requests(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    assert client.get(f"/review/assignments/{seat.id}/sheet").status_code == 200
    saved = client.post(f"/review/assignments/{seat.id}/autosave",
                        json={"version": 1, "fields": {"percent-4.1.2": "65"}})
    assert saved.status_code == 200
    _declare_employer(db, seat.expert, seat.application)
    refused = client.post(f"/review/assignments/{seat.id}/autosave",
                          json={"version": saved.get_json()["version"], "fields": {"percent-4.1.2": "70"}})
    assert refused.status_code == 403 and "conflict of interest" in refused.get_json()["message"]
    assert client.get(f"/review/assignments/{seat.id}/sheet").status_code == 403


@pytest.mark.parametrize(("change", "draws"), [
    ("an enterprise account's e-mail", True),
    ("an account's display name", False),
    ("an application's address", True),
    ("an application's self-assessment", False),
])
def test_only_the_columns_a_check_reads_draw_a_new_token(db, opened, change, draws):
    application = opened.applications[0]
    token = data_version.current_token(db)
    if change == "an enterprise account's e-mail":
        db.execute(update(User).where(User.organization_id == application.organization_id)
                   .values(email="new-owner@example-factory.cn"))
    elif change == "an account's display name":
        user = db.get(User, opened.office.id)
        user.full_name = user.full_name + "（新）"
        db.flush()
    elif change == "an application's address":
        application.address = "上海市浦东新区张江路 1 号"
        db.flush()
    else:
        application.self_assessment = {**(application.self_assessment or {}), "4.1.2": "新的自评"}
        db.flush()
    assert (data_version.current_token(db) != token) is draws
