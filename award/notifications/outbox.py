"""The outbox sender: claims due e-mails one at a time and hands them to the SMTP relay.

Delivery guarantee. A message is claimed by marking it `sending` (and counting the attempt) in
its own committed transaction, then handed to the relay, then marked `sent` or put back for a
retry. Whatever the relay refuses or cannot take (down, timeout, 4xx) is retried with exponential
back-off until MAIL_MAX_ATTEMPTS, so an outage followed by recovery delivers every message once.
The one unavoidable gap is a crash (or a lost connection) after the relay accepted a message and
before `sent` is committed: we then cannot know whether it went out. We chose at-most-once for
that gap: such a message stays `sending` and is never resent by itself; `outbox status` lists it
and `outbox requeue` resends it on an operator's decision. Reasons: the in-app notice, committed
with the event, is never lost, so e-mail is the second channel; and a duplicate official letter
("you are awarded", "vote now") confuses more than a missing copy of a notice that is on screen.
At-least-once would instead requeue stale `sending` rows automatically.

Concurrency. Several senders may run (cron and a loop, two hosts). On PostgreSQL the claim is
`SELECT … FOR UPDATE SKIP LOCKED`, so each message goes to one sender; on SQLite the claim runs
under the database's single-writer lock (BEGIN IMMEDIATE), which serializes claims the same way.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from award.db import utcnow
from award.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger("award.mail")

RETRY_CAP = dt.timedelta(hours=6)
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
    to_console: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), use_tls=bool(config["MAIL_USE_TLS"]),
            use_starttls=bool(config["MAIL_USE_STARTTLS"]), username=config["MAIL_USERNAME"] or None,
            password=config["MAIL_PASSWORD"] or None, sender=config["MAIL_FROM"],
            timeout=float(config["MAIL_TIMEOUT"]), max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
            retry_base=dt.timedelta(seconds=int(config["MAIL_RETRY_BASE_SECONDS"])),
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


class TransientError(Exception):
    """The relay could not take the message now; try again later."""


class PermanentError(Exception):
    """The relay refused the message for good (5xx); retrying would not help."""


class RelayDown(TransientError):
    """No conversation with the relay at all: stop this pass, the other messages were not tried."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...
    def close(self) -> None: ...


def build_message(claimed: Claimed, sender: str) -> EmailMessage:
    """A multipart/alternative e-mail: plain text first, HTML second, one Message-ID for every attempt."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = sender
    message["To"] = claimed.recipient
    message["Subject"] = claimed.subject
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

    def __str__(self) -> str:
        text = f"sent {self.sent}, to retry {self.retried}, failed {self.failed}"
        return text + (" (relay unreachable; pass stopped)" if self.relay_down else "")


def claim_next(session: Session, *, now: dt.datetime) -> Claimed | None:
    """Mark the oldest due message `sending` and commit, so no other sender takes it."""
    row = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the whole write lock instead
    ).first()
    if row is None:
        session.rollback()
        return None
    row.status = OutboxStatus.SENDING
    row.attempts += 1
    row.claimed_at = now
    claimed = Claimed(id=row.id, recipient=row.recipient, subject=row.subject, text=row.text, html=row.html,
                      message_id=row.message_id, attempts=row.attempts)
    session.commit()
    return claimed


def _resolve(session: Session, message_id: int, **values: Any) -> None:
    # Only a row still `sending` is resolved: an operator's requeue in between is not overwritten.
    session.execute(update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
                    .values(**values))
    session.commit()


def send_due(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    settings: MailSettings,
    *,
    transport: Transport | None = None,
    now: Callable[[], dt.datetime] = utcnow,
    limit: int | None = None,
) -> PassResult:
    """One pass: send every message that is due (at most `limit`), each in its own transactions."""
    transport = transport or make_transport(settings)
    result = PassResult()
    try:
        with session_factory() as session:
            while limit is None or result.sent + result.retried + result.failed < limit:
                claimed = claim_next(session, now=now())
                if claimed is None:
                    break
                try:
                    transport.send(build_message(claimed, settings.sender))
                except PermanentError as error:
                    _resolve(session, claimed.id, status=OutboxStatus.FAILED, last_error=str(error)[:2000])
                    result.failed += 1
                    log.warning("mail %s to %s refused: %s", claimed.id, claimed.recipient, error)
                except TransientError as error:
                    gave_up = claimed.attempts >= settings.max_attempts
                    _resolve(session, claimed.id, last_error=str(error)[:2000],
                             status=OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING,
                             next_attempt_at=now() + retry_delay(claimed.attempts, settings.retry_base))
                    if gave_up:
                        result.failed += 1
                    else:
                        result.retried += 1
                    log.warning("mail %s to %s not sent (attempt %s): %s", claimed.id, claimed.recipient,
                                claimed.attempts, error)
                    if isinstance(error, RelayDown):
                        result.relay_down = True
                        break
                else:
                    _resolve(session, claimed.id, status=OutboxStatus.SENT, sent_at=now(), last_error="")
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


def stuck_messages(session: Session, *, now: dt.datetime, older_than: dt.timedelta) -> list[OutboxMessage]:
    """Messages left `sending` by a crash: their outcome is unknown (see the module docstring)."""
    return list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENDING,
                                    OutboxMessage.claimed_at < now - older_than).order_by(OutboxMessage.id)
    ))


def requeue(session: Session, *, message_ids: list[int], now: dt.datetime) -> int:
    """An operator's decision to send failed or stuck messages again (possibly a second copy)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids),
               OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.SENDING]))
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, attempts=0)
    )
    session.flush()
    return result.rowcount or 0
