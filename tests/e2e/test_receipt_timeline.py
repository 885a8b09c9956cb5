"""In a real browser: an enterprise submits its application, downloads the receipt and reads it back, opens the
print view, and follows its timeline to the leading group's decision against it."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from award.app_db import get_database
from award.applications import services as applications
from award.applications.evidence import EvidenceStore
from award.applications.models import Application, ApplicationEvent, ApplicationStatus
from award.approval import services as approval
from award.approval.models import Choice
from award.auth.models import Role
from award.auth.services import create_staff_user, register_enterprise
from award.cycles.models import Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings
from award.db import utcnow
from award.ranking.models import RankingSnapshot, ShortlistEntry
from tests.applications.conftest import complete_profile, full_texts, pdf_bytes
from tests.conftest import fresh_credit_code
from tests.documents.pdfs import embedded_fonts, page_texts, squeeze
from tests.e2e.pages import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "enterprise-password-7"
EMAIL = "quality@hengrun-e2e.cn"
GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"
EVIDENCE = (("质量管理体系认证证书.pdf", 1), ("年度质量报告.pdf", 2))
# The screenshots the enterprise's guide shows (docs/guide/enterprise.md); the others are only looked at. The
# receipt's print view in the guide comes from the whole cycle (tests/e2e/test_whole_cycle.py), whose cycle
# names its issuing city as a real one does.
GUIDE_SHOTS = {"enterprise-timeline-decision", "enterprise-notice-not-approved"}


def _shot(page, tmp_path: Path, name: str, *, full_page: bool = False) -> Path:
    """A screenshot to look at (in tmp_path), and a user-guide image when AWARD_GUIDE_SCREENSHOTS=1."""
    path = tmp_path / f"{name}.png"
    data = page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    if os.environ.get("AWARD_GUIDE_SCREENSHOTS") == "1" and name in GUIDE_SHOTS:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        if image.height > 2400:
            image = image.crop((0, 0, image.width, 2400))
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(GUIDE_IMAGES / f"{name}.png", optimize=True)
    return path


@pytest.fixture(scope="module")
def world(live_app):
    """A cycle taking applications and an enterprise's complete draft with two evidence files."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        now = utcnow()
        cycle = create_cycle(session, actor=None, rubric_key="gbt19580-2012", settings=CycleSettings(
            year=now.year, title="市长质量奖（回执测试）", awards_count=3, cutoff_score=Decimal(600),
            experts_per_application=5, onsite_review=False,
            deadlines={Stage.APPLICATION: now + dt.timedelta(days=5)}, eligibility=EligibilitySettings()))
        cycle.stage = Stage.APPLICATION
        user = register_enterprise(session, credit_code=fresh_credit_code(),
                                   organization_name="苏州恒润精密机械有限公司", contact_name="李敏",
                                   phone="0512-66668888", email=EMAIL, password=PASSWORD,
                                   password_min_length=10)
        user.email_confirmed = True
        application = applications.start_application(session, actor=user, cycle=cycle)
        applications.save_draft(session, actor=user, application=application,
                                profile=complete_profile(org_name="苏州恒润精密机械有限公司"),
                                self_assessment=full_texts(cycle, "以顾客为关注焦点，建立了系统的方法并持续改进。"))
        store = EvidenceStore(Path(live_app.config["FILES_ROOT"]))
        limits = applications.EvidenceLimits(max_file_bytes=10**6, max_total_bytes=10**7)
        for name, pages in EVIDENCE:
            applications.add_evidence(session, actor=user, application=application, data=pdf_bytes(pages),
                                      filename=name, store=store, limits=limits)
        office = create_staff_user(session, actor=None, role=Role.OFFICE, email="receipt-office@e2e.gov.cn",
                                   full_name="王科长", password="office-password-7", password_min_length=10,
                                   must_change_password=False)
        leader = create_staff_user(session, actor=None, role=Role.LEADER, email="receipt-leader@e2e.gov.cn",
                                   full_name="赵副市长", password="leader-password-7", password_min_length=10,
                                   must_change_password=False)
        session.commit()
        result = {"application_id": application.id, "cycle_id": cycle.id, "office_id": office.id,
                  "leader_id": leader.id}
        session.close()
    return result


