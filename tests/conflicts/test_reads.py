"""The faster 回避 reads give exactly what the reads before issue 23 gave, and one pair check costs a
few queries, not one per kind of fact."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import event, select, update

from award.auth.models import Role, User
from award.conflicts import services as conflicts
from award.conflicts.models import CycleCoiSettings, PinnedConflict
from award.conflicts.rules import ConflictType
from award.cycles.models import Stage
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, GroupLink
from tests.conflicts import reference_reads as before
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)

REVIEW = dt.date(2026, 6, 30)
DATES = (None, dt.date(2015, 1, 1), dt.date(2020, 1, 1), dt.date(2024, 6, 1), dt.date(2027, 1, 1))
DOMAINS = ("hengrun-tech.cn", "shared-portal.cn", "163.com", "jinghua.com.cn")
PHONES = ("0512-65112233", "+86 512 6511 2233", "021-55550000", "", "0512-68880001")
ADDRESSES = ("", "苏州市工业园区星湖街 328 号", "苏州市吴中区东吴北路 1 号")
N_APPS = 70  # more than the IN-list limit, so both ways of reading are exercised


@pytest.fixture
def world(db, make_cycle, make_application, make_expert, make_user, request):
    """A random cycle: shared domains and phones, group links, relations of every kind and window,
    pinned rows, and an application of the same organizations in another cycle."""
    rng = random.Random(request.param)
    cycle = make_cycle(stage=Stage.SCREENING)
    other = make_cycle(stage=Stage.SCREENING)
    if rng.random() < 0.7:
        db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=REVIEW, group_depth=rng.choice((0, 1, 2)),
                                financial_years=rng.choice((0, 3))))
    applications = []
    for _ in range(N_APPS):
        application = make_application(cycle, email=f"q{rng.randrange(10**6)}@{rng.choice(DOMAINS)}")
        application.address = rng.choice(ADDRESSES)
        applications.append(application)
    db.execute(update(User).where(User.role == Role.ENTERPRISE).values(phone=rng.choice(PHONES)))
    for application in rng.sample(applications, 10):
        make_application(other, application.organization)
    codes = [application.organization.credit_code for application in applications]
    parents = [fresh_credit_code() for _ in range(4)]
    expert_orgs = [fresh_credit_code() for _ in range(6)]
    links = {(rng.choice(parents), child) for child in rng.sample(codes, 12) + rng.sample(expert_orgs, 3)}
    links |= {(parents[0], parents[1]), (parents[2], parents[3])}
    db.add_all([GroupLink(parent_code=parent, child_code=child) for parent, child in links])
    experts = []
    for _ in range(N_APPS):
        relations = [(rng.choice(list(RelationKind)), rng.choice(codes + parents), rng.choice(DATES[:3]),
                      rng.choice(DATES)) for _ in range(rng.choice((0, 0, 1, 2, 3)))]
        relations = [(kind, code, start, end if end is None or start is None or end >= start else None)
                     for kind, code, start, end in relations]
        expert = make_expert(*relations, organization_code=rng.choice([*expert_orgs, *codes[:5], None]),
                             email=f"x{rng.randrange(10**6)}@{rng.choice(DOMAINS)}")
        expert.phone = rng.choice(PHONES)
        experts.append(expert)
    for profile in db.scalars(select(ExpertProfile)):
        profile.address = rng.choice(ADDRESSES)
    office = make_user(Role.OFFICE)
    for application, expert in {(rng.choice(applications), rng.choice(experts)) for _ in range(8)}:
        db.add(PinnedConflict(application_id=application.id, expert_id=expert.id, type=ConflictType.OTHER,
                              reason="同一课题组", created_by_id=office.id))
    db.commit()
    return cycle, applications, experts, rng


@pytest.mark.parametrize("world", [1, 2, 3], indirect=True)
def test_cycle_reads_equal_the_reads_before(db, world):
    cycle, applications, experts, rng = world
    app_ids = [application.id for application in applications]
    expert_ids = [expert.id for expert in experts]
    narrowings = [
        (None, None), (set(rng.sample(app_ids, 3)), None), (None, set(rng.sample(expert_ids, 2))),
        (set(rng.sample(app_ids, 66)), set(rng.sample(expert_ids, 65))), (set(app_ids), set(expert_ids)),
        ({app_ids[0]}, {expert_ids[0]}), (set(), None), (None, set()),
    ]
    found_any = False
    for include_soft in (False, True):
        for application_ids, narrowed_experts in narrowings:
            new = conflicts.conflicts_for_cycle(db, cycle, application_ids=application_ids,
                                                expert_ids=narrowed_experts, include_soft=include_soft)
            old = before.conflicts_for_cycle(db, cycle, application_ids=application_ids,
                                             expert_ids=narrowed_experts, include_soft=include_soft)
            assert list(new.items()) == list(old.items())
            found_any |= bool(new)
    assert found_any  # the world has conflicts to compare


@pytest.mark.parametrize("world", [4, 5], indirect=True)
def test_pair_reads_equal_the_reads_before(db, world):
    cycle, applications, experts, rng = world
    matrix = conflicts.conflicts_for_cycle(db, cycle, include_soft=True)
    pairs = set(rng.sample(sorted(matrix), min(30, len(matrix))))
    pairs |= {(rng.choice(applications).id, rng.choice(experts).id) for _ in range(20)}
    by_id = {application.id: application for application in applications}
    users = {expert.id: expert for expert in experts}
    for application_id, expert_id in sorted(pairs):
        application, expert = by_id[application_id], users[expert_id]
        for include_soft in (False, True):
            assert (conflicts.conflicts_between(db, application, expert, include_soft=include_soft)
                    == before.conflicts_between(db, application, expert, include_soft=include_soft))
        assert conflicts.has_conflict(db, application, expert) == before.has_conflict(db, application, expert)


def _statements(db, check) -> list[str]:
    statements: list[str] = []
    engine = db.get_bind().engine

    def listener(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        check()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


@pytest.mark.parametrize("settings", [True, False], ids=["settings", "defaults"])
def test_one_pair_check_reads_each_kind_of_fact_once(db, make_cycle, make_application, make_expert, settings):
    cycle = make_cycle(stage=Stage.SCREENING)
    if settings:
        db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=REVIEW))
    application = make_application(cycle)
    expert = make_expert((RelationKind.CLIENT, application.organization.credit_code, None, None),
                         (RelationKind.DISPUTE, fresh_credit_code(), None, None))
    db.add(GroupLink(parent_code=fresh_credit_code(), child_code=application.organization.credit_code))
    db.commit()
    conflicts.has_conflict(db, application, expert)  # the objects of the request are loaded

    new = _statements(db, lambda: conflicts.has_conflict(db, application, expert))
    old = _statements(db, lambda: before.has_conflict(db, application, expert))

    # the application with its organization, the enterprise accounts, the expert with account and
    # relations, the cycle's settings, the group links, the pinned rows: one query each
    assert len(new) <= 6, new
    assert len(new) < len(old)
    assert not any(" IN (" in statement.upper() for statement in new)
