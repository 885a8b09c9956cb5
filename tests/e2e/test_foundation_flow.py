"""In a real browser: an enterprise registers, the office creates a cycle and opens applications."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.auth.models import Role
from award.auth.services import create_staff_user
from tests.conftest import fresh_credit_code
from tests.e2e.pages import sign_in

pytestmark = pytest.mark.e2e
OFFICE_PASSWORD = "office-password-1"


@pytest.fixture(scope="module")
def office(live_app):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        user = create_staff_user(session, actor=None, role=Role.OFFICE, email="office@e2e.gov.cn",
                                 full_name="林主任", password=OFFICE_PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
        session.commit()
        session.close()
    return user


def test_enterprise_registers_in_chinese(new_page, screenshot, live_app):
    page = new_page()
    page.goto("/register")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    screenshot(page, "enterprise-register")
    page.fill("input[name=credit_code]", "91320500MA1X0000")  # too short: the form says so
    page.fill("input[name=organization_name]", "苏州恒润精密机械有限公司")
    page.fill("input[name=contact_name]", "张三")
    page.fill("input[name=phone]", "0512-65220000")
    page.fill("input[name=email]", "zhang@hengrun.cn")
    page.fill("input[name=password]", "a-long-password")
    page.fill("input[name=confirm]", "a-long-password")
    page.click("input[type=submit]")
    assert "必须为 18 位" in page.content()
    assert page.input_value("input[name=organization_name]") == "苏州恒润精密机械有限公司"
    page.fill("input[name=credit_code]", fresh_credit_code())
    page.fill("input[name=password]", "a-long-password")
    page.fill("input[name=confirm]", "a-long-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/login")  # the same answer whether or not the details were known: check the e-mail
    assert "我们已向您填写的电子邮箱发送了一封邮件" in page.content()
    sign_in(page, "zhang@hengrun.cn", "a-long-password")
    page.wait_for_url("**/dashboard")
    assert "我的待办" in page.content()
    screenshot(page, "enterprise-dashboard")


def test_office_creates_and_opens_a_cycle(new_page, screenshot, office, live_app):
    page = new_page()
    sign_in(page, office.email, OFFICE_PASSWORD)
    page.wait_for_url("**/dashboard")
    page.goto("/cycles/new")
    page.fill("input[name=year]", "2027")
    page.fill("input[name=title]", "第三届市长质量奖")
    page.fill("input[name=city]", "苏州市")
    page.fill("input[name=awards_count]", "5")
    page.fill("input[name=cutoff_score]", "600")
    assert page.input_value("select[name=rubric_key]") == "gbt19580-2012"  # the default
    page.fill("input[name=application_deadline]", "2099-06-30T17:00")
    screenshot(page, "office-new-cycle")
    page.click("input[type=submit]")
    page.wait_for_url("**/cycles/*")
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before a stage change
    page.click("button:has-text('发布通知并开始申报')")
    page.wait_for_load_state()
    assert "评审周期已进入下一阶段" in page.content()
    screenshot(page, "office-cycle")
    from award.cycles.models import Cycle, Stage

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        cycle = session.scalar(select(Cycle).where(Cycle.title == "第三届市长质量奖"))
        assert cycle.stage is Stage.APPLICATION
        session.close()


def test_leader_page_fits_a_phone(new_page, live_app):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        create_staff_user(session, actor=None, role=Role.LEADER, email="leader@e2e.gov.cn", full_name="钱副市长",
                          password="leader-password", password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
        session.commit()
        session.close()
    page = new_page(mobile=True)
    sign_in(page, "leader@e2e.gov.cn", "leader-password")
    page.wait_for_url("**/dashboard")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