def _rejected_by_the_leading_group(live_app, world) -> None:  # noqa: ANN001
    """Behind the scenes: screened eligible, ranked onto the shortlist, and rejected by the vote."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        from award.auth.models import User
        from award.cycles.models import Cycle

        application = session.get(Application, world["application_id"])
        cycle = session.get(Cycle, world["cycle_id"])
        office, leader = session.get(User, world["office_id"]), session.get(User, world["leader_id"])
        now = utcnow()
        application.status = ApplicationStatus.ELIGIBLE
        application.events.append(ApplicationEvent(from_status=ApplicationStatus.SUBMITTED,
                                                   to_status=ApplicationStatus.ELIGIBLE, occurred_at=now))
        cycle.stage = Stage.APPROVAL
        snapshot = RankingSnapshot(cycle_id=cycle.id, version=1, method="trimmed_mean", cutoff_score=Decimal(600),
                                   awards_count=3, settings={}, content_hash="0" * 64)
        snapshot.entries.append(ShortlistEntry(
            application_id=application.id, position=1, rank=1, organization_name=application.org_name, sector="C",
            status="ok", sheet_count=5, total=Decimal(820), categories={"4.1": "82.00"}, method_totals={},
            in_shortlist=True, robustness="stable"))
        session.add(snapshot)
        session.flush()
        vote = approval.open_vote(session, actor=office, cycle=cycle, closes_at=now + dt.timedelta(hours=2),
                                  now=now)
        approval.cast_ballot(session, actor=leader, vote=vote, application_id=application.id, choice=Choice.REJECT,
                             now=now)
        approval.close_vote(session, actor=office, vote=vote, now=now + dt.timedelta(minutes=1))
        session.commit()
        session.close()


def test_enterprise_submits_downloads_the_receipt_and_follows_its_timeline(new_page, world, live_app, tmp_path):
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Submit the application now?"
    sign_in(page, EMAIL, PASSWORD)
    page.wait_for_url("**/dashboard")
    application_id = world["application_id"]
    page.goto(f"/applications/{application_id}/submit")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/applications/{application_id}")

    # The timeline: submitted is where it stands, screening is next; the receipt is one click away.
    standing = page.locator("#standing")
    assert standing.inner_text() == "已提交"
    assert page.locator("ol.timeline li[data-step=screening].step-upcoming").count() == 1
    _shot(page, tmp_path, "enterprise-timeline-submitted", full_page=True)
    with page.expect_download() as info:
        page.click("text=下载申报回执（PDF）")
    pdf = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.endswith(".pdf")

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        application = session.get(Application, application_id)
        submitted_local = application.submitted_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        digests = [f.sha256 for f in application.files]
        session.close()
    text = squeeze("".join(page_texts(pdf)))
    assert "市长质量奖申报回执" in text and "苏州恒润精密机械有限公司" in text
    assert squeeze(submitted_local.strftime("%Y-%m-%d %H:%M") + "（北京时间）") in text
    assert digests == [hashlib.sha256(pdf_bytes(pages)).hexdigest() for _name, pages in EVIDENCE]
    assert all(digest in text for digest in digests)
    assert all(files for files in embedded_fonts(pdf).values())

    # The print view: on screen with its buttons; printed, only the receipt.
    page.click("text=申报回执打印版")
    page.wait_for_url(f"**/documents/applications/{application_id}/receipt")
    assert all(digest in page.content() for digest in digests)
    _shot(page, tmp_path, "enterprise-receipt-print-view")
    page.emulate_media(media="print")
    assert not page.locator("body > header").is_visible() and not page.locator("p.no-print").is_visible()
    assert page.locator("article.receipt-sheet").is_visible()
    page.emulate_media(media="screen")

    # Later the leading group decides against it: the page and the notices say so, not "shortlisted".
    _rejected_by_the_leading_group(live_app, world)
    page.goto(f"/applications/{application_id}")
    assert page.locator("#standing").inner_text() == "领导小组审定未通过"
    assert page.locator("ol.timeline li[data-step=decision].step-negative").count() == 1
    assert "赵副市长" not in page.content()
    _shot(page, tmp_path, "enterprise-timeline-decision", full_page=True)
    page.goto("/notifications/")
    latest = page.locator("main article.notice").first  # newest first
    assert "领导小组对您的申报的审定结果" in latest.inner_text(), latest.inner_text()
    assert "入围" in page.locator("main article.notice").nth(1).inner_text()  # shortlisted, then the decision
    _shot(page, tmp_path, "enterprise-notice-not-approved")


def test_the_timeline_reads_on_a_phone(new_page, world, live_app, tmp_path):
    """After the story above (same module world): the timeline fits a phone's width."""
    phone = new_page(mobile=True)
    sign_in(phone, EMAIL, PASSWORD)
    phone.wait_for_url("**/dashboard")
    phone.goto(f"/applications/{world['application_id']}")
    box = phone.locator("ol.timeline").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert phone.locator("#standing").is_visible()
    _shot(phone, tmp_path, "enterprise-timeline-phone")
