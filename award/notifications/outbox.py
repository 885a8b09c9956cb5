"""The outbox sender: claims due e-mails one at a time and hands them to the SMTP relay.

Delivery guarantee. A message is claimed by marking it `sending` with a lease (and counting the
attempt) in its own committed transaction, then handed to the relay, then marked `sent` or put back
for a retry. Whatever goes wrong with one message (the relay refuses it, a header cannot be built,
an unexpected error) is caught for that message alone: it is retried with exponential back-off until
MAIL_MAX_ATTEMPTS and then marked `failed` with its reason, and the pass goes on to the next one. An
outage followed by recovery delivers every message once.

A sender killed mid-send (or whose database connection drops) leaves its message `sending`; when the
lease (MAIL_LEASE_SECONDS) has expired, the next pass claims it again. If the relay had already
accepted it, it then arrives twice, with the same Message-ID so mail systems can recognise the
repeat: we chose at-least-once, because a message stuck until someone notices stopped official
notices from going out. A message whose lease expired MAIL_MAX_ATTEMPTS times is marked `failed`.

Concurrency. Several senders may run (cron and a loop, two hosts). A claim is a conditional UPDATE
(still pending and due, or still `sending` with an expired lease), so two senders never take the
same message; on PostgreSQL the candidate is picked with `SELECT … FOR UPDATE SKIP LOCKED`, so
senders do not wait for each other, and SQLite serializes writers (BEGIN IMMEDIATE) anyway.

Headers. Every header is built here from cleaned text: control characters and every kind of line
separator (CR, LF, U+0085, U+2028, U+2029 …) become spaces, non-ASCII text is RFC 2047-encoded by
the email package, and addresses go through `email.headerregistry.Address`.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import email.policy
import logging
import re
import smtplib
import ssl
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from award.db import utcnow
from award.heartbeats import OUTBOX_SENDER, record_beat
from award.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger("award.mail")

RETRY_CAP = dt.timedelta(hours=6)
# During a long pass the heartbeat is stamped again after a message once this much time has passed.
HEARTBEAT_EVERY = dt.timedelta(seconds=15)
# Python folds a long header after an ASCII space before an encoded word, which mail programs show
# as a double space ("declared:  苏州…"); subjects here are short, so lines of up to 998 (RFC 5322's
# limit) never need folding.
MESSAGE_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class MailSettings:
    server: str = "localhost"
    port: int = 25
    use_tls: bool = False
    use_starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "award-office@localhost"
    timeout: float = 30
    max_attempts: int = 8
    retry_base: dt.timedelta = dt.timedelta(seconds=60)
    # How long a claim holds: longer than one message can take (several SMTP steps of `timeout` each).
    lease: dt.timedelta = dt.timedelta(minutes=10)
    to_console: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), use_tls=bool(config["MAIL_USE_TLS"]),
            use_starttls=bool(config["MAIL_USE_STARTTLS"]), username=config["MAIL_USERNAME"] or None,
            password=config["MAIL_PASSWORD"] or None, sender=config["MAIL_FROM"],
            timeout=float(config["MAIL_TIMEOUT"]), max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
            retry_base=dt.timedelta(seconds=int(config["MAIL_RETRY_BASE_SECONDS"])),
            lease=dt.timedelta(seconds=int(config["MAIL_LEASE_SECONDS"])),
            to_console=bool(config["MAIL_TO_CONSOLE"]),
        )


def retry_delay(attempts: int, base: dt.timedelta) -> dt.timedelta:
    """Back-off after the n-th failed attempt: base, 2×base, 4×base … at most RETRY_CAP."""
    return min(base * (2 ** max(attempts - 1, 0)), RETRY_CAP)


@dataclass(frozen=True)
class Claimed:
    """What the sender needs of a claimed row, read inside the claim transaction."""

    id: int
    recipient: str
    subject: str
    text: str
    html: str
    message_id: str
    attempts: int
    claimed_at: dt.datetime
    reclaimed: bool = False  # taken back from a sender whose lease expired


class TransientError(Exception):
    """The relay could not take the message now; try again later."""


class PermanentError(Exception):
    """The relay refused the message for good (5xx), or it has no usable address; retrying would not help."""


class RelayDown(TransientError):
    """No conversation with the relay at all: stop this pass, the other messages were not tried."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...
    def close(self) -> None: ...


