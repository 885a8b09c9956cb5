"""The sender against a real local SMTP server: what arrives, outages, refusals, exactly-once delivery."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import threading

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.auth.models import Role
from award.db import create_db_engine, utcnow
from award.models import metadata
from award.notifications.kinds import Kind
from award.notifications.models import OutboxMessage, OutboxStatus
from award.notifications.outbox import (
    MailSettings,
    SmtpTransport,
    header_text,
    requeue,
    retry_delay,
    send_due,
    stuck_messages,
)
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


def _outbox_status(app) -> str:
    with app.app_context():  # the command's session ends with this context, before the test's
        return app.test_cli_runner().invoke(args=["outbox", "status"]).output


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


# ------------------------------------------------------------------ hostile header text

BREAKS = "\r\n\u2028\u2029\u0085\x0b\x0c\x1c\x00\t\x7f"


@pytest.mark.parametrize("separator", list(BREAKS))
def test_no_control_character_or_line_separator_survives_in_header_text(separator):
    assert header_text(f"苏州{separator}Bcc: x@example.cn") == "苏州 Bcc: x@example.cn"


def _header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_line_separators_in_subject_and_sender_name_arrive_as_one_encoded_line(db, make_user, smtp_server, app,
                                                                                  settings):
    user = make_user(Role.ENTERPRISE)
    notify(db, user=user, kind=Kind.APPLICATION_RETURNED, link="/applications/1",
           context={"cycle": "苏州精密\u2028有限公司\r\nBcc: spy@example.com\u2029\u0085", "reason": "R"})
    db.commit()
    settings = dataclasses.replace(settings, sender="市长质量奖\u2028办公室\r\n <award-office@example.cn>")

    result = send_due(get_database(app).session_factory, settings)

    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    [raw] = smtp_server.handler.raw
    header = _header_block(raw)
    header.decode("ascii")  # non-ASCII text travels RFC 2047-encoded
    lines = header.split(b"\r\n")
    names = [line.split(b":", 1)[0].lower() for line in lines if not line[:1].isspace()]
    assert b"bcc" not in names and b"x-evil" not in names
    assert sorted(names) == sorted(set(names))  # each header once
    assert smtp_server.handler.recipients == [[user.email]]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == ("[Mayor's Quality Award] Your application was returned for correction: "
                                 "苏州精密 有限公司 Bcc: spy@example.com")
    assert parsed["To"] == user.email
    [sender] = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("市长质量奖 办公室",
                                                       "award-office@example.cn")
    assert _statuses(db) == [OutboxStatus.SENT]


# ------------------------------------------------------------- one message never stops a pass

class PoisonedTransport(SmtpTransport):
    """The real SMTP path, except that handing over one recipient's message raises like a bug would."""

    def __init__(self, settings: MailSettings, poisoned: str) -> None:
        super().__init__(settings)
        self.poisoned = poisoned

    def send(self, message) -> None:
        if message["To"].addresses[0].addr_spec == self.poisoned:
            raise UnicodeEncodeError("ascii", "\u2028", 0, 1, "no line separators here")
        super().send(message)


def test_a_message_that_raises_is_retried_then_failed_while_the_others_go_out(app, db, make_user, smtp_server,
                                                                            send, settings):
    bad, good = make_user(Role.ENTERPRISE), make_user(Role.ENTERPRISE)
    _returned(db, bad, 1)
    _returned(db, good, 2)
    db.commit()
    clock = Clock()

    first = send(clock, transport=PoisonedTransport(settings, bad.email))
    assert (first.sent, first.retried, first.failed) == (1, 1, 0)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.received] == [good.email]

    for _attempt in range(2, settings.max_attempts + 1):
        clock.advance(hours=7)
        send(clock, transport=PoisonedTransport(settings, bad.email))
    db.expire_all()
    failed = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == bad.email)).one()
    assert failed.status is OutboxStatus.FAILED and failed.attempts == settings.max_attempts
    assert failed.last_error.startswith("UnicodeEncodeError:") and failed.lease_expires_at is None
    status = _outbox_status(app)
    assert f"failed {failed.id}: {bad.email}" in status and "UnicodeEncodeError" in status
    assert len(smtp_server.received) == 1


def test_an_unusable_address_fails_at_once_and_the_pass_goes_on(db, make_user, smtp_server, send):
    bad, good = make_user(Role.ENTERPRISE), make_user(Role.ENTERPRISE)
    bad.email = "not an address\u2028@example.cn"
    _returned(db, bad, 1)
    _returned(db, good, 2)
    db.commit()
    result = send(Clock())
    assert (result.sent, result.failed) == (1, 1)
    db.expire_all()
    messages = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.status for m in messages] == [OutboxStatus.FAILED, OutboxStatus.SENT]
    assert "not a usable e-mail address" in messages[0].last_error


