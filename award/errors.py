"""Domain errors: raised by services when a rule is broken, shown to the user as they are."""

from __future__ import annotations


class DomainError(Exception):
    """A broken rule. `message` is already translated for the current user."""

    def __init__(self, message: str, *, code: str = "domain_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The actor may not do this (checked again inside services, not only in views)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="not_allowed")
