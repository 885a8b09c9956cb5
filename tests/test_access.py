"""The access matrix: every route, every role and an anonymous visitor, with the expected status.

Add a row for each new route. `world` makes the objects that URLs point at; an object of another
owner (another enterprise's application, an unassigned application) belongs in it too, so that
nothing is reachable by guessing an id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from award.auth.models import Role
from award.cycles.models import Stage
from tests.notifications.world import notifications_world

ANON = "anonymous"
ROLES = (ANON, *(role.value for role in Role))
LOGIN = 302  # an anonymous visitor is sent to the login page


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # str.format()ted with the world's ids
    expect: dict[str, int] = field(default_factory=dict)
    data: dict[str, str] | None = None

    def status_for(self, role: str) -> int:
        return self.expect[role]


def allow(*roles: Role, ok: int = 200, others: int = 403, anon: int = LOGIN) -> dict[str, int]:
    table = {role.value: (ok if role in roles else others) for role in Role}
    table[ANON] = anon
    return table


def everyone(status: int, anon: int) -> dict[str, int]:
    return {**{role.value: status for role in Role}, ANON: anon}


ROUTES: list[Route] = [
    Route("main.index", "GET", "/", everyone(302, anon=200)),
    Route("main.dashboard", "GET", "/dashboard", everyone(200, anon=LOGIN)),
    Route("main.set_language", "POST", "/language/en", everyone(302, anon=302)),
    Route("auth.login", "GET", "/login", everyone(302, anon=200)),
    Route("auth.login", "POST", "/login", everyone(302, anon=200)),  # an empty form re-renders
    Route("auth.logout", "POST", "/logout", everyone(302, anon=LOGIN)),
    Route("auth.register", "GET", "/register", everyone(302, anon=200)),
    Route("auth.register", "POST", "/register", everyone(302, anon=422)),
    Route("auth.users", "GET", "/office/users", allow(Role.OFFICE)),
    Route("auth.users", "POST", "/office/users", allow(Role.OFFICE, ok=422)),
    Route("auth.toggle_user", "POST", "/office/users/{expert_id}/toggle", allow(Role.OFFICE, ok=302)),
    Route("cycles.list_cycles", "GET", "/cycles/", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("cycles.new_cycle", "GET", "/cycles/new", allow(Role.OFFICE)),
    Route("cycles.new_cycle", "POST", "/cycles/new", allow(Role.OFFICE, ok=422)),
    Route("cycles.show_cycle", "GET", "/cycles/{cycle_id}", allow(Role.OFFICE, Role.SUPERVISOR)),
    Route("cycles.edit_cycle", "GET", "/cycles/{cycle_id}/edit", allow(Role.OFFICE)),
    Route("cycles.edit_cycle", "POST", "/cycles/{cycle_id}/edit", allow(Role.OFFICE, ok=422)),
    # A transition that the stage machine refuses: the office gets 409, everyone else 403.
    Route("cycles.advance", "POST", "/cycles/{cycle_id}/advance/awarded", allow(Role.OFFICE, ok=409)),
    Route("audit.trail", "GET", "/audit/", allow(Role.OFFICE, Role.SUPERVISOR)),
    # The world's cycle takes applications, so the office is told it cannot be archived yet.
    Route("archive.create_archive", "POST", "/cycles/{cycle_id}/archive", allow(Role.OFFICE, ok=302)),
    # notifications: "{notification_id}" is the office user's notice; anyone else gets 404 (no probing by id).
    Route("notifications.list_notifications", "GET", "/notifications/", everyone(200, anon=LOGIN)),
    Route("notifications.open_notification", "POST", "/notifications/{notification_id}/open",
          allow(Role.OFFICE, ok=302, others=404)),
    Route("notifications.mark_read", "POST", "/notifications/{notification_id}/read",
          allow(Role.OFFICE, ok=302, others=404)),
    Route("notifications.mark_all_read", "POST", "/notifications/read-all", everyone(302, anon=LOGIN)),
    Route("notifications.preferences", "GET", "/notifications/preferences", everyone(200, anon=LOGIN)),
    Route("notifications.preferences", "POST", "/notifications/preferences", everyone(302, anon=LOGIN)),
]

PUBLIC_ENDPOINTS = {"static"}


@pytest.fixture
def world(db, make_user, make_cycle) -> dict[str, object]:
    users = {role.value: make_user(role) for role in Role}
    cycle = make_cycle(stage=Stage.APPLICATION)
    return {
        "users": users,
        "expert_id": make_user(Role.EXPERT).id,
        "cycle_id": cycle.id,
        **notifications_world(db, users=users),
    }


def test_every_route_is_in_the_matrix(app):
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules() if rule.endpoint not in PUBLIC_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert served - listed == set(), "routes without an access-matrix row"
    assert listed - served == set(), "rows for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint}")
def test_access(client, login, world, route, role):
    if role != ANON:
        login(world["users"][role])
    url = route.path.format(**world)
    response = client.open(url, method=route.method, data=route.data or {})
    assert response.status_code == route.status_for(role), f"{role} {route.method} {url}"


def test_forbidden_page_is_friendly(client, login, world):
    login(world["users"]["enterprise"])
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "You do not have permission to open this page." in response.get_data(as_text=True)


def test_security_headers(client):
    headers = client.get("/login").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
