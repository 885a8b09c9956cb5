"""Every paginated page: previous / next and page numbers that keep the page's other query arguments."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from flask import render_template_string

from award.applications.models import Application
from award.audit.services import record
from award.auth.models import Organization, Role
from award.conflicts.models import CycleCoiSettings
from award.cycles.models import Stage
from award.notifications.kinds import Kind
from award.notifications.services import notify
from tests.conftest import fresh_credit_code


def pager_links(page: str) -> dict[str, str]:
    """The pager's links by their text: 'prev', 'next' and each page number."""
    [nav] = re.findall(r'<nav class="pager".*?</nav>', page, flags=re.S)
    links = {}
    for attributes, text in re.findall(r"<a ([^>]*)>(.*?)</a>", nav, flags=re.S):
        href = unescape(re.search(r'href="([^"]*)"', attributes).group(1))
        rel = re.search(r'rel="(prev|next)"', attributes)
        links[rel.group(1) if rel else text.strip()] = href
    return links


def test_audit_trail_pages_both_ways_keeping_the_filters(db, client, login, make_user, monkeypatch):
    monkeypatch.setattr("award.audit.routes.PAGE_SIZE", 2)
    office = make_user(Role.OFFICE)
    for number in range(6):
        record(db, actor=office, action="paging.step", target_type="thing", target_id=number, cycle_id=7)
    db.commit()
    login(make_user(Role.SUPERVISOR))
    page = client.get("/audit/?action=paging.&cycle=7&page=2").get_data(as_text=True)
    links = pager_links(page)
    assert links["prev"] == "/audit/?action=paging.&cycle=7"  # page 1 has one address, without `page`
    assert links["next"] == "/audit/?action=paging.&cycle=7&page=3"
    assert links["3"] == links["next"] and links["1"] == links["prev"]
    assert '<strong aria-current="page">2</strong>' in page
    assert client.get(links["next"]).status_code == 200 and client.get(links["prev"]).status_code == 200


def test_notifications_page_both_ways(db, login, make_user, monkeypatch):
    monkeypatch.setattr("award.notifications.routes.PAGE_SIZE", 2)
    office = make_user(Role.OFFICE)
    for number in range(5):
        notify(db, user=office, kind=Kind.OBJECTION_RECEIVED, context={"organization": f"企业{number}"},
               link="/dashboard")
    db.commit()
    client = login(office)
    page = client.get("/notifications/?page=2").get_data(as_text=True)
    links = pager_links(page)
    assert links["prev"] == "/notifications/" and links["next"] == "/notifications/?page=3"
    last = client.get(links["next"]).get_data(as_text=True)
    assert "rel=\"next\"" not in last and pager_links(last)["prev"] == "/notifications/?page=2"


def test_conflict_matrix_pages_both_ways_keeping_the_filters(db, client, login, make_user, make_cycle, monkeypatch):
    monkeypatch.setattr("award.conflicts.routes.PAGE_SIZE", 2)
    cycle = make_cycle(stage=Stage.SCREENING)
    db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=dt.date(2026, 6, 30)))
    organizations = [Organization(credit_code=fresh_credit_code(), name=f"恒润{n}") for n in range(5)]
    db.add_all(organizations)
    db.flush()
    db.add_all([Application(cycle_id=cycle.id, organization_id=o.id, org_name=o.name) for o in organizations])
    db.commit()
    login(make_user(Role.OFFICE))
    base = f"/pool/cycles/{cycle.id}/conflicts"
    page = client.get(f"{base}?q=恒润&sector=C&page=2").get_data(as_text=True)
    links = pager_links(page)
    assert links["prev"] == f"{base}?q=%E6%81%92%E6%B6%A6&sector=C"
    assert links["next"] == f"{base}?q=%E6%81%92%E6%B6%A6&sector=C&page=3"
    assert "Page 2 of 3 (5 applications)" in page
    assert "恒润0" in client.get(links["prev"]).get_data(as_text=True)


@pytest.mark.parametrize(("page", "pages", "numbers"), [
    (1, 1, None),  # a single page needs no pager
    (1, 3, ["1", "2", "3"]),
    (5, 10, ["1", "…", "3", "4", "5", "6", "7", "…", "10"]),
    (10, 10, ["1", "…", "8", "9", "10"]),
])
def test_pager_shows_the_numbers_around_the_current_page(app, page, pages, numbers):
    with app.test_request_context("/audit/?endpoint=x&_external=1&page=9"):
        html = render_template_string('{% from "_pagination.html" import pagination %}'
                                      '{{ pagination(page, pages) }}', page=page, pages=pages)
    if numbers is None:
        assert "pager" not in html
        return
    shown = re.findall(r">(\d+|…)</(?:a|strong|span)>", html)
    assert shown == numbers
    # Query arguments named like url_for's own parameters are kept as plain arguments.
    assert 'href="/audit/?endpoint=x&amp;_external=1' in html
