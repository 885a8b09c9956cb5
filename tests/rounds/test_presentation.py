"""The presentation round (陈述答辩): its own form, the order drawn by a seeded lot that anyone can replay,
the schedule of slots and rooms, attendance, and the guard that keeps the stage open until it is all in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from award.applications.models import Application, ApplicationStatus
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import set_procedure
from award.cycles.stages import transition_problems
from award.db import utcnow
from award.errors import Conflict, DomainError, Invalid, NotAllowed
from award.rounds import lots, presentation
from award.rounds import services as rounds
from award.rounds.models import Attendance, RoundKind, RoundStatus

STEPS = ["screening", "document_review", "presentation", "leading_group", "notice", "award"]
WEIGHTS = {"document_review": "0.7", "presentation": "0.3"}
START = dt.datetime(2099, 5, 6, 1, 0, tzinfo=dt.UTC)


# --- the lot and the schedule (pure) --------------------------------------------------------------

def test_the_lot_replays_from_its_seed_and_input():
    instance = lots.lot_input([5, 3, 9, 1, 7, 3])
    assert instance == {"applications": [1, 3, 5, 7, 9]}
    first = lots.draw_order(instance, 20261207)
    assert lots.draw_order(instance, 20261207) == first and sorted(first) == [1, 3, 5, 7, 9]
    assert lots.input_hash(instance) == lots.input_hash(lots.lot_input([9, 7, 5, 3, 1]))
    assert any(lots.draw_order(instance, seed) != first for seed in range(5))


def test_a_known_seed_gives_a_known_order():
    """Pinned: a change of the shuffle would change every published order, so it must be seen."""
    assert lots.draw_order(lots.lot_input([1, 2, 3, 4, 5, 6]), 42) == [4, 2, 3, 5, 1, 6]


@pytest.mark.parametrize("seed", [-1, lots.SEED_LIMIT + 1])
def test_a_seed_out_of_range_is_refused(seed):
    with pytest.raises(ValueError):
        lots.draw_order(lots.lot_input([1, 2]), seed)


def test_the_schedule_fills_the_rooms_in_parallel():
    slots = lots.schedule([30, 10, 20], starts_at=START, minutes=40, rooms=["一号", "二号"])
    assert [(s.application_id, s.position, s.room, s.starts_at - START) for s in slots] == [
        (30, 1, "一号", dt.timedelta(0)), (10, 2, "二号", dt.timedelta(0)), (20, 3, "一号", dt.timedelta(minutes=40))]


# --- the round and its schedule in the database -----------------------------------------------------

@pytest.fixture
def presented(db, make_cycle, make_user, make_organization):
    """A cycle whose procedure has the presentation, in document review, with three eligible applications."""
    office = make_user(Role.OFFICE)
    cycle = make_cycle()
    set_procedure(db, actor=office, cycle=cycle, steps=STEPS, weights=WEIGHTS)
    cycle.stage = Stage.DOCUMENT_REVIEW
    for _ in range(3):
        organization = make_organization()
        db.add(Application(cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.ELIGIBLE,
                           org_name=organization.name))
    db.flush()
    review_round = rounds.create_round(db, actor=office, cycle=cycle, kind=RoundKind.PRESENTATION)
    return cycle, review_round, office


def test_the_presentation_round_is_scored_on_its_own_form(presented, db, make_cycle, make_user):
    cycle, review_round, office = presented
    assert rounds.round_rubric(review_round).key == "presentation-100"
    assert rounds.round_rubric(review_round).total == 100 and review_round.rubric_hash
    assert rounds.round_kinds(cycle) == [RoundKind.DOCUMENT, RoundKind.PRESENTATION]
    with pytest.raises(Conflict):  # a cycle of the current shape has no presentation round
        rounds.create_round(db, actor=office, cycle=make_cycle(), kind=RoundKind.PRESENTATION)


def test_the_presentation_form_is_not_offered_as_a_cycle_rubric(db, make_user):
    from award.cycles.services import CycleSettings, create_cycle
    from tests.cycles.test_cycles import settings

    values = settings().__dict__
    with pytest.raises(Invalid):
        create_cycle(db, actor=make_user(Role.OFFICE), settings=CycleSettings(**values), rubric_key="presentation-100")


def test_drawing_lays_out_the_schedule_and_audits_the_seed(presented, db):
    cycle, review_round, office = presented
    draw = presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START,
                                                minutes=30, rooms=["第一会议室", " "], seed=99)
    slots = presentation.slots_of(db, review_round)
    assert [s.application_id for s in slots] == draw.order and {s.room for s in slots} == {"第一会议室"}
    assert [s.starts_at - START for s in slots] == [dt.timedelta(minutes=30 * i) for i in range(3)]
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "review.presentation_drawn")).one()
    assert entry.after["seed"] == 99 and entry.after["input_hash"] == draw.input_hash


def test_the_replay_of_a_draw_matches_and_a_tampered_one_does_not(presented, db, make_user):
    cycle, review_round, office = presented
    draw = presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START,
                                                minutes=30, rooms=["第一会议室"], seed=5)
    replay = presentation.replay_presentation_draw(db, actor=make_user(Role.SUPERVISOR), draw=draw)
    assert replay.hash_matches and replay.order_matches
    draw.order = list(reversed(draw.order))
    assert not presentation.replay_presentation_draw(db, actor=office, draw=draw).order_matches
    with pytest.raises(NotAllowed):
        presentation.replay_presentation_draw(db, actor=make_user(Role.EXPERT), draw=draw)


@pytest.mark.parametrize("rooms, minutes, start, code", [
    ([], 30, START, "no_rooms"),
    (["一号"] * 2, 30, START, "room_twice"),
    (["会议室\u202e"], 30, START, None),
    (["x" * 101], 30, START, "room_too_long"),
    ([str(i) for i in range(11)], 30, START, "too_many_rooms"),
    (["一号"], 0, START, "bad_minutes"),
    (["一号"], 10**9, START, "bad_minutes"),
    (["一号"], 30, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), "starts_in_past"),
])
def test_worst_schedules_are_refused(presented, db, rooms, minutes, start, code):
    cycle, review_round, office = presented
    with pytest.raises(DomainError) as refused:  # Invalid, or InvalidInput for a character no name holds
        presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=start,
                                             minutes=minutes, rooms=rooms)
    assert code is None or refused.value.code == code
    assert presentation.slots_of(db, review_round) == []


def test_attendance_is_recorded_in_the_presentation_stage_and_freezes_the_order(presented, db):
    cycle, review_round, office = presented
    presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START, minutes=30,
                                         rooms=["一号"], seed=1)
    first, second, third = presentation.slots_of(db, review_round)
    with pytest.raises(Conflict):  # not yet the presentation stage
        presentation.record_attendance(db, actor=office, slot=first, attendance=Attendance.PRESENT)
    cycle.stage = Stage.PRESENTATION
    with pytest.raises(Invalid, match="absent"):  # an absence needs its reason
        presentation.record_attendance(db, actor=office, slot=second, attendance=Attendance.ABSENT)
    presentation.record_attendance(db, actor=office, slot=first, attendance=Attendance.PRESENT)
    presentation.record_attendance(db, actor=office, slot=second, attendance=Attendance.ABSENT, note="企业书面申请放弃")
    assert second.attendance is Attendance.ABSENT and second.recorded_at is not None
    with pytest.raises(Conflict, match="Attendance has been recorded"):
        presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START,
                                             minutes=30, rooms=["一号"])
    problems = transition_problems(db, cycle, Stage.DELIBERATION, utcnow())
    assert any("no attendance recorded" in p for p in problems)
    presentation.record_attendance(db, actor=office, slot=third, attendance=Attendance.PRESENT)
    problems = transition_problems(db, cycle, Stage.DELIBERATION, utcnow())
    assert not any("attendance" in p for p in problems)
    review_round.status = RoundStatus.CLOSED
    with pytest.raises(Conflict):
        presentation.record_attendance(db, actor=office, slot=third, attendance=Attendance.ABSENT, note="x")


@pytest.mark.parametrize("role", [Role.EXPERT, Role.LEADER, Role.SUPERVISOR, Role.ENTERPRISE])
def test_only_the_office_draws_and_records(presented, db, make_user, role):
    cycle, review_round, office = presented
    with pytest.raises(NotAllowed):
        presentation.draw_presentation_order(db, actor=make_user(role), review_round=review_round, starts_at=START,
                                             minutes=30, rooms=["一号"])
    presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START, minutes=30,
                                         rooms=["一号"])
    cycle.stage = Stage.PRESENTATION
    with pytest.raises(NotAllowed):
        presentation.record_attendance(db, actor=make_user(role), slot=presentation.slots_of(db, review_round)[0],
                                       attendance=Attendance.PRESENT)


def test_the_presentation_stage_waits_for_the_schedule(presented, db):
    cycle, review_round, office = presented
    cycle.stage = Stage.PRESENTATION
    assert "Draw the presentation order first." in transition_problems(db, cycle, Stage.DELIBERATION, utcnow())


def test_the_archive_keeps_the_lot_and_the_attendance(presented, db, tmp_path):
    import json
    import zipfile

    from award.archive.builder import build_archive
    from award.archive.verify import verify_archive
    from tests.test_archive import _storage

    cycle, review_round, office = presented
    draw = presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START,
                                                minutes=30, rooms=["一号"], seed=3)
    cycle.stage = Stage.PRESENTATION
    first = presentation.slots_of(db, review_round)[0]
    presentation.record_attendance(db, actor=office, slot=first, attendance=Attendance.PRESENT)
    cycle.stage = Stage.AWARDED
    target = tmp_path / "a.zip"
    build_archive(db, actor=None, cycle=cycle, target=target, storage=_storage(tmp_path))
    assert verify_archive(target).ok
    with zipfile.ZipFile(target) as archive:
        lot = json.loads(archive.read(f"assignment/draws/presentation-{draw.id}.json"))
        schedule = json.loads(archive.read("assignment/presentation.json"))
    assert lot["seed"] == 3 and lots.draw_order(lot["instance"], lot["seed"]) == lot["order"]
    assert [s["attendance"] for s in schedule][0] == "present" and len(schedule) == 3


def test_each_applicant_is_told_its_time_and_room_when_the_order_is_drawn(presented, db, make_user):
    from award.notifications.kinds import Kind
    from award.notifications.models import Notification

    cycle, review_round, office = presented
    applications = db.scalars(select(Application).where(Application.cycle_id == cycle.id)
                              .order_by(Application.id)).all()
    staff = {a.id: make_user(Role.ENTERPRISE, organization=a.organization) for a in applications}
    staff[applications[0].id].locale = "zh_Hans_CN"
    draw = presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START,
                                                minutes=30, rooms=["第一会议室"], seed=99)
    notices = {n.user_id: n for n in db.scalars(select(Notification).where(
        Notification.kind == Kind.PRESENTATION_SCHEDULED.value))}
    assert set(notices) == {u.id for u in staff.values()}
    for position, application_id in enumerate(draw.order, start=1):
        notice = notices[staff[application_id].id]
        beijing = f"2099-05-06 {9 + (position - 1) // 2:02d}:{30 * ((position - 1) % 2):02d}"  # 01:00 UTC = 09:00
        assert beijing in notice.title and beijing in notice.body and "第一会议室" in notice.body
        assert notice.link.endswith(f"/{application_id}")
        if application_id == applications[0].id:
            assert notice.title.startswith("陈述答辩时间") and f"第{position}位" in notice.body, notice.body
        else:
            assert f"(number {position} in the order)" in notice.body
    # A new draw tells them again, with the new time.
    presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START,
                                         minutes=40, rooms=["第二会议室"], seed=7)
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == Kind.PRESENTATION_SCHEDULED.value)) == 2 * len(staff)


def test_the_schedule_page_offers_only_what_the_stage_allows(presented, db, client, login):
    """The office's page shows the attendance forms in the presentation stage only and the draw form only
    while a draw is taken: elsewhere each form was refused by the service every time it was sent."""
    cycle, review_round, office = presented
    presentation.draw_presentation_order(db, actor=office, review_round=review_round, starts_at=START, minutes=30,
                                         rooms=["一号"], seed=1)
    db.commit()
    login(office)
    page = client.get(f"/review/rounds/{review_round.id}/presentation").get_data(as_text=True)
    assert "/attendance" not in page and "/presentation/draw" in page  # document review: draw, no attendance
    cycle.stage = Stage.PRESENTATION
    db.commit()
    page = client.get(f"/review/rounds/{review_round.id}/presentation").get_data(as_text=True)
    assert page.count("/attendance") == 3 and 'placeholder="' in page
    first = presentation.slots_of(db, review_round)[0]
    presentation.record_attendance(db, actor=office, slot=first, attendance=Attendance.PRESENT)
    db.commit()
    page = client.get(f"/review/rounds/{review_round.id}/presentation").get_data(as_text=True)
    assert "/presentation/draw" not in page  # attendance recorded: the order stays
    cycle.stage = Stage.DELIBERATION
    db.commit()
    page = client.get(f"/review/rounds/{review_round.id}/presentation").get_data(as_text=True)
    assert "/attendance" not in page and "/presentation/draw" not in page
