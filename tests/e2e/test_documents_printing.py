"""In a real browser: the office edits the notice's texts with a seal, downloads both official documents,
adds a printer and prints the overlay test page and the overlay batch with its offset."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from award.app_db import get_database
from award.auth.models import Organization, Role
from award.auth.services import create_staff_user
from award.cycles.models import Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings
from tests.conftest import fresh_credit_code
from tests.documents.pdfs import page_texts, run_of, squeeze, text_runs
from tests.documents.world import awarded_cycle
from tests.e2e.pages import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "office-password-2"
NAMES = ["苏州恒润精密机械有限公司", "苏州绿源能源科技有限公司"]


@pytest.fixture(scope="module")
def world(live_app):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        office = create_staff_user(session, actor=None, role=Role.OFFICE, email="docs@e2e.gov.cn",
                                   full_name="王科长", password=PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story

        def make_cycle(*, stage: Stage, year: int):
            cycle = create_cycle(session, actor=None, rubric_key="gbt19580-2012", settings=CycleSettings(
                year=year, title="市长质量奖（公文测试）", awards_count=3, cutoff_score=Decimal(600),
                experts_per_application=5, onsite_review=False,
                deadlines={Stage.APPLICATION: dt.datetime(2026, 1, 31, tzinfo=dt.UTC)},
                eligibility=EligibilitySettings()))
            cycle.stage = stage
            return cycle

        def make_organization(name: str) -> Organization:
            organization = Organization(credit_code=fresh_credit_code(), name=name)
            session.add(organization)
            session.flush()
            return organization

        awarded = awarded_cycle(session, make_cycle=make_cycle, make_organization=make_organization, names=NAMES)
        session.commit()
        result = {"office": office.email, "cycle_id": awarded.cycle.id,
                  "numbers": [a.certificate_number for a in awarded.awards]}
        session.close()
    return result


def seal_file(folder: Path) -> Path:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((5, 5, 195, 195), outline=(200, 0, 0, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path = folder / "seal.png"
    path.write_bytes(buffer.getvalue())
    return path


def download(page, click) -> bytes:  # noqa: ANN001
    with page.expect_download() as info:
        click()
    return Path(info.value.path()).read_bytes()


def test_office_prints_the_documents_and_the_overlay(new_page, screenshot, world, tmp_path):
    page = new_page()
    sign_in(page, world["office"], PASSWORD)
    page.goto(f"/cycles/{world['cycle_id']}")
    page.click("nav.cycle-work >> text=公文与打印")
    page.wait_for_url(f"**/documents/cycles/{world['cycle_id']}")
    screenshot(page, "office-documents")

    page.click(f"a[href='/documents/cycles/{world['cycle_id']}/texts/notice']")
    page.fill("input[name=issuing_office]", "苏州市市场监督管理局")
    page.fill("input[name=document_number]", "苏市监〔2026〕8号")
    page.set_input_files("input[name=seal]", str(seal_file(tmp_path)))
    page.click("button:has-text('保存文稿')")
    page.wait_for_url(f"**/documents/cycles/{world['cycle_id']}")
    assert "文稿已保存。" in page.content()

    notice = download(page, lambda: page.click("a[href$='/official/notice.pdf']"))
    text = squeeze("".join(page_texts(notice)))
    assert text.startswith("苏州市市场监督管理局文件苏市监〔2026〕8号")
    assert all(name in text for name in NAMES)
    decision = download(page, lambda: page.click("a[href$='/official/decision.pdf']"))
    assert all(number in squeeze("".join(page_texts(decision))) for number in world["numbers"])

    page.click("text=打印机与校准")
    page.fill("input[name=name]", "二楼激光打印机")
    page.fill("input[name=offset_x_mm]", "-1.5")
    page.fill("input[name=offset_y_mm]", "2.0")
    page.click("button:has-text('添加打印机')")
    assert "打印机已添加。" in page.content()

    page.goto(f"/documents/cycles/{world['cycle_id']}")
    page.select_option("select[name=printer]", label="二楼激光打印机 (-1.5 / +2.0 mm)")
    test_page = download(page, lambda: page.click("text=带标尺网格的测试页"))
    assert "二楼激光打印机" in page_texts(test_page)[0]
    overlay = download(page, lambda: page.click("text=本周期全部证书的套打"))
    sheets = text_runs(overlay)
    assert len(sheets) == 2
    name = run_of(sheets[0], NAMES[0])
    assert name.x_mm == pytest.approx(60 - 1.5, abs=1) and name.y_mm == pytest.approx(88 + 2, abs=1)


def test_office_names_the_issuing_bodies(new_page, world, tmp_path):
    """The documents page names the issuers; the form refuses a body without its city, in Chinese, by its field."""
    for mobile in (False, True):
        page = new_page(mobile=mobile)
        sign_in(page, world["office"], PASSWORD)
        page.goto(f"/documents/cycles/{world['cycle_id']}")
        assert "某某市市长质量奖评审委员会办公室" in page.content()
        page.get_by_role("link", name="修改发文机关").click()
        page.get_by_label("市人民政府（留空则为“城市名称＋人民政府”）").fill("市人民政府")
        page.get_by_role("button", name="保存发文机关").click()
        assert "未写明城市" in page.content()
        page.screenshot(path=str(tmp_path / f"issuers-refused-{'phone' if mobile else 'desktop'}.png"), full_page=True)
        page.get_by_label("市人民政府（留空则为“城市名称＋人民政府”）").fill("")
        page.get_by_role("button", name="保存发文机关").click()
        assert "发文机关已保存。" in page.content()
        page.screenshot(path=str(tmp_path / f"documents-{'phone' if mobile else 'desktop'}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
