"""The call's pages: the public page without login, the home pages' link, and the office's page."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from award.auth.models import Role
from award.calls import services
from award.calls.models import CycleCall
from award.cycles.models import Stage
from award.db import utcnow
from tests.calls.files import docx_bytes, pdf_bytes
from tests.calls.world import TEXT


@pytest.fixture
def app_config(tmp_path):
    return {"FILES_ROOT": str(tmp_path / "calls"), "CALL_FILE_MAX_BYTES": 200_000}


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def cycle(make_cycle):
    return make_cycle(stage=Stage.APPLICATION,
                      deadlines={Stage.APPLICATION: utcnow() + dt.timedelta(days=3, hours=4, minutes=30),
                                 Stage.DOCUMENT_REVIEW: utcnow() + dt.timedelta(days=40)})


@pytest.fixture
def call(db, office, cycle):
    call = services.save_call(db, actor=office, cycle=cycle, text=TEXT)
    db.commit()
    return call


@pytest.fixture
def published(db, office, call):
    services.publish_call(db, actor=office, call=call)
    db.commit()
    return call


def test_a_visitor_reads_a_published_call_with_its_deadlines(client, published, cycle):
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert TEXT.title in page and "一、申报条件<br>二、申报材料" in page
    assert "Applications close" in page and "3 days 4 hours left" in page
    assert "Document review closes" in page and "39 days 23 hours left" in page
    assert 'href="/register"' in page and f"/login?next=/calls/{cycle.id}" in page


def test_the_page_speaks_chinese_and_beijing_time(client, published, cycle):
    client.post("/language/zh_CN")
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert "申报截止" in page and "还剩 3 天 4 小时" in page and "材料评审截止" in page
    due = cycle.deadline(Stage.APPLICATION).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert due.strftime("%Y-%m-%d %H:%M") in page


def test_a_draft_is_a_404_for_the_public_and_a_preview_for_the_office(client, login, call, cycle, office,
                                                                          make_user):
    assert client.get(f"/calls/{cycle.id}").status_code == 404
    assert client.get("/calls/").get_data(as_text=True).count(TEXT.title) == 0
    login(make_user(Role.ENTERPRISE))
    assert client.get(f"/calls/{cycle.id}").status_code == 404
    client.post("/logout")
    login(office)
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert "Draft: the public cannot see this call" in page


def test_markup_in_the_text_is_shown_as_text(db, client, office, cycle):
    call = services.save_call(db, actor=office, cycle=cycle, text=services.CallText(
        title="<b>通知</b>", body="<script>alert(1)</script>\n<a href='x'>链接</a>"))
    services.publish_call(db, actor=office, call=call)
    db.commit()
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<a href='x'>" not in page and "&lt;b&gt;通知&lt;/b&gt;" in page


def test_the_home_page_links_an_open_call_only(db, client, office, published, cycle):
    assert f'href="/calls/{cycle.id}"' in client.get("/").get_data(as_text=True)
    services.unpublish_call(db, actor=office, call=published)
    db.commit()
    assert f'href="/calls/{cycle.id}"' not in client.get("/").get_data(as_text=True)


def test_a_call_whose_deadline_passed_leaves_the_home_page_but_stays_listed(db, client, published, cycle):
    cycle.deadlines[0].due_at = utcnow() - dt.timedelta(minutes=1)
    db.commit()
    assert f'href="/calls/{cycle.id}"' not in client.get("/").get_data(as_text=True)
    assert f'href="/calls/{cycle.id}"' in client.get("/calls/").get_data(as_text=True)
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert "Applications are closed." in page and "Deadline passed" in page
    assert "/register" not in page.split("<main", 1)[1]


def test_a_signed_in_enterprise_goes_straight_to_its_application(client, login, make_user, published, cycle):
    login(make_user(Role.ENTERPRISE))
    assert f'href="/calls/{cycle.id}"' in client.get("/dashboard").get_data(as_text=True)
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert f'action="/applications/start/{cycle.id}"' in page
    started = client.post(f"/applications/start/{cycle.id}")
    assert started.status_code == 302 and started.location.endswith("/edit")
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert started.location in page and "Open my application" in page


def test_the_office_writes_publishes_and_attaches(client, login, office, cycle):
    login(office)
    assert client.get(f"/calls/manage/{cycle.id}").status_code == 200
    saved = client.post(f"/calls/manage/{cycle.id}", data={"title": "申报通知", "body": "正文\n\n第二段",
                                                           "guidelines": "", "contact": ""})
    assert saved.status_code == 302
    uploaded = client.post(f"/calls/manage/{cycle.id}/files",
                           data={"file": (io.BytesIO(docx_bytes()), "申报书模板.docx")})
    assert uploaded.status_code == 302
    assert client.post(f"/calls/manage/{cycle.id}/publish").status_code == 302
    client.post("/logout")
    page = client.get(f"/calls/{cycle.id}").get_data(as_text=True)
    assert "第二段" in page and "申报书模板.docx" in page


def test_a_bad_upload_is_refused_in_words_on_the_page(client, login, office, call, cycle):
    login(office)
    refused = client.post(f"/calls/manage/{cycle.id}/files", data={"file": (io.BytesIO(b"MZ\x90"), "a.docx")})
    assert refused.status_code == 422
    assert "Only PDF, Word (DOCX), Excel (XLSX), JPEG and PNG files are accepted" in refused.get_data(as_text=True)
    too_large = client.post(f"/calls/manage/{cycle.id}/files",
                            data={"file": (io.BytesIO(b"%PDF-" + b"0" * 200_001), "big.pdf")})
    assert too_large.status_code == 422 and "larger than 0.2 MB" in too_large.get_data(as_text=True)


def test_the_limits_are_stated_before_upload(client, login, office, call, cycle):
    login(office)
    page = client.get(f"/calls/manage/{cycle.id}").get_data(as_text=True)
    assert "at most 0.2 MB per file and 20 files. The type is judged by the content" in page


def test_bad_text_is_refused_in_words_and_kept_in_the_form(client, login, office, cycle, db):
    login(office)
    refused = client.post(f"/calls/manage/{cycle.id}", data={"title": "通知", "body": "正文\x07"})
    assert refused.status_code == 422 and "正文" in refused.get_data(as_text=True)
    assert db.query(CycleCall).count() == 0


def test_the_supervisor_reads_the_office_page_without_its_forms(client, login, make_user, published, cycle):
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/calls/manage/{cycle.id}").get_data(as_text=True)
    assert TEXT.title in page and "<form method=\"post\" action=\"/calls/manage" not in page
    assert client.post(f"/calls/manage/{cycle.id}/unpublish").status_code == 403


def test_a_file_downloads_as_stored(db, client, office, published, cycle, app):
    from award.applications.evidence import EvidenceStore

    data = pdf_bytes()
    attachment = services.add_call_attachment(db, actor=office, call=published, data=data, filename="申报书.pdf",
                                              store=EvidenceStore(app.config["FILES_ROOT"]),
                                              limits=services.CallLimits())
    db.commit()
    response = client.get(f"/calls/{cycle.id}/files/{attachment.id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