# Control characters (C0, DEL, C1 with U+0085), line and paragraph separators, lone surrogates.
_UNSAFE_IN_HEADERS = {"Cc", "Zl", "Zp", "Cs"}
_SPACES = re.compile(" {2,}")


def header_text(value: str) -> str:
    """One line of header text: every control character and line separator of any kind becomes a space."""
    text = "".join(" " if unicodedata.category(char) in _UNSAFE_IN_HEADERS else char for char in value)
    return _SPACES.sub(" ", text).strip()


def header_address(display_name: str, addr_spec: str) -> Address:
    """A cleaned address for From/To; an address that cannot be one is refused for good."""
    addr = header_text(addr_spec)
    try:
        return Address(display_name=header_text(display_name), addr_spec=addr)
    except (ValueError, IndexError, email.errors.MessageError) as error:
        raise PermanentError(f"not a usable e-mail address: {addr!r} ({error})") from error


def sender_address(sender: str) -> Address:
    """MAIL_FROM, plain (`office@example.cn`) or with a name (`市长质量奖办公室 <office@example.cn>`)."""
    name, addr = parseaddr(header_text(sender))
    try:
        return header_address(name, addr)
    except PermanentError as error:
        raise ValueError(f"MAIL_FROM is not a usable sender address: {sender!r}") from error


def build_message(claimed: Claimed, sender: str) -> EmailMessage:
    """A multipart/alternative e-mail: plain text first, HTML second, one Message-ID for every attempt.

    Every header is built from cleaned text here, so no caller's input can add a line to the header."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = sender_address(sender)
    message["To"] = header_address("", claimed.recipient)
    message["Subject"] = header_text(claimed.subject)
    message["Message-ID"] = claimed.message_id
    message["Date"] = formatdate(localtime=False)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(claimed.text)
    message.add_alternative(claimed.html, subtype="html")
    return message


class SmtpTransport:
    """One SMTP connection per pass, opened on first use and reopened after an error."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.use_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
                if s.use_starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except (OSError, smtplib.SMTPException) as error:
            # Unreachable, refused, TLS or login failure: a problem of the relay or its settings,
            # not of any one message.
            raise RelayDown(f"cannot open a session with {s.server}:{s.port}: {error}") from error
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            raise _classify(min(codes), str(error.recipients)) from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # the relay is closing the session: reconnect next time
                self.close()
            raise _classify(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.close()
            raise TransientError(f"connection lost: {error}") from error
        if refused:  # one recipient per message, so this cannot happen; be explicit anyway
            raise _classify(min(code for code, _t in refused.values()), str(refused))

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _classify(code: int, text: Any) -> Exception:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 500 <= code < 600:
        return PermanentError(f"{code} {detail}")
    return TransientError(f"{code} {detail}")


@dataclass
class ConsoleTransport:
    """MAIL_TO_CONSOLE: writes each message out instead of sending it (for `make run`)."""

    write: Callable[[str], None] = print
    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        self.write(f"--- e-mail to {message['To']}: {message['Subject']}\n"
                   f"{text.get_content() if text else ''}--- end of e-mail")
        log.info("console mail to %s: %s", message["To"], message["Subject"])
        self.sent.append(message)

    def close(self) -> None:
        pass


def make_transport(settings: MailSettings, write: Callable[[str], None] = print) -> Transport:
    return ConsoleTransport(write) if settings.to_console else SmtpTransport(settings)


# --------------------------------------------------------------------------- one pass

@dataclass
class PassResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    relay_down: bool = False
    reclaimed: int = 0  # of the messages tried, those taken back from a sender whose lease expired

    def __str__(self) -> str:
        text = f"sent {self.sent}, to retry {self.retried}, failed {self.failed}"
        if self.reclaimed:
            text += f" ({self.reclaimed} taken back from a sender that stopped)"
        return text + (" (relay unreachable; pass stopped)" if self.relay_down else "")


def _lease_expired(now: dt.datetime) -> Any:
    """`sending`, but the sender's lease has run out: it stopped before recording an outcome."""
    return and_(OutboxMessage.status == OutboxStatus.SENDING,
                or_(OutboxMessage.lease_expires_at.is_(None), OutboxMessage.lease_expires_at < now))


def _claimable(now: dt.datetime, max_attempts: int) -> Any:
    """Due and pending, or left `sending` by a sender whose lease expired (with attempts left)."""
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(_lease_expired(now), OutboxMessage.attempts < max_attempts),
    )


