"""The roles in words, as pages, e-mails and the audit trail name them."""

from __future__ import annotations

from award.auth.models import Role
from award.i18n import _l

__all__ = ["ROLE_LABELS"]

ROLE_LABELS = {Role.ENTERPRISE: _l("Enterprise"), Role.EXPERT: _l("Expert"), Role.LEADER: _l("Leading group member"),
               Role.SUPERVISOR: _l("Supervisor"), Role.OFFICE: _l("Award office")}
