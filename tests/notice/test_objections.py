"""Objections: real-name and inside the period only, with evidence; refused ones say why; rate-limited."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from award.applications.evidence import EvidenceStore
from award.auth.models import Role
from award.db import utcnow
from award.errors import DomainError
from award.notice import services
from award.notice.models import Objection, ObjectionOutcome, PublicNotice
from award.notice.services import ObjectionInput
from tests.approval.access_world import decision_world
from tests.approval.world import pdf_bytes

ZONE = ZoneInfo("Asia/Shanghai")
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def app_config():
    return {"OBJECTIONS_PER_ADDRESS": "3 per hour"}


@pytest.fixture
def world(db, app, make_user, make_cycle, make_organization, tmp_path):
    users = {role.value: make_user(role) for role in Role}
    return {**decision_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                             root=tmp_path / "objections"), "users": users, "root": tmp_path / "objections"}


def good(candidate_id: int, **changes) -> ObjectionInput:
    values = {"candidate_id": candidate_id, "name": "张三", "id_number": ID_NUMBER, "organization": "",
              "phone": "139 1234 5678", "text": "数据不实", "evidence": pdf_bytes(), "filename": "证据.pdf"}
    values.update(changes)
    return ObjectionInput(**values)


def file(db, world, data, now=None):
    notice = db.get(PublicNotice, world["notice_id"])
    return services.file_objection(db, notice=notice, data=data, store=EvidenceStore(world["root"]),
                                   remote_addr="203.0.113.9", zone=ZONE, now=now)


def candidate_id(db, world):
    return db.get(PublicNotice, world["notice_id"]).candidates[0].id


@pytest.mark.parametrize(("changes", "reason"), [
    ({"name": ""}, "anonymous objections are not accepted"),
    ({"name": "  "}, "anonymous objections are not accepted"),
    ({"id_number": "", "organization": ""}, "Give your ID card number, or the organization"),
    ({"id_number": "110105194912310021"}, "not a valid ID card number"),  # wrong check digit
    ({"id_number": "12345"}, "not a valid ID card number"),
    ({"phone": ""}, "phone number"),
    ({"phone": "call me"}, "phone number"),
    ({"text": ""}, "Write what your objection is about"),
    ({"evidence": b""}, "Attach the evidence"),
    ({"evidence": b"MZ\x90\x00 not a document"}, "Only PDF, JPEG and PNG"),
    ({"evidence": b"%PDF-1.7 broken"}, "cannot be opened"),
])
def test_anonymous_and_malformed_objections_are_refused_with_the_reason(db, world, changes, reason):
    with pytest.raises(DomainError) as refused:
        file(db, world, good(candidate_id(db, world), **changes))
    assert reason in refused.value.message
    assert db.scalar(select(func.count(Objection.id))) == 1  # only the world's own


def test_an_organization_may_object_without_an_id_number(db, world):
    objection = file(db, world, good(candidate_id(db, world), id_number="", organization="某某行业协会"))
    assert objection.organization == "某某行业协会" and objection.phone == "13912345678"


@pytest.mark.parametrize(("moment", "code"), [("after", "late"), ("before", "early")])
def test_objections_outside_the_period_are_refused(db, world, moment, code):
    notice = db.get(PublicNotice, world["notice_id"])
    when = notice.ends_at if moment == "after" else notice.published_at - dt.timedelta(seconds=1)
    with pytest.raises(DomainError) as refused:
        file(db, world, good(candidate_id(db, world)), now=when)
    assert refused.value.code == code
    if code == "late":
        assert "objections can no longer be filed" in refused.value.message


def test_an_objection_against_a_withdrawn_candidate_is_refused(db, world):
    candidate = db.get(PublicNotice, world["notice_id"]).candidates[0]
    candidate.withdrawn_at, candidate.withdrawn_reason = utcnow(), "earlier objection upheld"
    with pytest.raises(DomainError, match="already been withdrawn"):
        file(db, world, good(candidate.id))


def test_a_candidate_of_another_notice_is_refused(db, world):
    with pytest.raises(DomainError, match="Choose an organization"):
        file(db, world, good(999_999))


@pytest.mark.parametrize(("outcome", "withdrawn"), [(ObjectionOutcome.DISMISSED, False),
                                                     (ObjectionOutcome.UPHELD, True)])
def test_the_office_records_an_outcome_once(db, world, outcome, withdrawn):
    objection = db.get(Objection, world["objection_id"])
    office = world["users"]["office"]
    with pytest.raises(DomainError, match="reasons"):
        services.decide_objection(db, actor=office, objection=objection, outcome=outcome, reason=" ", answer="答复")
    services.decide_objection(db, actor=office, objection=objection, outcome=outcome, reason="经核查",
                              answer="经核查，异议不成立。")
    assert (objection.candidate.withdrawn_at is not None) is withdrawn
    with pytest.raises(DomainError, match="already has an outcome"):
        services.decide_objection(db, actor=office, objection=objection, outcome=outcome, reason="again",
                                  answer="again")


# --- through the browser -----------------------------------------------------------------------


def post(client, world, db, **changes):
    data = {"candidate": str(candidate_id(db, world)), "name": "张三", "id_number": ID_NUMBER,
            "phone": "13912345678", "text": "数据不实", "evidence": (io.BytesIO(pdf_bytes()), "e.pdf")}
    data.update(changes)
    return client.post(f"/notices/{world['notice_id']}/object", data=data, content_type="multipart/form-data")


def test_public_objection_through_the_browser(client, db, world):
    response = post(client, world, db)
    assert response.status_code == 302
    assert "Objection received" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.scalar(select(func.count(Objection.id))) == 2


def test_anonymous_objection_in_the_browser_shows_why(client, db, world):
    response = post(client, world, db, name="", id_number="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "anonymous objections are not accepted" in page


def test_late_objection_in_the_browser_shows_why(client, db, world):
    notice = db.get(PublicNotice, world["notice_id"])
    notice.published_at = utcnow() - dt.timedelta(days=10)
    notice.ends_at = utcnow() - dt.timedelta(days=1)
    db.commit()
    response = post(client, world, db)
    assert response.status_code == 409
    assert "objections can no longer be filed" in response.get_data(as_text=True)
    assert "Objections are accepted only during the notice period." in client.get(
        f"/notices/{world['notice_id']}/object").get_data(as_text=True)


def test_objections_are_rate_limited_per_address(client, db, world):
    statuses = [post(client, world, db, name="").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_the_public_notice_needs_no_login_and_shows_how_to_object(client, db, world):
    page = client.get(f"/notices/{world['notice_id']}").get_data(as_text=True)
    assert "How to object" in page and "证书和奖牌" in page and "Open for objections" in page
    assert "张三" not in page  # objections are not public


@pytest.mark.parametrize("candidate", ["²", "①", "9" * 25, "-1"])
def test_a_hostile_candidate_preselection_is_refused_with_a_message(client, db, world, candidate):
    response = client.get(f"/notices/{world['notice_id']}/object?candidate={candidate}")
    assert response.status_code == 400 and "candidate" in response.get_data(as_text=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "张\u202e三"}, "U+202E"),
    ({"organization": "苏州\u200b精工", "id_number": ""}, "U+200B"),
    ({"text": "数据\x07不实"}, "U+0007"),
])
def test_an_objection_with_hidden_characters_is_refused_by_the_service(db, world, changes, message):
    before = db.scalar(select(func.count(Objection.id)))
    with pytest.raises(DomainError, match=message.replace("+", r"\+")):
        file(db, world, good(candidate_id(db, world), **changes))
    assert db.scalar(select(func.count(Objection.id))) == before


@pytest.mark.parametrize("candidate", ["99999999999999999999999", "2147483648", "-9223372036854775809", "١"])
def test_a_hostile_candidate_in_the_form_is_refused_not_a_server_error(client, db, world, candidate):
    before = db.scalar(select(func.count(Objection.id)))
    response = post(client, world, db, candidate=candidate)
    assert response.status_code == 422
    assert db.scalar(select(func.count(Objection.id))) == before
