"""What keeps the score sheet and its autosave cheap (issue 23) without changing what they show or
refuse: the viewer's conflict decided once per request, the rubric's parts rendered once per
(rubric, language), the autosave writing only what changed with one audit record."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.conflicts import services as conflict_services
from award.scoring import queries
from award.scoring import services as scoring
from award.scoring.services import save_draft, sheet_of
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries, pledged_seat


@pytest.fixture()
def conflict_checks(monkeypatch):
    """Counts the conflict checks of the scoring queries and services."""
    calls: list[tuple[int, int]] = []
    real = conflict_services.has_conflict

    def counted(session, application, expert_user, **kwargs):
        calls.append((application.id, expert_user.id))
        return real(session, application, expert_user, **kwargs)

    monkeypatch.setattr(queries, "has_conflict", counted)
    monkeypatch.setattr(scoring, "has_conflict", counted)
    return calls


def test_the_sheet_page_checks_the_viewers_conflict_once(db, client, login, opened, conflict_checks):
    seat = pledged_seat(db, client, login, opened)
    conflict_checks.clear()
    assert client.get(f"/review/assignments/{seat.id}/sheet").status_code == 200
    assert conflict_checks == [(seat.application_id, seat.expert_id)]


def test_the_autosave_checks_the_conflict_once_in_the_service(db, client, login, opened, conflict_checks):
    seat = pledged_seat(db, client, login, opened)
    conflict_checks.clear()
    response = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"percent-4.1.2": "65", "strength-4.1.2": "有亮点"}})
    assert response.status_code == 200 and len(conflict_checks) == 1


def test_a_conflict_found_after_the_pledge_still_refuses_the_autosave(db, client, login, opened, monkeypatch):
    seat = pledged_seat(db, client, login, opened)
    monkeypatch.setattr(scoring, "has_conflict", lambda *args, **kwargs: True)
    response = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"percent-4.1.2": "65"}})
    assert response.status_code == 403 and "conflict of interest" in response.get_json()["message"]


def test_seat_access_says_open_and_score_for_a_draft_and_only_open_once_submitted(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    db.expire_all()
    assert queries.seat_access(seat.expert, seat) == queries.SeatAccess(may_open=True, may_score=True)
    scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle),
                         expected_version=1)
    assert queries.seat_access(seat.expert, seat) == queries.SeatAccess(may_open=True, may_score=False)
    assert queries.can_open(seat.expert, seat) and not queries.can_score(seat.expert, seat)


def test_the_cached_parts_show_each_items_stored_percentage_selected(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    db.expire_all()
    entries = full_entries(opened.cycle, percent_of=lambda item: 95 if item.id == "4.1.2" else 50)
    save_draft(db, actor=seat.expert, assignment=seat, entries=entries, expected_version=1)
    db.commit()
    for _ in range(2):  # the second page comes from the cache
        page = client.get(f"/review/assignments/{seat.id}/sheet").get_data(as_text=True)
        select_412 = re.search(r'<select name="percent-4.1.2".*?</select>', page, re.S).group(0)
        select_413 = re.search(r'<select name="percent-4.1.3".*?</select>', page, re.S).group(0)
        assert re.findall(r'<option value="(\d+)" selected>', select_412) == ["95"]
        assert re.findall(r'<option value="(\d+)" selected>', select_413) == ["50"]
        assert page.count('<details class="band-guide">') == 23


def test_a_posted_percentage_off_the_list_is_shown_as_typed(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/sheet", data={
        "version": "1", "action": "save", "percent-4.1.2": "37", "strength-4.1.2": "方法系统"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<option value="37" selected>37</option>' in page


def test_an_autosave_of_one_item_writes_that_item_and_one_audit_record_of_what_changed(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    db.expire_all()
    save_draft(db, actor=seat.expert, assignment=seat, entries=full_entries(opened.cycle), expected_version=1)
    db.commit()
    before = db.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
    item = full_entries(opened.cycle)[0]
    response = client.post(f"/review/assignments/{seat.id}/autosave", json={"version": 2, "fields": {
        f"percent-{item.item_id}": str(item.percent), f"strength-{item.item_id}": "新的优势",
        f"improvement-{item.item_id}": item.improvement, f"justification-{item.item_id}": item.justification}})
    assert response.status_code == 200 and response.get_json()["version"] == 3
    records = list(db.scalars(select(AuditRecord).where(AuditRecord.seq > before)))
    assert [r.action for r in records] == ["review.sheet_saved"]
    assert records[0].after["items"] == {item.item_id: {"strength": "新的优势"}}
    db.expire_all()
    kept = {i.item_id: i for i in sheet_of(seat).items}
    assert len(kept) == 23 and kept[item.item_id].strength == "新的优势"


def test_the_kept_items_follow_the_applications_texts_and_escape_what_the_expert_typed(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    url = f"/review/assignments/{seat.id}/sheet"
    assert client.get(url).status_code == 200  # the items' HTML is kept from here on
    application = seat.application
    application.self_assessment = {**(application.self_assessment or {}), "4.1.2": "新写的自评 <em>原文</em>"}
    db.commit()
    response = client.post(f"/review/assignments/{seat.id}/autosave", json={"version": 1, "fields": {
        "percent-4.1.2": "65", "strength-4.1.2": "<script>x</script> & 优势"}})
    assert response.status_code == 200
    page = client.get(url).get_data(as_text=True)
    assert "新写的自评 &lt;em&gt;原文&lt;/em&gt;" in page
    assert ">&lt;script&gt;x&lt;/script&gt; &amp; 优势</textarea>" in page
    assert "\x02" not in page and "\x03" not in page


def test_only_the_sheet_pages_get_reads_without_the_write_lock(app):
    from award.app_db import _reads_only

    for method, path, reads_only in (("GET", "/review/assignments/1/sheet", True),
                                     ("POST", "/review/assignments/1/sheet", False),
                                     ("POST", "/review/assignments/1/autosave", False),
                                     ("GET", "/review/mine", False)):
        with app.test_request_context(path, method=method):
            from flask import request

            request.url_rule  # noqa: B018 (routing happens on the first look)
            assert _reads_only() is reads_only, (method, path)
