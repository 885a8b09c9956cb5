"""The sender against a real local SMTP server: what arrives, outages, refusals, exactly-once delivery."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from award.auth.models import Role
from award.db import create_db_engine, get_database, utcnow
from award.models import metadata
from award.notifications.kinds import Kind
from award.notifications.models import OutboxMessage, OutboxStatus
from award.notifications.outbox import MailSettings, requeue, retry_delay, send_due, stuck_messages
from award.notifications.services import notify


class Clock:
    """The sender's idea of now, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def settings(app) -> MailSettings:
    return MailSettings.from_config(app.config)


@pytest.fixture
def send(app, settings):
    def run(clock: Clock | None = None, **kwargs):
        return send_due(get_database(app).session_factory, settings, now=clock or utcnow, **kwargs)

    return run


def _returned(db, user, n: int = 0):
    return notify(db, user=user, kind=Kind.APPLICATION_RETURNED, link=f"/applications/{n}",
                  context={"cycle": "2026年度市长质量奖", "reason": f"缺少第{n}项证明材料。"})


def _statuses(db) -> list[OutboxStatus]:
    db.expire_all()
    return [m.status for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_notice_arrives_with_subject_language_and_both_parts(db, make_user, smtp_server, send):
    user = make_user(Role.ENTERPRISE)
    user.locale = "zh_CN"
    _returned(db, user, 7)
    db.commit()

    result = send()

    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    [message] = smtp_server.received
    assert message["To"] == user.email
    assert message["From"] == "award-office@example.cn"
    assert message["Subject"] == "[市长质量奖] 您的申报材料已被退回补正：2026年度市长质量奖"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "缺少第7项证明材料。" in text and "http://127.0.0.1:5000/applications/7" in text
    assert '<a href="http://127.0.0.1:5000/applications/7">修改申报材料</a>' in html
    assert 'lang="zh-CN"' in html
    assert _statuses(db) == [OutboxStatus.SENT]


def test_english_recipient_gets_english(db, make_user, smtp_server, send):
    _returned(db, make_user(Role.ENTERPRISE))  # make_user creates accounts with locale "en"
    db.commit()
    send()
    [message] = smtp_server.received
    assert message["Subject"] == ("[Mayor's Quality Award] "
                                  "Your application was returned for correction: 2026年度市长质量奖")
    assert "Dear " in message.get_body(("plain",)).get_content()


def test_html_part_escapes_what_users_typed(db, make_user, smtp_server, send):
    user = make_user(Role.ENTERPRISE)
    notify(db, user=user, kind=Kind.APPLICATION_RETURNED, link="/x",
           context={"cycle": "C", "reason": "<script>alert(1)</script>"})
    db.commit()
    send()
    html = smtp_server.received[0].get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_outage_then_recovery_delivers_every_message_exactly_once(db, make_user, smtp_server, send):
    user = make_user(Role.ENTERPRISE)
    for n in range(5):
        _returned(db, user, n)
    db.commit()
    clock = Clock()

    smtp_server.stop()
    down = send(clock)
    assert down.relay_down and (down.sent, down.retried) == (0, 1)
    # Only the first message was tried: the others keep their place and their attempt count.
    db.expire_all()
    attempts = [m.attempts for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert attempts == [1, 0, 0, 0, 0]

    smtp_server.start()
    clock.advance(seconds=30)  # before the first message's back-off has passed
    partly = send(clock)
    assert partly.sent == 4
    clock.advance(seconds=60)
    assert send(clock).sent == 1
    assert send(clock).sent == 0

    reasons = sorted(m.get_body(("plain",)).get_content().split("Reason: ")[1][:10] for m in smtp_server.received)
    assert len(smtp_server.received) == 5 and len(set(reasons)) == 5
    assert _statuses(db) == [OutboxStatus.SENT] * 5


def test_451_is_retried_with_back_off_and_delivered_once(db, make_user, smtp_server, send):
    user = make_user(Role.ENTERPRISE)
    for n in range(3):
        _returned(db, user, n)
    db.commit()
    smtp_server.handler.refuse_next = 2
    clock = Clock()

    first = send(clock)
    assert (first.sent, first.retried) == (1, 2)
    db.expire_all()
    waiting = db.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)).all()
    assert {m.attempts for m in waiting} == {1}
    assert all("451" in m.last_error for m in waiting)
    assert all(m.next_attempt_at == clock.now + dt.timedelta(seconds=60) for m in waiting)

    assert send(clock).sent == 0  # not due yet
    clock.advance(minutes=1)
    assert send(clock).sent == 2
    assert len(smtp_server.received) == 3
    assert len({m["Message-ID"] for m in smtp_server.received}) == 3
    assert _statuses(db) == [OutboxStatus.SENT] * 3


