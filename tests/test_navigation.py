"""Each role's top navigation and home page lead to the pages of its day (issue 21 point 3), and the
public notice and the certificate check are one click away for everyone."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from award.approval.forms import OpenVoteForm
from award.auth.models import Role
from award.cycles.models import CycleDeadline, Stage
from tests.conftest import PASSWORD

PUBLIC = ["/notices/", "/verify"]
ROLE_LINKS = {
    Role.ENTERPRISE: ["/dashboard", "/notifications/", "/applications/"],
    Role.EXPERT: ["/dashboard", "/notifications/", "/review/mine", "/visits/mine", "/pool/mine"],
    Role.LEADER: ["/dashboard", "/notifications/"],
    Role.OFFICE: ["/dashboard", "/notifications/", "/cycles/", "/pool/", "/audit/", "/office/users"],
    Role.SUPERVISOR: ["/dashboard", "/notifications/", "/cycles/", "/pool/", "/audit/"],
}


def header_links(page: str) -> list[str]:
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', header)


@pytest.mark.parametrize("role", list(ROLE_LINKS), ids=lambda role: role.value)
def test_the_top_navigation_leads_to_the_role_s_pages_and_the_public_ones(client, login, make_user, role):
    login(make_user(role))
    links = header_links(client.get("/dashboard").get_data(as_text=True))
    expected = ROLE_LINKS[role] + PUBLIC
    assert links[1:len(expected) + 1] == expected  # after the brand (home); the password link follows
    for link in expected:
        assert client.get(link).status_code == 200, link


def test_a_visitor_finds_the_public_notice_and_the_certificate_check(client):
    links = header_links(client.get("/login").get_data(as_text=True))
    assert set(PUBLIC) <= set(links)


@pytest.mark.parametrize("role", list(ROLE_LINKS), ids=lambda role: role.value)
def test_the_home_page_lists_the_same_pages(client, login, make_user, role):
    login(make_user(role))
    page = client.get("/dashboard").get_data(as_text=True)
    home = page.split("<main", 1)[1]
    for link in ROLE_LINKS[role][2:] + PUBLIC:
        assert f'href="{link}"' in home, link


def test_the_site_has_its_own_icon_inside_the_page(client):
    page = client.get("/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon is not None and icon.group(1).startswith("data:image/svg+xml;base64,")  # no request


def test_the_vote_s_closing_time_is_pre_filled_as_datetime_local_accepts_it(app, db, make_cycle):
    cycle = make_cycle(stage=Stage.APPROVAL)
    now = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
    cycle.deadlines.append(CycleDeadline(stage=Stage.APPROVAL, due_at=now + dt.timedelta(days=3, seconds=17)))
    db.flush()
    with app.test_request_context():
        form = OpenVoteForm.proposed(cycle, now=now, zone=dt.timezone(dt.timedelta(hours=8)))
        html = str(form.closes_at())
    assert 'value="2026-06-04T10:00"' in html  # YYYY-MM-DDTHH:MM, never "2026-06-04 10:00:17"


def test_the_kept_navigation_follows_the_language_and_the_role_of_each_request(app, client, login, make_user):
    """base.html's navigation is built once per (language, role) and kept by the app (award/web.py,
    page_layout): the next request of another role or language still gets its own links and words."""
    login(make_user(Role.OFFICE))
    office_page = client.get("/dashboard").get_data(as_text=True)
    assert header_links(office_page)[1:7] == ROLE_LINKS[Role.OFFICE]
    first = "en" if 'lang="en"' in office_page else "zh_CN"
    other_language = "zh_CN" if first == "en" else "en"
    client.post(f"/language/{other_language}", data={"next": "/dashboard"})
    switched = client.get("/dashboard").get_data(as_text=True)
    words = {"en": "Sign out", "zh_CN": "退出"}
    assert words[first] in office_page.split("<main", 1)[0]
    assert words[other_language] in switched.split("<main", 1)[0]
    assert words[first] not in switched.split("<main", 1)[0]
    other = app.test_client()
    other.post("/login", data={"email": make_user(Role.EXPERT).email, "password": PASSWORD})
    expert_links = header_links(other.get("/dashboard").get_data(as_text=True))
    assert expert_links[1:len(ROLE_LINKS[Role.EXPERT]) + 1] == ROLE_LINKS[Role.EXPERT]
    assert len(app.extensions["award_layouts"]) == 3  # the office in both languages, the expert in one
