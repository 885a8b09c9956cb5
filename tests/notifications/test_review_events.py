"""Review events, wired into the review services: each gives its in-app notice and its e-mail through
a real SMTP relay, to the right people, with a link to the thing to do."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from award.app_db import get_database
from award.auth.models import Role
from award.cycles.models import Stage
from award.db import utcnow
from award.errors import DomainError
from award.notifications import reminders
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage, OutboxStatus
from award.notifications.outbox import MailSettings, send_due
from award.notifications.services import set_email_preferences
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import AssignmentStatus
from award.scoring import notices
from award.scoring import services as scoring
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries


def _deliver(app, db, **kwargs):
    db.commit()
    result = send_due(get_database(app).session_factory, MailSettings.from_config(app.config), **kwargs)
    return result


def _notices(db, kind: Kind) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.kind == kind.value)
                           .order_by(Notification.user_id, Notification.id)))


def _mail_to(smtp_server, user):
    return [m for m in smtp_server.received if m["To"] == user.email]


def _text(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def _open(db, world):
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(db, actor=world.office, review_round=world.review_round)
    db.commit()


def _submit(db, world, seat):
    sheet = scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
    return scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(world.cycle),
                                expected_version=sheet.version)


@pytest.fixture
def drawn(review_world):
    """Two applications with their panels drawn; the round still in preparation."""
    return review_world(applications=2, experts=10, panels_drawn=True)


# ------------------------------------------------------------------------------ assignment


def test_opening_a_round_tells_every_seated_expert_to_sign_the_pledge(app, db, drawn, smtp_server):
    assert _notices(db, Kind.EXPERT_ASSIGNED) == []  # drawing panels in preparation tells nobody yet
    _open(db, drawn)
    seats = [seat for application in drawn.applications for seat in drawn.panel(db, application)]
    assert len(seats) == 10

    result = _deliver(app, db)

    assert (result.sent, result.retried, result.failed) == (10, 0, 0)
    told = _notices(db, Kind.EXPERT_ASSIGNED)
    assert sorted((n.user_id, n.link) for n in told) == sorted(
        (seat.expert_id, f"/review/assignments/{seat.id}/pledge") for seat in seats)
    for seat in seats:
        [mail] = _mail_to(smtp_server, seat.expert)
        assert seat.application.org_name in _text(mail)
        assert f"http://127.0.0.1:5000/review/assignments/{seat.id}/pledge" in _text(mail)
    assert len(smtp_server.received) == 10  # the office and the idle experts hear nothing


def test_the_assignment_e_mail_cannot_be_turned_off(app, db, drawn, smtp_server):
    seat = drawn.panel(db, drawn.applications[0])[0]
    with pytest.raises(DomainError, match="cannot be turned off"):
        set_email_preferences(db, actor=seat.expert, choices={Kind.EXPERT_ASSIGNED: False})
    _open(db, drawn)
    _deliver(app, db)
    assert len(_mail_to(smtp_server, seat.expert)) == 1


def _count_selects(connection, action) -> int:
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        action()
    finally:
        event.remove(connection, "before_cursor_execute", before)
    return len(statements)


def test_opening_a_round_does_not_query_per_expert(db, review_world, connection):
    """Telling 5 or 15 experts costs the same reads: the seats are loaded once, with their experts."""
    counts = []
    for applications in (1, 3):
        world = review_world(applications=applications, experts=5 * applications, panels_drawn=True)
        world.cycle.stage = Stage.DOCUMENT_REVIEW
        db.commit()
        db.expire_all()
        review_round = db.get(type(world.review_round), world.review_round.id)
        office = world.office

        def open_it(office=office, review_round=review_round) -> None:
            rounds.open_round(db, actor=office, review_round=review_round)

        counts.append(_count_selects(connection, open_it))
        db.commit()
    told = db.scalar(select(func.count(Notification.id)).where(Notification.kind == Kind.EXPERT_ASSIGNED.value))
    assert told == 20
    assert counts[0] == counts[1]


def test_a_seat_filled_while_the_round_is_open_tells_the_new_expert(app, db, review_world, smtp_server):
    world = review_world(applications=1, experts=7, panels_drawn=True)
    seat = world.panel(db, world.applications[0])[0]
    in_setup = panels.replace_expert(db, actor=world.office, assignment=seat, reason="调整")
    db.commit()
    assert _notices(db, Kind.EXPERT_ASSIGNED) == []  # in preparation: the opening will tell everyone
    _open(db, world)
    _deliver(app, db)
    smtp_server.received.clear()

    leaving = next(s for s in world.panel(db, world.applications[0]) if s.id != in_setup.id)
    replacement = panels.replace_expert(db, actor=world.office, assignment=leaving, reason="出差无法参加")
    _deliver(app, db)

    [notice] = [n for n in _notices(db, Kind.EXPERT_ASSIGNED) if n.user_id == replacement.expert_id]
    assert notice.link == f"/review/assignments/{replacement.id}/pledge"
    [mail] = smtp_server.received
    assert mail["To"] == replacement.expert.email


def test_conflict_declared_tells_the_office_with_the_replacement_page(app, db, review_world, make_user, smtp_server,
                                                                      login):
    world = review_world(applications=1, experts=7, opened=True)
    second_office = make_user(Role.OFFICE)
    _deliver(app, db)
    smtp_server.received.clear()
    application = world.applications[0]
    seat = world.panel(db, application)[0]

    scoring.declare_conflict(db, actor=seat.expert, assignment=seat, reason="三年内曾为该企业提供咨询")
    _deliver(app, db)

    told = _notices(db, Kind.CONFLICT_DECLARED)
    link = f"/review/rounds/{world.review_round.id}#panel-{application.id}"
    assert {(n.user_id, n.link) for n in told} == {(world.office.id, link), (second_office.id, link)}
    assert sorted(m["To"] for m in smtp_server.received) == sorted([world.office.email, second_office.email])
    body = _text(smtp_server.received[0])
    assert seat.expert.full_name in body and application.org_name in body
    assert f"http://127.0.0.1:5000{link}" in body
    page = login(world.office).get(link.split("#")[0])
    assert page.status_code == 200 and f'id="panel-{application.id}"' in page.get_data(as_text=True)

    # The office fills the seat in the open round: the new expert is told in turn.
    smtp_server.received.clear()
    replacement = panels.replace_expert(db, actor=world.office, assignment=seat)
    assert seat.status is AssignmentStatus.CONFLICT_DECLARED
    _deliver(app, db)
    assert [m["To"] for m in smtp_server.received] == [replacement.expert.email]


# ------------------------------------------------------------------------------ sheets


def test_reopening_a_sheet_tells_its_expert_the_reason(app, db, review_world, smtp_server):
    world = review_world(applications=1, experts=5, opened=True)
    seat = world.panel(db, world.applications[0])[0]
    sheet = _submit(db, world, seat)
    _deliver(app, db)
    smtp_server.received.clear()

    scoring.reopen_sheet(db, actor=world.office, sheet=sheet, reason="4.7.4 财务结果的评分缺少依据")
    _deliver(app, db)

    [notice] = _notices(db, Kind.SHEET_REOPENED)
    assert notice.user_id == seat.expert_id and notice.link == f"/review/assignments/{seat.id}/sheet"
    assert "4.7.4 财务结果的评分缺少依据" in notice.body
    [mail] = smtp_server.received
    assert mail["To"] == seat.expert.email and "4.7.4 财务结果的评分缺少依据" in _text(mail)


def test_the_team_leader_hears_once_when_the_last_sheet_of_the_panel_is_in(app, db, review_world, smtp_server):
    world = review_world(applications=1, experts=5, opened=True)
    application = world.applications[0]
    members = world.panel(db, application)
    leader = next(m for m in members if m.is_leader)
    for seat in members[:-1]:
        _submit(db, world, seat)
    db.commit()
    assert _notices(db, Kind.PANEL_COMPLETE) == []  # one sheet is still missing
    last = _submit(db, world, members[-1])
    _deliver(app, db)

    [notice] = _notices(db, Kind.PANEL_COMPLETE)
    assert notice.user_id == leader.expert_id
    assert notice.link == f"/review/rounds/{world.review_round.id}/applications/{application.id}/consensus"
    [mail] = [m for m in smtp_server.received if "All score sheets are in" in m["Subject"]]
    assert mail["To"] == leader.expert.email and application.org_name in mail["Subject"]

    # Reopened and submitted again: still one notice for this round and application.
    scoring.reopen_sheet(db, actor=world.office, sheet=last, reason="请补充说明")
    db.refresh(last)
    scoring.submit_sheet(db, actor=members[-1].expert, assignment=members[-1], entries=full_entries(world.cycle),
                         expected_version=last.version)
    _deliver(app, db)
    assert len(_notices(db, Kind.PANEL_COMPLETE)) == 1
    assert len([m for m in smtp_server.received if "All score sheets are in" in m["Subject"]]) == 1


def test_panels_complete_separately(db, review_world):
    world = review_world(applications=2, experts=10, opened=True)
    first, second = (world.panel(db, application) for application in world.applications)
    for seat in first:
        _submit(db, world, seat)
    for seat in second[:-1]:
        _submit(db, world, seat)
    db.commit()
    [notice] = _notices(db, Kind.PANEL_COMPLETE)
    assert notice.user_id == next(m.expert_id for m in first if m.is_leader)


# ------------------------------------------------------------------------------ deadline reminders


@pytest.fixture
def deadline_world(db, review_world):
    world = review_world(applications=2, experts=10, opened=True)
    deadline = utcnow() + dt.timedelta(days=10)
    world.review_round.deadline = deadline
    first = world.panel(db, world.applications[0])
    for seat in first:  # the first panel's experts have each submitted their only sheet
        _submit(db, world, seat)
    second = world.panel(db, world.applications[1])
    scoring.sign_pledge(db, actor=second[0].expert, assignment=second[0])  # a draft is still open
    db.commit()
    return world, deadline, first, second


def _run(app, db, now) -> int:
    with app.test_request_context("/"):
        created = reminders.run_reminders(db, now=now)
    db.commit()
    return created


def test_review_deadline_reminders_3_days_and_1_day_before_once_each(app, db, deadline_world, smtp_server):
    world, deadline, done, open_ = deadline_world
    assert notices.review_deadline in reminders._SOURCES  # registered like the application deadline

    assert _run(app, db, deadline - dt.timedelta(days=5)) == 0
    three_days = deadline - dt.timedelta(days=2, hours=22)
    assert _run(app, db, three_days) == 5
    assert _run(app, db, three_days) == 0  # the scheduler twice: one reminder each
    assert _run(app, db, three_days + dt.timedelta(hours=6)) == 0
    one_day = deadline - dt.timedelta(hours=23)
    assert _run(app, db, one_day) == 5
    assert _run(app, db, one_day) == 0
    assert _run(app, db, deadline + dt.timedelta(minutes=1)) == 0

    told = _notices(db, Kind.REVIEW_DEADLINE)
    assert sorted(n.user_id for n in told) == sorted(2 * [seat.expert_id for seat in open_])
    assert {n.link for n in told} == {"/review/mine"}
    assert "Score sheets still open: 1." in told[0].body

    _deliver(app, db, now=lambda: deadline)  # the reminders were queued at the scheduler's (future) times
    reminded = [m["To"] for m in smtp_server.received if "The review deadline is near" in m["Subject"]]
    assert sorted(reminded) == sorted(2 * [seat.expert.email for seat in open_])
    assert not {seat.expert.email for seat in done} & set(reminded)


def test_review_deadline_reminder_counts_the_open_sheets_of_each_expert(app, db, review_world):
    world = review_world(applications=2, experts=5, opened=True)  # every expert sits on both panels
    world.review_round.deadline = utcnow() + dt.timedelta(hours=30)
    seat = world.panel(db, world.applications[0])[0]
    _submit(db, world, seat)
    db.commit()
    assert _run(app, db, utcnow()) == 5
    bodies = {n.user_id: n.body for n in _notices(db, Kind.REVIEW_DEADLINE)}
    assert "Score sheets still open: 1." in bodies[seat.expert_id]
    assert "Score sheets still open: 2." in bodies[world.panel(db, world.applications[0])[1].expert_id]


def test_no_review_reminder_without_a_deadline_or_once_the_round_is_closed(app, db, review_world):
    world = review_world(applications=1, experts=5, opened=True)
    assert _run(app, db, utcnow()) == 0  # no deadline set
    for seat in world.panel(db, world.applications[0]):
        _submit(db, world, seat)
    world.review_round.deadline = utcnow() + dt.timedelta(hours=12)
    scoring.close_round(db, actor=world.office, review_round=world.review_round)
    db.commit()
    assert _run(app, db, utcnow()) == 0


def test_a_moved_deadline_earns_its_own_reminders(app, db, deadline_world):
    world, deadline, _done, _open_sheets = deadline_world
    assert _run(app, db, deadline - dt.timedelta(hours=20)) == 5
    world.review_round.deadline = deadline + dt.timedelta(days=7)
    db.commit()
    assert _run(app, db, deadline + dt.timedelta(days=6, hours=1)) == 5


# ------------------------------------------------------------------------------ relay outage


def test_relay_outage_while_a_round_opens_then_recovery_delivers_each_mail_once(app, db, drawn, smtp_server):
    _open(db, drawn)
    smtp_server.stop()
    clock = [utcnow()]
    down = _deliver(app, db, now=lambda: clock[0])
    assert down.relay_down and down.sent == 0
    assert smtp_server.received == []

    smtp_server.start()
    clock[0] += dt.timedelta(minutes=5)  # past the first message's back-off
    while _deliver(app, db, now=lambda: clock[0]).sent:
        pass
    assert _deliver(app, db, now=lambda: clock[0]).sent == 0

    seats = [seat for application in drawn.applications for seat in drawn.panel(db, application)]
    assert sorted(m["To"] for m in smtp_server.received) == sorted(seat.expert.email for seat in seats)
    assert len({m["Message-ID"] for m in smtp_server.received}) == len(seats) == 10
    db.expire_all()
    assert set(db.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def test_experts_who_read_chinese_are_assigned_in_chinese(app, db, review_world, smtp_server):
    """Recipients who read Chinese get Chinese: the kind's texts are translated."""
    world = review_world(applications=1, experts=5, panels_drawn=True)
    for expert in world.experts:
        expert.locale = "zh_CN"
    _open(db, world)
    _deliver(app, db)
    assert all(m["Subject"].startswith("[市长质量奖]") for m in smtp_server.received)
    assert all("承诺" in _text(m) for m in smtp_server.received)



