"""In a real browser: a visitor files an objection and gets its reference number, the office answers it,
the visitor looks the status and the answer up with the number and the phone; the office reminds the
applicants of returned applications in one click and sends a message to a status group after a preview."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.auth.services import create_staff_user
from award.cycles.models import Stage
from award.db import utcnow
from award.notice.models import NoticeCandidate, Objection, ObjectionOutcome, PublicNotice
from award.notice.periods import PeriodKind
from award.notifications.models import Notification, OutboxMessage
from tests.approval.world import pdf_bytes
from tests.conftest import cycle_factory, organization_factory, user_factory
from tests.e2e.pages import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "office-password-1"
OFFICE = "office@objections.gov.cn"
PHONE = "139 1234 5678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def world(live_app):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        office = create_staff_user(session, actor=None, role=Role.OFFICE, email=OFFICE, full_name="林主任",
                                   password=PASSWORD, password_min_length=10, must_change_password=False)
        make_organization = organization_factory(session)
        make_user, make_cycle = user_factory(session, make_organization), cycle_factory(session)
        now = utcnow()
        notice_cycle = make_cycle(stage=Stage.NOTICE, title="市长质量奖（公示）")
        organization = make_organization(name="苏州精工轴承有限公司")
        listed = Application(cycle_id=notice_cycle.id, organization_id=organization.id, org_name=organization.name,
                             status=ApplicationStatus.ELIGIBLE, sector="C")
        session.add(listed)
        session.flush()
        notice = PublicNotice(cycle_id=notice_cycle.id, published_at=now - dt.timedelta(days=1),
                              period_kind=PeriodKind.CALENDAR, period_length=7, ends_at=now + dt.timedelta(days=6),
                              award_title="2026年度市长质量奖", benefits="证书和奖牌", contact="0512-68610000")
        notice.candidates.append(NoticeCandidate(application_id=listed.id, position=1,
                                                 credit_code=organization.credit_code,
                                                 organization_name=organization.name))
        session.add(notice)
        apply_cycle = make_cycle(stage=Stage.APPLICATION, title="市长质量奖（申报）")
        statuses = {"苏州东方电梯有限公司": ApplicationStatus.RETURNED,
                    "苏州新材料科技有限公司": ApplicationStatus.RETURNED,
                    "苏州光电股份有限公司": ApplicationStatus.SUBMITTED}
        accounts = {}
        for name, status in statuses.items():
            org = make_organization(name=name)
            session.add(Application(cycle_id=apply_cycle.id, organization_id=org.id, org_name=name, status=status,
                                    sector="C"))
            accounts[name] = make_user(Role.ENTERPRISE, organization=org).id
        session.commit()
        ids = {"notice_id": notice.id, "notice_cycle_id": notice_cycle.id, "apply_cycle_id": apply_cycle.id,
               "office_id": office.id, "accounts": accounts}
        session.close()
    return ids


def _db(live_app):
    return get_database(live_app).session_factory()


def test_an_objection_followed_by_its_reference(live_app, new_page, screenshot, world, tmp_path):
    visitor = new_page()
    visitor.goto(f"/notices/{world['notice_id']}")
    visitor.click("a[role=button][href$='/object']")
    visitor.fill("input[name=name]", "王建国")
    visitor.fill("input[name=id_number]", ID_NUMBER)
    visitor.fill("input[name=phone]", PHONE)
    visitor.fill("input[name=email]", "wang@example.cn")
    visitor.fill("textarea[name=text]", "该企业 2024 年曾发生产品质量投诉，未在申报材料中说明。")
    evidence = tmp_path / "投诉记录.pdf"
    evidence.write_bytes(pdf_bytes())
    visitor.set_input_files("input[name=evidence]", str(evidence))
    visitor.click("main form button[type=submit]")
    visitor.wait_for_url("**/object/received")
    reference = visitor.locator("[data-reference]").inner_text().strip()
    assert reference.startswith("YY") and len(reference) == 13
    screenshot(visitor, "public-objection-reference")

    # Before the answer: the status says it is being examined.
    visitor.goto("/notices/objections/status")
    visitor.fill("input[name=reference]", reference.lower())
    visitor.fill("input[name=phone]", "13912345678")
    visitor.click("main form button[type=submit]")
    assert visitor.locator("[data-outcome]").get_attribute("data-outcome") == "pending"

    office = new_page()
    office.on("dialog", lambda dialog: dialog.accept())
    sign_in(office, OFFICE, PASSWORD)
    office.wait_for_url("**/dashboard")
    office.goto(f"/notices/cycles/{world['notice_cycle_id']}")
    listing = office.locator("main").inner_text()
    assert reference in listing and "1101**********002X" in listing and ID_NUMBER not in listing
    with live_app.app_context():
        session = _db(live_app)
        objection_id = session.scalar(select(Objection.id).where(Objection.reference == reference))
        session.close()
    office.goto(f"/notices/objections/{objection_id}")
    assert ID_NUMBER in office.locator("main").inner_text()  # the office's own detail page shows it whole
    office.select_option("select[name=outcome]", "dismissed")
    office.fill("textarea[name=reason]", "经核查，该投诉已于 2024 年依法处理完毕，不属于重大质量事故。")
    office.fill("textarea[name=answer]",
                "经核查，您反映的投诉已于 2024 年处理完毕，不影响该单位的候选资格，异议不成立。感谢您的监督。")
    screenshot(office, "office-objection-answer")
    office.click(f"form[action$='/notices/objections/{objection_id}/decide'] button[type=submit]")
    office.wait_for_url(f"**/notices/cycles/{world['notice_cycle_id']}")
    with live_app.app_context():
        session = _db(live_app)
        assert session.get(Objection, objection_id).outcome is ObjectionOutcome.DISMISSED
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "wang@example.cn")
                                .order_by(OutboxMessage.id)).all()
        assert [mail.kind for mail in mails] == ["objection_filed", "objection_answered"]
        assert all(reference in mail.subject for mail in mails) and "异议不成立" in mails[1].text
        session.close()

    # A wrong phone gets the same answer as an unknown number; the right one gets the answer.
    for typed_reference, phone in ((reference, "13900000000"), ("YY2026-AAAAAA", "13912345678")):
        visitor.goto("/notices/objections/status")
        visitor.fill("input[name=reference]", typed_reference)
        visitor.fill("input[name=phone]", phone)
        visitor.click("main form button[type=submit]")
        assert "未找到与该受理编号和电话号码相符的异议" in visitor.locator("main").inner_text()
    visitor.goto("/notices/objections/status")
    visitor.fill("input[name=reference]", reference)
    visitor.fill("input[name=phone]", PHONE)
    visitor.click("main form button[type=submit]")
    page = visitor.locator("main").inner_text()
    assert "异议不成立。感谢您的监督" in page and "1101**********002X" in page and ID_NUMBER not in page
    screenshot(visitor, "public-objection-status")
    phone = new_page(mobile=True)
    phone.goto("/notices/objections/status")
    phone.fill("input[name=reference]", reference)
    phone.fill("input[name=phone]", PHONE)
    phone.click("main form button[type=submit]")
    screenshot(phone, "public-objection-status-phone")


def test_the_office_reminds_and_messages_in_bulk(live_app, new_page, screenshot, world):
    office = new_page()
    office.on("dialog", lambda dialog: dialog.accept())
    sign_in(office, OFFICE, PASSWORD)
    office.wait_for_url("**/dashboard")
    office.goto(f"/cycles/{world['apply_cycle_id']}")
    office.click(f"a[href$='/outreach/cycles/{world['apply_cycle_id']}']")
    screenshot(office, "office-bulk-tools")
    office.click(f"form[action$='/outreach/cycles/{world['apply_cycle_id']}/remind-returned'] button")
    office.wait_for_url(f"**/outreach/cycles/{world['apply_cycle_id']}")
    assert "已提醒 2 个申报单位账号" in office.locator("body").inner_text()

    office.select_option("select[name=group]", "submitted")
    office.fill("input[name=subject]", "关于补充材料的通知")
    office.fill("textarea[name=body]", "请于 12 月 20 日前在系统中补充近三年的质量损失率数据。")
    office.click("form[action$='/message/preview'] button[type=submit]")
    preview = office.locator("article.preview")
    assert preview.locator("[data-count]").get_attribute("data-count") == "1"
    assert "评审办公室消息：关于补充材料的通知" in preview.inner_text()
    screenshot(office, "office-bulk-message-preview")
    with live_app.app_context():
        session = _db(live_app)
        assert session.scalar(select(Notification.id).where(Notification.kind == "office_message")) is None
        session.close()
    preview.locator("button[type=submit]").click()
    office.wait_for_url("**/jobs/*")  # the job worker sends it; its page says when it is done
    office.wait_for_selector("section.job[data-state=done]")
    assert "已完成：1 / 1。" in office.locator("section.job").inner_text()

    with live_app.app_context():
        session = _db(live_app)
        returned = sorted(world["accounts"][n] for n in ("苏州东方电梯有限公司", "苏州新材料科技有限公司"))
        [reminded] = session.scalars(select(AuditRecord).where(AuditRecord.action == "outreach.returned_reminded"))
        assert reminded.after["count"] == 2 and reminded.after["recipients"] == returned
        [sent] = session.scalars(select(AuditRecord).where(AuditRecord.action == "outreach.message_sent"))
        assert sent.after["recipients"] == [world["accounts"]["苏州光电股份有限公司"]]
        session.close()
