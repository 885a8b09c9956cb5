"""The call's services: the office writes, publishes and files it; the rules hold whoever calls them."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from award.applications.evidence import EvidenceStore
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.calls import services
from award.calls.files import DOCX, XLSX
from award.calls.models import CallAttachment
from award.calls.queries import can_read_call, open_calls, published_calls
from award.cycles.models import Stage
from award.errors import Conflict, Invalid, NotAllowed
from tests.calls.files import docx_bytes, macro_docx_bytes, pdf_bytes, png_seal, xlsx_bytes
from tests.calls.world import TEXT

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def cycle(make_cycle):
    return make_cycle(stage=Stage.APPLICATION, deadlines={Stage.APPLICATION: NOW + dt.timedelta(days=3, hours=4)})


@pytest.fixture
def store(tmp_path):
    return EvidenceStore(tmp_path / "calls")


@pytest.fixture
def call(db, office, cycle):
    return services.save_call(db, actor=office, cycle=cycle, text=TEXT)


def actions(db, cycle_id: int) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).where(AuditRecord.cycle_id == cycle_id,
                                                             AuditRecord.action.like("call.%"))
                           .order_by(AuditRecord.seq)))


# --- text, draft and publication ---------------------------------------------------------------

def test_a_new_call_is_a_draft_that_the_public_cannot_read(db, call, cycle):
    assert call.title == TEXT.title and not call.published
    assert published_calls(db) == [] and not can_read_call(None, call)
    assert actions(db, cycle.id) == ["call.saved"]


def test_publishing_makes_it_public_and_is_on_record(db, office, call, cycle):
    services.publish_call(db, actor=office, call=call, now=NOW)
    assert call.published_at == NOW and call.published_by_id == office.id
    assert published_calls(db) == [call] and can_read_call(None, call)
    assert open_calls(db, NOW) == [call]
    assert open_calls(db, NOW + dt.timedelta(days=4)) == []  # the application deadline has passed
    assert actions(db, cycle.id) == ["call.saved", "call.published"]


def test_editing_a_published_call_keeps_it_published_and_records_what_changed(db, office, call, cycle):
    services.publish_call(db, actor=office, call=call)
    services.save_call(db, actor=office, cycle=cycle, text=services.CallText(title=TEXT.title, body="新的正文"))
    assert call.published and call.body == "新的正文" and call.guidelines == ""
    saved = db.scalars(select(AuditRecord).where(AuditRecord.action == "call.saved")
                       .order_by(AuditRecord.seq.desc())).first()
    assert set(saved.after) == {"body", "guidelines", "contact", "published"}  # the title did not change
    assert saved.before["body"] == TEXT.body


def test_unpublishing_hides_it_again(db, office, call, cycle):
    services.publish_call(db, actor=office, call=call)
    services.unpublish_call(db, actor=office, call=call)
    assert not call.published and published_calls(db) == []
    assert actions(db, cycle.id)[-1] == "call.unpublished"


def test_a_call_is_published_once(db, office, call):
    services.publish_call(db, actor=office, call=call)
    with pytest.raises(Conflict) as refused:
        services.publish_call(db, actor=office, call=call)
    assert refused.value.code == "already_published"
    services.unpublish_call(db, actor=office, call=call)
    with pytest.raises(Conflict):
        services.unpublish_call(db, actor=office, call=call)


def test_an_empty_call_is_not_published(db, office, cycle):
    call = services.save_call(db, actor=office, cycle=cycle, text=services.CallText(title="通知"))
    with pytest.raises(Invalid) as refused:
        services.publish_call(db, actor=office, call=call)
    assert refused.value.code == "empty_call" and not call.published


@pytest.mark.parametrize(("text", "words"), [
    (services.CallText(title="  "), "title"),
    (services.CallText(title="通知\u202e"), "Title of the call"),  # a bidirectional control
    (services.CallText(title="x" * 201, body="正文"), "at most 200"),
    (services.CallText(title="通知", body="正文\x07"), "Text of the call"),
    (services.CallText(title="通知", guidelines="x" * 50_001), "50000"),
    (services.CallText(title="通知", contact="x" * 501), "500"),
])
def test_bad_text_is_refused_with_a_reason_and_nothing_written(db, office, cycle, text, words):
    with pytest.raises(Invalid) as refused:
        services.save_call(db, actor=office, cycle=cycle, text=text)
    assert words in refused.value.message
    assert services.call_of(db, cycle) is None and actions(db, cycle.id) == []


def test_markup_is_kept_as_text(db, office, cycle):
    call = services.save_call(db, actor=office, cycle=cycle,
                              text=services.CallText(title="<script>x</script>", body="<img src=x onerror=alert(1)>"))
    assert call.body == "<img src=x onerror=alert(1)>"  # stored as typed; the page escapes it


# --- authorization and stage, in the service ---------------------------------------------------

@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.EXPERT, Role.LEADER, Role.SUPERVISOR])
def test_only_the_office_writes_publishes_and_files_a_call(db, make_user, office, cycle, call, store, role):
    someone = make_user(role)
    with pytest.raises(NotAllowed):
        services.save_call(db, actor=someone, cycle=cycle, text=TEXT)
    with pytest.raises(NotAllowed):
        services.publish_call(db, actor=someone, call=call)
    with pytest.raises(NotAllowed):
        services.add_call_attachment(db, actor=someone, call=call, data=pdf_bytes(), filename="a.pdf", store=store,
                                     limits=services.CallLimits())
    assert not call.published and call.attachments == [] and actions(db, cycle.id) == ["call.saved"]


def test_a_closed_cycle_s_call_is_frozen(db, office, cycle, call):
    cycle.stage = Stage.CLOSED
    with pytest.raises(Conflict) as refused:
        services.publish_call(db, actor=office, call=call)
    assert refused.value.code == "cycle_closed"


# --- attachments --------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "name", "content_type", "label"), [
    (pdf_bytes(), "申报书.pdf", "application/pdf", "申报书.pdf"),
    (png_seal(), "流程图.png", "image/png", "流程图.png"),
    (docx_bytes(), "申报书模板.docx", DOCX, "申报书模板.docx"),
    (xlsx_bytes(), "企业基本情况表.xlsx", XLSX, "企业基本情况表.xlsx"),
    (docx_bytes(), "../../etc/模板.pdf", DOCX, "模板.docx"),  # the label follows the content, without a path
])
def test_accepted_files_are_stored_with_their_digest(db, office, call, store, data, name, content_type, label):
    attachment = services.add_call_attachment(db, actor=office, call=call, data=data, filename=name, store=store,
                                              limits=services.CallLimits())
    assert (attachment.content_type, attachment.display_name) == (content_type, label)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest() and attachment.size_bytes == len(data)
    assert store.read(attachment.sha256) == data
    assert actions(db, call.cycle_id)[-1] == "call.file_added"


@pytest.mark.parametrize(("data", "code"), [
    (b"", "file_empty"),
    (b"MZ\x90\x00 an executable", "file_type"),
    (b"<html><script>alert(1)</script></html>", "file_type"),
    (macro_docx_bytes(), "file_office"),
    (docx_bytes(content_types_extra='<Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'),
     "file_office"),
    (b"PK\x03\x04 not really a zip", "file_office"),
    (b"%PDF-1.7 broken", "file_pdf_unreadable"),
])
def test_bad_files_are_refused_and_nothing_is_stored(db, office, call, store, data, code):
    with pytest.raises(Invalid) as refused:
        services.add_call_attachment(db, actor=office, call=call, data=data, filename="x.pdf", store=store,
                                     limits=services.CallLimits())
    assert refused.value.code == code
    assert db.scalars(select(CallAttachment)).all() == [] and not (store.root.exists() and any(store.root.iterdir()))


def test_the_size_limit_is_stated_and_enforced(db, office, call, store):
    data = pdf_bytes()
    limits = services.CallLimits(max_file_bytes=len(data) - 1)
    with pytest.raises(Invalid) as refused:
        services.add_call_attachment(db, actor=office, call=call, data=data, filename="a.pdf", store=store,
                                     limits=limits)
    assert refused.value.code == "file_too_large" and "MB" in refused.value.message


def test_the_number_of_files_is_limited(db, office, call, store):
    limits = services.CallLimits(max_files=2)
    for number in range(2):
        services.add_call_attachment(db, actor=office, call=call, data=pdf_bytes(), filename=f"{number}.pdf",
                                     store=store, limits=limits)
    with pytest.raises(Conflict) as refused:
        services.add_call_attachment(db, actor=office, call=call, data=pdf_bytes(), filename="3.pdf", store=store,
                                     limits=limits)
    assert refused.value.code == "too_many_files"


def test_removing_a_file_is_on_record_and_its_bytes_go_after_the_commit(db, office, call, store):
    attachment = services.add_call_attachment(db, actor=office, call=call, data=pdf_bytes(), filename="a.pdf",
                                              store=store, limits=services.CallLimits())
    path = store.path_of(attachment.sha256)
    services.remove_call_attachment(db, actor=office, attachment=attachment, store=store)
    assert call.attachments == [] and path.exists()
    db.commit()
    assert not path.exists()
    assert actions(db, call.cycle_id)[-1] == "call.file_removed"
