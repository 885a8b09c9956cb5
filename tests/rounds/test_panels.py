"""Panels on the database: optimal and randomized runs respect every rule, a draw is recorded
and replays identically, infeasibility is explained, and manual changes keep the rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.conflicts.models import PinnedConflict
from award.conflicts.rules import ConflictType
from award.errors import DomainError
from award.pool.models import ExpertAvailability, ExpertProfile
from award.rounds import panels
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus
from tests.rounds.factories import *  # noqa: F403 (fixtures)


def profile(db, user) -> ExpertProfile:
    return db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))


def assert_rules_hold(db, world):
    """Every hard rule, read back from the database."""
    conflicts = {(c.application_id, c.expert_id) for c in db.scalars(select(PinnedConflict))}
    loads: dict[int, int] = {}
    for application in world.applications:
        panel = world.panel(db, application)
        assert len(panel) == world.review_round.experts_per_application
        assert sum(m.is_leader for m in panel) == 1
        organizations = [profile(db, m.expert).organization_code for m in panel]
        assert len(set(organizations)) == len(organizations)
        assert not {(application.id, m.expert_id) for m in panel} & conflicts
        assert any(application.sector in profile(db, m.expert).sectors for m in panel)
        for member in panel:
            loads[member.expert_id] = loads.get(member.expert_id, 0) + 1
    return loads


@pytest.mark.parametrize("mode", [AssignmentSource.OPTIMAL, AssignmentSource.RANDOMIZED])
def test_run_forms_every_panel_under_the_rules(db, review_world, mode):
    world = review_world(applications=4, experts=10, sectors=("D",), panels_drawn=True)
    # Few sector experts and one conflict make the rules bite.
    for expert in world.experts[:4]:
        profile(db, expert).sectors = ["C"]
    db.add(PinnedConflict(application_id=world.applications[0].id, expert_id=world.experts[0].id,
                          type=ConflictType.OTHER, reason="曾为其提供咨询"))
    draw = panels.run_assignment(db, actor=world.office, review_round=world.review_round, mode=mode, seed=7,
                                 max_pair_probability=0.8)
    loads = assert_rules_hold(db, world)
    assert max(loads.values()) <= 2  # the even spread: ceil(5 * 4 / 10)
    assert draw.mode is mode and len(draw.input_hash) == 64
    assert draw.result["unassignable"] == []


def test_personal_load_cap_and_unavailable_experts_are_respected(db, review_world):
    world = review_world(applications=2, experts=7, panels_drawn=True)
    capped, away = world.experts[0], world.experts[1]
    db.add_all([ExpertAvailability(expert_id=profile(db, capped).id, cycle_id=world.cycle.id, max_load=1),
                ExpertAvailability(expert_id=profile(db, away).id, cycle_id=world.cycle.id, available=False)])
    panels.run_assignment(db, actor=world.office, review_round=world.review_round, mode=AssignmentSource.OPTIMAL)
    loads = assert_rules_hold(db, world)
    assert loads.get(capped.id, 0) <= 1
    assert away.id not in loads


def test_same_organization_never_twice_on_a_panel(db, review_world):
    world = review_world(applications=1, experts=6, panels_drawn=True)
    profile(db, world.experts[1]).organization_code = profile(db, world.experts[0]).organization_code
    panels.run_assignment(db, actor=world.office, review_round=world.review_round, mode=AssignmentSource.OPTIMAL)
    assert_rules_hold(db, world)


def test_infeasible_run_names_the_application_and_why(db, review_world):
    world = review_world(applications=1, experts=5, panels_drawn=True)
    db.add(PinnedConflict(application_id=world.applications[0].id, expert_id=world.experts[0].id,
                          type=ConflictType.EMPLOYMENT, reason="在该企业任职"))
    draw = panels.run_assignment(db, actor=world.office, review_round=world.review_round,
                                 mode=AssignmentSource.OPTIMAL)
    [(app_id, reasons)] = panels.unassignable_reasons(draw)
    assert app_id == world.applications[0].id
    assert "needs 5 experts free of conflicts, only 4 available" in reasons[0]
    assert world.panel(db, world.applications[0]) == []
    assert panels.panel_problems_of_round(db, world.review_round)


def test_draw_goes_into_the_audit_trail_and_replays_identically(db, review_world, make_user):
    world = review_world(applications=3, experts=9, panels_drawn=True)
    draw = panels.run_assignment(db, actor=world.office, review_round=world.review_round,
                                 mode=AssignmentSource.RANDOMIZED, seed=20261128, max_pair_probability=0.8)
    audit = db.scalar(select(AuditRecord).where(AuditRecord.action == "review.panels_drawn")
                      .order_by(AuditRecord.seq.desc()))
    assert audit.after["seed"] == 20261128 and audit.after["input_hash"] == draw.input_hash
    assert audit.after["assignments"] == sorted([a.application_id, a.expert_id] for a in db.scalars(
        select(Assignment).where(Assignment.draw_id == draw.id)))
    replay = panels.replay_draw(db, actor=make_user(Role.SUPERVISOR), draw=draw)
    assert replay.ok and replay.only_in_stored == [] and replay.only_in_replay == []


def test_tampered_draw_record_is_detected_on_replay(db, review_world):
    world = review_world(applications=2, experts=12, panels_drawn=True)
    draw = panels.run_assignment(db, actor=world.office, review_round=world.review_round,
                                 mode=AssignmentSource.RANDOMIZED, seed=3)
    assert draw.result["assignments"]
    result = dict(draw.result)
    first, *rest = result["assignments"]
    result["assignments"] = [[first[0], 999999], *rest]
    draw.result = result
    instance = dict(draw.instance)
    instance["reviewers_per_application"] = 5
    instance["experts"] = instance["experts"][:-1]
    draw.instance = instance
    replay = panels.replay_draw(db, actor=world.office, draw=draw)
    assert not replay.hash_matches and not replay.panels_match


def test_a_new_run_replaces_panels_only_before_scoring(db, review_world):
    world = review_world(opened=True)
    with pytest.raises(DomainError, match="in preparation"):
        panels.run_assignment(db, actor=world.office, review_round=world.review_round,
                              mode=AssignmentSource.OPTIMAL)


# --------------------------------------------------------------------------- manual changes


def test_replacing_a_member_keeps_the_rest_of_the_panel(db, review_world):
    world = review_world(applications=1, experts=7, panels_drawn=True)
    application = world.applications[0]
    before = world.panel(db, application)
    leaving = before[0]
    outsider = next(e for e in world.experts if e.id not in {m.expert_id for m in before})
    new = panels.replace_expert(db, actor=world.office, assignment=leaving, expert_id=outsider.id,
                                reason="出差无法参加")
    after = world.panel(db, application)
    assert {m.id for m in after} == {m.id for m in before[1:]} | {new.id}
    assert leaving.status is AssignmentStatus.REMOVED and leaving.status_reason == "出差无法参加"
    assert sum(m.is_leader for m in after) == 1


@pytest.mark.parametrize("rule", ["conflict", "organization", "on_panel", "load", "not_in_pool", "sector"])
def test_manual_change_refuses_a_broken_rule(db, review_world, make_user, rule):
    world = review_world(applications=2, experts=12, sectors=("D",), panels_drawn=True)
    for expert in world.experts[:3]:
        profile(db, expert).sectors = ["C"]
    panels.run_assignment(db, actor=world.office, review_round=world.review_round, mode=AssignmentSource.OPTIMAL)
    application = world.applications[0]
    panel = world.panel(db, application)
    busy = {m.expert_id for a in world.applications for m in world.panel(db, a)}
    outsiders = [e for e in world.experts if e.id not in busy]
    seat = next(m for m in panel if "C" not in profile(db, m.expert).sectors)
    candidate = next(e for e in outsiders if "C" not in profile(db, e).sectors)
    expected = {
        "conflict": "conflict of interest", "organization": "same organization", "on_panel": "already on this panel",
        "load": "load cap", "not_in_pool": "not in the pool", "sector": "sector C",
    }[rule]
    if rule == "conflict":
        db.add(PinnedConflict(application_id=application.id, expert_id=candidate.id, type=ConflictType.OTHER,
                              reason="亲属任职"))
    elif rule == "organization":
        profile(db, candidate).organization_code = profile(db, panel[-1].expert).organization_code
        seat = next(m for m in panel if m is not panel[-1] and "C" not in profile(db, m.expert).sectors)
    elif rule == "on_panel":
        candidate = next(m.expert for m in panel if m is not seat)
    elif rule == "load":
        db.add(ExpertAvailability(expert_id=profile(db, candidate).id, cycle_id=world.cycle.id, max_load=0))
    elif rule == "not_in_pool":
        candidate = make_user(Role.EXPERT)
    elif rule == "sector":
        sector_members = [m for m in panel if "C" in profile(db, m.expert).sectors]
        assert sector_members, "the optimal run puts a sector expert on the panel"
        for member in sector_members[1:]:
            profile(db, member.expert).sectors = ["D"]
        seat = sector_members[0]
        profile(db, next(e for e in outsiders if e is not candidate)).sectors = ["C"]  # a free one
    db.flush()
    with pytest.raises(DomainError, match=expected):
        panels.replace_expert(db, actor=world.office, assignment=seat, expert_id=candidate.id, reason="调整")
    assert seat.status is AssignmentStatus.ACTIVE


def test_add_refuses_a_full_panel(db, review_world):
    world = review_world(applications=1, experts=6, panels_drawn=True)
    members = {m.expert_id for m in world.panel(db, world.applications[0])}
    outsider = next(e for e in world.experts if e.id not in members)
    with pytest.raises(DomainError, match="already full"):
        panels.add_expert(db, actor=world.office, review_round=world.review_round,
                          application=world.applications[0], expert_id=outsider.id)


def test_removing_without_a_reason_is_refused(db, review_world):
    world = review_world(applications=1, experts=6, panels_drawn=True)
    with pytest.raises(DomainError, match="Give a reason"):
        panels.replace_expert(db, actor=world.office, assignment=world.panel(db, world.applications[0])[0])


def test_set_leader_moves_the_leadership(db, review_world):
    world = review_world(panels_drawn=True)
    panel = world.panel(db, world.applications[0])
    other = next(m for m in panel if not m.is_leader)
    panels.set_leader(db, actor=world.office, assignment=other)
    assert [m.expert_id for m in world.panel(db, world.applications[0]) if m.is_leader] == [other.expert_id]
