"""Pool services: profiles with accounts, declarations, availability, groups — each audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role, User
from award.errors import DomainError, NotAllowed
from award.notifications.models import OutboxMessage
from award.pool import services as pool
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile
from award.pool.services import ExpertData, RelationData
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)


def audit_actions(db) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


def expert_data(**overrides) -> ExpertData:
    values = dict(email="Wang.Jianguo@SUDA.edu.cn", full_name=" 王建国 ", phone="13800000000", title="教授",
                  organization_code=fresh_credit_code(), organization_name="苏州大学", sectors=("c", "M", "C"))
    values.update(overrides)
    return ExpertData(**values)


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def test_create_expert_makes_the_account_and_emails_an_invitation(db, office):
    created = pool.create_expert(db, actor=office, data=expert_data(), password_min_length=10)
    user = created.profile.user
    assert (user.email, user.full_name, user.role) == ("wang.jianguo@suda.edu.cn", "王建国", Role.EXPERT)
    assert created.profile.sectors == ["C", "M"]
    assert created.invited and not user.must_change_password
    invitation = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert invitation.kind == "account_invitation" and "/account/password/set/" in invitation.text
    assert audit_actions(db)[-2:] == ["user.created", "pool.expert_created"]


def test_create_expert_reuses_an_existing_expert_account(db, office, make_user):
    existing = make_user(Role.EXPERT, email="li@suda.edu.cn")
    created = pool.create_expert(db, actor=office, data=expert_data(email="li@suda.edu.cn"), password_min_length=10)
    assert created.profile.user_id == existing.id and not created.invited
    with pytest.raises(DomainError, match="already in the pool"):
        pool.create_expert(db, actor=office, data=expert_data(email="li@suda.edu.cn"), password_min_length=10)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"email": "no-at-sign"}, "not an e-mail"),
    ({"full_name": " "}, "name is missing"),
    ({"organization_name": ""}, "organization's name"),
    ({"organization_code": "91320500MA1XXXXXX0"}, "credit code"),
    ({"sectors": ("C", "Z")}, "Unknown sector"),
])
def test_bad_expert_data_is_refused_before_anything_changes(db, office, overrides, message):
    before = db.scalar(select(User.id).order_by(User.id.desc()))
    with pytest.raises(DomainError, match=message):
        pool.create_expert(db, actor=office, data=expert_data(**overrides), password_min_length=10)
    assert db.scalar(select(User.id).order_by(User.id.desc())) == before


def test_enterprise_account_cannot_become_an_expert(db, office, make_user):
    enterprise = make_user(Role.ENTERPRISE)
    with pytest.raises(DomainError, match="not an expert account"):
        pool.create_expert(db, actor=office, data=expert_data(email=enterprise.email), password_min_length=10)


@pytest.mark.parametrize("role", [Role.EXPERT, Role.SUPERVISOR, Role.ENTERPRISE, Role.LEADER])
def test_only_the_office_manages_the_pool(db, make_user, role):
    with pytest.raises(NotAllowed):
        pool.create_expert(db, actor=make_user(role), data=expert_data(), password_min_length=10)


def test_update_is_audited_with_before_and_after(db, office, make_expert):
    user = make_expert()
    profile = pool.profile_of(db, user)
    data = expert_data(email=user.email, full_name="新名字", organization_code=profile.organization_code)
    pool.update_expert(db, actor=office, profile=profile, data=data)
    entry = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert entry.action == "pool.expert_updated"
    assert entry.before["full_name"] != "新名字" and entry.after["full_name"] == "新名字"
    with pytest.raises(DomainError, match="login"):
        pool.update_expert(db, actor=office, profile=profile, data=expert_data(email="other@x.cn"))


def test_expert_adds_own_declaration_but_not_to_another_profile(db, make_expert):
    me, other = make_expert(), make_expert()
    relation = RelationData(kind=RelationKind.CLIENT, party_code=fresh_credit_code(), starts_on=dt.date(2024, 1, 1))
    added = pool.add_relation(db, actor=me, profile=pool.profile_of(db, me), data=relation)
    assert added.expert.user_id == me.id
    assert audit_actions(db)[-1] == "pool.relation_added"
    with pytest.raises(NotAllowed):
        pool.add_relation(db, actor=me, profile=pool.profile_of(db, other), data=relation)


def test_relation_dates_in_order(db, office, make_expert):
    profile = pool.profile_of(db, make_expert())
    bad = RelationData(kind=RelationKind.EMPLOYER, party_code=fresh_credit_code(), starts_on=dt.date(2024, 1, 2),
                       ends_on=dt.date(2024, 1, 1))
    with pytest.raises(DomainError, match="ends before"):
        pool.add_relation(db, actor=office, profile=profile, data=bad)


def test_removal_needs_the_office_and_a_reason_and_keeps_the_row_in_the_audit(db, office, make_expert):
    code = fresh_credit_code()
    user = make_expert((RelationKind.SHAREHOLDING, code, None, None))
    relation = pool.profile_of(db, user).relations[0]
    with pytest.raises(NotAllowed):
        pool.remove_relation(db, actor=user, relation=relation, reason="sold")
    with pytest.raises(DomainError, match="why"):
        pool.remove_relation(db, actor=office, relation=relation, reason=" ")
    pool.remove_relation(db, actor=office, relation=relation, reason="股份已于2025年转让")
    entry = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert entry.action == "pool.relation_removed"
    assert entry.before["party_code"] == code and entry.before["kind"] == "shareholding"
    assert entry.after == {"removed": True, "reason": "股份已于2025年转让"}
    assert pool.profile_of(db, user).relations == []


def test_availability_per_cycle(db, office, make_expert, make_cycle):
    cycle = make_cycle()
    in_pool, opted_out = make_expert(), make_expert()
    make_expert(in_pool=False)
    pool.set_availability(db, actor=office, profile=pool.profile_of(db, in_pool), cycle=cycle, available=True,
                          max_load=4)
    pool.set_availability(db, actor=office, profile=pool.profile_of(db, opted_out), cycle=cycle, available=False,
                          max_load=None)
    available = {profile.user_id: cap for profile, cap in pool.available_experts(db, cycle)}
    assert available[in_pool.id] == 4 and opted_out.id not in available
    assert all(db.get(ExpertProfile, p.id).in_pool for p, _ in pool.available_experts(db, cycle))


def test_group_links(db, office):
    parent, child = fresh_credit_code(), fresh_credit_code()
    link = pool.add_group_link(db, actor=office, parent_code=parent.lower(), child_code=child)
    assert (link.parent_code, link.child_code) == (parent, child)
    with pytest.raises(DomainError, match="already"):
        pool.add_group_link(db, actor=office, parent_code=parent, child_code=child)
    with pytest.raises(DomainError, match="own parent"):
        pool.add_group_link(db, actor=office, parent_code=parent, child_code=parent)
    pool.remove_group_link(db, actor=office, link=link)
    assert audit_actions(db)[-1] == "pool.group_link_removed"




