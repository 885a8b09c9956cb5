"""In a real browser: the office writes the call, attaches a Word form and publishes it; a visitor who is not
signed in finds it from the home page, with the time left before the application deadline, at desktop and
phone width."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest

from award.app_db import get_database
from award.auth.models import Role
from award.auth.services import create_staff_user
from award.cycles.models import Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings
from award.db import utcnow
from tests.e2e import pages

pytestmark = pytest.mark.e2e
PASSWORD = "call-password-1"
TITLE = "关于开展市长质量奖申报工作的通知"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org'
                                                '/package/2006/content-types"/>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _set_up(session) -> tuple[int, str]:
    office = create_staff_user(session, actor=None, role=Role.OFFICE, email="office-call@e2e.gov.cn",
                               full_name="林主任", password=PASSWORD, password_min_length=10,
                               must_change_password=False)  # chosen by its holder in this story
    now = utcnow()
    cycle = create_cycle(session, actor=office, rubric_key="gbt19580-2012", settings=CycleSettings(
        year=now.year, title="市长质量奖", awards_count=3, cutoff_score=Decimal("600"), experts_per_application=5,
        onsite_review=False, eligibility=EligibilitySettings(),
        deadlines={Stage.APPLICATION: now + dt.timedelta(days=3, hours=4, minutes=30),
                   Stage.DOCUMENT_REVIEW: now + dt.timedelta(days=40)}))
    cycle.stage = Stage.APPLICATION
    session.commit()
    return cycle.id, office.email


def test_the_office_publishes_the_call_and_a_visitor_finds_it_from_the_home_page(live_app, new_page, screenshot,
                                                                                  tmp_path):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            cycle_id, office_email = _set_up(session)
        finally:
            session.close()

    visitor = new_page()
    visitor.goto("/")
    assert TITLE not in visitor.content()  # nothing is published yet
    assert visitor.goto(f"/calls/{cycle_id}").status == 404

    office = new_page()
    office.on("dialog", lambda dialog: dialog.accept())
    pages.sign_in(office, office_email, PASSWORD)
    office.wait_for_url("**/dashboard")
    office.goto(f"/cycles/{cycle_id}")
    office.click("text=申报通知")
    office.wait_for_url(f"**/calls/manage/{cycle_id}")
    office.fill("input[name=title]", TITLE)
    office.fill("textarea[name=body]", "各有关单位：\n\n现将申报工作有关事项通知如下。\n一、申报条件\n二、申报材料")
    office.fill("textarea[name=guidelines]", "自评报告按 GB/T 19580-2012 撰写。")
    office.fill("textarea[name=contact]", "评审办公室 0512-65220000")
    office.click("input[name=save]")
    assert "申报通知已保存" in office.content()
    office.set_input_files("input[name=file]", files=[{"name": "申报书模板.docx", "buffer": _docx(),
                                                          "mimeType": "application/octet-stream"}])
    office.click("input[name=upload]")
    assert "申报书模板.docx" in office.content()
    assert visitor.goto(f"/calls/{cycle_id}").status == 404  # still a draft
    office.click("text=发布申报通知")
    office.wait_for_selector("text=申报通知已发布")
    screenshot(office, "office-call-manage-1280")
    office.set_viewport_size({"width": 390, "height": 844})
    screenshot(office, "office-call-manage-390")

    visitor.goto("/")
    visitor.click(f"text={TITLE}")
    visitor.wait_for_url(f"**/calls/{cycle_id}")
    text = visitor.inner_text("main")
    assert TITLE in text and "还剩 3 天 4 小时" in text and "申报截止" in text and "截止时间（北京时间）" in text
    assert "申报书模板.docx" in text and "申报单位注册" in text
    screenshot(visitor, "public-call-1280")

    phone = new_page(mobile=True)
    phone.goto("/")
    phone.click(f"text={TITLE}")
    phone.wait_for_url(f"**/calls/{cycle_id}")
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    screenshot(phone, "public-call-390")
    phone.goto("/")
    screenshot(phone, "home-with-call-390")
