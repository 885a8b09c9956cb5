"""One whole award cycle of the minimal procedure in a real browser, clicked by every role, from the call to
the award (test_whole_cycle_full_procedure.py runs a cycle with every stage on).

The office's first account comes from the command line (there is no page for it); everything
else goes through the pages: staff accounts (invitations accepted), an expert's password reset,
the expert pool (imported from a CSV file), the cycle with its issuing city and its published call,
the enterprise's registration from the call, its application (saved by itself, kept on the device
when the session expires and restored after signing in again) and evidence PDFs, the receipt read
back with each file's SHA-256, a message to the applicants, screening, the drawn panels, a bulk
reminder, ten sheets, the consensus with a member's disagreement that the team leader reads and
finalizes, the ranking, the leading group's vote, the public notice with an objection filed under a
real name and looked up by its reference and phone, the award, the certificate downloaded by the
enterprise, its check page opened from the QR code, and the runner-up's notices that it was not
shortlisted and not awarded. The runner-up's application alone is seeded through the services.

Time passes through the test clock (CLOCK_OFFSET of the live app, read by award.db.utcnow):
the application deadline and the notice period run out without waiting.

With AWARD_GUIDE_SCREENSHOTS=1 the run writes the user guide's screenshots to docs/guide/img/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from award import PROJECT_ROOT
from award.app_db import get_database
from award.applications import services as applications
from award.applications.models import Application, ApplicationStatus
from award.approval.models import Ballot
from award.audit.models import AuditRecord
from award.auth.models import User
from award.auth.services import register_enterprise
from award.awards.models import Award
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.db import utcnow
from award.notice.models import Objection, ObjectionOutcome
from award.notifications.models import Notification, OutboxMessage
from award.rounds.models import Assignment, ReviewRound, RoundStatus
from award.scoring.models import ConsensusFinalization, ConsensusRemark, ConsensusScore, RemarkKind
from tests.applications.conftest import complete_profile, full_texts
from tests.conftest import fresh_credit_code
from tests.documents.pdfs import page_texts, squeeze
from tests.e2e.conftest import CHROMIUM
from tests.e2e.pages import score_the_sheet, score_the_sheet_at_once, sign_in

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (Debian chromium)")]

ZONE = ZoneInfo("Asia/Shanghai")
GUIDE_IMAGES = PROJECT_ROOT / "docs" / "guide" / "img"
VIEWPORT = {"width": 1280, "height": 860}
OFFICE_EMAIL, OFFICE_PASSWORD = "lin@amr.suzhou.gov.cn", "office-password-2026"
CLI_PASSWORD = "set-on-the-command-line"  # set by someone else: changed at the first sign-in
STAFF_PASSWORD = "staff-password-2026"
EXPERT_PASSWORD = "expert-password-2026"  # chosen by each expert through the invitation
RESET_PASSWORD = "expert-reset-password-2026"  # one expert forgets it and resets it by e-mail
LEADERS = [("qian@suzhou.gov.cn", "钱副市长"), ("sun@amr.suzhou.gov.cn", "孙局长"), ("li@jxw.suzhou.gov.cn", "李主任")]
SUPERVISOR = ("zhou@jw.suzhou.gov.cn", "周组长")
EXPERTS = [  # e-mail, name, title, organization, sectors
    ("wang@suda.edu.cn", "王建国", "教授", "苏州大学", "C,M"),
    ("chen@szqi.org.cn", "陈海燕", "正高级工程师", "苏州市质量技术研究院", "C"),
    ("zhao@szpower.com.cn", "赵立群", "高级工程师", "苏州供电设计院", "D,C"),
    ("liu@szbank.cn", "刘晓梅", "高级经济师", "苏州银行研究部", "J"),
    ("huang@szit.edu.cn", "黄志远", "副教授", "苏州信息职业技术学院", "I,C"),
]
PERCENTS = [40, 50, 50, 55, 60]  # the five sheets; the consensus is 50 % on every item
ENTERPRISE = {"name": "苏州恒润精密机械有限公司", "contact": "张三", "email": "zhang@hengrun.cn",
              "password": "hengrun-password-1", "phone": "0512-65220000"}
# A second applicant, seeded through the services: its panel scores it below the cut-off, so it hears that
# it was not shortlisted and, once the cycle is awarded, that it was not awarded (with its feedback report).
RUNNER_UP = {"name": "苏州德信包装材料有限公司", "contact": "李四", "email": "li@dexin-pack.cn",
             "password": "dexin-password-1", "phone": "0512-66881234"}
RUNNER_UP_PERCENT = 40  # every sheet and the consensus: 400 points, under the cut-off of 450
DISAGREEMENT = "4.7.2 的市场占有率数据缺少第三方来源，共识分偏高"
FINAL_NOTE = "组长已核对统计局公开数据，维持共识分"
OBJECTOR = {"name": "王小明", "id_number": "11010519491231002X", "phone": "13912345678"}
AWARD_TITLE = "苏州市市长质量奖"
CALL_TITLE = "关于开展第一届苏州市市长质量奖申报工作的通知"


# --------------------------------------------------------------------------------------- helpers


def _shot(page, name: str, *, full_page: bool = False, at: str | None = None) -> None:
    """A user-guide screenshot (PNG, 256 colours) when AWARD_GUIDE_SCREENSHOTS=1: the top of the page, or
    the part that shows the element `at` (a selector)."""
    if os.environ.get("AWARD_GUIDE_SCREENSHOTS") != "1":
        return
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    if at:
        page.locator(at).first.evaluate("element => element.scrollIntoView({block: 'start'})")
    data = page.screenshot(full_page=full_page, animations="disabled")
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    if full_page and image.height > 2400:
        image = image.crop((0, 0, image.width, 2400))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(GUIDE_IMAGES / f"{name}.png", optimize=True)


def _pdf(title: str, body: str) -> bytes:
    """A real one-page PDF with Chinese text (WeasyPrint), as an applicant or an objector would attach."""
    from weasyprint import HTML

    return HTML(string=f"<html lang='zh-CN'><body style='font-family: sans-serif'><h1>{title}</h1>"
                       f"<p>{body}</p></body></html>").write_pdf()


def _seal_png() -> bytes:
    """A round red seal on a transparent background, as the office would scan it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), outline=(200, 16, 32, 255), width=12)
    draw.regular_polygon((120, 120, 40), 5, rotation=-90, fill=(200, 16, 32, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _qr_links(data: bytes):
    """Render the certificate's first page and decode its QR code: what a phone camera would read.

    Returns the decoded texts and the rendered page (a PIL image)."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=3).to_pil().convert("RGB")
    finally:
        document.close()
    return [code.text for code in zxingcpp.read_barcodes(image)], image


def _save_guide_image(image, name: str) -> None:
    if os.environ.get("AWARD_GUIDE_SCREENSHOTS") == "1":
        from PIL import Image

        image = image.copy()
        image.thumbnail((1280, 1280))
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(GUIDE_IMAGES / f"{name}.png", optimize=True)


def _local(moment: dt.datetime) -> str:
    """A datetime-local field's value in the office's zone."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


class Browser:
    """Opens one browser context per person; every context accepts the confirm() before a POST."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser, self.base_url, self.contexts = browser, base_url, []

    def page(self):
        context = self.browser.new_context(base_url=self.base_url, locale="zh-CN", viewport=VIEWPORT)
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    def signed_in(self, email: str, password: str):
        page = self.page()
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("input[type=submit]")
        page.wait_for_url("**/dashboard")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _submit(page, selector: str) -> None:
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def _advance(page, cycle_id: int, target: Stage) -> None:
    page.goto(f"/cycles/{cycle_id}")
    _submit(page, f"form[action$='/advance/{target.value}'] button")
    assert "评审周期已进入下一阶段" in page.content(), _main(page)


def _main(page) -> str:
    """The page's main text, for failure messages."""
    return page.locator("main").inner_text()[:3000]


def _flash_ok(page) -> None:
    assert page.locator(".flash-error, .flash.error").count() == 0, _main(page)


def _mailed_link(live_app, email: str, kind: str) -> str:
    """The path of the newest link e-mailed to `email` (an invitation, a reset, a confirmation), read from
    the outbox as the mail program would show it."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        text = session.scalars(select(OutboxMessage.text).where(OutboxMessage.recipient == email,
                                                                OutboxMessage.kind == kind)
                               .order_by(OutboxMessage.id.desc())).first()
        session.close()
    assert text is not None, f"no {kind} e-mail to {email}"
    return re.search(r"https?://[^/\s]+(/account/\S+)", text).group(1)


def _set_password_through(page, path: str, password: str, shot: str | None = None) -> None:
    """Open an invitation or reset link, choose the password: the holder is signed in."""
    page.goto(path)
    page.fill("input[name=password]", password)
    page.fill("input[name=confirm]", password)
    if shot:
        _shot(page, shot)
    _submit(page, "form input[type=submit]")
    page.wait_for_url("**/dashboard")


def _runner_up_applies(live_app, cycle_id: int) -> int:
    """The second applicant registers, confirms its address, writes and submits its application, through the
    same services as the pages (the first applicant clicks each of these steps)."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        user = register_enterprise(session, credit_code=fresh_credit_code(), organization_name=RUNNER_UP["name"],
                                   contact_name=RUNNER_UP["contact"], phone=RUNNER_UP["phone"],
                                   email=RUNNER_UP["email"], password=RUNNER_UP["password"],
                                   password_min_length=10)
        user.email_confirmed = True
        cycle = session.get(Cycle, cycle_id)
        application = applications.start_application(session, actor=user, cycle=cycle)
        applications.save_draft(session, actor=user, application=application,
                                profile=complete_profile(org_name=RUNNER_UP["name"]),
                                self_assessment=full_texts(cycle, "我们正在建立质量管理方法，已在主要车间试行。"))
        applications.submit_application(session, actor=user, application=application)
        session.commit()
        application_id = application.id
        session.close()
    return application_id


# ----------------------------------------------------------------------------------------- the test


@pytest.fixture
def people(browser, live_server):
    people = Browser(browser, live_server)
    yield people
    people.close()


@pytest.fixture
def clock(live_app):
    """Let time pass in the live app: clock.advance(days=3)."""

    class Clock:
        def advance(self, **delta: float) -> None:
            live_app.config["CLOCK_OFFSET"] = live_app.config.get("CLOCK_OFFSET", dt.timedelta()) + dt.timedelta(
                **delta)

        def now(self) -> dt.datetime:
            with live_app.app_context():
                return utcnow()

    yield Clock()
    live_app.config.pop("CLOCK_OFFSET", None)


def test_one_whole_cycle_through_the_browser(live_app, people, clock):
    def db():
        return get_database(live_app).session_factory()

    # The first office account is made on the command line: there is no page for it. Its password was set
    # by whoever ran the command, so the first sign-in leads to the change-password page until it is changed.
    result = live_app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "office", "--email", OFFICE_EMAIL, "--name", "林主任",
        "--password", CLI_PASSWORD])
    assert result.exit_code == 0, result.output
    office = people.page()
    sign_in(office, OFFICE_EMAIL, CLI_PASSWORD)
    office.wait_for_url("**/account/password")
    office.goto("/cycles/")
    assert office.url.endswith("/account/password")  # nothing else opens before
    office.fill("input[name=current_password]", CLI_PASSWORD)
    office.fill("input[name=password]", OFFICE_PASSWORD)
    office.fill("input[name=confirm]", OFFICE_PASSWORD)
    _shot(office, "office-change-password")
    _submit(office, "form input[type=submit]")
    office.wait_for_url("**/dashboard")

    # --- the office: staff accounts, the expert pool, the cycle -------------------------------------
    _shot(office, "office-dashboard")
    office.goto("/office/users")
    for role, (email, name) in [("leader", leader) for leader in LEADERS] + [("supervisor", SUPERVISOR)]:
        office.click("details summary")
        office.select_option("select[name=role]", role)
        office.fill("input[name=full_name]", name)
        office.fill("input[name=email]", email)
        office.fill("input[name=phone]", "0512-68610000")
        if role == "supervisor":
            _shot(office, "office-accounts")
        _submit(office, "form input[type=submit][name=submit]")  # no password: an invitation is e-mailed
        assert email in office.content()
    # The first leader's e-mail went astray: the office sends the invitation again, one click on the list.
    _submit(office, f"tr:has-text('{LEADERS[0][0]}') form[action$='/invite'] button")
    assert "新的邀请已发送" in office.content(), _main(office)
    for email, _name in [*LEADERS, SUPERVISOR]:  # each accepts the invitation in the e-mail
        invited = people.page()
        _set_password_through(invited, _mailed_link(live_app, email, "account_invitation"), STAFF_PASSWORD,
                              shot="staff-accept-invitation" if email == SUPERVISOR[0] else None)
        invited.context.close()

    credit_codes = [fresh_credit_code() for _ in EXPERTS]
    rows = ["email,full_name,phone,title,organization_code,organization_name,sectors,in_pool,"
            "relation_kind,party_code,party_name,starts_on,ends_on,note"]
    # The second expert's line is the enterprise's switchboard: a soft signal (需关注) the office acknowledges.
    phones = [ENTERPRISE["phone"] if n == 1 else f"0512-6500000{n}" for n in range(len(EXPERTS))]
    rows += [f'{email},{name},{phone},{title},{code},{org},"{sectors}",yes,employer,{code},{org},2012-09-01,,'
             for (email, name, title, org, sectors), code, phone in zip(EXPERTS, credit_codes, phones, strict=True)]
    office.goto("/pool/import")
    office.set_input_files("input[name=file]", files=[{
        "name": "专家库.csv", "mimeType": "text/csv", "buffer": ("\n".join(rows) + "\n").encode("utf-8")}])
    _shot(office, "office-pool-import")
    _submit(office, "main form input[type=submit]")
    assert "导入完成" in office.content() or "Import finished" in office.content(), _main(office)
    invited = office.locator("article ul li").all_inner_texts()
    assert sorted(invited) == sorted(expert[0] for expert in EXPERTS)  # no password is shown, only who was invited
    _shot(office, "office-pool-invitations")
    # Each imported expert accepts the invitation from the e-mail and chooses a password.
    for email, *_rest in EXPERTS:
        expert = people.page()
        _set_password_through(expert, _mailed_link(live_app, email, "account_invitation"), EXPERT_PASSWORD)
        expert.context.close()
    passwords = {email: EXPERT_PASSWORD for email, *_rest in EXPERTS}
    # One expert forgets the password and resets it by e-mail from the sign-in page.
    forgetful = EXPERTS[0][0]
    expert = people.page()
    expert.goto("/login")
    _submit(expert, "a[href$='/account/password/forgot']")
    expert.fill("input[name=email]", forgetful)
    _shot(expert, "expert-forgot-password")
    _submit(expert, "form input[type=submit]")
    assert "设置新密码的链接已发往该邮箱" in expert.content(), _main(expert)
    _set_password_through(expert, _mailed_link(live_app, forgetful, "password_reset"), RESET_PASSWORD)
    expert.context.close()
    passwords[forgetful] = RESET_PASSWORD

    now = clock.now()
    office.goto("/cycles/new")
    office.fill("input[name=year]", str(now.astimezone(ZONE).year))
    office.fill("input[name=title]", "第一届市长质量奖")
    office.fill("input[name=city]", "苏州市")
    office.fill("input[name=awards_count]", "3")
    office.fill("input[name=cutoff_score]", "450")
    office.fill("input[name=application_deadline]", _local(now + dt.timedelta(days=2)))
    office.select_option("select[name=notice_kind]", "calendar")
    office.fill("input[name=notice_length]", "7")
    _shot(office, "office-new-cycle", full_page=True)
    _submit(office, "form input[type=submit][name=submit]")
    cycle_id = int(re.search(r"/cycles/(\d+)$", office.url).group(1))
    _advance(office, cycle_id, Stage.APPLICATION)
    _shot(office, "office-cycle")
    # This cycle keeps the minimal procedure (test_whole_cycle_full_procedure.py runs every stage): no
    # presentation, on-site review, social evaluation or committee between document review and the award.
    office.goto(f"/cycles/{cycle_id}/procedure")
    stages = ["筹备", "申报", "资格审核", "材料评审", "排名与入围名单", "领导小组审定", "公示", "表彰", "已归档"]
    assert office.locator("ol.stages li").all_inner_texts() == stages, _main(office)
    office.goto(f"/cycles/{cycle_id}")
    # Every document of the cycle (the receipts, the notice, the certificates) names its issuers after the city
    # the new cycle named: the office checks them on the documents page.
    _submit(office, f"a[href$='/documents/cycles/{cycle_id}']")
    assert "苏州市市长质量奖评审委员会办公室" in _main(office) and "苏州市人民政府" in _main(office), _main(office)
    _shot(office, "office-issuers")
    # The call for applications (申报通知), published from the cycle's page: the home page links to it.
    office.goto(f"/cycles/{cycle_id}")
    _submit(office, "text=申报通知")
    office.fill("input[name=title]", CALL_TITLE)
    office.fill("textarea[name=body]", "各有关单位：\n\n现将第一届市长质量奖申报工作有关事项通知如下。\n"
                                       "一、申报条件\n在本市依法登记、连续经营五年以上的企业。\n二、申报材料\n申报书、自评报告和证明材料。")
    office.fill("textarea[name=guidelines]", "自评报告按 GB/T 19580-2012 的 23 个评分项逐项撰写。")
    office.fill("textarea[name=contact]", "苏州市市场监督管理局质量发展处，电话 0512-68610000")
    _submit(office, "input[name=save]")
    _submit(office, "text=发布申报通知")
    assert "申报通知已发布" in office.content(), _main(office)
    runner_up_id = _runner_up_applies(live_app, cycle_id)

    # --- the enterprise registers and applies with an evidence file ---------------------------------
    enterprise = people.page()
    enterprise.goto("/")
    _submit(enterprise, f"text={CALL_TITLE}")
    assert "还剩" in _main(enterprise) and "申报截止" in _main(enterprise), _main(enterprise)
    _shot(enterprise, "public-call")
    _submit(enterprise, "main a[href$='/register']")
    enterprise.fill("input[name=credit_code]", fresh_credit_code())
    enterprise.fill("input[name=organization_name]", ENTERPRISE["name"])
    enterprise.fill("input[name=contact_name]", ENTERPRISE["contact"])
    enterprise.fill("input[name=phone]", ENTERPRISE["phone"])
    enterprise.fill("input[name=email]", ENTERPRISE["email"])
    enterprise.fill("input[name=password]", ENTERPRISE["password"])
    enterprise.fill("input[name=confirm]", ENTERPRISE["password"])
    _shot(enterprise, "enterprise-register")
    _submit(enterprise, "input[type=submit]")
    enterprise.wait_for_url("**/login")  # registered; the same answer as for known details, then sign in
    sign_in(enterprise, ENTERPRISE["email"], ENTERPRISE["password"])
    enterprise.wait_for_url("**/dashboard")
    # The address is confirmed through the link in the registration e-mail before anything can be submitted.
    enterprise.goto(_mailed_link(live_app, ENTERPRISE["email"], "email_confirmation"))
    _submit(enterprise, "form input[type=submit]")
    assert "电子邮箱已确认" in enterprise.content(), _main(enterprise)
    enterprise.goto("/applications/")
    _shot(enterprise, "enterprise-open-cycles")
    _submit(enterprise, f"form[action$='/applications/start/{cycle_id}'] button")
    application_id = int(re.search(r"/applications/(\d+)/edit", enterprise.url).group(1))
    with live_app.app_context():
        session = db()
        rubric = cycle_rubric(session.get(Cycle, cycle_id))
        session.close()
    enterprise.fill("input[name=address]", "苏州工业园区星湖街 328 号")
    enterprise.fill("input[name=district]", "工业园区")
    enterprise.select_option("select[name=sector]", "C")
    enterprise.fill("input[name=employees]", "860")
    enterprise.fill("input[name=revenue]", "125000")
    enterprise.fill("input[name=founded_on]", "2008-03-18")
    enterprise.fill("input[name=qms_certified_on]", "2010-06-01")
    for index, item in enumerate(rubric.items):
        enterprise.fill(f"textarea[name=item_{index}]",
                        f"{item.id}：我们建立了系统的方法，覆盖全部业务单元，每年评审改进，并与战略目标整合。")
    enterprise.check("input[name=declaration_confirmed]")
    # The form saves itself in the background; the contents count the items written.
    enterprise.wait_for_selector(".autosave-saved")
    assert f"已完成 {len(rubric.items)} / {len(rubric.items)} 项" in enterprise.inner_text("[data-done-counter]")
    # Evidence for one item, chosen beside it: uploaded at once, listed under it and in the contents.
    report = _pdf("年度质量报告", f"{ENTERPRISE['name']} 2025 年度质量报告：高层领导每季度评审质量目标。")
    enterprise.set_input_files("input[data-item-input='4.1.2']", files=[{
        "name": "年度质量报告.pdf", "mimeType": "application/pdf", "buffer": report}])
    enterprise.wait_for_selector("[data-drop-item='4.1.2'] .upload-ok")
    assert "1 个文件" in enterprise.inner_text("[data-nav-item='4.1.2']")
    _shot(enterprise, "enterprise-application-form")
    with live_app.app_context():
        session = db()
        texts = session.get(Application, application_id).self_assessment
        session.close()
    assert texts[rubric.items[-1].id].startswith(rubric.items[-1].id)  # saved without a click
    # The session ends while the enterprise is still typing: what it types is kept on this device.
    revised = "4.1.4：我们每年发布社会责任报告，公开质量、安全和环境绩效，接受社会监督。"
    enterprise.context.clear_cookies()
    enterprise.fill("textarea[name=item_2]", revised)
    enterprise.wait_for_selector(".autosave-offline")
    assert "登录已过期" in enterprise.inner_text("[data-autosave-status]")
    # Signing in again and reopening the form brings the text back and saves it.
    enterprise.goto(f"/applications/{application_id}/edit")
    enterprise.wait_for_url("**/login**")
    enterprise.fill("input[name=email]", ENTERPRISE["email"])
    enterprise.fill("input[name=password]", ENTERPRISE["password"])
    _submit(enterprise, "input[type=submit]")
    enterprise.wait_for_url(f"**/applications/{application_id}/edit")
    assert enterprise.input_value("textarea[name=item_2]") == revised
    assert "已恢复本设备上" in enterprise.inner_text("[data-autosave-status]")
    enterprise.wait_for_selector(".autosave-saved")
    _shot(enterprise, "enterprise-application-restored")
    with live_app.app_context():
        session = db()
        assert session.get(Application, application_id).self_assessment[rubric.items[2].id] == revised
        session.close()
    _submit(enterprise, "input[name=save]")
    assert "草稿已保存" in enterprise.content(), _main(enterprise)
    enterprise.goto(f"/applications/{application_id}")
    certificate_pdf = _pdf("质量管理体系认证证书", f"{ENTERPRISE['name']} 的质量管理体系符合 GB/T 19001-2016 标准。")
    enterprise.set_input_files("input[name=file]", files=[{
        "name": "质量管理体系认证证书.pdf", "mimeType": "application/pdf", "buffer": certificate_pdf}])
    _submit(enterprise, "form[action$='/files'] input[type=submit]")
    assert "质量管理体系认证证书.pdf" in enterprise.content()
    _shot(enterprise, "enterprise-application-files")
    enterprise.goto(f"/applications/{application_id}/submit")
    _shot(enterprise, "enterprise-submit")
    _submit(enterprise, "main form button[type=submit]")
    _shot(enterprise, "enterprise-submitted")
    with live_app.app_context():
        session = db()
        application = session.get(Application, application_id)
        assert application.status is ApplicationStatus.SUBMITTED
        assert sorted(f.display_name for f in application.files) == ["年度质量报告.pdf", "质量管理体系认证证书.pdf"]
        session.close()
    # The receipt, read back: each evidence file's SHA-256 is that of the bytes uploaded.
    digests = [hashlib.sha256(data).hexdigest() for data in (report, certificate_pdf)]
    with enterprise.expect_download() as download_info:
        enterprise.click("text=下载申报回执（PDF）")
    receipt = squeeze("".join(page_texts(Path(download_info.value.path()).read_bytes())))
    assert "市长质量奖申报回执" in receipt and ENTERPRISE["name"] in receipt, receipt
    assert all(digest in receipt for digest in digests), receipt
    assert "苏州市市长质量奖评审委员会办公室" in receipt, receipt  # the office named after the city
    _submit(enterprise, "text=申报回执打印版")
    assert all(digest in enterprise.content() for digest in digests)
    _shot(enterprise, "enterprise-receipt-print-view")

    # --- a message to every applicant of the cycle, previewed, then sent as previewed -------------------
    office.goto(f"/outreach/cycles/{cycle_id}")
    office.fill("input[name=subject]", "关于资格审核安排的通知")
    office.fill("textarea[name=body]", "申报截止后一周内完成资格审核，审核结果将通过系统和邮件告知，请留意。")
    _submit(office, "form[action$='/message/preview'] button[type=submit]")
    assert office.locator("article.preview [data-count]").get_attribute("data-count") == "2", _main(office)
    _shot(office, "office-bulk-message-preview", at="article.preview")
    _submit(office, "article.preview button[type=submit]")  # a job of the worker: its page says when it is sent
    office.wait_for_selector("section.job[data-state=done]")
    assert "已完成：2 / 2。" in office.content(), _main(office)

    # --- the deadline passes; the office screens, forms the panel and opens scoring ------------------
    clock.advance(days=3)
    _advance(office, cycle_id, Stage.SCREENING)
    office.goto(f"/applications/cycle/{cycle_id}")
    _shot(office, "office-applications")
    for screened in (application_id, runner_up_id):
        office.goto(f"/applications/{screened}/screening")
        if screened == application_id:
            _shot(office, "office-screening", full_page=True)
        # Registration in the city needs a manual check: it starts undecided and its decision needs a reason.
        office.select_option("select[name=registered_in_city_decision]", "pass")
        office.fill("textarea[name=registered_in_city_reason]", "营业执照登记机关为本市市场监管局")
        _submit(office, "form input[type=submit][name=save]")
    with live_app.app_context():
        session = db()
        assert session.get(Application, application_id).status is ApplicationStatus.ELIGIBLE
        assert session.get(Application, runner_up_id).status is ApplicationStatus.ELIGIBLE
        session.close()

    office.goto(f"/review/cycles/{cycle_id}")
    _submit(office, f"form[action$='/review/cycles/{cycle_id}/rounds'] button")
    with live_app.app_context():
        session = db()
        round_id = session.scalar(select(ReviewRound.id).where(ReviewRound.cycle_id == cycle_id))
        session.close()
    # This round counts the panel consensus; the experts' own sheets are shown beside it.
    office.goto(f"/review/rounds/{round_id}/settings")
    office.select_option("select[name=counts]", "consensus")
    _submit(office, "main form input[type=submit]")
    assert "专家组共识（经全组确认、单独成表的共识评分）" in office.content(), _main(office)
    office.goto(f"/review/rounds/{round_id}")
    office.select_option("select[name=mode]", "optimal")
    _submit(office, f"form[action$='/review/rounds/{round_id}/assign'] input[type=submit]")
    _advance(office, cycle_id, Stage.DOCUMENT_REVIEW)
    office.goto(f"/review/rounds/{round_id}")
    assert office.locator("mark.soft-mark").count() >= 2, _main(office)  # the notice and the seat: 需关注
    office.fill("#open-round textarea[name=acknowledgement]", "电话为园区总机，已电话核实专家与企业无利害关系")
    _submit(office, "#open-round [type=submit]")
    _shot(office, "office-panel", full_page=True)
    with live_app.app_context():
        session = db()
        assert session.get(ReviewRound, round_id).status is RoundStatus.OPEN, _main(office)
        acknowledged = session.scalar(select(AuditRecord).where(
            AuditRecord.action == "review.soft_signals_acknowledged"))
        assert acknowledged.after["reason"] == "电话为园区总机，已电话核实专家与企业无利害关系"
        session.close()
    with live_app.app_context():
        session = db()
        all_seats = session.execute(select(Assignment.id, User.email, Assignment.is_leader, Assignment.application_id)
                                    .join(User, User.id == Assignment.expert_id)
                                    .where(Assignment.round_id == round_id).order_by(User.email)).all()
        session.close()
    seats = [(a, email, lead) for a, email, lead, app in all_seats if app == application_id]
    runner_up_seats = {email: (a, lead) for a, email, lead, app in all_seats if app == runner_up_id}
    assert len(seats) == 5 and len(runner_up_seats) == 5  # the pool's five experts review both

    # --- a bulk reminder: one click tells every expert whose sheet is still missing -------------------
    office.goto(f"/outreach/cycles/{cycle_id}")
    _shot(office, "office-bulk-reminder")
    _submit(office, f"form[action$='/outreach/rounds/{round_id}/remind'] button")
    assert "已提醒 5 位专家" in office.content(), _main(office)
    with live_app.app_context():
        session = db()
        [reminded] = session.scalars(select(AuditRecord).where(AuditRecord.action == "outreach.experts_reminded"))
        assert reminded.after["count"] == 5 and len(reminded.after["recipients"]) == 5
        session.close()

    # --- five experts sign the pledge and score both applications; each stays signed in ---------------
    leader_email = next(email for _id, email, leader in seats if leader)
    runner_up_leader = next(email for email, (_a, lead) in runner_up_seats.items() if lead)
    experts: dict[str, object] = {}
    for (assignment_id, email, is_leader), percent in zip(seats, PERCENTS, strict=True):
        expert = experts[email] = people.signed_in(email, passwords[email])
        expert.goto("/review/mine")
        if is_leader:
            _shot(expert, "expert-assignments")
        for assignment, score in ((assignment_id, percent), (runner_up_seats[email][0], RUNNER_UP_PERCENT)):
            if assignment == assignment_id:
                _submit(expert, f"a[href='/review/assignments/{assignment}/pledge']")
            else:
                expert.goto(f"/review/assignments/{assignment}/pledge")
            if is_leader and assignment == assignment_id:
                _shot(expert, "expert-pledge")
            expert.check("input[name=agree]")
            _submit(expert, "form[action$='/pledge'] button[type=submit]")
            assert "我们建立了系统的方法" in expert.content() or "我们正在建立质量管理方法" in expert.content()
            if is_leader and assignment == assignment_id:  # one sheet is clicked field by field, the others by script
                score_the_sheet(expert, rubric, score)
                _shot(expert, "expert-sheet")
            else:
                score_the_sheet_at_once(expert, rubric, score)
            if email == runner_up_leader and assignment != assignment_id:
                # Two improvement points left out: "Submit and lock" names them, the navigator marks them.
                for item in rubric.items[:2]:
                    expert.fill(f"textarea[name='improvement-{item.id}']", "")
                expert.click("button[name=action][value=submit]")
                lines = expert.locator("[data-problem-summary] li")
                assert lines.count() == 2 and "未写改进机会" in lines.nth(0).inner_text(), _main(expert)
                assert "state-error" in expert.get_attribute(f"[data-nav-item='{rubric.items[0].id}']", "class")
                _shot(expert, "expert-sheet-navigator")
                for item in rubric.items[:2]:
                    expert.fill(f"textarea[name='improvement-{item.id}']", f"{item.id} 展开到班组不足")
            _submit(expert, "button[name=action][value=submit]")
            _flash_ok(expert)

    # --- the team leader proposes the consensus; one member disagrees, the others confirm -------------
    consensus = f"/review/rounds/{round_id}/applications/{application_id}/consensus"
    team_leader = experts[leader_email]
    team_leader.goto(consensus)
    scores = team_leader.locator("table.consensus tbody tr:first-child td:nth-child(2)").inner_text()
    assert sorted(int(p) for p in scores.split(",")) == PERCENTS  # every member's percentage, unnamed
    for item in rubric.items:
        team_leader.fill(f"input[name='percent-{item.id}']", "50")
    _shot(team_leader, "team-leader-consensus")
    _submit(team_leader, "form[action$='/consensus'] button[type=submit]")
    members = [email for _id, email, is_leader in seats if not is_leader]
    dissenter = members[-1]
    for email in members:
        member = experts[email]
        member.goto(consensus)
        if email == members[0]:
            _shot(member, "expert-confirm-consensus")
        if email != dissenter:
            _submit(member, "form[action$='/confirm'] button[type=submit]")
            continue
        member.select_option("select[name=kind]", "disagree")
        member.select_option("select[name=item]", "4.7.2")
        member.fill("textarea[name=text]", DISAGREEMENT)
        _shot(member, "expert-consensus-disagree", at="#discussion")
        _submit(member, "form.remark-form button[type=submit]")
        assert "您的意见已加入讨论。" in member.content() and DISAGREEMENT in member.content(), _main(member)
    # The leader sees the open disagreement with its reason before finalizing, and finalizes with a note.
    team_leader.goto(consensus)
    disagreements = team_leader.locator(".disagreements").inner_text()
    assert "未解决的不同意见：1 条" in disagreements and DISAGREEMENT in disagreements, _main(team_leader)
    team_leader.check("input[name=acknowledge]")
    team_leader.fill("textarea[name=note]", FINAL_NOTE)
    _shot(team_leader, "team-leader-disagreement", at="#discussion")
    _shot(team_leader, "team-leader-finalize", at="form.finalize-form")
    _submit(team_leader, "form.finalize-form button[type=submit]")
    assert "共识已确定。" in team_leader.content() and FINAL_NOTE in team_leader.content(), _main(team_leader)
    # The runner-up's panel agrees at once: its leader proposes the median (40 % everywhere) and finalizes.
    runner_up_consensus = f"/review/rounds/{round_id}/applications/{runner_up_id}/consensus"
    other_leader = experts[runner_up_leader]
    other_leader.goto(runner_up_consensus)
    _submit(other_leader, "form[action$='/consensus'] button[type=submit]")
    _submit(other_leader, "form.finalize-form button[type=submit]")
    assert "共识已确定。" in other_leader.content(), _main(other_leader)
    for page in experts.values():
        page.context.close()
    with live_app.app_context():
        session = db()
        agreed = session.scalars(select(ConsensusScore).where(ConsensusScore.round_id == round_id,
                                                              ConsensusScore.application_id == application_id)).all()
        assert {score.percent for score in agreed} == {50} and len(agreed) == len(rubric.items)
        remark = session.scalars(select(ConsensusRemark).where(ConsensusRemark.kind == RemarkKind.DISAGREE)).one()
        assert (remark.item_id, remark.text, remark.application_id) == ("4.7.2", DISAGREEMENT, application_id)
        final = session.scalars(select(ConsensusFinalization).where(
            ConsensusFinalization.application_id == application_id)).one()
        assert (final.open_disagreements, final.note) == (1, FINAL_NOTE)
        session.close()

    # --- the office closes the round, ranks and freezes the shortlist -------------------------------
    office.goto(f"/review/rounds/{round_id}/progress")
    assert "应交 10 份评分表，已提交 10 份，缺 0 份。" in office.content(), _main(office)
    _shot(office, "office-progress")
    office.goto(f"/review/rounds/{round_id}")
    _submit(office, f"form[action$='/review/rounds/{round_id}/close'] button")
    _advance(office, cycle_id, Stage.DELIBERATION)
    office.goto(f"/cycles/{cycle_id}/ranking/")
    assert ENTERPRISE["name"] in office.content()
    # The consensus (50 % everywhere) counts; beside it the trimmed mean of the five sheets
    # ((50 + 50 + 55) / 3 % of 1000) and their range, as each expert submitted them.
    ranking_page = office.content()
    assert "材料评审：<strong>专家组共识</strong>" in ranking_page, _main(office)
    assert "<strong>500.00</strong><br><small>专家组共识</small>" in ranking_page, _main(office)
    assert "516.67<br><small>400.00–600.00</small>" in ranking_page, _main(office)
    assert RUNNER_UP["name"] in ranking_page and "<strong>400.00</strong>" in ranking_page, _main(office)
    _shot(office, "office-ranking", full_page=True)
    _submit(office, f"form[action$='/cycles/{cycle_id}/ranking/freeze'] button")
    _advance(office, cycle_id, Stage.APPROVAL)

    # --- the leading group votes --------------------------------------------------------------------
    office.goto(f"/approval/cycles/{cycle_id}")
    office.fill("input[name=closes_at]", _local(clock.now() + dt.timedelta(days=2)))
    _shot(office, "office-open-vote")
    _submit(office, f"form[action$='/approval/cycles/{cycle_id}/open'] button[type=submit]")
    for number, (email, _name) in enumerate(LEADERS):
        leader = people.signed_in(email, STAFF_PASSWORD)
        leader.goto(f"/approval/cycles/{cycle_id}/ballot")
        if number == 0:
            _shot(leader, "leader-ballot")
        _submit(leader, "button[name=choice][value=approve]")
        assert leader.locator(".ballot-cast.ballot-approve").count() == 1
        if number == 0:
            _shot(leader, "leader-voted")
        leader.context.close()
    office.goto(f"/approval/cycles/{cycle_id}")
    _submit(office, f"form[action$='/approval/cycles/{cycle_id}/close'] button[type=submit]")
    assert office.locator("td mark", has_text="通过").count() == 1, _main(office)
    with live_app.app_context():
        session = db()
        choices = session.scalars(select(Ballot.choice).where(Ballot.application_id == application_id)).all()
        assert sorted(choice.value for choice in choices) == ["approve"] * 3  # one ballot per leader
        session.close()
    _shot(office, "office-vote-outcome", full_page=True)

    # --- the public notice, an objection by a visitor, dismissed by the office ----------------------
    office.goto(f"/notices/cycles/{cycle_id}")
    office.fill("input[name=award_title]", AWARD_TITLE)
    office.fill("textarea[name=benefits]", "颁发证书和奖牌，奖励人民币 50 万元。")
    office.fill("textarea[name=contact]", "苏州市市场监督管理局质量发展处，电话 0512-68610000")
    _shot(office, "office-publish-notice")
    _submit(office, f"form[action$='/notices/cycles/{cycle_id}/publish'] button[type=submit]")
    with live_app.app_context():
        session = db()
        assert session.get(Cycle, cycle_id).stage is Stage.NOTICE
        session.close()

    visitor = people.page()
    visitor.goto("/")
    visitor.goto("/notices/")
    _submit(visitor, "main a[href^='/notices/']")
    assert ENTERPRISE["name"] in visitor.content()
    _shot(visitor, "public-notice")
    _submit(visitor, "a[href*='/object']")
    visitor.fill("input[name=name]", OBJECTOR["name"])
    visitor.fill("input[name=id_number]", OBJECTOR["id_number"])
    visitor.fill("input[name=phone]", OBJECTOR["phone"])
    visitor.fill("textarea[name=text]", "该企业 2024 年曾发生产品质量投诉，未在申报材料中说明。")
    visitor.set_input_files("input[name=evidence]", files=[{
        "name": "投诉记录.pdf", "mimeType": "application/pdf",
        "buffer": _pdf("投诉记录", "2024 年 5 月，客户投诉轴承尺寸偏差。")}])
    _shot(visitor, "public-objection-form")
    _submit(visitor, "main form button[type=submit]")
    assert "/object/received" in visitor.url, _main(visitor)
    reference = visitor.locator("[data-reference]").inner_text().strip()
    _shot(visitor, "public-objection-reference")

    with live_app.app_context():
        session = db()
        objection_id = session.scalar(select(Objection.id))
        session.close()
    office.goto(f"/notices/cycles/{cycle_id}")
    _shot(office, "office-notice")
    office.goto(f"/notices/objections/{objection_id}")
    office.select_option("select[name=outcome]", "dismissed")
    office.fill("textarea[name=reason]", "经核查，该投诉已于 2024 年依法处理完毕，不属于重大质量事故。")
    office.fill("textarea[name=answer]", "经核查，您反映的投诉已于 2024 年处理完毕，异议不成立。感谢您的监督。")
    _shot(office, "office-objection")
    _shot(office, "office-objection-answer", at=f"form[action$='/notices/objections/{objection_id}/decide']")
    _submit(office, f"form[action$='/notices/objections/{objection_id}/decide'] button[type=submit]")
    with live_app.app_context():
        session = db()
        assert session.get(Objection, objection_id).outcome is ObjectionOutcome.DISMISSED
        session.close()
    # The objector follows it by its reference and phone, and reads the answer.
    visitor.goto("/notices/objections/status")
    visitor.fill("input[name=reference]", reference)
    visitor.fill("input[name=phone]", OBJECTOR["phone"])
    _submit(visitor, "main form button[type=submit]")
    assert "异议不成立。感谢您的监督" in _main(visitor) and OBJECTOR["id_number"] not in _main(visitor)
    assert "1101**********002X" in _main(visitor), _main(visitor)
    _shot(visitor, "public-objection-status")

    # --- the period ends; the office confirms the award ---------------------------------------------
    office.goto(f"/awards/cycles/{cycle_id}")
    assert office.locator("form[action$='/confirm'] button[disabled]").count() == 1  # the notice still runs
    clock.advance(days=9)
    office.goto(f"/awards/cycles/{cycle_id}")
    _shot(office, "office-confirm-award")
    _submit(office, f"form[action$='/awards/cycles/{cycle_id}/confirm'] button[type=submit]")
    _flash_ok(office)
    with live_app.app_context():
        session = db()
        assert session.get(Cycle, cycle_id).stage is Stage.AWARDED
        award = session.scalars(select(Award).where(Award.cycle_id == cycle_id)).one()
        assert award.organization_name == ENTERPRISE["name"]
        certificate_number = award.certificate_number
        session.close()
    assert certificate_number in office.content()
    _shot(office, "office-awards")

    # --- the office prepares the certificates; the enterprise downloads its own -------------------------
    office.goto(f"/certificates/cycles/{cycle_id}")
    office.fill("input[name=award_title]", AWARD_TITLE)
    office.fill("input[name=authority]", "苏州市人民政府")
    _submit(office, f"form[action$='/certificates/cycles/{cycle_id}/texts'] button[type=submit]")
    _flash_ok(office)
    office.set_input_files("input[name=seal]", files=[{"name": "公章.png", "mimeType": "image/png",
                                                        "buffer": _seal_png()}])
    _submit(office, f"form[action$='/certificates/cycles/{cycle_id}/seal'] button[type=submit]")
    _flash_ok(office)
    assert office.locator("img.seal-preview").count() == 1
    _shot(office, "office-certificates", full_page=True)

    live_app.config["PUBLIC_BASE_URL"] = people.base_url  # where the QR code points: this server
    enterprise.goto(f"/applications/{application_id}")
    _shot(enterprise, "enterprise-certificate-link")
    with enterprise.expect_download() as download_info:
        enterprise.click("a[href$='/certificate.pdf']")
    certificate = Path(download_info.value.path()).read_bytes()
    assert certificate.startswith(b"%PDF-")
    text = _pdf_text(certificate)
    assert ENTERPRISE["name"] in text and certificate_number in text, text
    check_url = f"{people.base_url}/verify/{certificate_number}"
    assert check_url in text.replace("\n", "")  # the link is printed under the QR code too
    links, rendered = _qr_links(certificate)
    assert links == [check_url]
    _save_guide_image(rendered, "enterprise-certificate")

    # --- anyone scanning the QR code sees the certificate is valid ------------------------------------
    checker = people.page()
    checker.goto(links[0])
    assert checker.locator(".check-status.check-valid").count() == 1, _main(checker)
    assert "有效" in checker.locator(".check-status").inner_text()
    assert ENTERPRISE["name"] in checker.content() and certificate_number in checker.content()
    _shot(checker, "public-verify")

    # --- the supervisor reads the audit trail -------------------------------------------------------
    supervisor = people.signed_in(SUPERVISOR[0], STAFF_PASSWORD)
    supervisor.goto(f"/audit/?cycle={cycle_id}")
    assert certificate_number in supervisor.content(), _main(supervisor)  # the award.granted record
    _shot(supervisor, "supervisor-audit")
    supervisor.goto(f"/approval/cycles/{cycle_id}")
    _shot(supervisor, "supervisor-vote")

    # --- the enterprise sees the outcome ------------------------------------------------------------
    enterprise.goto("/dashboard")
    _shot(enterprise, "enterprise-dashboard")
    enterprise.goto("/notifications/")
    assert "贵单位荣获本届质量奖" in enterprise.content(), _main(enterprise)
    _shot(enterprise, "enterprise-awarded")

    # --- the runner-up hears it was not shortlisted, then not awarded, and reads its feedback report --------
    runner_up = people.signed_in(RUNNER_UP["email"], RUNNER_UP["password"])
    runner_up.goto("/notifications/")
    notices = runner_up.locator("main article.notice")
    assert "申报结果通知" in notices.nth(0).inner_text(), _main(runner_up)  # newest first
    assert "您的申报未进入入围名单" in notices.nth(1).inner_text(), _main(runner_up)  # told when the vote opened
    _shot(runner_up, "enterprise-notice-not-awarded")
    with live_app.app_context():
        session = db()
        kinds = session.scalars(select(Notification.kind).join(User, User.id == Notification.user_id)
                                .where(User.email == RUNNER_UP["email"])).all()
        assert {"application_not_shortlisted", "application_not_awarded"} <= set(kinds), kinds
        assert "application_awarded" not in kinds
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == RUNNER_UP["email"],
                                                           OutboxMessage.kind == "application_not_awarded")).one()
        assert f"/certificates/applications/{runner_up_id}/feedback" in mail.text, mail.text
        session.close()
    runner_up.goto(f"/applications/{runner_up_id}")
    for step in ("shortlist", "result"):
        assert runner_up.locator(f"ol.timeline li[data-step={step}].step-negative").count() == 1, _main(runner_up)
    _shot(runner_up, "enterprise-timeline-not-awarded")
    feedback = runner_up.request.get(f"/certificates/applications/{runner_up_id}/feedback.pdf")
    assert feedback.ok and feedback.body().startswith(b"%PDF-"), feedback.status

    # --- the office archives the cycle; anyone recounts the archive offline (复核) ------------------
    office.goto(f"/cycles/{cycle_id}")
    office.click(f"form[action$='/cycles/{cycle_id}/archive'] [type=submit]")  # a job: its page offers the ZIP
    office.wait_for_selector("section.job[data-state=done]")
    with office.expect_download() as download_info:
        office.click("section.job .batch-download a")
    archive = Path(download_info.value.path())
    offline = {**os.environ, "AWARD_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}  # no database
    recount = subprocess.run([sys.executable, "-m", "flask", "--app", "award", "archive", "recount", str(archive)],
                             capture_output=True, text=True, env=offline, cwd=PROJECT_ROOT, timeout=120)
    assert recount.returncode == 0, recount.stdout + recount.stderr
    assert "复核结果与归档一致" in recount.stdout or "agrees" in recount.stdout, recount.stdout
