"""An objection's path: a reference on filing, a lookup by reference and phone, the office's answer sent and
shown, the archive, and the ID card number masked everywhere but the office's own objection page."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from award.auth.models import Role
from award.notice import services
from award.notice.masking import mask_id_number
from award.notice.models import Objection, ObjectionOutcome
from award.notice.references import new_reference, normalize_reference
from award.notifications.models import OutboxMessage
from tests.approval.access_world import decision_world
from tests.approval.world import pdf_bytes
from tests.notice.test_objections import ID_NUMBER, candidate_id, file, good

MASKED = "1101**********002X"


@pytest.fixture
def world(db, app, make_user, make_cycle, make_organization, tmp_path):
    users = {role.value: make_user(role) for role in Role}
    return {**decision_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                             root=tmp_path / "objections"), "users": users, "root": tmp_path / "objections"}


# --- masking: one function ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "masked"), [
    (ID_NUMBER, MASKED), ("11010519491231002x", "1101**********002x"), ("", ""), (None, ""),
    ("12345678", "********"), ("123456789", "1234*6789"),
])
def test_an_id_number_keeps_only_its_region_and_its_last_four(value, masked):
    assert mask_id_number(value) == masked


# --- references -----------------------------------------------------------------------------------


def test_a_reference_reads_back_however_it_is_typed():
    reference = new_reference(2026)
    assert reference.startswith("YY2026-") and len(reference) == 13
    assert normalize_reference(f"  {reference.lower().replace('-', ' ')} ") == reference
    assert normalize_reference("YY2026-OOOOOO") is None and normalize_reference("x" * 500) is None


def test_each_objection_gets_its_own_reference(db, world):
    filed = [file(db, world, good(candidate_id(db, world))) for _ in range(3)]
    references = [o.reference for o in filed]
    assert all(r and r.startswith("YY") for r in references) and len(set(references)) == 3


def test_the_database_refuses_a_reference_twice(db, world):
    first = file(db, world, good(candidate_id(db, world)))
    second = file(db, world, good(candidate_id(db, world)))
    second.reference = first.reference
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.flush()
    db.rollback()


def test_a_drawn_reference_already_held_is_drawn_again(db, world, monkeypatch):
    taken = file(db, world, good(candidate_id(db, world))).reference
    draws = iter([taken, taken, "YY2026-AAAAAA"])
    monkeypatch.setattr(services, "new_reference", lambda year: next(draws))
    assert services.unused_reference(db, year=2026) == "YY2026-AAAAAA"


# --- lookup ---------------------------------------------------------------------------------------


def test_the_objector_looks_up_with_the_number_and_the_phone(db, world):
    objection = file(db, world, good(candidate_id(db, world)))
    status = services.lookup_objection(db, reference=objection.reference.lower(), phone="139-1234-5678")
    assert status is not None and status.outcome is ObjectionOutcome.PENDING and status.answer == ""
    assert status.id_number_masked == MASKED


@pytest.mark.parametrize("case", ["wrong phone", "unknown number", "no reference", "empty phone"])
def test_a_wrong_phone_and_an_unknown_number_give_the_same_answer(db, world, client, case):
    objection = file(db, world, good(candidate_id(db, world)))
    reference, phone = {"wrong phone": (objection.reference, "13900000000"),
                        "unknown number": ("YY2026-AAAAAA", "13912345678"),
                        "no reference": ("hello", "13912345678"),
                        "empty phone": (objection.reference, "")}[case]
    assert services.lookup_objection(db, reference=reference, phone=phone) is None
    db.commit()
    response = client.post("/notices/objections/status", data={"reference": reference, "phone": phone or "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "No objection was found" in page and "张三" not in page


def test_lookups_are_throttled_per_address(client, app):
    app.config["OBJECTION_LOOKUPS_PER_ADDRESS"] = "3 per hour"
    statuses = [client.post("/notices/objections/status", data={"reference": "YY2026-AAAAAA",
                                                                 "phone": "13912345678"}).status_code
                for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


# --- the answer ---------------------------------------------------------------------------------


def _decide(db, world, objection):
    return services.decide_objection(db, actor=world["users"]["office"], objection=objection,
                                     outcome=ObjectionOutcome.DISMISSED, reason="内部：投诉已结案",
                                     answer="经核查，该投诉已于 2024 年处理完毕，异议不成立。")


def test_the_answer_is_required(db, world):
    objection = db.get(Objection, world["objection_id"])
    with pytest.raises(Exception, match="answer the objector"):
        services.decide_objection(db, actor=world["users"]["office"], objection=objection,
                                  outcome=ObjectionOutcome.DISMISSED, reason="经核查", answer="  ")


def test_the_answer_goes_through_the_outbox_to_an_objector_with_an_address(db, world):
    objection = file(db, world, good(candidate_id(db, world), email="zhang@example.cn"))
    before = set(db.scalars(select(OutboxMessage.id)))
    _decide(db, world, objection)
    sent = [m for m in db.scalars(select(OutboxMessage)) if m.id not in before]
    assert [(m.recipient, m.kind, m.user_id) for m in sent] == [("zhang@example.cn", "objection_answered", None)]
    assert objection.reference in sent[0].subject and "异议不成立" in sent[0].text
    assert ID_NUMBER not in sent[0].text and "投诉已结案" not in sent[0].text  # the internal reasons stay inside
    assert "/notices/objections/status" in sent[0].text
    # Why it came, for someone without an account: the objection, not e-mail settings they do not have.
    footer = sent[0].text
    assert "gave this address with your objection" in footer or "提交异议时填写了此邮箱" in footer
    assert "E-mail settings" not in sent[0].text and "邮件设置" not in sent[0].text


def test_without_an_address_the_answer_is_only_shown_on_lookup(db, world):
    objection = file(db, world, good(candidate_id(db, world)))
    before = db.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    _decide(db, world, objection)
    assert db.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) == before
    status = services.lookup_objection(db, reference=objection.reference, phone="13912345678")
    assert status.outcome is ObjectionOutcome.DISMISSED and "异议不成立" in status.answer and not status.emailed


def test_a_bad_address_is_refused_with_the_reason(db, world):
    with pytest.raises(Exception, match="not an e-mail address"):
        file(db, world, good(candidate_id(db, world), email="not an address"))


def test_the_lookup_page_shows_the_answer_and_a_masked_id(db, world, client):
    objection = file(db, world, good(candidate_id(db, world)))
    _decide(db, world, objection)
    db.commit()
    page = client.post("/notices/objections/status", data={"reference": objection.reference,
                                                           "phone": "13912345678"}).get_data(as_text=True)
    assert objection.reference in page and "异议不成立" in page and MASKED in page and ID_NUMBER not in page


# --- masking everywhere but the office's detail page ----------------------------------------------------


def test_the_received_page_shows_the_reference(client, db, world):
    data = {"candidate": str(candidate_id(db, world)), "name": "张三", "id_number": ID_NUMBER,
            "phone": "13912345678", "text": "数据不实", "evidence": (io.BytesIO(pdf_bytes()), "e.pdf")}
    response = client.post(f"/notices/{world['notice_id']}/object", data=data, content_type="multipart/form-data")
    reference = db.scalars(select(Objection.reference).order_by(Objection.id.desc())).first()
    assert reference in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(("role", "whole"), [(Role.OFFICE, True), (Role.SUPERVISOR, False)])
def test_only_the_office_detail_page_shows_the_whole_id_number(client, login, world, role, whole):
    login(world["users"][role.value])
    detail = client.get(f"/notices/objections/{world['objection_id']}").get_data(as_text=True)
    assert (ID_NUMBER in detail) is whole and (MASKED in detail) is not whole


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SUPERVISOR])
def test_the_list_masks_the_id_number(client, login, db, world, role):
    login(world["users"][role.value])
    objection = db.get(Objection, world["objection_id"])
    page = client.get(f"/notices/cycles/{objection.notice.cycle_id}").get_data(as_text=True)
    assert MASKED in page and ID_NUMBER not in page


def test_notifications_and_the_audit_trail_never_carry_the_id_number(db, world):
    from award.audit.models import AuditRecord
    from award.notifications.models import Notification
    objection = file(db, world, good(candidate_id(db, world), email="zhang@example.cn"))
    _decide(db, world, objection)
    texts = [n.title + n.body for n in db.scalars(select(Notification))]
    texts += [m.subject + m.text + m.html for m in db.scalars(select(OutboxMessage))]
    texts += [json.dumps(r.after, ensure_ascii=False) for r in db.scalars(select(AuditRecord))]
    assert texts and not [t for t in texts if ID_NUMBER in t]


def test_the_archive_holds_reference_and_answer_with_the_id_masked(db, world, tmp_path):
    from award.archive.sections import ArchiveContext, notice
    objection = file(db, world, good(candidate_id(db, world), email="zhang@example.cn"))
    _decide(db, world, objection)
    context = ArchiveContext(session=db, cycle=objection.notice.cycle)
    files = dict((name, content) for name, content in notice(context) if name == "objections.json")
    rows = {row["reference"]: row for row in json.loads(files["objections.json"])}
    row = rows[objection.reference]
    assert row["answer"].startswith("经核查") and row["outcome"] == "dismissed" and row["answer_emailed"]
    assert row["id_number"] == MASKED and ID_NUMBER not in files["objections.json"].decode()


def test_an_objector_with_an_address_gets_a_confirmation_with_the_reference(db, world):
    objection = file(db, world, good(candidate_id(db, world), email="zhang@example.cn"))
    [mail] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "objection_filed"))
    assert mail.recipient == "zhang@example.cn" and objection.reference in mail.subject
    assert objection.reference in mail.text and ID_NUMBER not in mail.text
