"""The score sheet of GB/T 19580 in a browser (issue 21 point 4): the items' navigator jumps to an
item and shows each item's state, the count of scored items follows the expert's input, a submit with
missing items names them one line per item with a link to each, and on a phone the navigator is a bar
that opens and never covers the item it jumps to."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.applications.models import EvidenceFile
from award.cycles.models import Cycle
from award.cycles.services import cycle_rubric
from award.scoring.models import ItemScore, ScoreSheet, SheetStatus
from tests.e2e.test_panel_scoring import Panel, _set_up_open_round, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sheet_panel(live_app) -> tuple[Panel, object]:
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            panel = _set_up_open_round(session, "gbt19580-2012:sheet")
            session.add(EvidenceFile(application_id=panel.application_id, stored_name="ab" * 32,
                                     display_name="质量管理体系认证证书.pdf", content_type="application/pdf",
                                     size_bytes=48_213, sha256="cd" * 32))
            session.commit()
            return panel, cycle_rubric(session.get(Cycle, panel.cycle_id))
        finally:
            session.close()


def open_sheet(page, panel: Panel, seat: int) -> int:
    assignment_id, email, _leader = panel.seats[seat]
    sign_in(page, email)
    page.goto(f"/review/assignments/{assignment_id}/pledge")
    page.check("input[name=agree]")
    page.click("form[action$='/pledge'] button[type=submit]")
    page.wait_for_url(f"**/review/assignments/{assignment_id}/sheet")
    return assignment_id


def fill_item(page, item_id: str, percent: int, *, comments: bool = True) -> None:
    page.select_option(f"select[name='percent-{item_id}']", str(percent))
    if comments:
        page.fill(f"textarea[name='strength-{item_id}']", "方法系统，覆盖全面")
        page.fill(f"textarea[name='improvement-{item_id}']", "展开到班组不足")


def in_view(page, selector: str) -> dict:
    return page.eval_on_selector(selector, """(element) => {
        const box = element.getBoundingClientRect();
        return {top: box.top, bottom: box.bottom, height: window.innerHeight};
    }""")


def test_the_navigator_jumps_counts_and_names_missing_items_one_line_each(sheet_panel, new_page, live_app,
                                                                           screenshot):
    panel, rubric = sheet_panel
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    assignment_id = open_sheet(page, panel, 0)
    counter = page.locator(".sheet-buttons [data-scored-counter]")
    assert counter.inner_text() == "已评 0 / 23 项"
    assert page.locator("[data-nav-item]").count() == 23
    assert page.locator(".sheet-nav").get_by_text("质量管理体系认证证书.pdf").is_visible()

    page.click("[data-nav-item='4.7.7']")
    assert page.url.endswith("#item-4.7.7")
    box = in_view(page, "#item-4\\.7\\.7")
    assert 0 <= box["top"] < box["height"] / 2

    first, second = rubric.items[0].id, rubric.items[1].id
    fill_item(page, first, 50)
    assert counter.inner_text() == "已评 1 / 23 项"
    assert "state-scored" in page.get_attribute(f"[data-nav-item='{first}']", "class")
    fill_item(page, second, 95, comments=False)  # the top band also needs a justification
    assert "state-partial" in page.get_attribute(f"[data-nav-item='{second}']", "class")
    assert counter.inner_text() == "已评 1 / 23 项"

    page.click("button[name=action][value=submit]")
    summary = page.locator("[data-problem-summary]")
    assert summary.is_visible()
    lines = summary.locator("li")
    assert lines.count() == 22  # every item but the scored one, once
    title = f"{second} {rubric.items[1].display_name('zh')}"
    assert lines.nth(0).inner_text() == f"{title}：未写优势、未写改进机会、未写理由"
    assert lines.nth(0).locator("a").get_attribute("href") == f"#item-{second}"
    assert "state-error" in page.get_attribute(f"[data-nav-item='{second}']", "class")
    screenshot(page, "expert-sheet-missing-items")
    fill_item(page, second, 95)
    page.fill(f"textarea[name='justification-{second}']", "证据充分")
    assert lines.count() == 21  # the fixed item's line goes
    assert counter.inner_text() == "已评 2 / 23 项"
    assert "state-scored" in page.get_attribute(f"[data-nav-item='{second}']", "class")
    lines.nth(20).locator("a").click()
    assert page.url.endswith(f"#item-{rubric.items[-1].id}")
    assert page.url.endswith("/sheet#item-" + rubric.items[-1].id)  # nothing was sent

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        sheet = session.scalars(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment_id)).one()
        assert sheet.status is SheetStatus.DRAFT
        session.close()

    # Saved as a draft, the two items are counted by the server on the page it renders.
    with page.expect_navigation():
        page.click("button[name=action][value=save]")
    assert page.locator(".sheet-buttons [data-scored-counter]").inner_text() == "已评 2 / 23 项"
    assert "state-scored" in page.get_attribute(f"[data-nav-item='{second}']", "class")


def test_on_a_phone_the_navigator_is_a_bar_that_opens_and_does_not_cover_the_item(sheet_panel, new_page,
                                                                                   screenshot):
    panel, rubric = sheet_panel
    page = new_page(mobile=True)
    open_sheet(page, panel, 1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    bar = page.locator(".sheet-nav summary")
    assert re.fullmatch(r"评分条目\s*已评 0 / 23 项", bar.inner_text().strip())
    assert not page.locator("[data-nav-item='4.5.2']").is_visible()  # closed until asked
    assert page.eval_on_selector(".sheet-nav", "nav => nav.getBoundingClientRect().height") < 80
    screenshot(page, "expert-sheet-phone")

    bar.click()
    assert page.locator("[data-nav-item='4.5.2']").is_visible()
    screenshot(page, "expert-sheet-phone-open")
    page.click("[data-nav-item='4.5.2']")
    assert not page.locator("[data-nav-item='4.5.2']").is_visible()  # the jump closed the bar
    page.wait_for_timeout(100)
    bar_bottom = page.eval_on_selector(".sheet-nav", "nav => nav.getBoundingClientRect().bottom")
    box = in_view(page, "#item-4\\.5\\.2")
    assert bar_bottom <= box["top"] + 1 and box["top"] < box["height"] / 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_autosave_sends_every_item_first_then_only_the_items_changed_since(sheet_panel, new_page, live_app):
    panel, rubric = sheet_panel
    page = new_page()
    sent: list[dict] = []
    page.on("request", lambda request: sent.append(json.loads(request.post_data))
            if request.url.endswith("/autosave") else None)
    assignment_id = open_sheet(page, panel, 2)
    first, second = rubric.items[0].id, rubric.items[1].id
    fill_item(page, first, 50)
    page.wait_for_timeout(2500)  # the select's quick save and the comments' debounced one
    page.wait_for_selector("[data-autosave-status].autosave-saved")
    assert {name.split("-", 1)[1] for name in sent[0]["fields"]} == {item.id for item in rubric.items}
    sent.clear()
    with page.expect_response("**/autosave") as answer:
        page.fill(f"textarea[name='strength-{second}']", "覆盖全面")
    assert answer.value.status == 200
    assert set(sent[-1]["fields"]) == {f"{name}-{second}" for name in
                                       ("percent", "strength", "improvement", "justification")}
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        sheet = session.scalars(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment_id)).one()
        items = {i.item_id: i for i in session.scalars(select(ItemScore).where(ItemScore.sheet_id == sheet.id))}
        assert items[second].strength == "覆盖全面" and items[first].percent == 50
        assert sheet.version == json.loads(answer.value.body())["version"]
        session.close()
