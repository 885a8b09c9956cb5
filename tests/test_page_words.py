"""Pages say things in words (issue 21): no role codes, no {placeholders} before a document can be made."""

from __future__ import annotations

from award.auth.models import Role
from award.cycles.models import Stage


def test_the_accounts_page_names_roles_in_words(client, login, make_user):
    office = make_user(Role.OFFICE)
    make_user(Role.EXPERT)
    login(office)
    page = client.get("/office/users").get_data(as_text=True)
    assert "<td>expert</td>" not in page and "<td>office</td>" not in page
    assert "<td>Expert</td>" in page and "<td>Award office</td>" in page


def test_the_documents_page_shows_no_placeholders_before_a_notice(client, login, make_user, make_cycle):
    office = make_user(Role.OFFICE)
    cycle = make_cycle(stage=Stage.APPLICATION)
    login(office)
    page = client.get(f"/documents/cycles/{cycle.id}").get_data(as_text=True)
    assert "{award_title}" not in page and "{year}" not in page and str(cycle.year) in page
