"""Who may manage rounds and panels: the award office (None is the system, e.g. the demo seed)."""

from __future__ import annotations

from award.auth.models import Role, User
from award.errors import NotAllowed
from award.i18n import _


def require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can manage review rounds."))
