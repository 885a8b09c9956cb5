"""The application form in the browser: the autosave, the table of contents, files per item, the preview."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from award.applications import services
from award.applications.models import EvidenceFile
from award.audit.models import AuditRecord

from .conftest import complete_profile, image_bytes, pdf_bytes
from .test_routes import form_data


@pytest.fixture
def app_config(tmp_path):
    return {"FILES_ROOT": str(tmp_path / "evidence"), "EVIDENCE_MAX_FILE_BYTES": 50_000,
            "EVIDENCE_MAX_TOTAL_BYTES": 120_000}


def autosave(client, application, version, **fields):
    return client.post(f"/applications/{application.id}/autosave", json={"version": str(version), "fields": fields})


def test_autosave_saves_and_answers_the_new_version(db, client, login, draft, enterprise, open_cycle):
    login(enterprise)
    version = draft.version
    response = autosave(client, draft, version, org_name="苏州精密", item_0="自动保存的文字")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == version + 1
    db.refresh(draft)
    assert draft.self_assessment["4.1.2"] == "自动保存的文字"
    assert db.scalar(select(AuditRecord).where(AuditRecord.action == "application.draft_saved")) is not None


def test_autosave_with_a_stale_version_is_a_409_in_the_users_language(db, client, login, draft, enterprise):
    enterprise.locale = "zh_CN"
    db.commit()
    login(enterprise)
    version = draft.version
    assert autosave(client, draft, version, item_0="第一个标签页").status_code == 200
    response = autosave(client, draft, version, item_0="第二个标签页")
    assert response.status_code == 409
    body = response.get_json()
    assert body["conflict"] is True and body["version"] == version + 1
    assert "其他标签页或设备" in body["message"]
    db.refresh(draft)
    assert draft.self_assessment["4.1.2"] == "第一个标签页"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"version": "1", "fields": {"item_0": ["a"]}}',
                                  b'{"version": "x1", "fields": {}}', b'{"version": "1", "fields": []}'])
def test_autosave_refuses_a_body_of_the_wrong_shape_with_a_message(db, client, login, draft, enterprise, body):
    login(enterprise)
    response = client.post(f"/applications/{draft.id}/autosave", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["ok"] is False and response.get_json()["message"]


def test_autosave_refuses_a_submitted_application(db, client, login, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    login(enterprise)
    response = autosave(client, application, application.version, item_0="提交后")
    assert response.status_code == 409 and "read-only" in response.get_json()["message"]


def test_a_full_form_post_with_a_stale_version_keeps_the_text_and_overwrites_nothing(
        db, client, login, draft, enterprise, open_cycle):
    login(enterprise)
    stale = draft.version
    assert autosave(client, draft, stale, item_0="别处保存的").status_code == 200
    response = client.post(f"/applications/{draft.id}/edit",
                           data=form_data(open_cycle, item_0="这个页面写的", version=str(stale)))
    assert response.status_code == 409
    assert "这个页面写的" in response.get_data(as_text=True)
    db.refresh(draft)
    assert draft.self_assessment["4.1.2"] == "别处保存的"


def test_the_contents_show_each_item_and_the_count_on_first_render(db, client, login, draft, enterprise,
                                                                   store, limits):
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment={"4.1.2": "写了", "4.7.7": "也写了"})
    services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(), filename="a.pdf",
                          store=store, limits=limits, rubric_item_id="4.2.2")
    db.commit()
    login(enterprise)
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    assert "Completed 2 of 23 items" in page
    assert page.count('data-nav-item="') == 23
    assert re.search(r'class="nav-item state-partial" data-nav-item="4\.2\.2"', page)
    assert re.search(r'class="nav-item state-scored" data-nav-item="4\.1\.2"', page)
    assert "1 files" in page
    assert 'multiple form="upload-4.1.2"' in page and "and 10 files at once" in page


def test_several_files_for_an_item_one_bad_named_the_others_kept(db, client, login, draft, enterprise):
    login(enterprise)
    response = client.post(
        f"/applications/{draft.id}/evidence", content_type="multipart/form-data",
        headers={"Accept": "application/json"},
        data={"rubric_item": "4.3.2", "files": [(io.BytesIO(pdf_bytes()), "调查.pdf"),
                                                (io.BytesIO(b"MZ"), "坏.pdf"),
                                                (io.BytesIO(image_bytes("JPEG")), "照片.jpg")]})
    assert response.status_code == 200
    files = response.get_json()["files"]
    assert [f["ok"] for f in files] == [True, False, True]
    assert "Only PDF, JPEG and PNG" in files[1]["message"] and files[0]["item"] == "4.3.2"
    assert [f.rubric_item_id for f in db.scalars(select(EvidenceFile))] == ["4.3.2", "4.3.2"]


def test_files_for_an_item_of_another_rubric_are_refused(db, client, login, draft, enterprise):
    login(enterprise)
    response = client.post(f"/applications/{draft.id}/evidence", content_type="multipart/form-data",
                           headers={"Accept": "application/json"},
                           data={"rubric_item": "1.1", "files": [(io.BytesIO(pdf_bytes()), "a.pdf")]})
    assert response.status_code == 422 and "not part of the rubric" in response.get_json()["message"]
    assert db.scalars(select(EvidenceFile)).all() == []


def test_without_the_script_an_upload_returns_to_the_item(db, client, login, draft, enterprise):
    login(enterprise)
    response = client.post(f"/applications/{draft.id}/evidence", content_type="multipart/form-data",
                           data={"rubric_item": "4.5.2", "files": [(io.BytesIO(pdf_bytes()), "a.pdf")]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit#item-4.5.2")


def test_the_preview_is_inline_under_a_strict_policy(db, client, login, draft, enterprise, store, limits, app):
    login(enterprise)
    client.post(f"/applications/{draft.id}/evidence", content_type="multipart/form-data",
                data={"rubric_item": "4.5.2", "files": [(io.BytesIO(pdf_bytes()), "手册.pdf")]})
    evidence = db.scalars(select(EvidenceFile)).one()
    response = client.get(f"/applications/{draft.id}/files/{evidence.id}/view")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