def claim_next(session: Session, *, now: dt.datetime, lease: dt.timedelta, max_attempts: int) -> Claimed | None:
    """Mark the oldest claimable message `sending` until now + lease and commit, so no other sender takes it."""
    while True:
        candidate = session.execute(
            select(OutboxMessage.id, OutboxMessage.status)
            .where(_claimable(now, max_attempts))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL: senders pass each other's locked rows by
        ).first()
        if candidate is None:
            session.rollback()
            return None
        # The condition again in the UPDATE: whoever changed the row since our read wins, we look again.
        taken = cast(CursorResult[Any], session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == candidate.id, _claimable(now, max_attempts))
            .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1, claimed_at=now,
                    lease_expires_at=now + lease)
            .execution_options(synchronize_session=False)
        ))
        if taken.rowcount == 1:
            break
        session.rollback()
    row = session.execute(
        select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.text, OutboxMessage.html,
               OutboxMessage.message_id, OutboxMessage.attempts)
        .where(OutboxMessage.id == candidate.id)
    ).one()
    session.commit()
    if candidate.status == OutboxStatus.SENDING:
        log.warning("mail %s: the lease of an earlier sender expired; sending it again", candidate.id)
    return Claimed(id=candidate.id, recipient=row.recipient, subject=row.subject, text=row.text, html=row.html,
                   message_id=row.message_id, attempts=row.attempts, claimed_at=now,
                   reclaimed=candidate.status == OutboxStatus.SENDING)


def fail_abandoned(session: Session, *, now: dt.datetime, max_attempts: int) -> int:
    """Mark failed the messages whose lease expired on their last allowed attempt."""
    result = cast(CursorResult[Any], session.execute(
        update(OutboxMessage)
        .where(_lease_expired(now), OutboxMessage.attempts >= max_attempts)
        .values(status=OutboxStatus.FAILED, lease_expires_at=None,
                last_error=f"the sender stopped while sending, {max_attempts} times; "
                           "whether the relay took it is unknown")
        .execution_options(synchronize_session=False)
    ))
    session.commit()
    return result.rowcount or 0


def _resolve(session: Session, claimed: Claimed, **values: Any) -> None:
    # Only our own claim is resolved: not a row requeued by an operator, nor one claimed again by
    # another sender after our lease expired.
    session.execute(update(OutboxMessage)
                    .where(OutboxMessage.id == claimed.id, OutboxMessage.status == OutboxStatus.SENDING,
                           OutboxMessage.attempts == claimed.attempts,
                           OutboxMessage.claimed_at == claimed.claimed_at)
                    .values(lease_expires_at=None, **values)
                    .execution_options(synchronize_session=False))
    session.commit()


def _retry_or_fail(session: Session, claimed: Claimed, settings: MailSettings, reason: str,
                   now: dt.datetime) -> bool:
    """Put the message back for a later attempt, or mark it failed when its attempts are used up."""
    gave_up = claimed.attempts >= settings.max_attempts
    _resolve(session, claimed, last_error=reason[:2000],
             status=OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING,
             next_attempt_at=now + retry_delay(claimed.attempts, settings.retry_base))
    return gave_up


