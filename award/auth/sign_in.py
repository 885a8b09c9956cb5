"""The login page's sign-in: the throttle in front of the password check, and the fresh session after it.

Interface level (it reads the request's address and the rate limiter's storage); the rules of the
throttle itself are in ``throttle.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import current_app, session
from flask_babel import format_timedelta
from flask_limiter.util import get_remote_address
from flask_login import login_user

from award.app_db import get_session
from award.auth import accounts, services
from award.auth.models import User
from award.auth.throttle import LoginThrottle, Policy
from award.db import utcnow
from award.i18n import _
from award.views import limiter


def wait_text(seconds: int) -> str:
    """A wait as words in the page's language, rounded up so that trying after it always works."""
    for unit in (3600, 60):
        if seconds > unit:
            seconds = math.ceil(seconds / unit) * unit
            break
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.0)


def _login_throttle(kind: str = "") -> LoginThrottle | None:
    """The counters in Flask-Limiter's storage (shared by the workers through Redis); None when off.
    `kind` keeps other throttled requests (password resets) apart from the sign-ins."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return None
    prefix = "/".join(part for part in (config.get("RATELIMIT_KEY_PREFIX", ""), kind) if part)
    return LoginThrottle(limiter.storage, Policy.from_config(config), prefix=prefix)


@dataclass(frozen=True)
class SignInRefused:
    message: str
    status: int


@dataclass(frozen=True)
class SignIn:
    """One attempt to sign in with an e-mail address from this request's address."""

    email: str
    password: str

    def _attempt(self) -> dict[str, str]:
        return {"account": services.normalize_email(self.email), "address": get_remote_address() or ""}

    def wait_seconds(self) -> int:
        """How long this account and address must wait before the password is even checked (0: not at all)."""
        throttle = _login_throttle()
        return throttle.wait_seconds(**self._attempt(), now=utcnow().timestamp()) if throttle else 0

    def attempt(self) -> User | SignInRefused:
        """The user, or why not: too many failures (429, before the password is even checked, and
        never by sleeping here), or a wrong e-mail or password (401, one message for both: no user
        enumeration)."""
        if wait := self.wait_seconds():
            return SignInRefused(_("Too many failed sign-ins. Please try again in %(wait)s.", wait=wait_text(wait)),
                                 429)
        user = self.authenticate()
        return user if user is not None else SignInRefused(_("E-mail or password is wrong."), 401)

    def authenticate(self) -> User | None:
        """The user, or None for an unknown e-mail or a wrong password; the throttle counts either."""
        user = services.authenticate(get_session(), email=self.email, password=self.password)
        throttle = _login_throttle()
        if throttle and user is None:
            throttle.failed(**self._attempt(), now=utcnow().timestamp())
        elif throttle:
            throttle.succeeded(**self._attempt())
        return user


def begin_session(user: User) -> None:
    """Nothing from before the login survives into the new session, except the chosen language."""
    kept_locale = session.get("locale")
    session.clear()
    if kept_locale:
        session["locale"] = kept_locale
    login_user(user)


@dataclass(frozen=True)
class ResetRequest:
    """A request for a password-reset link, throttled as the login is: every request counts as a failure
    of its (address, account) pair and of its address, so the link cannot be used to flood a mailbox or to
    probe many addresses. The answer is the same for known and unknown addresses."""

    email: str

    def attempt(self) -> SignInRefused | None:
        throttle = _login_throttle("reset")
        attempt = {"account": services.normalize_email(self.email), "address": get_remote_address() or ""}
        if throttle and (wait := throttle.wait_seconds(**attempt, now=utcnow().timestamp())):
            return SignInRefused(_("Too many requests. Please try again in %(wait)s.", wait=wait_text(wait)), 429)
        if throttle:
            throttle.failed(**attempt, now=utcnow().timestamp())
        accounts.request_password_reset(get_session(), email=self.email)
        return None
