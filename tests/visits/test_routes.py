"""The visit pages through HTTP: the office schedules, the team fills the checklist and adds a photo, the report
downloads; refusals come back in the user's language."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from award.db import utcnow
from award.i18n import local_zone
from award.rounds.models import Assignment
from award.visits.models import SiteVisit
from award.visits.photos import has_location
from tests.visits.test_services import photo_with_location
from tests.visits.world import visit_world


@pytest.fixture
def world(db, make_user, make_cycle, make_organization):
    built = visit_world(db, make_user=make_user, make_cycle=make_cycle, make_organization=make_organization)
    db.commit()
    return built


def tomorrow() -> str:
    return (utcnow().astimezone(local_zone()).date() + dt.timedelta(days=1)).isoformat()


def test_the_office_schedules_and_the_team_works_on_the_checklist(db, client, login, world):
    login(world.office)
    prefix = f"visit{world.application.id}"
    page = client.get(f"/visits/cycles/{world.cycle.id}")
    assert page.status_code == 200 and "王组长" in page.get_data(as_text=True)
    answer = client.post(f"/visits/applications/{world.application.id}/schedule",
                         data={f"{prefix}-visit_on": tomorrow(), f"{prefix}-itinerary": "9:00 座谈\n10:00 车间"})
    assert answer.status_code == 302
    visit = db.query(SiteVisit).one()
    client.post("/logout")
    login(world.team[0])
    assert client.get("/visits/mine").get_data(as_text=True).count(f"/visits/{visit.id}") == 1
    saved = client.post(f"/visits/{visit.id}/items/4.1.2", data={"item4_1_2-status": "partly",
                                                                "item4_1_2-note": "例会纪要齐全"})
    assert saved.status_code == 302
    added = client.post(f"/visits/{visit.id}/photos", data={
        "item_id": "4.1.2", "strip_location": "y",
        "photo": (io.BytesIO(photo_with_location()), "现场.jpg")}, content_type="multipart/form-data")
    assert added.status_code == 302
    db.refresh(visit)
    (photo,) = visit.photos
    served = client.get(f"/visits/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and not has_location(served.data)
    shown = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "例会纪要齐全" in shown and "现场.jpg" in shown
    report = client.get(f"/visits/{visit.id}/report.pdf")
    assert report.status_code == 200 and report.data.startswith(b"%PDF-")


@pytest.mark.parametrize(("data", "message"), [
    ({"visit_on": "2020-01-01", "itinerary": "行程"}, "现场评审日期早于今天"),
    ({"visit_on": "２０２７-01-01", "itinerary": "行程"}, None),
    ({"visit_on": "99999-01-01", "itinerary": "行程"}, None),
    ({"visit_on": "", "itinerary": "行程"}, None),
    ({"itinerary": "行程\u202e", "visit_on": "2099-01-01"}, None),
])
def test_worst_schedules_are_refused_in_chinese_never_a_500(db, client, login, world, data, message):
    world.office.locale = "zh_CN"
    db.commit()
    login(world.office)
    prefix = f"visit{world.application.id}"
    answer = client.post(f"/visits/applications/{world.application.id}/schedule",
                         data={f"{prefix}-{k}": v for k, v in data.items()})
    assert answer.status_code in (400, 422), answer.status_code
    if message:
        assert message in answer.get_data(as_text=True)
    assert db.query(SiteVisit).count() == 0


def test_a_photo_that_is_no_image_is_refused_on_the_page(db, client, login, world):
    login(world.office)
    prefix = f"visit{world.application.id}"
    client.post(f"/visits/applications/{world.application.id}/schedule",
                data={f"{prefix}-visit_on": tomorrow(), f"{prefix}-itinerary": "9:00 座谈"})
    visit = db.query(SiteVisit).one()
    client.post("/logout")
    login(world.team[1])
    image = io.BytesIO()
    Image.new("RGB", (4, 4)).save(image, format="GIF")
    answer = client.post(f"/visits/{visit.id}/photos", data={
        "item_id": "4.1.2", "photo": (io.BytesIO(image.getvalue()), "a.gif")}, content_type="multipart/form-data")
    assert answer.status_code == 422 and "JPEG or PNG" in answer.get_data(as_text=True)
    assert client.post(f"/visits/{visit.id}/photos", data={"item_id": "../../etc", "photo": (
        io.BytesIO(photo_with_location()), "a.jpg")}, content_type="multipart/form-data").status_code == 404


def test_a_member_without_the_pledge_gets_the_pledge_link_not_the_checklist_form(db, client, login, world):
    visit = SiteVisit(round_id=world.review_round.id, application_id=world.application.id,
                      visit_on=utcnow().date(), itinerary="9:00 座谈")
    db.add(visit)
    seat = db.query(Assignment).filter_by(round_id=world.review_round.id, expert_id=world.team[1].id).one()
    seat.pledge_signed_at = None
    db.commit()
    login(world.team[1])
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f"/visits/{visit.id}/items/" not in page  # no form whose saving would be refused
    assert f"/assignments/{seat.id}/pledge" in page
