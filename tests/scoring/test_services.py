"""Scoring services: the pledge, a declared conflict, drafts with a version check, submission
with every rule, the lock and the office's reopening, and what an expert may open."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from award.applications.queries import can_view_application
from award.auth.models import Role
from award.conflicts.models import PinnedConflict
from award.errors import DomainError, NotAllowed
from award.rounds import panels
from award.rounds.models import AssignmentStatus
from award.scoring import queries
from award.scoring import services as scoring
from award.scoring.models import ScoreSheet, SheetStatus
from award.scoring.packed import unpack_points
from award.scoring.rules import ItemEntry
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries


@pytest.fixture
def world(review_world):
    return review_world(experts=6, opened=True)


@pytest.fixture
def seat(db, world):
    return world.panel(db, world.applications[0])[0]


def signed(db, seat) -> ScoreSheet:
    sheet = scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
    db.flush()
    return sheet


def test_pledge_is_needed_before_the_application_opens(db, world, seat):
    application = world.applications[0]
    assert queries.own_assignment(db, seat.expert, seat.id) is seat
    assert not queries.can_open(seat.expert, seat)
    assert not can_view_application(seat.expert, application)
    with pytest.raises(DomainError, match="Sign the no-conflict"):
        scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=[], expected_version=1)
    signed(db, seat)
    assert queries.can_open(seat.expert, seat) and queries.can_score(seat.expert, seat)
    assert can_view_application(seat.expert, application)


def test_an_unassigned_expert_sees_nothing(db, world, seat, make_user):
    stranger = make_user(Role.EXPERT)
    assert queries.own_assignment(db, stranger, seat.id) is None
    assert not can_view_application(stranger, world.applications[0])
    with pytest.raises(NotAllowed):
        scoring.sign_pledge(db, actor=stranger, assignment=seat)


def test_declared_conflict_removes_the_seat_pins_it_and_a_replacement_keeps_the_panel(db, world, seat):
    application = world.applications[0]
    rest = {m.id for m in world.panel(db, application) if m is not seat}
    with pytest.raises(DomainError, match="Describe the conflict"):
        scoring.declare_conflict(db, actor=seat.expert, assignment=seat, reason="  ")
    scoring.declare_conflict(db, actor=seat.expert, assignment=seat, reason="三年内曾为该企业提供咨询")
    assert seat.status is AssignmentStatus.CONFLICT_DECLARED
    assert db.scalar(select(PinnedConflict).where(PinnedConflict.expert_id == seat.expert_id)) is not None
    assert queries.own_assignment(db, seat.expert, seat.id) is None
    assert not can_view_application(seat.expert, application)
    panel = panels.panels_of_round(db, world.review_round)[0]
    assert panel.replacements_due == 1 and panel.leader is not None
    new = panels.replace_expert(db, actor=world.office, assignment=seat)
    after = world.panel(db, application)
    assert {m.id for m in after} == rest | {new.id} and new.expert_id != seat.expert_id
    with pytest.raises(DomainError, match="already been filled"):
        panels.replace_expert(db, actor=world.office, assignment=seat)


def test_draft_saves_partial_input_and_computes_points(db, world, seat):
    signed(db, seat)
    entry = ItemEntry(item_id="4.1.2", band_id="4", percent=65, strength="高层领导亲自推动")
    sheet = scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=[entry], expected_version=1)
    [item] = sheet.items
    assert item.points == 32.5 and sheet.total == 32.5 and sheet.version == 2


def test_a_percentage_alone_picks_its_band(db, world, seat):
    signed(db, seat)
    sheet = scoring.save_draft(db, actor=seat.expert, assignment=seat,
                               entries=[ItemEntry(item_id="4.1.3", percent=40)], expected_version=1)
    assert sheet.items[0].band_id == "3"


@pytest.mark.parametrize(("entry", "message"), [
    (ItemEntry(item_id="4.1.2", band_id="4", percent=120), "outside 0–100%"),
    (ItemEntry(item_id="4.1.2", band_id="4", percent=-5), "outside 0–100%"),
    (ItemEntry(item_id="4.1.2", band_id="4", percent=62), "not a multiple of 5%"),
    (ItemEntry(item_id="4.1.2", band_id="4", percent=30), "outside band 4"),
    (ItemEntry(item_id="4.1.2", band_id="9", percent=30), "there is no band 9"),
    (ItemEntry(item_id="9.9.9", band_id="1", percent=0), "Unknown item 9.9.9"),
])
def test_a_draft_refuses_impossible_values(db, world, seat, entry, message):
    signed(db, seat)
    with pytest.raises(scoring.SheetInvalid) as error:
        scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=[entry], expected_version=1)
    assert message in " ".join(str(p) for found in error.value.problems.values() for p in found)


def test_a_stale_version_is_refused_with_the_difference(db, world, seat):
    signed(db, seat)
    scoring.save_draft(db, actor=seat.expert, assignment=seat, expected_version=1,
                       entries=[ItemEntry(item_id="4.1.2", band_id="4", percent=60, strength="第一个标签页")])
    with pytest.raises(scoring.VersionConflict) as error:
        scoring.save_draft(db, actor=seat.expert, assignment=seat, expected_version=1,
                           entries=[ItemEntry(item_id="4.1.2", band_id="4", percent=55, strength="第二个标签页")])
    assert error.value.current_version == 2
    changed = {(d.field, d.mine, d.saved) for d in error.value.differences}
    assert ("percent", 55, 60) in changed and ("strength", "第二个标签页", "第一个标签页") in changed
    assert scoring.sheet_of(seat).items[0].percent == 60


@pytest.mark.parametrize(("change", "message"), [
    ({"strength": ""}, "write a strength"),
    ({"improvement": " "}, "write an improvement point"),
    ({"percent": 0, "band_id": "1", "justification": ""}, "needs a written justification"),
    ({"percent": 100, "band_id": "6", "justification": ""}, "needs a written justification"),
    ({"percent": None}, "enter a percentage"),
    ({"band_id": None, "percent": None}, "choose a band"),
])
def test_submission_refuses_an_incomplete_item(db, world, seat, change, message):
    signed(db, seat)
    entries = full_entries(world.cycle)
    first = entries[0]
    entries[0] = ItemEntry(**{**{f: getattr(first, f) for f in ("item_id", "band_id", "percent", "strength",
                                                                  "improvement", "justification")}, **change})
    with pytest.raises(scoring.SheetInvalid) as error:
        scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=entries, expected_version=1)
    assert message in " ".join(str(p) for p in error.value.problems[first.item_id])
    assert scoring.sheet_of(seat).status is SheetStatus.DRAFT


def test_submission_needs_every_item(db, world, seat):
    signed(db, seat)
    with pytest.raises(scoring.SheetInvalid) as error:
        scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(world.cycle)[1:],
                             expected_version=1)
    assert list(error.value.problems) == ["4.1.2"]


def test_submit_locks_and_the_office_reopens_with_a_reason(db, world, seat):
    signed(db, seat)
    sheet = scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(world.cycle),
                                 expected_version=1)
    assert sheet.status is SheetStatus.SUBMITTED and sheet.total == 500
    assert not queries.can_score(seat.expert, seat)
    with pytest.raises(DomainError, match="submitted and locked"):
        scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=[], expected_version=sheet.version)
    with pytest.raises(NotAllowed):
        scoring.reopen_sheet(db, actor=seat.expert, sheet=sheet, reason="想修改")
    with pytest.raises(DomainError, match="Give a reason"):
        scoring.reopen_sheet(db, actor=world.office, sheet=sheet, reason="")
    scoring.reopen_sheet(db, actor=world.office, sheet=sheet, reason="4.7.4 财务数据录入有误")
    assert sheet.status is SheetStatus.DRAFT and queries.can_score(seat.expert, seat)


def test_submitted_rows_are_what_ranking_reads(db, world, seat):
    signed(db, seat)
    scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(world.cycle),
                         expected_version=1)
    rows = db.execute(queries.submitted_item_scores_query(world.review_round.id)).all()
    assert len(rows) == 23 and {r.expert_id for r in rows} == {seat.expert_id}


def test_submit_packs_the_points_the_ranking_reads_and_any_change_clears_them(db, world, seat):
    """The packed points match the item rows of a submitted sheet, in the rubric's order; a
    reopened sheet carries none (the ranking then reads nothing of it until it is submitted again)."""
    signed(db, seat)
    sheet = scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(world.cycle),
                                 expected_version=1)
    rubric = scoring.rubric_of(seat)
    by_item = {item.item_id: item.points for item in sheet.items}
    assert unpack_points(sheet.item_points) == [by_item[item.id] for item in rubric.items]
    scoring.reopen_sheet(db, actor=world.office, sheet=sheet, reason="4.7.4 财务数据录入有误")
    assert sheet.item_points is None
    first = rubric.items[0]
    changed = ItemEntry(item_id=first.id, band_id=None, percent=100, strength="优势",
                        improvement="改进", justification="理由")
    scoring.save_draft(db, actor=seat.expert, assignment=seat, entries=[changed], expected_version=sheet.version)
    assert sheet.item_points is None
    sheet = scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=[], expected_version=sheet.version)
    assert unpack_points(sheet.item_points)[0] == Decimal(first.points) * 100 / 100
