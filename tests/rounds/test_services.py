"""Review rounds: creation, settings, the method locked once open, opening and closing rules,
and the stage guards that keep the cycle from moving on while panels or sheets are missing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import advance_cycle
from award.errors import DomainError, NotAllowed
from award.rounds import services as rounds
from award.rounds.models import AggregationMethod, CountedRecord, RoundKind, RoundStatus
from award.scoring import services as scoring
from tests.rounds.factories import *  # noqa: F403 (fixtures)


def settings(**overrides):
    values = dict(method=AggregationMethod.MEAN, deadline=None, experts_per_application=5, required_sheets=5)
    values.update(overrides)
    return rounds.RoundSettings(**values)


def test_ensure_rounds_creates_document_and_optional_onsite(db, make_cycle, make_user):
    office = make_user(Role.OFFICE)
    plain = make_cycle(stage=Stage.SCREENING)
    with_onsite = make_cycle(stage=Stage.SCREENING, onsite_review=True)
    assert [r.kind for r in rounds.ensure_rounds(db, actor=office, cycle=plain)] == [RoundKind.DOCUMENT]
    kinds = [r.kind for r in rounds.ensure_rounds(db, actor=office, cycle=with_onsite)]
    assert kinds == [RoundKind.DOCUMENT, RoundKind.ONSITE]
    assert len(rounds.ensure_rounds(db, actor=office, cycle=plain)) == 1  # idempotent


def test_onsite_round_needs_the_cycle_setting(db, make_cycle, make_user):
    with pytest.raises(DomainError, match="no on-site review"):
        rounds.create_round(db, actor=make_user(Role.OFFICE), cycle=make_cycle(), kind=RoundKind.ONSITE)


def test_only_the_office_manages_rounds(db, make_cycle, make_user):
    with pytest.raises(NotAllowed):
        rounds.create_round(db, actor=make_user(Role.EXPERT), cycle=make_cycle(), kind=RoundKind.DOCUMENT)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"experts_per_application": 4, "required_sheets": 4}, "at least 5 experts"),
    ({"required_sheets": 6}, "between 1 and the panel size"),
    ({"required_sheets": 0}, "between 1 and the panel size"),
    ({"range_threshold_pct": Decimal("0")}, "thresholds must be positive"),
])
def test_round_settings_are_checked(db, make_cycle, make_user, overrides, message):
    with pytest.raises(DomainError, match=message):
        rounds.create_round(db, actor=make_user(Role.OFFICE), cycle=make_cycle(), kind=RoundKind.DOCUMENT,
                            settings=settings(**overrides))


def test_method_can_change_in_setup_and_is_locked_once_open(db, review_world):
    world = review_world(panels_drawn=True)
    review_round = world.review_round
    rounds.configure_round(db, actor=world.office, review_round=review_round, settings=settings())
    assert review_round.method is AggregationMethod.MEAN
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(db, actor=world.office, review_round=review_round)
    assert review_round.status is RoundStatus.OPEN and review_round.opened_at is not None
    with pytest.raises(DomainError, match="method is locked"):
        rounds.configure_round(db, actor=world.office, review_round=review_round,
                               settings=settings(method=AggregationMethod.MEDIAN))
    assert review_round.method is AggregationMethod.MEAN


def test_what_counts_is_chosen_in_setup_audited_and_locked_once_open(db, review_world):
    world = review_world(panels_drawn=True)
    review_round = world.review_round
    assert review_round.counts is CountedRecord.INDEPENDENT  # the default of a new round
    rounds.configure_round(db, actor=world.office, review_round=review_round,
                           settings=settings(counts=CountedRecord.CONSENSUS))
    assert review_round.counts is CountedRecord.CONSENSUS
    configured = db.scalars(select(AuditRecord).where(AuditRecord.action == "review.round_configured")
                            .order_by(AuditRecord.seq.desc())).first()
    assert (configured.before["counts"], configured.after["counts"]) == ("independent", "consensus")
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(db, actor=world.office, review_round=review_round)
    with pytest.raises(DomainError, match="Which record counts is locked"):
        rounds.configure_round(db, actor=world.office, review_round=review_round,
                               settings=settings(counts=CountedRecord.INDEPENDENT))
    assert review_round.counts is CountedRecord.CONSENSUS
    # Other settings still change while it is open.
    rounds.configure_round(db, actor=world.office, review_round=review_round,
                           settings=settings(counts=CountedRecord.CONSENSUS, range_threshold_pct=Decimal("25")))
    assert review_round.range_threshold_pct == Decimal("25")


def test_round_opens_only_in_its_stage(db, review_world):
    world = review_world(panels_drawn=True)
    with pytest.raises(DomainError, match="round's stage"):
        rounds.open_round(db, actor=world.office, review_round=world.review_round)


def test_round_refuses_to_open_without_full_panels(db, review_world):
    world = review_world(experts=4, panel_size=5, panels_drawn=True)  # too few experts: no panel
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    with pytest.raises(DomainError, match="has 0 of 5 experts"):
        rounds.open_round(db, actor=world.office, review_round=world.review_round)


def test_screening_to_document_review_refuses_without_full_panels(db, review_world):
    world = review_world(experts=4, panels_drawn=True)
    with pytest.raises(DomainError, match="has 0 of 5 experts"):
        advance_cycle(db, actor=world.office, cycle=world.cycle, target=Stage.DOCUMENT_REVIEW)
    assert world.cycle.stage is Stage.SCREENING


def test_screening_to_document_review_needs_the_round(db, review_world):
    world = review_world()
    with pytest.raises(DomainError, match="Set up the document review round"):
        advance_cycle(db, actor=world.office, cycle=world.cycle, target=Stage.DOCUMENT_REVIEW)


def test_screening_to_document_review_passes_with_full_panels(db, review_world):
    world = review_world(panels_drawn=True)
    advance_cycle(db, actor=world.office, cycle=world.cycle, target=Stage.DOCUMENT_REVIEW)
    assert world.cycle.stage is Stage.DOCUMENT_REVIEW


def test_document_review_cannot_end_while_sheets_are_missing(db, review_world):
    world = review_world(opened=True)
    with pytest.raises(DomainError, match="5 score sheets are still missing"):
        advance_cycle(db, actor=world.office, cycle=world.cycle, target=Stage.DELIBERATION)
    with pytest.raises(DomainError, match="5 score sheets are still missing"):
        scoring.close_round(db, actor=world.office, review_round=world.review_round)


def test_the_demo_has_an_open_round_with_one_panel_fully_scored(demo_db):
    from sqlalchemy import select

    from award.rounds.models import ReviewRound
    from award.scoring.progress import round_progress

    # the first seeded: the open one
    review_round = demo_db.scalars(select(ReviewRound).order_by(ReviewRound.id)).first()
    assert review_round.status is RoundStatus.OPEN
    by_application = round_progress(demo_db, review_round).by_application
    assert len(by_application) == 4 and by_application[0].missing == 0 and by_application[0].submitted == 5


def test_moving_an_open_round_s_deadline_needs_a_reason_is_audited_and_told(db, review_world):
    import datetime as dt

    from award.db import utcnow
    from award.errors import Conflict, Invalid
    from award.notifications.kinds import Kind
    from award.notifications.models import Notification

    world = review_world(opened=True)
    review_round = world.review_round
    first = utcnow() + dt.timedelta(days=10)
    rounds.configure_round(db, actor=world.office, review_round=review_round,
                           settings=settings(method=review_round.method, deadline=first), reason="首次设定")
    later = first + dt.timedelta(days=5)
    with pytest.raises(Invalid, match="write why its deadline moves"):
        rounds.configure_round(db, actor=world.office, review_round=review_round,
                               settings=settings(method=review_round.method, deadline=later))
    with pytest.raises(Conflict, match="into the past"):
        rounds.configure_round(db, actor=world.office, review_round=review_round, reason="提前",
                               settings=settings(method=review_round.method, deadline=utcnow() - dt.timedelta(hours=1)))
    assert review_round.deadline == first
    rounds.configure_round(db, actor=world.office, review_round=review_round, reason="专家集中培训，顺延五天",
                           settings=settings(method=review_round.method, deadline=later))
    assert review_round.deadline == later
    moves = db.scalars(select(AuditRecord).where(AuditRecord.action == "review.round_deadline_moved")
                       .order_by(AuditRecord.seq)).all()
    assert moves[-1].after["reason"] == "专家集中培训，顺延五天"
    told = db.scalars(select(Notification.user_id).where(
        Notification.kind == Kind.REVIEW_DEADLINE_MOVED.value, Notification.body.contains("顺延五天"))).all()
    assert sorted(told) == sorted(expert.id for expert in world.experts)