def send_due(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    settings: MailSettings,
    *,
    transport: Transport | None = None,
    now: Callable[[], dt.datetime] = utcnow,
    limit: int | None = None,
    heartbeat: bool = False,
) -> PassResult:
    """One pass: send every message that is due (at most `limit`), each in its own transactions.

    A problem with one message is recorded on that message (retry or failed) and the pass goes on;
    only an unreachable relay stops it, since the other messages would meet the same. With `heartbeat`
    (the `outbox send` command) the pass stamps the sender's heartbeat when it starts and, in a long
    pass, every HEARTBEAT_EVERY, for /healthz."""
    sender_address(settings.sender)  # a broken MAIL_FROM is the operator's to fix, not any message's fault
    transport = transport or make_transport(settings)
    result = PassResult()
    last_beat: dt.datetime | None = None

    def beat(session: Session) -> None:
        nonlocal last_beat
        moment = now()
        if heartbeat and (last_beat is None or moment - last_beat >= HEARTBEAT_EVERY):
            record_beat(session, worker=OUTBOX_SENDER, now=moment)
            session.commit()
            last_beat = moment

    try:
        with session_factory() as session:
            beat(session)
            result.failed += fail_abandoned(session, now=now(), max_attempts=settings.max_attempts)
            while limit is None or result.sent + result.retried + result.failed < limit:
                beat(session)
                claimed = claim_next(session, now=now(), lease=settings.lease, max_attempts=settings.max_attempts)
                if claimed is None:
                    break
                result.reclaimed += claimed.reclaimed
                try:
                    transport.send(build_message(claimed, settings.sender))
                except PermanentError as error:
                    _resolve(session, claimed, status=OutboxStatus.FAILED, last_error=str(error)[:2000])
                    result.failed += 1
                    log.warning("mail %s to %s refused: %s", claimed.id, claimed.recipient, error)
                except TransientError as error:
                    if _retry_or_fail(session, claimed, settings, str(error), now()):
                        result.failed += 1
                    else:
                        result.retried += 1
                    log.warning("mail %s to %s not sent (attempt %s): %s", claimed.id, claimed.recipient,
                                claimed.attempts, error)
                    if isinstance(error, RelayDown):
                        result.relay_down = True
                        break
                except Exception as error:  # noqa: BLE001 (one message's trouble must not stop the others)
                    # The SMTP conversation may be half-way through: the next message starts a fresh one.
                    transport.close()
                    log.exception("mail %s to %s: unexpected error (attempt %s)", claimed.id, claimed.recipient,
                                  claimed.attempts)
                    if _retry_or_fail(session, claimed, settings, f"{type(error).__name__}: {error}", now()):
                        result.failed += 1
                    else:
                        result.retried += 1
                else:
                    _resolve(session, claimed, status=OutboxStatus.SENT, sent_at=now(), last_error="")
                    result.sent += 1
    finally:
        transport.close()
    return result


# ------------------------------------------------------------------------ operators

def status_counts(session: Session) -> dict[OutboxStatus, int]:
    rows = session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status))
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def stuck_messages(session: Session, *, now: dt.datetime) -> list[OutboxMessage]:
    """Messages left `sending` by a sender that stopped: the next pass claims them again."""
    return list(session.scalars(select(OutboxMessage).where(_lease_expired(now)).order_by(OutboxMessage.id)))


def failed_messages(session: Session, *, limit: int) -> list[OutboxMessage]:
    """The newest failed messages, with their reason in last_error."""
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
                                .order_by(OutboxMessage.id.desc())
                                .limit(limit)))


def requeue(session: Session, *, message_ids: list[int], now: dt.datetime) -> int:
    """An operator's decision to send failed messages (or stuck ones at once) again with fresh attempts.

    A message a sender holds under a live lease is left alone: it may be with the relay right now."""
    result = cast(CursorResult[Any], session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids),
               or_(OutboxMessage.status == OutboxStatus.FAILED, _lease_expired(now)))
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, attempts=0, lease_expires_at=None)
    ))
    session.flush()
    return result.rowcount or 0
