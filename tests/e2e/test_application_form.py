"""The application form in a browser (issue 20 point 4): typed text saves itself, survives an expired
session (kept on the device, restored after signing in again), the contents count the written items,
and several files dropped on an item at once appear under it and in the contents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from award.app_db import get_database
from award.applications import services
from award.applications.models import Application, EvidenceFile
from award.auth.models import Role
from award.cycles.models import Stage
from tests.applications.conftest import image_bytes, pdf_bytes
from tests.conftest import cycle_factory, organization_factory, user_factory
from tests.e2e import pages

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # the factories' users


@pytest.fixture(scope="module")
def form_world(live_app) -> tuple[str, int]:
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            user = user_factory(session, organization_factory(session))(Role.ENTERPRISE, email="form@e2e-form.cn")
            user.locale = "zh_CN"
            cycle = cycle_factory(session)(stage=Stage.APPLICATION, title="市长质量奖 申报表")
            application = services.start_application(session, actor=user, cycle=cycle)
            session.commit()
            return user.email, application.id
        finally:
            session.close()


def stored(live_app, application_id: int) -> tuple[dict, list[tuple[str, str | None]]]:
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            application = session.get(Application, application_id)
            files = session.execute(select(EvidenceFile.display_name, EvidenceFile.rubric_item_id)
                                    .where(EvidenceFile.application_id == application_id)
                                    .order_by(EvidenceFile.id)).all()
            return dict(application.self_assessment or {}), [tuple(f) for f in files]
        finally:
            session.close()


def shot(page, name: str) -> None:
    folder = os.environ.get("AWARD_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_typed_text_survives_an_expired_session_and_files_count_per_item(form_world, new_page, live_app,
                                                                         tmp_path):
    email, application_id = form_world
    edit = f"/applications/{application_id}/edit"
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    pages.sign_in(page, email, PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto(edit)
    assert "已完成 0 / 23 项" in page.inner_text("[data-done-counter]")

    # Two items typed: saved by themselves, the contents count them.
    page.fill("textarea[name=item_0]", "高层领导亲自推动质量战略。")
    page.fill("textarea[name=item_1]", "董事会设质量委员会。")
    page.wait_for_selector(".autosave-saved")
    assert "已完成 2 / 23 项" in page.inner_text("[data-done-counter]")
    texts, _files = stored(live_app, application_id)
    assert texts["4.1.2"] == "高层领导亲自推动质量战略。" and texts["4.1.3"] == "董事会设质量委员会。"

    # The session ends (the cookie is gone); what is typed next is kept on the device.
    page.context.clear_cookies()
    page.fill("textarea[name=item_1]", "董事会设质量委员会，每季度审议质量目标。")
    page.fill("textarea[name=item_2]", "履行社会责任，发布社会责任报告。")
    page.wait_for_selector(".autosave-offline")
    assert "登录已过期" in page.inner_text("[data-autosave-status]")
    texts, _files = stored(live_app, application_id)
    assert "4.1.4" not in texts or not texts["4.1.4"]

    # Signing in again and opening the form restores the text and says so, then saves it.
    page.goto(edit)
    page.wait_for_url("**/login**")
    pages.sign_in(page, email, PASSWORD)
    page.wait_for_load_state()
    page.goto(edit)
    assert page.input_value("textarea[name=item_2]") == "履行社会责任，发布社会责任报告。"
    assert "已恢复本设备上" in page.inner_text("[data-autosave-status]")
    page.wait_for_selector(".autosave-saved")
    assert "已恢复本设备上" in page.inner_text("[data-autosave-status]")  # still said once it is saved
    texts, _files = stored(live_app, application_id)
    assert texts["4.1.3"] == "董事会设质量委员会，每季度审议质量目标。"
    assert texts["4.1.4"] == "履行社会责任，发布社会责任报告。"
    assert "已完成 3 / 23 项" in page.inner_text("[data-done-counter]")
    shot(page, "application-form-1280-restored")

    # Two files dropped on one item at once (chosen together): both listed under it and in the contents.
    first, second = tmp_path / "质量委员会章程.pdf", tmp_path / "会议照片.png"
    first.write_bytes(pdf_bytes())
    second.write_bytes(image_bytes("PNG"))
    page.set_input_files("input[data-item-input='4.1.3']", [str(first), str(second)])
    files_list = "[data-drop-item='4.1.3'] [data-item-files] li"
    expect(page.locator(files_list)).to_have_count(2)
    expect(page.locator("[data-drop-item='4.1.3'] .upload-ok")).to_have_count(2)
    assert "2 个文件" in page.inner_text("[data-nav-item='4.1.3']")
    _texts, files = stored(live_app, application_id)
    assert files == [("质量委员会章程.pdf", "4.1.3"), ("会议照片.png", "4.1.3")]
    page.locator("#item-4\\.1\\.3").scroll_into_view_if_needed()
    shot(page, "application-form-1280")

    # On a phone the contents are a bar with the count that opens.
    phone = new_page(mobile=True)
    pages.sign_in(phone, email, PASSWORD)
    phone.wait_for_url("**/dashboard")
    phone.goto(edit)
    assert "已完成 3 / 23 项" in phone.inner_text("[data-done-counter]")
    assert "2 个文件" in phone.inner_text("[data-nav-item='4.1.3']")
    shot(phone, "application-form-390")
    phone.click("[data-sheet-nav] summary")
    shot(phone, "application-form-390-contents")
    phone.click("[data-nav-item='4.1.3']")
    phone.locator("#item-4\\.1\\.3").wait_for()
    shot(phone, "application-form-390-item")