# ------------------------------------------------------------------------------ in the browser


def test_through_the_web_the_expert_sees_the_notice_and_it_leads_to_the_pledge(app, db, drawn, client, login,
                                                                                  smtp_server):
    """The office opens the round on its page; an expert finds the notice in the list and follows it."""
    drawn.cycle.stage = Stage.DOCUMENT_REVIEW
    db.commit()
    login(drawn.office)
    assert client.post(f"/review/rounds/{drawn.review_round.id}/open").status_code == 302
    client.post("/logout")
    seat = drawn.panel(db, drawn.applications[0])[0]

    client = login(seat.expert)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "You have been assigned to review" in page and "Sign the pledge" in page and "Unread: 1" in page
    [notice] = db.scalars(select(Notification).where(Notification.user_id == seat.expert_id)).all()
    opened = client.post(f"/notifications/{notice.id}/open")
    assert opened.headers["Location"] == f"/review/assignments/{seat.id}/pledge"
    assert client.get(opened.headers["Location"]).status_code == 200
    _deliver(app, db)
    assert len(_mail_to(smtp_server, seat.expert)) == 1


def test_the_reminder_run_reads_in_bulk_not_per_expert(app, db, review_world, connection):
    world = review_world(applications=3, experts=15, opened=True)
    deadline = utcnow() + dt.timedelta(days=10)
    world.review_round.deadline = deadline
    db.commit()
    now = deadline - dt.timedelta(hours=20)
    created: list[int] = []

    def run() -> None:
        with app.test_request_context("/"):
            created.append(reminders.run_reminders(db, now=now))

    first = _count_selects(connection, run)
    again = _count_selects(connection, run)
    assert created == [15, 0]
    assert first < 15 and again < 15  # a few queries per source, none per expert