# -------------------------------------------------------------------------- leases

class KilledTransport:
    """A sender process killed while the relay has the message."""

    def send(self, message) -> None:
        raise SystemExit(137)

    def close(self) -> None:
        pass


def test_a_sender_killed_mid_send_leaves_the_message_claimable_after_its_lease(db, make_user, smtp_server, send,
                                                                              settings):
    _returned(db, make_user(Role.ENTERPRISE))
    db.commit()
    clock = Clock()
    with pytest.raises(SystemExit):
        send(clock, transport=KilledTransport())
    db.expire_all()
    message = db.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.SENDING
    assert message.lease_expires_at == clock.now + settings.lease

    clock.advance(seconds=settings.lease.total_seconds() - 1)  # still under its lease
    assert send(clock).sent == 0 and smtp_server.received == []
    clock.advance(seconds=2)
    again = send(clock)
    assert (again.sent, again.reclaimed) == (1, 1) and len(smtp_server.received) == 1
    db.expire_all()
    assert message.status is OutboxStatus.SENT and message.attempts == 2 and message.lease_expires_at is None


def _left_sending(db, user, *, lease_expires_at, attempts: int = 1) -> OutboxMessage:
    _returned(db, user)
    db.commit()
    message = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    message.status, message.attempts = OutboxStatus.SENDING, attempts
    message.claimed_at, message.lease_expires_at = lease_expires_at - dt.timedelta(minutes=10), lease_expires_at
    db.commit()
    return message


def test_a_message_under_a_live_lease_is_not_claimed(db, make_user, smtp_server, send):
    clock = Clock()
    message = _left_sending(db, make_user(Role.ENTERPRISE), lease_expires_at=clock.now + dt.timedelta(minutes=1))
    assert send(clock).sent == 0 and smtp_server.received == []
    assert stuck_messages(db, now=clock.now) == []
    assert requeue(db, message_ids=[message.id], now=clock.now) == 0  # it may be with the relay right now
    db.expire_all()
    assert message.status is OutboxStatus.SENDING


def test_a_message_whose_lease_expired_is_claimed_again(app, db, make_user, smtp_server, send):
    clock = Clock()
    message = _left_sending(db, make_user(Role.ENTERPRISE), lease_expires_at=clock.now - dt.timedelta(seconds=1))
    assert [m.id for m in stuck_messages(db, now=clock.now)] == [message.id]
    assert f"stuck {message.id}:" in _outbox_status(app)
    result = send(clock)
    assert (result.sent, result.reclaimed) == (1, 1) and len(smtp_server.received) == 1
    assert _statuses(db) == [OutboxStatus.SENT]


def test_a_lease_expired_on_the_last_attempt_fails_the_message(db, make_user, smtp_server, send, settings):
    clock = Clock()
    message = _left_sending(db, make_user(Role.ENTERPRISE), lease_expires_at=clock.now - dt.timedelta(seconds=1),
                            attempts=settings.max_attempts)
    assert send(clock).failed == 1 and smtp_server.received == []
    db.expire_all()
    assert message.status is OutboxStatus.FAILED and "stopped while sending" in message.last_error


def test_a_late_sender_does_not_overwrite_the_claim_of_the_next(db, make_user, smtp_server, app, settings):
    """Sender A's lease expires, B claims and sends; A's late outcome must not touch B's claim."""
    from award.notifications.outbox import _resolve, claim_next

    _returned(db, make_user(Role.ENTERPRISE))
    db.commit()
    clock = Clock()
    factory = get_database(app).session_factory
    with factory() as session_a, factory() as session_b:
        a = claim_next(session_a, now=clock.now, lease=settings.lease, max_attempts=settings.max_attempts)
        assert claim_next(session_b, now=clock.now, lease=settings.lease, max_attempts=settings.max_attempts) is None
        clock.advance(minutes=11)
        b = claim_next(session_b, now=clock.now, lease=settings.lease, max_attempts=settings.max_attempts)
        assert a is not None and b is not None and (a.id, a.attempts, b.attempts) == (b.id, 1, 2)
        _resolve(session_a, a, status=OutboxStatus.PENDING, last_error="late news from A")
    db.expire_all()
    message = db.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.SENDING and message.attempts == 2 and message.last_error == ""


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
