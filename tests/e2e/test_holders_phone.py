"""The public list of current holders on a 375 px phone: every column read in full, nothing cut off at the
screen's edge or hidden in a sideways scroll."""

from __future__ import annotations

import datetime as dt

import pytest

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus
from award.awards.models import Award
from award.cycles.models import Stage
from tests.conftest import cycle_factory, organization_factory

# Every cell of the table inside the screen, none wider than its text allows.
CELLS_INSIDE = """() => [...document.querySelectorAll("main table td")].filter(
  (cell) => cell.getBoundingClientRect().right > document.documentElement.clientWidth + 1
  || cell.scrollWidth > cell.clientWidth + 1).map((cell) => cell.innerText)"""


@pytest.fixture(scope="module")
def holders(live_app):
    with live_app.app_context():
        db = get_database(live_app).session_factory()
        cycle = cycle_factory(db)(stage=Stage.AWARDED)
        today = dt.date.today()
        for number, name in enumerate(("张家港沙钢特种钢材有限公司", "苏州东方医疗器械有限公司"), start=1):
            organization = organization_factory(db)(name=name)
            application = Application(cycle_id=cycle.id, organization_id=organization.id, org_name=name,
                                      sector="C", status=ApplicationStatus.ELIGIBLE)
            db.add(application)
            db.flush()
            db.add(Award(cycle_id=cycle.id, application_id=application.id, organization_id=organization.id,
                         organization_name=name, title=f"{cycle.year}年度市长质量奖提名奖",
                         awarded_on=today - dt.timedelta(days=30), valid_until=today + dt.timedelta(days=1400),
                         certificate_number=f"2099-TEST000{number}"))
        db.commit()
        db.close()


def test_the_holders_list_reads_in_full_on_a_phone(browser, live_server, holders, screenshot):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 375, "height": 740},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto("/awards/holders")
    assert "苏州东方医疗器械有限公司" in page.content()
    assert page.evaluate(CELLS_INSIDE) == []
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    labels = page.evaluate("""() => [...document.querySelectorAll("main table td")].map(
      (cell) => getComputedStyle(cell, "::before").content)""")
    assert '"有效期至："' in labels  # each value says which column it is
    screenshot(page, "public-holders-375")
    context.close()
