"""The score sheet page as the server renders it (issue 21 point 4): each item's state and the count
of scored items on the first render (JS off), a refused submission named one line per item with a
link to the item, and the percentage as the one control of an item's score."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from award.rubrics import RUBRICS_DIR, load_rubric
from award.scoring import presenters
from award.scoring.models import ItemScore, SheetStatus
from award.scoring.presenters import ItemState
from award.scoring.rules import ItemEntry, validate_sheet
from award.scoring.services import save_draft, sheet_of
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries, pledged_seat

RUBRIC = load_rubric(RUBRICS_DIR / "gbt19580-2012.toml")


def stored(item_id: str, percent: int | None, strength: str = "", improvement: str = "",
           justification: str = "") -> ItemScore:
    return ItemScore(item_id=item_id, percent=percent, strength=strength, improvement=improvement,
                     justification=justification)


@pytest.mark.parametrize(("item", "state"), [
    (None, ItemState.EMPTY),
    (stored("4.1.2", None), ItemState.EMPTY),
    (stored("4.1.2", 50), ItemState.PARTIAL),
    (stored("4.1.2", None, strength="方法系统"), ItemState.PARTIAL),
    (stored("4.1.2", 50, "方法系统", "展开不足"), ItemState.SCORED),
    (stored("4.1.2", 95, "方法系统", "展开不足"), ItemState.PARTIAL),  # the top band needs a justification
    (stored("4.1.2", 95, "方法系统", "展开不足", "证据充分"), ItemState.SCORED),
])
def test_an_items_state_follows_what_a_submission_would_need(item, state):
    states = presenters.item_states(RUBRIC, {} if item is None else {"4.1.2": item}, None, {})
    assert states["4.1.2"] is state
    assert presenters.scored_count(states) == (1 if state is ItemState.SCORED else 0)


def test_an_item_the_refusal_names_has_an_error_whatever_was_typed():
    posted = {"percent-4.1.2": "50", "strength-4.1.2": "方法系统", "improvement-4.1.2": "展开不足"}
    states = presenters.item_states(RUBRIC, {}, posted, {"4.1.2": ["…"]})
    assert states["4.1.2"] is ItemState.ERROR
    assert presenters.item_states(RUBRIC, {}, posted, {})["4.1.2"] is ItemState.SCORED  # the post, not the store


def test_a_refusal_is_one_line_per_item_in_rubric_order_with_each_missing_field_once():
    problems = validate_sheet(RUBRIC, [])  # nothing entered: 23 items missing
    lines = presenters.problem_lines(RUBRIC, problems)
    assert [line.item_id for line in lines] == [item.id for item in RUBRIC.items]
    assert {tuple(line.what) for line in lines} == {("not scored",)}
    partial = validate_sheet(RUBRIC, [ItemEntry(item_id="4.2.2", strength="", improvement="")])
    line = next(line for line in presenters.problem_lines(RUBRIC, partial) if line.item_id == "4.2.2")
    assert line.what == ["no percentage chosen", "strength missing", "improvement point missing"]
    assert [m for m in presenters.item_messages(partial)["4.2.2"] if "band" in m or "percentage" in m] \
        == ["4.2.2: enter a percentage."]  # the band follows from the percentage: said once


def test_the_count_of_scored_items_is_right_on_the_first_render(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    entries = full_entries(opened.cycle)
    db.expire_all()  # the pledge was signed through the web
    save_draft(db, actor=seat.expert, assignment=seat, entries=entries[:2], expected_version=1)
    page = client.get(f"/review/assignments/{seat.id}/sheet").get_data(as_text=True)
    assert page.count("Scored 2 of 23 items") == 2  # the navigator and beside the buttons
    assert 'data-nav-item="4.1.2"' in page and re.search(r'class="nav-item state-scored" data-nav-item="4.1.2"', page)
    assert re.search(r'class="nav-item state-empty" data-nav-item="4.7.7"', page)


def test_the_percentage_is_the_one_control_and_the_band_follows_from_it(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    page = client.get(f"/review/assignments/{seat.id}/sheet").get_data(as_text=True)
    assert 'type="radio"' not in page and 'name="percent-4.1.2"' in page
    response = client.post(f"/review/assignments/{seat.id}/sheet", data={
        "version": "1", "action": "save", "percent-4.1.2": "95", "strength-4.1.2": "方法系统"})
    assert response.status_code == 302
    db.expire_all()
    item = next(i for i in sheet_of(seat).items if i.item_id == "4.1.2")
    assert (item.band_id, item.percent, item.points) == ("6", 95, Decimal("47.50"))


def test_a_refused_submission_names_each_item_once_at_the_top_with_a_link_to_it(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    form = {"version": "1", "action": "submit", "percent-4.1.2": "50", "strength-4.1.2": "方法系统",
            "improvement-4.1.2": "展开不足", "percent-4.1.3": "95"}
    response = client.post(f"/review/assignments/{seat.id}/sheet", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page[page.index("data-problem-summary"):page.index("</section>", page.index("data-problem-summary"))]
    lines = re.findall(r"<li>(.*?)</li>", summary, re.S)
    assert len(lines) == 22  # 23 items, one of them complete
    assert lines[0] == ('<a href="#item-4.1.3">4.1.3 Organizational governance</a>: '
                        "strength missing, improvement point missing, justification missing")
    assert lines[1].startswith('<a href="#item-4.1.4">') and lines[1].endswith(": not scored")
    assert 'id="item-4.1.3"' in page and "Scored 1 of 23 items" in page  # what was posted counts
    db.expire_all()
    assert sheet_of(seat).status is SheetStatus.DRAFT


def test_each_items_evidence_is_shown_beside_it_read_in_one_query(db, client, login, opened):
    import secrets

    from sqlalchemy import event

    from award.applications.models import EvidenceFile

    application = opened.applications[0]
    for name, item in (("领导作用.pdf", "4.1.2"), ("治理.pdf", "4.1.3"), ("总体.pdf", None)):
        db.add(EvidenceFile(application_id=application.id, stored_name=secrets.token_hex(32),
                            display_name=name, content_type="application/pdf", size_bytes=2048, sha256="0" * 64,
                            rubric_item_id=item))
    db.flush()
    seat = pledged_seat(db, client, login, opened)
    db.expire_all()
    statements: list[str] = []
    engine = db.get_bind().engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        page = client.get(f"/review/assignments/{seat.id}/sheet").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert sum(1 for s in statements if "FROM evidence_files" in s) == 1  # not one per item
    item_4_1_2 = page[page.index('id="item-4.1.2"'):page.index('id="item-4.1.3"')]
    assert "领导作用.pdf" in item_4_1_2 and "治理.pdf" not in item_4_1_2 and "总体.pdf" not in item_4_1_2
    assert "总体.pdf" in page  # the navigator's full list keeps every file
