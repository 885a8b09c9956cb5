"""Soft 回避 signals (需关注) in the assignment: the solver avoids them, the preview marks them, and a
round whose panels hold one opens only with the office's acknowledgement and a reason, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.applications.models import Application
from award.audit.models import AuditRecord
from award.auth.models import Role, User
from award.conflicts.models import CycleCoiSettings
from award.cycles.models import Stage
from award.errors import DomainError
from award.pool.models import ExpertProfile
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import AssignmentSource, AssignmentStatus, RoundKind, RoundStatus
from tests.rounds.factories import *  # noqa: F403 (fixtures)

ADDRESS = "苏州市吴中区越溪街道塔韵路178号"


def _soften(db, world, expert: User, application: Application) -> None:
    """The expert's contact address is the applicant's: a soft signal, no hard conflict."""
    application.address = ADDRESS
    profile = db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == expert.id))
    profile.address = ADDRESS
    db.commit()


def _round(db, world):
    world.review_round = rounds.create_round(
        db, actor=world.office, cycle=world.cycle, kind=RoundKind.DOCUMENT,
        settings=rounds.RoundSettings(method=rounds.AggregationMethod.TRIMMED_MEAN, deadline=None,
                                      experts_per_application=5, required_sheets=5))
    return world.review_round


def _drawn_with_a_soft_pair(db, world):
    """Five experts for a panel of five: the soft expert must sit, the penalty cannot avoid him."""
    application, soft_expert = world.applications[0], world.experts[0]
    _soften(db, world, soft_expert, application)
    review_round = _round(db, world)
    panels.run_assignment(db, actor=world.office, review_round=review_round, mode=AssignmentSource.OPTIMAL)
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    db.commit()
    return review_round, application, soft_expert


@pytest.mark.parametrize("mode", [AssignmentSource.OPTIMAL, AssignmentSource.RANDOMIZED])
def test_the_solver_avoids_a_soft_pair_when_a_clear_expert_can_sit(db, review_world, mode):
    world = review_world(experts=6)
    application, soft_expert = world.applications[0], world.experts[0]
    _soften(db, world, soft_expert, application)
    review_round = _round(db, world)
    draw = panels.run_assignment(db, actor=world.office, review_round=review_round, mode=mode, seed=7,
                                 max_pair_probability=1.0)
    assert draw.instance["soft_pairs"] == [[application.id, soft_expert.id]]
    assert soft_expert.id not in {seat.expert_id for seat in world.panel(db, application)}


def test_the_cycle_can_make_soft_pairs_hard_for_the_solver(db, review_world):
    world = review_world(experts=5)
    application, soft_expert = world.applications[0], world.experts[0]
    _soften(db, world, soft_expert, application)
    db.add(CycleCoiSettings(cycle_id=world.cycle.id, avoid_soft_pairs=True))
    db.commit()
    draw = panels.run_assignment(db, actor=world.office, review_round=_round(db, world),
                                 mode=AssignmentSource.OPTIMAL)
    assert [application.id, soft_expert.id] in draw.instance["conflicts"]
    assert draw.result["unassignable"] == [application.id]  # four clear experts for five seats


def test_a_soft_pair_is_seated_by_the_penalty_only_when_needed_and_marked(db, review_world):
    world = review_world(experts=5)
    review_round, application, soft_expert = _drawn_with_a_soft_pair(db, world)
    assert soft_expert.id in {seat.expert_id for seat in world.panel(db, application)}
    signals = panels.soft_signals_of_round(db, review_round)
    assert list(signals) == [(application.id, soft_expert.id)]
    assert not any(signal.is_hard for signal in signals[(application.id, soft_expert.id)])


def test_opening_a_round_with_a_soft_pair_needs_an_acknowledgement(db, review_world):
    world = review_world(experts=5)
    review_round, application, soft_expert = _drawn_with_a_soft_pair(db, world)
    for missing in (None, "", "   "):
        with pytest.raises(DomainError, match="need attention") as refused:
            rounds.open_round(db, actor=world.office, review_round=review_round, acknowledgement=missing)
        assert refused.value.code == "soft_signals_unacknowledged"
    assert review_round.status is RoundStatus.SETUP

    rounds.open_round(db, actor=world.office, review_round=review_round,
                      acknowledgement="地址相同系同一园区写字楼，已电话核实无利害关系")
    assert review_round.status is RoundStatus.OPEN
    audit = db.scalar(select(AuditRecord).where(AuditRecord.action == "review.soft_signals_acknowledged"))
    assert audit is not None and audit.actor_id == world.office.id
    assert audit.after["reason"] == "地址相同系同一园区写字楼，已电话核实无利害关系"
    assert audit.after["pairs"][0]["application_id"] == application.id
    assert audit.after["pairs"][0]["expert_id"] == soft_expert.id
    assert audit.after["pairs"][0]["signals"][0]["type"] == "contact"


def test_only_the_office_acknowledges(db, review_world, make_user):
    world = review_world(experts=5)
    review_round, _application, _expert = _drawn_with_a_soft_pair(db, world)
    with pytest.raises(DomainError):
        rounds.open_round(db, actor=make_user(Role.SUPERVISOR), review_round=review_round, acknowledgement="看过了")
    assert review_round.status is RoundStatus.SETUP


def test_a_round_without_soft_pairs_opens_without_an_acknowledgement(db, review_world):
    world = review_world(panels_drawn=True)
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(db, actor=world.office, review_round=world.review_round)
    assert world.review_round.status is RoundStatus.OPEN
    assert db.scalar(select(AuditRecord).where(AuditRecord.action == "review.soft_signals_acknowledged")) is None


def test_the_round_page_marks_the_pair_and_offers_the_acknowledgement(db, client, login, review_world):
    world = review_world(experts=5)
    review_round, application, soft_expert = _drawn_with_a_soft_pair(db, world)
    login(world.office)
    page = client.get(f"/review/rounds/{review_round.id}").get_data(as_text=True)
    assert "soft-mark" in page and 'name="acknowledgement"' in page
    assert f"/pool/cycles/{world.cycle.id}/conflicts/{application.id}/{soft_expert.id}" in page

    refused = client.post(f"/review/rounds/{review_round.id}/open", data={"acknowledgement": ""})
    assert refused.status_code == 409 and review_round.status is RoundStatus.SETUP
    opened = client.post(f"/review/rounds/{review_round.id}/open", data={"acknowledgement": "已核实"})
    assert opened.status_code == 302
    db.refresh(review_round)
    assert review_round.status is RoundStatus.OPEN


def test_seating_a_soft_pair_in_an_open_round_needs_an_acknowledgement(db, review_world):
    world = review_world(experts=6, opened=True)
    application = world.applications[0]
    seated = {seat.expert_id for seat in world.panel(db, application)}
    (spare,) = [expert for expert in world.experts if expert.id not in seated]
    _soften(db, world, spare, application)
    seat = world.panel(db, application)[-1]
    with pytest.raises(DomainError) as refused:
        panels.replace_expert(db, actor=world.office, assignment=seat, expert_id=spare.id, reason="")
    assert refused.value.code in ("reason_required", "soft_signals_unacknowledged")
    panels.replace_expert(db, actor=world.office, assignment=seat, expert_id=spare.id, reason="因病退出",
                          acknowledgement="地址相同系同一写字楼，已核实")
    audit = db.scalar(select(AuditRecord).where(AuditRecord.action == "review.soft_signals_acknowledged"))
    assert audit.after["reason"] == "地址相同系同一写字楼，已核实"
    assert audit.after["pairs"][0]["expert_id"] == spare.id


def test_adding_a_soft_pair_to_an_open_round_is_refused_without_a_reason(db, review_world):
    world = review_world(experts=6, opened=True)
    application = world.applications[0]
    seated = {seat.expert_id for seat in world.panel(db, application)}
    (spare,) = [expert for expert in world.experts if expert.id not in seated]
    _soften(db, world, spare, application)
    seat = world.panel(db, application)[-1]
    panels.vacate_seat(db, seat, status=AssignmentStatus.REMOVED, reason="因病退出")
    with pytest.raises(DomainError) as refused:
        panels.add_expert(db, actor=world.office, review_round=world.review_round, application=application,
                          expert_id=spare.id)
    assert refused.value.code == "soft_signals_unacknowledged"
    panels.add_expert(db, actor=world.office, review_round=world.review_round, application=application,
                      expert_id=spare.id, acknowledgement="已核实")
    assert spare.id in {s.expert_id for s in world.panel(db, application)}
