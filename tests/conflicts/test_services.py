"""The database bridge to coi.py: every 回避 rule from stored declarations, pinned conflicts, settings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.conflicts import services as conflicts
from award.conflicts.models import CycleCoiSettings, PinnedConflict
from award.conflicts.rules import CoiSettings, ConflictSource, ConflictType
from award.conflicts.services import (
    coi_settings_for,
    conflicted_pairs,
    conflicts_between,
    conflicts_for_cycle,
    has_conflict,
    reference_date_for,
)
from award.cycles.models import Stage
from award.errors import DomainError
from award.pool.kinds import RelationKind
from award.pool.models import GroupLink
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)

REVIEW = dt.date(2026, 6, 30)
LONG_AGO = dt.date(2015, 1, 1)


@pytest.fixture
def cycle(make_cycle, db):
    cycle = make_cycle(stage=Stage.SCREENING)
    db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=REVIEW))
    db.commit()
    return cycle


RELATION_RULES = [
    (RelationKind.EMPLOYER, ConflictType.EMPLOYMENT),
    (RelationKind.CLIENT, ConflictType.CONSULTING),
    (RelationKind.SHAREHOLDING, ConflictType.FINANCIAL),
    (RelationKind.RELATIVE_EMPLOYER, ConflictType.RELATIVE),
    (RelationKind.DISPUTE, ConflictType.DISPUTE),
    (RelationKind.COMPETITOR, ConflictType.BUSINESS),
    (RelationKind.SUPPLIER, ConflictType.BUSINESS),
    (RelationKind.CUSTOMER, ConflictType.BUSINESS),
]


@pytest.mark.parametrize(("kind", "rule"), RELATION_RULES, ids=[kind.value for kind, _ in RELATION_RULES])
def test_each_declared_relation_is_a_conflict(db, cycle, make_application, make_expert, kind, rule):
    application = make_application(cycle)
    code = application.organization.credit_code
    expert = make_expert((kind, code, dt.date(2020, 1, 1), None))
    bystander = make_expert()

    matrix = conflicts_for_cycle(db, cycle)

    assert [c.type for c in matrix[(application.id, expert.id)]] == [rule]
    assert (application.id, bystander.id) not in matrix
    assert [c.type for c in conflicts_between(db, application, expert)] == [rule]
    assert has_conflict(db, application, expert) and not has_conflict(db, application, bystander)


@pytest.mark.parametrize(("kind", "rule"), RELATION_RULES[:1] + RELATION_RULES[1:2] + RELATION_RULES[4:5])
def test_windowed_relations_expire(db, cycle, make_application, make_expert, kind, rule):
    application = make_application(cycle)
    expert = make_expert((kind, application.organization.credit_code, LONG_AGO, dt.date(2020, 1, 1)))
    assert not has_conflict(db, application, expert)


def test_window_lengths_come_from_the_cycle(db, cycle, make_application, make_expert):
    application = make_application(cycle)
    expert = make_expert((RelationKind.EMPLOYER, application.organization.credit_code, LONG_AGO,
                          dt.date(2020, 1, 1)))
    settings = db.get(CycleCoiSettings, cycle.id)
    settings.employment_years = 10
    db.commit()
    assert coi_settings_for(db, cycle).employment_years == 10
    assert [c.type for c in conflicts_between(db, application, expert)] == [ConflictType.EMPLOYMENT]


def test_current_organization_is_the_applicant(db, cycle, make_application, make_expert):
    application = make_application(cycle)
    expert = make_expert(organization_code=application.organization.credit_code)
    assert [c.type for c in conflicts_between(db, application, expert)] == [ConflictType.EMPLOYMENT]


def test_shared_group_through_links(db, cycle, make_application, make_expert):
    application = make_application(cycle)
    parent, expert_org = fresh_credit_code(), fresh_credit_code()
    db.add_all([GroupLink(parent_code=parent, child_code=application.organization.credit_code),
                GroupLink(parent_code=parent, child_code=expert_org)])
    db.commit()
    expert = make_expert(organization_code=expert_org)
    (conflict,) = conflicts_between(db, application, expert)
    assert conflict.type is ConflictType.GROUP
    assert f"group_root={parent}" in conflict.evidence


def test_company_mail_domain_supports_but_public_never_does(db, cycle, make_application, make_expert):
    application = make_application(cycle, email="quality@hengrun-tech.cn")
    code = application.organization.credit_code
    company = make_expert((RelationKind.CLIENT, code, None, None), email="wang@hengrun-tech.cn")
    public = make_expert((RelationKind.CLIENT, code, None, None), email="wang@163.com")
    mail_only = make_expert(email="li@hengrun-tech.cn")
    matrix = conflicts_for_cycle(db, cycle)
    assert "email_domain=hengrun-tech.cn" in matrix[(application.id, company.id)][0].evidence
    assert not any(e.startswith("email_domain") for e in matrix[(application.id, public.id)][0].evidence)
    assert (application.id, mail_only.id) not in matrix


def test_pinned_conflict_merges_after_detected(db, cycle, make_application, make_expert, make_user):
    office = make_user(Role.OFFICE)
    application = make_application(cycle)
    expert = make_expert((RelationKind.DISPUTE, application.organization.credit_code, None, None))
    clear = make_expert()
    for user in (expert, clear):
        db.add(PinnedConflict(application_id=application.id, expert_id=user.id, type=ConflictType.OTHER,
                              reason="同一课题组", created_by_id=office.id))
    db.commit()
    matrix = conflicts_for_cycle(db, cycle)
    assert [c.source for c in matrix[(application.id, expert.id)]] == [ConflictSource.DETECTED,
                                                                      ConflictSource.PINNED]
    (pinned,) = matrix[(application.id, clear.id)]
    assert pinned.source is ConflictSource.PINNED and pinned.reason == "同一课题组"
    assert has_conflict(db, application, clear)
    assert {(application.id, expert.id), (application.id, clear.id)} <= conflicted_pairs(db, cycle)


def test_pinned_rows_cannot_be_deleted(db, cycle, make_application, make_expert):
    application = make_application(cycle)
    expert = make_expert()
    row = PinnedConflict(application_id=application.id, expert_id=expert.id, type=ConflictType.OTHER,
                         reason="x")
    db.add(row)
    db.commit()
    db.delete(row)
    with pytest.raises(ValueError, match="cannot be deleted"):
        db.flush()
    db.rollback()
    assert db.scalar(select(PinnedConflict.id).where(PinnedConflict.id == row.id)) == row.id


def test_other_cycles_are_not_mixed_in(db, cycle, make_cycle, make_application, make_expert):
    other_cycle = make_cycle(stage=Stage.SCREENING)
    application = make_application(cycle)
    elsewhere = make_application(other_cycle)
    expert = make_expert((RelationKind.EMPLOYER, elsewhere.organization.credit_code, None, None))
    assert conflicts_for_cycle(db, cycle) == {}
    assert not has_conflict(db, application, expert)


def test_reference_date_falls_back_to_the_cycle_deadlines(db, make_cycle):
    due = dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 October in Beijing
    cycle = make_cycle(deadlines={Stage.DOCUMENT_REVIEW: due})
    assert reference_date_for(db, cycle) == dt.date(2026, 10, 1)


def _count_queries(db, cycle) -> tuple[int, int]:
    db.expire_all()
    statements: list[str] = []
    engine = db.get_bind().engine

    def listener(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        matrix = conflicts_for_cycle(db, cycle)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(matrix), len(statements)


def test_matrix_queries_do_not_grow_with_the_pairs(db, cycle, make_application, make_expert):
    def grow(count: int) -> None:
        for _ in range(count):
            application = make_application(cycle)
            make_expert((RelationKind.CLIENT, application.organization.credit_code, None, None))
            make_expert()

    grow(2)
    small = _count_queries(db, cycle)
    grow(8)
    big = _count_queries(db, cycle)
    assert (small[0], big[0]) == (2, 10)
    assert big[1] == small[1] <= 12


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def audit_actions(db) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


def test_coi_settings_per_cycle(db, office, make_cycle):
    cycle = make_cycle(stage=Stage.SCREENING)
    assert coi_settings_for(db, cycle) == CoiSettings()
    conflicts.set_coi_settings(db, actor=office, cycle=cycle, settings=CoiSettings(employment_years=5),
                               reference_date=dt.date(2026, 7, 1))
    assert coi_settings_for(db, cycle).employment_years == 5
    assert reference_date_for(db, cycle) == dt.date(2026, 7, 1)
    assert audit_actions(db)[-1] == "pool.coi_settings_set"


def test_pin_is_audited_unique_and_needs_a_reason(db, office, make_cycle, make_application, make_expert):
    cycle = make_cycle(stage=Stage.SCREENING)
    application, expert = make_application(cycle), make_expert()
    with pytest.raises(DomainError, match="reason"):
        conflicts.pin_conflict(db, actor=office, application=application, expert=expert,
                               conflict_type=ConflictType.OTHER, reason="  ")
    row = conflicts.pin_conflict(db, actor=office, application=application, expert=expert,
                                 conflict_type=ConflictType.CONSULTING, reason="曾为该企业开展卓越绩效培训")
    entry = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert (entry.action, entry.cycle_id, entry.after["reason"]) == ("pool.conflict_pinned", cycle.id,
                                                                    "曾为该企业开展卓越绩效培训")
    assert row.created_by_id == office.id
    with pytest.raises(DomainError, match="already pinned"):
        conflicts.pin_conflict(db, actor=office, application=application, expert=expert,
                               conflict_type=ConflictType.OTHER, reason="again")
    assert not hasattr(conflicts, "unpin_conflict") and not hasattr(conflicts, "remove_pinned_conflict")
    assert db.scalar(select(PinnedConflict.id).where(PinnedConflict.id == row.id)) == row.id
