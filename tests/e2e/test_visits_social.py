"""In a real browser, at 1280 and 390 px: the office schedules a visit, the team leader fills a checklist line
with a photo, the office records a veto, the public sees the comment form. No page scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
from PIL import Image

from award.app_db import get_database
from award.applications.models import Application, ApplicationStatus
from award.cycles.models import Stage
from award.db import utcnow
from award.social.models import CommentWindow
from tests.conftest import PASSWORD, cycle_factory, organization_factory, user_factory
from tests.e2e.pages import sign_in
from tests.visits.world import visit_world

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture(scope="module")
def seeded(live_app):
    with live_app.app_context():
        db = get_database(live_app).session_factory()
        make_organization = organization_factory(db)
        make_user = user_factory(db, make_organization)
        world = visit_world(db, make_user=make_user, make_cycle=cycle_factory(db), make_organization=make_organization)
        for user in (world.office, world.team[0]):
            user.locale = "zh_CN"
        social = cycle_factory(db)(stage=Stage.DELIBERATION)
        for name in ("无锡精工机械有限公司", "常州新材料科技股份有限公司"):
            organization = make_organization(name=name)
            db.add(Application(cycle_id=social.id, organization_id=organization.id, org_name=name, sector="C",
                               status=ApplicationStatus.ELIGIBLE))
        db.add(CommentWindow(cycle_id=social.id, opens_at=utcnow() - dt.timedelta(hours=1),
                             closes_at=utcnow() + dt.timedelta(days=5)))
        db.commit()
        ids = {"cycle": world.cycle.id, "application": world.application.id, "office": world.office.email,
               "leader": world.team[0].email, "social": social.id}
        db.close()
    return ids


def photo_file(tmp_path) -> str:
    path = tmp_path / "现场照片.jpg"
    Image.new("RGB", (640, 480), (40, 90, 160)).save(path, format="JPEG")
    return str(path)


@pytest.mark.parametrize("mobile", [False, True], ids=["1280", "390"])
def test_visit_and_social_pages_read_well(new_page, seeded, screenshot, tmp_path, mobile):
    width = "390" if mobile else "1280"
    office = new_page(mobile=mobile)
    sign_in(office, seeded["office"], PASSWORD)
    office.goto(f"/visits/cycles/{seeded['cycle']}")
    prefix = f"visit{seeded['application']}"
    office.fill(f"input[name='{prefix}-visit_on']", (utcnow().date() + dt.timedelta(days=7)).isoformat())
    office.fill(f"textarea[name='{prefix}-itinerary']",
                "9:00 首次会议，质量部座谈\n10:30 生产现场、检测中心\n15:00 末次会议")
    office.click(f"#visit-{seeded['application']} input[type=submit]")
    assert "已通知企业和评审组" in office.content()
    assert office.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(office, f"office-visits-{width}")

    leader = new_page(mobile=mobile)
    sign_in(leader, seeded["leader"], PASSWORD)
    leader.goto("/visits/mine")
    leader.click("table a")
    leader.evaluate("document.getElementById('item-4.1.2').open = true")  # each item is a line that opens
    leader.select_option("select[name='item4_1_2-status']", "partly")
    leader.fill("textarea[name='item4_1_2-note']", "高层领导主持月度质量例会，纪要齐全；战略展开到班组不足。")
    leader.click("#item-4\\.1\\.2 input[type=submit]")
    leader.select_option("select[name=item_id]", "4.1.2")
    leader.set_input_files("input[name=photo]", photo_file(tmp_path))
    leader.click("input[name=upload]")
    assert "照片已作为证据保存" in leader.content() and "现场照片.jpg" in leader.content()
    assert leader.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(leader, f"expert-visit-{width}")
    with leader.expect_download() as download:
        leader.click("text=现场评审报告（PDF）")
    assert download.value.suggested_filename.endswith(".pdf")

    office.goto(f"/social/cycles/{seeded['social']}")
    assert office.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(office, f"office-social-{width}")
    office.click("table a:has-text('无锡精工机械有限公司')")
    office.select_option("select[name=level]", "veto")
    office.fill("textarea[name=reason]", "近三年内产品质量抽查不合格")
    office.fill("textarea[name=evidence]", "市市场监管局质量抽查通报 2026-05-01")
    office.once("dialog", lambda dialog: dialog.accept())
    office.click("input[name=save]")
    assert "评价结论已记录" in office.content()
    screenshot(office, f"office-social-veto-{width}")

    visitor = new_page(mobile=mobile)
    visitor.goto(f"/social/cycles/{seeded['social']}/comment")
    assert "不受理匿名意见" in visitor.content() and visitor.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(visitor, f"public-social-comment-{width}")
