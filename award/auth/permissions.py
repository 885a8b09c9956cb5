"""Named permission checks. Views use the decorators; services and queries the predicates."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from award.auth.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


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


def _guard(predicate: Callable[[Any], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not getattr(current_user, "is_authenticated", False):
                from award.views import login_manager

                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


enterprise_required = _guard(is_enterprise)
office_required = _guard(is_office)
expert_required = _guard(is_expert)
leader_required = _guard(is_leader)
supervisor_required = _guard(is_supervisor)
oversight_required = _guard(can_read_oversight)
login_required = _guard(lambda user: True)


def actor() -> User:
    """The logged-in user, typed, for passing to services."""
    return current_user._get_current_object()  # type: ignore[no-any-return]
