"""In a real browser: the office prints a cycle's certificates as one PDF, the page follows the progress
(polling with the local script, under the CSP) and offers the download; the public check page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pypdf import PdfReader

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus
from award.auth.models import Organization, Role
from award.auth.services import create_staff_user
from award.awards.models import Award
from award.awards.numbers import new_certificate_number
from award.cycles.models import Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings, IssuerSettings
from tests.conftest import fresh_credit_code

pytestmark = pytest.mark.e2e
PASSWORD = "office-password-1"
COUNT = 6


@pytest.fixture(scope="module")
def awarded(live_app, tmp_path_factory):
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        office = create_staff_user(session, actor=None, role=Role.OFFICE, email="office@certs.gov.cn",
                                   full_name="林主任", password=PASSWORD, password_min_length=10,
                                   must_change_password=False)  # chosen by its holder in this story
        cycle = create_cycle(session, actor=office, rubric_key="gbt19580-2012", settings=CycleSettings(
            year=2025, title="市长质量奖（证书打印）", awards_count=COUNT, cutoff_score=Decimal(600),
            experts_per_application=5, onsite_review=False, deadlines={}, eligibility=EligibilitySettings(),
            issuers=IssuerSettings(city="苏州市")))
        cycle.stage = Stage.AWARDED
        numbers = []
        for index in range(COUNT):
            organization = Organization(credit_code=fresh_credit_code(), name=f"苏州第{index + 1}精密制造有限公司")
            session.add(organization)
            session.flush()
            application = Application(cycle_id=cycle.id, organization_id=organization.id, org_name=organization.name,
                                      status=ApplicationStatus.ELIGIBLE, sector="C")
            session.add(application)
            session.flush()
            number = new_certificate_number(2025)
            session.add(Award(cycle_id=cycle.id, application_id=application.id, organization_id=organization.id,
                              organization_name=organization.name, title="2025年度市长质量奖",
                              awarded_on=dt.date(2025, 12, 1), valid_until=dt.date(2099, 11, 30),
                              certificate_number=number))
            numbers.append(number)
        session.commit()
        cycle_id = cycle.id
        session.close()
    return {"cycle_id": cycle_id, "numbers": numbers}


def test_office_prints_all_certificates_and_downloads_the_pdf(new_page, screenshot, awarded, tmp_path):
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    page.goto("/login")
    page.fill("input[name=email]", "office@certs.gov.cn")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard")
    page.goto(f"/certificates/cycles/{awarded['cycle_id']}")
    # The live test server runs each job inside the request that starts it (JOBS_IMMEDIATE): the page
    # comes once the PDF is laid out. tests/jobs/test_worker.py runs a real worker.
    page.click("button:has-text('将全部证书生成为一个 PDF')", no_wait_after=True)
    page.wait_for_url("**/certificates/batches/*", timeout=120_000)
    download_link = page.locator(".batch-download a")
    download_link.wait_for(state="visible", timeout=60_000)  # shown by the script once the job is done
    assert page.locator(".batch-progress").get_attribute("value") == "100"  # per cent
    assert "已完成" in page.locator(".batch-message").inner_text()
    assert f"{COUNT} 份证书" in page.locator(".batch-message").inner_text()
    screenshot(page, "office-certificates-batch")
    with page.expect_download() as caught:
        download_link.click()
    target = tmp_path / "batch.pdf"
    caught.value.save_as(target)
    reader = PdfReader(target)
    assert len(reader.pages) == COUNT
    for number, pdf_page in zip(awarded["numbers"], reader.pages, strict=True):
        assert number in "".join(pdf_page.extract_text().split())
    assert problems == []  # no CSP violation, no script error, no failed request


def test_public_checks_a_certificate_by_typing_its_number(new_page, awarded):
    page = new_page()
    page.goto("/")
    page.click("a:has-text('证书核验')")
    number = awarded["numbers"][0]
    page.fill("input[name=number]", number.lower())
    page.click("button:has-text('核验')")
    page.wait_for_url(f"**/verify/{number}")
    assert "有效" in page.locator(".check-status").inner_text()
    assert "苏州第1精密制造有限公司" in page.content()
