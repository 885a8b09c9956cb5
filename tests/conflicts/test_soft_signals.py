"""Soft 回避 signals (需关注) on the office's pages and in the services: shown, never pinned, never a refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from award.auth.models import Role
from award.conflicts import services as conflicts
from award.conflicts.models import CycleCoiSettings
from award.conflicts.rules import ConflictType, Severity
from award.cycles.models import Stage
from award.errors import DomainError
from award.pool.kinds import RelationKind
from award.pool.models import GroupLink
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)

REVIEW = dt.date(2026, 6, 30)


@pytest.fixture
def cycle(make_cycle, db):
    cycle = make_cycle(stage=Stage.SCREENING)
    db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=REVIEW))
    db.commit()
    return cycle


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def test_matrix_and_pair_page_show_a_soft_signal_apart_from_hard_conflicts(
        db, client, login, office, cycle, make_application, make_expert):
    application = make_application(cycle, email="zl@hengrun-jx.cn")
    soft = make_expert(email="wang@hengrun-jx.cn")
    hard = make_expert((RelationKind.CLIENT, application.organization.credit_code, dt.date(2025, 1, 1), None))
    login(office)
    matrix = client.get(f"/pool/cycles/{cycle.id}/conflicts").get_data(as_text=True)
    assert 'class="soft-signal"' in matrix and 'class="conflict"' in matrix
    assert "1 conflicted pairs in this cycle." in matrix and "1 more pairs need attention" in matrix
    cell = client.get(f"/pool/cycles/{cycle.id}/conflicts/{application.id}/{soft.id}").get_data(as_text=True)
    assert "Needs attention (soft signals)" in cell and "hengrun-jx.cn" in cell
    assert "The expert must recuse" not in cell
    cell = client.get(f"/pool/cycles/{cycle.id}/conflicts/{application.id}/{hard.id}").get_data(as_text=True)
    assert "The expert must recuse" in cell and "Needs attention (soft signals)" not in cell


def test_a_soft_signal_is_no_refusal_but_is_never_dropped(db, cycle, make_application, make_expert):
    application = make_application(cycle, email="zl@hengrun-jx.cn")
    expert = make_expert(email="wang@hengrun-jx.cn")
    assert not conflicts.has_conflict(db, application, expert)
    assert (application.id, expert.id) not in conflicts.conflicted_pairs(db, cycle)
    (signal,) = conflicts.conflicts_between(db, application, expert, include_soft=True)
    assert (signal.type, signal.severity) == (ConflictType.EMAIL, Severity.SOFT)
    assert list(conflicts.soft_pairs(db, cycle)) == [(application.id, expert.id)]


def test_a_domain_that_several_applicants_use_is_a_shared_host_not_a_signal(db, cycle, make_application,
                                                                             make_expert):
    first = make_application(cycle, email="a@park-mail.cn")
    make_application(cycle, email="b@park-mail.cn")
    expert = make_expert(email="wang@park-mail.cn")
    assert conflicts.conflicts_between(db, first, expert, include_soft=True) == []


def test_a_soft_signal_cannot_be_pinned(db, office, cycle, make_application, make_expert):
    application = make_application(cycle)
    expert = make_expert()
    for soft in (ConflictType.EMAIL, ConflictType.CONTACT):
        with pytest.raises(DomainError) as refused:
            conflicts.pin_conflict(db, actor=office, application=application, expert=expert, conflict_type=soft,
                                   reason="同一邮箱域名")
        assert refused.value.code == "soft_not_pinnable"


def test_group_depth_is_a_cycle_setting_that_turns_distant_ties_soft(db, client, login, office, cycle,
                                                                     make_application, make_expert):
    application = make_application(cycle)
    parent, sister = fresh_credit_code(), fresh_credit_code()
    db.add_all([GroupLink(parent_code=parent, child_code=application.organization.credit_code),
                GroupLink(parent_code=parent, child_code=sister)])
    db.commit()
    expert = make_expert(organization_code=sister)
    (found,) = conflicts.conflicts_between(db, application, expert, include_soft=True)
    assert (found.type, found.severity) == (ConflictType.GROUP, Severity.HARD)

    login(office)
    response = client.post(f"/pool/cycles/{cycle.id}/coi-settings", data={
        "employment_years": 3, "consulting_years": 3, "dispute_years": 3, "financial_years": 0,
        "relative_years": 0, "business_years": 0, "group_depth": 1, "avoid_soft_pairs": "y",
        "reference_date": REVIEW.isoformat()})
    assert response.status_code == 302
    settings = db.get(CycleCoiSettings, cycle.id)
    db.refresh(settings)
    assert settings.group_depth == 1 and settings.avoid_soft_pairs is True
    (found,) = conflicts.conflicts_between(db, application, expert, include_soft=True)
    assert (found.type, found.severity) == (ConflictType.GROUP, Severity.SOFT)
    assert "2 group links" in found.reason and parent in found.reason
    assert not conflicts.has_conflict(db, application, expert)


def test_the_pinnable_types_are_every_conflict_type_but_the_soft_signals():
    from award.conflicts.rules import PinnableType

    soft = {ConflictType.EMAIL.value, ConflictType.CONTACT.value}
    assert {t.value for t in PinnableType} == {t.value for t in ConflictType} - soft
