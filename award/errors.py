"""Domain errors: raised by services when a rule is broken, shown to the user as they are.

A service raises one of the kinds below, never a bare ``DomainError``: the kind says why the
request is refused, and ``award.views`` turns each kind into one HTTP status, for pages and JSON
alike (tests/test_view_pattern.py checks both).
"""

from __future__ import annotations


class DomainError(Exception):
    """A broken rule. `message` is already translated for the current user.

    `field` names the input the message is about (a form shows it by that field); `code` is a
    stable name of the rule for tests and the command line.
    """

    def __init__(self, message: str, *, code: str = "domain_error", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The actor may not do this (checked again inside services, not only in views)."""

    def __init__(self, message: str, *, code: str = "not_allowed", field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)


class NotFound(DomainError):
    """What was asked for does not exist, or not for this actor."""


class Conflict(DomainError):
    """Refused because of the state things are in: a stage, a deadline, a closed vote, a stale
    version, something already done. The data may be fine; the moment is not."""


class Invalid(DomainError):
    """The data given breaks a rule whatever the state: it must be changed to be accepted (a name
    that is already taken included)."""


class TooLarge(Invalid):
    """More data than the request may carry."""


class Unavailable(DomainError):
    """Something the app needs is missing on this machine (a font, say): nothing the user can change."""
