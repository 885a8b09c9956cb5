"""Named permission checks on a user: services and queries call them with the actor; the web layer's
route decorators (access.py) wrap them."""

from __future__ import annotations

from typing import Any

from award.auth.models import Role


def has_role(user: Any, *roles: Role) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in roles


def is_enterprise(user: Any) -> bool:
    return has_role(user, Role.ENTERPRISE)


def is_office(user: Any) -> bool:
    return has_role(user, Role.OFFICE)


def is_expert(user: Any) -> bool:
    return has_role(user, Role.EXPERT)


def is_leader(user: Any) -> bool:
    return has_role(user, Role.LEADER)


def is_supervisor(user: Any) -> bool:
    return has_role(user, Role.SUPERVISOR)


def can_read_oversight(user: Any) -> bool:
    """The office runs the cycle; the supervisor (纪检监察) watches it read-only."""
    return has_role(user, Role.OFFICE, Role.SUPERVISOR)
