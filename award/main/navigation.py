"""The top navigation: the pages of each role's day, then the public pages everyone uses.

The base template and the dashboard read the same list, so a role's home page and its
navigation never disagree."""

from __future__ import annotations

from typing import NamedTuple

from award.auth.models import Role
from award.i18n import LazyString, _l


class NavLink(NamedTuple):
    endpoint: str
    label: LazyString


ROLE_PAGES: dict[Role | None, tuple[NavLink, ...]] = {
    Role.ENTERPRISE: (NavLink("applications.mine", _l("My applications")),),
    Role.EXPERT: (NavLink("scoring.my_assignments", _l("My reviews")),
                  NavLink("visits.my_visits", _l("My on-site visits")),
                  NavLink("pool.my_declarations", _l("My declarations"))),
    Role.LEADER: (),
    Role.OFFICE: (NavLink("cycles.list_cycles", _l("Cycles")), NavLink("pool.list_experts", _l("Expert pool")),
                  NavLink("audit.trail", _l("Audit trail")), NavLink("auth.users", _l("Accounts"))),
    Role.SUPERVISOR: (NavLink("cycles.list_cycles", _l("Cycles")), NavLink("pool.list_experts", _l("Expert pool")),
                      NavLink("audit.trail", _l("Audit trail"))),
}
PUBLIC_PAGES = (NavLink("notice.public_list", _l("Public notice")),
                NavLink("certificates.verify_form", _l("Certificate check")))


def role_pages(role: Role | None) -> tuple[NavLink, ...]:
    """The pages a role works on (none for a visitor who is not signed in)."""
    return ROLE_PAGES.get(role, ())