def test_a_permanent_refusal_fails_at_once(db, make_user, smtp_server, send):
    _returned(db, make_user(Role.ENTERPRISE))
    db.commit()
    smtp_server.handler.refuse_next = 1
    smtp_server.handler.refusal = "550 5.1.1 Mailbox unavailable"
    result = send(Clock())
    assert (result.sent, result.failed) == (0, 1)
    db.expire_all()
    message = db.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.FAILED and "550" in message.last_error


def test_attempts_are_capped(db, make_user, smtp_server, send, settings):
    _returned(db, make_user(Role.ENTERPRISE))
    db.commit()
    smtp_server.handler.refuse_next = 100
    clock = Clock()
    for _attempt in range(settings.max_attempts):
        send(clock)
        clock.advance(hours=7)
    db.expire_all()
    message = db.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.FAILED and message.attempts == settings.max_attempts
    clock.advance(days=1)
    assert send(clock).sent == 0 and smtp_server.received == []


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 60), (2, 120), (3, 240), (4, 480), (20, 6 * 3600)])
def test_back_off_doubles_up_to_a_cap(attempts, seconds):
    assert retry_delay(attempts, dt.timedelta(seconds=60)) == dt.timedelta(seconds=seconds)


def test_a_crash_after_claiming_leaves_the_message_for_the_operator(db, make_user, smtp_server, send):
    """At-most-once: a message left `sending` is never resent by the sender itself."""
    _returned(db, make_user(Role.ENTERPRISE))
    db.commit()
    message = db.scalars(select(OutboxMessage)).one()
    message.status, message.attempts, message.claimed_at = OutboxStatus.SENDING, 1, utcnow()
    db.commit()
    clock = Clock()
    clock.advance(hours=1)
    assert send(clock).sent == 0 and smtp_server.received == []
    stuck = stuck_messages(db, now=clock.now, older_than=dt.timedelta(minutes=10))
    assert [m.id for m in stuck] == [message.id]
    assert requeue(db, message_ids=[message.id], now=clock.now) == 1
    db.commit()
    assert send(clock).sent == 1 and len(smtp_server.received) == 1


def test_console_mode_writes_instead_of_sending(db, make_user, smtp_server, app):
    _returned(db, make_user(Role.ENTERPRISE))
    db.commit()
    lines: list[str] = []
    from award.notifications.outbox import ConsoleTransport

    settings = MailSettings.from_config({**app.config, "MAIL_TO_CONSOLE": True})
    result = send_due(get_database(app).session_factory, settings, transport=ConsoleTransport(lines.append))
    assert result.sent == 1 and smtp_server.received == []
    assert "Your application was returned for correction" in lines[0]


def test_two_senders_at_once_send_each_message_once(new_database_url, smtp_server):
    """Real concurrency on its own database: SKIP LOCKED on PostgreSQL, the write lock on SQLite."""
    url = new_database_url()
    engine = create_db_engine(url)
    metadata.create_all(engine)
    try:
        from sqlalchemy.orm import sessionmaker

        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with factory() as session:
            now = utcnow()
            session.add_all(OutboxMessage(
                recipient=f"r{n}@example.cn", subject=f"message {n}", text=f"text {n}", html=f"<p>{n}</p>",
                kind=Kind.VOTE_OPENED.value, message_id=f"<{n}@example.cn>", status=OutboxStatus.PENDING,
                attempts=0, next_attempt_at=now, created_at=now, last_error="",
            ) for n in range(40))
            session.commit()
        settings = MailSettings(server="127.0.0.1", port=smtp_server.port, sender="office@example.cn", timeout=5)
        results = []
        threads = [threading.Thread(target=lambda: results.append(send_due(factory, settings))) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.sent for r in results) == 40
        subjects = sorted(m["Subject"] for m in smtp_server.received)
        assert subjects == sorted(f"message {n}" for n in range(40))
    finally:
        engine.dispose()
