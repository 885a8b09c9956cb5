"""The links sent by e-mail about an account: invitations, password resets, e-mail confirmations.

A link carries a random secret (256 bits); only its SHA-256 is stored, so a copy of the database
opens no account. Each link expires (its lifetime is a setting per purpose) and is used once: the
use is a conditional UPDATE on a row still unused and unexpired, so a replayed link, even one
replayed at the same moment, is refused. Using a link voids the holder's other open links of
the same purpose. The e-mail itself is written by notifications (above auth), through the
``account_mail_listener`` hook, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from award import runtime
from award.auth.models import AccountToken, TokenPurpose, User
from award.db import utcnow
from award.errors import Conflict
from award.i18n import _

# The setting that holds each purpose's lifetime, and the unit it is given in.
_LIFETIME_SETTINGS: dict[TokenPurpose, tuple[str, str]] = {
    TokenPurpose.INVITATION: ("INVITATION_VALID_HOURS", "hours"),
    TokenPurpose.PASSWORD_RESET: ("PASSWORD_RESET_VALID_MINUTES", "minutes"),
    TokenPurpose.EMAIL_CONFIRMATION: ("EMAIL_CONFIRMATION_VALID_HOURS", "hours"),
}


@dataclass(frozen=True)
class AccountMail:
    """A link to send to an account's holder: the secret exists only here and in the e-mail."""

    user: User
    purpose: TokenPurpose
    token: str
    expires_at: dt.datetime


AccountMailListener = Callable[[Session, AccountMail], object]  # what it returns is not used
# Notifications registers here the e-mail that carries each link (notifications/events.py).
_ACCOUNT_MAIL_LISTENERS: list[AccountMailListener] = []


def account_mail_listener(listener: AccountMailListener) -> AccountMailListener:
    _ACCOUNT_MAIL_LISTENERS.append(listener)
    return listener


def lifetime(purpose: TokenPurpose) -> dt.timedelta:
    name, unit = _LIFETIME_SETTINGS[purpose]
    return dt.timedelta(**{unit: int(runtime.settings()[name])})


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(session: Session, *, user: User, purpose: TokenPurpose, now: dt.datetime | None = None) -> AccountMail:
    """A new link for the user, e-mailed through the listeners; earlier open links of its purpose stay valid
    until one of them is used."""
    now = now or utcnow()
    secret = new_secret()
    row = AccountToken(user_id=user.id, purpose=purpose, token_hash=digest(secret), created_at=now,
                       expires_at=now + lifetime(purpose))
    session.add(row)
    session.flush()
    mail = AccountMail(user=user, purpose=purpose, token=secret, expires_at=row.expires_at)
    for listener in _ACCOUNT_MAIL_LISTENERS:
        listener(session, mail)
    return mail


def link_refused() -> Conflict:
    """One answer for a link that is unknown, expired or used: the link itself tells nothing more."""
    return Conflict(_("This link is no longer valid: it has expired or was used already. "
                      "Ask for a new one."), code="token_invalid")


def valid_token(session: Session, *, token: str, purposes: Iterable[TokenPurpose],
                now: dt.datetime | None = None) -> AccountToken:
    """The open link with this secret and one of these purposes, or the refusal."""
    now = now or utcnow()
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == digest(token)))
    if (row is None or row.purpose not in tuple(purposes) or row.used_at is not None or row.expires_at <= now
            or not row.user.is_enabled):
        raise link_refused()
    return row


def use_token(session: Session, *, row: AccountToken, now: dt.datetime | None = None) -> None:
    """Mark the link used, once: a second use (a replay, even a concurrent one) is refused. The holder's
    other open links of the same purpose are voided with it."""
    now = now or utcnow()
    result = cast(CursorResult[Any], session.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None),
                                   AccountToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        raise link_refused()
    void_tokens(session, user=row.user, purposes=(row.purpose,), now=now)
    session.refresh(row)


def void_tokens(session: Session, *, user: User, purposes: Iterable[TokenPurpose],
                now: dt.datetime | None = None) -> None:
    """End every open link of these purposes (a new password makes a pending reset link useless)."""
    session.execute(
        update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose.in_(tuple(purposes)),
                                   AccountToken.used_at.is_(None))
        .values(used_at=now or utcnow()).execution_options(synchronize_session=False))
