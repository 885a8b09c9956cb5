"""Award levels on the shortlist: each candidate, in rank order, takes the best level it qualifies for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.awards import services as award_services
from award.cycles.models import Stage
from award.cycles.settings import AwardLevel, AwardLevels
from award.errors import DomainError
from award.ranking import services
from award.ranking.levels import assign_levels

AWARD = AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal("820.00"), certificate_title="市长质量奖")
NOMINATION = AwardLevel(name="市长质量奖提名奖", quota=2, cutoff=Decimal("700.00"))
TWO_LEVELS = AwardLevels((AWARD, NOMINATION))


def rows(*totals: str | None) -> list[dict]:
    return [{"application_id": n, "rank": n if total is not None else None, "total": total,
             "in_shortlist": total is not None, "reason": None if total is not None else "insufficient_sheets"}
            for n, total in enumerate(totals, start=1)]


@pytest.mark.parametrize(("totals", "levels", "out"), [
    # the best level while its quota lasts, then the next
    (("900.00", "850.00", "800.00"), [1, 2, 2], []),
    # nobody reaches the first level: the second takes its quota, the rest leave the shortlist
    (("800.00", "790.00", "780.00"), [2, 2, None], [3]),
    # exactly on a cut-off qualifies
    (("820.00", "700.00"), [1, 2], []),
])
def test_levels_divide_the_shortlist_in_rank_order(totals, levels, out):
    result = assign_levels(rows(*totals), TWO_LEVELS)
    assert [r["level"] for r in result] == levels
    assert [r["application_id"] for r in result if not r["in_shortlist"]] == out
    assert all(r["reason"] == "over_quota" for r in result if r["application_id"] in out)


def test_a_cycle_without_levels_keeps_its_rows_as_they_were():
    before = rows("900.00", None)
    assert assign_levels([dict(r) for r in before], AwardLevels()) == before  # no "level" key: same content hash


def test_freezing_divides_the_shortlist_and_keeps_the_levels_it_used(world, office):
    review_round = world.round(method="mean")
    applications = [world.application() for _ in range(5)]
    for application, pct in zip(applications, (90, 85, 80, 75, 60), strict=True):
        world.panel(review_round, application, [pct] * 5)
    award_services.update_levels(world.db, actor=office, cycle=world.cycle, levels=TWO_LEVELS)
    snapshot = services.freeze_shortlist(world.db, actor=office, cycle=world.cycle)
    by_app = {e.application_id: e for e in snapshot.entries}
    got = [(by_app[a.id].total, by_app[a.id].in_shortlist, by_app[a.id].level, by_app[a.id].reason)
           for a in applications]
    assert got == [(Decimal("900.00"), True, 1, None), (Decimal("850.00"), True, 2, None),
                   (Decimal("800.00"), True, 2, None), (Decimal("750.00"), False, None, "over_quota"),
                   (Decimal("600.00"), False, None, "below_cutoff")]
    assert snapshot.settings["levels"] == TWO_LEVELS.as_list()
    assert services.shortlist_levels(world.db, world.cycle) == {applications[0].id: 1, applications[1].id: 2,
                                                                 applications[2].id: 2}
    frozen = world.db.scalars(select(AuditRecord).where(AuditRecord.action == "ranking.frozen")).one()
    assert frozen.after["levels"] == {str(applications[0].id): 1, str(applications[1].id): 2,
                                      str(applications[2].id): 2}
    # later edits change the next freeze, never this one
    award_services.update_levels(world.db, actor=office, cycle=world.cycle, levels=AwardLevels())
    assert services.frozen_levels(world.db, world.cycle) == TWO_LEVELS


def test_without_levels_the_cycle_quota_and_cutoff_apply_as_before(world, office):
    review_round = world.round(method="mean")
    applications = [world.application() for _ in range(4)]
    for application, pct in zip(applications, (90, 85, 80, 50), strict=True):
        world.panel(review_round, application, [pct] * 5)
    snapshot = services.freeze_shortlist(world.db, actor=office, cycle=world.cycle)  # quota 3, cut-off 600
    assert [(e.in_shortlist, e.level) for e in snapshot.entries] == [(True, None)] * 3 + [(False, None)]
    assert "levels" not in snapshot.settings


@pytest.mark.parametrize(("levels", "message"), [
    (AwardLevels((NOMINATION, AWARD)), "cannot have a higher cut-off"),
    (AwardLevels((AWARD, AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal(0)))), "same name"),
    (AwardLevels((AwardLevel(name="市长质量奖", quota=0, cutoff=Decimal(800)),)), "between 1 and 100"),
    (AwardLevels((AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal(-1)),)), "between 0 and 1000"),
    # above the rubric's total (GB/T 19580: 1000 points) nobody can ever reach the level
    (AwardLevels((AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal("1000.01")),)), "between 0 and 1000"),
    (AwardLevels((AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal(5000)),)), "between 0 and 1000"),
    (AwardLevels((AwardLevel(name=" ", quota=1, cutoff=Decimal(1)),)), "its name"),
    (AwardLevels((AwardLevel(name="奖\u202e", quota=1, cutoff=Decimal(1)),)), "."),
    (AwardLevels((AwardLevel(name="甲", quota=1, cutoff=Decimal(1), notice_text="市人民政府颁发证书"),)),
     "without the city"),
    (AwardLevels(tuple(AwardLevel(name=f"等级{n}", quota=1, cutoff=Decimal(1)) for n in range(6))), "at most 5"),
])
def test_levels_that_break_a_rule_are_refused_and_nothing_is_saved(db, make_cycle, make_user, levels, message):
    cycle = make_cycle(stage=Stage.APPLICATION)
    with pytest.raises(DomainError, match=message):
        award_services.update_levels(db, actor=make_user(Role.OFFICE), cycle=cycle, levels=levels)
    assert AwardLevels.of(cycle.award_settings) == AwardLevels()


def test_a_cut_off_may_equal_the_rubric_total(db, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.APPLICATION)
    levels = AwardLevels((AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal(1000)),))
    award_services.update_levels(db, actor=make_user(Role.OFFICE), cycle=cycle, levels=levels)
    assert AwardLevels.of(cycle.award_settings) == levels


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.OFFICE])
def test_only_the_office_sets_levels(db, make_cycle, make_user, role):
    cycle = make_cycle(stage=Stage.APPLICATION)
    with pytest.raises(DomainError, match="Only the award office"):
        award_services.update_levels(db, actor=make_user(role), cycle=cycle, levels=TWO_LEVELS)


@pytest.mark.parametrize("stage", [Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED])
def test_levels_are_fixed_once_the_shortlist_is_submitted(db, make_cycle, make_user, stage):
    cycle = make_cycle(stage=stage)
    with pytest.raises(DomainError, match="fixed once"):
        award_services.update_levels(db, actor=make_user(Role.OFFICE), cycle=cycle, levels=TWO_LEVELS)


def test_setting_levels_is_audited_and_survives_editing_the_cycle(db, make_cycle, make_user):
    from award.cycles.services import update_cycle
    from tests.cycles.test_dates import settings_of  # the cycle's settings as its form would post them

    office = make_user(Role.OFFICE)
    cycle = make_cycle(stage=Stage.APPLICATION)
    award_services.update_levels(db, actor=office, cycle=cycle, levels=TWO_LEVELS)
    update_cycle(db, actor=office, cycle=cycle, settings=settings_of(cycle), reason="")
    assert AwardLevels.of(cycle.award_settings) == TWO_LEVELS
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "award.levels_updated")).one()
    assert audit.before == {"levels": []} and audit.after == {"levels": TWO_LEVELS.as_list()}
