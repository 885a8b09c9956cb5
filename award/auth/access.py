"""Who may open a page: route decorators over auth's named predicates, and the actor of the request.

Part of the web layer (it reads Flask-Login's current user); services and queries use the predicates
of award.auth.permissions directly, with the actor passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import current_user

from award.auth.models import User
from award.auth.permissions import can_read_oversight, is_enterprise, is_expert, is_leader, is_office, is_supervisor

F = TypeVar("F", bound=Callable[..., Any])


def _guard(predicate: Callable[[Any], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not getattr(current_user, "is_authenticated", False):
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
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
    return current_user._get_current_object()
