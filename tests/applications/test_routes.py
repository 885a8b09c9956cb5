"""The applications area in the browser: enterprise form and files, office list, export, screening."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from award.applications import services
from award.applications.evidence import EvidenceStore
from award.applications.models import Application, ApplicationStatus, BlacklistEntry, EvidenceFile
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric
from award.db import utcnow

from .conftest import complete_profile, full_texts, image_bytes, pdf_bytes


@pytest.fixture
def app_config(tmp_path):
    return {"FILES_ROOT": str(tmp_path / "evidence"), "EVIDENCE_MAX_FILE_BYTES": 50_000,
            "EVIDENCE_MAX_TOTAL_BYTES": 120_000}


def form_data(cycle, **overrides) -> dict[str, str]:
    data = {
        "org_name": "苏州精密制造有限公司", "address": "星湖街 1 号", "district": "工业园区", "sector": "C",
        "employees": "1200", "revenue": "56000.50", "founded_on": "2005-03-01", "qms_certified_on": "2010-06-01",
        "last_major_accident_on": "", "accident_note": "", "last_penalty_on": "", "penalty_note": "",
        "declaration_confirmed": "y", "save": "Save draft",
    }
    for index, item in enumerate(cycle_rubric(cycle).items):
        data[f"item_{index}"] = f"{item.id} 我们的做法与结果"
    data.update(overrides)
    return data


def test_enterprise_applies_fills_uploads_and_submits(db, client, login, open_cycle, enterprise, tmp_path):
    login(enterprise)
    assert open_cycle.title in client.get("/applications/").get_data(as_text=True)
    response = client.post(f"/applications/start/{open_cycle.id}")
    application = db.scalars(select(Application)).one()
    assert response.headers["Location"].endswith(f"/applications/{application.id}/edit")
    page = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert page.count('class="sa-item"') == 23 and "4.7.7" in page
    assert client.post(f"/applications/{application.id}/edit", data=form_data(open_cycle)).status_code == 302
    upload = client.post(f"/applications/{application.id}/files", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(pdf_bytes()), "../../质量手册.pdf")})
    assert upload.status_code == 302
    evidence = db.scalars(select(EvidenceFile)).one()
    assert EvidenceStore(tmp_path / "evidence").read_checked(evidence.sha256) == pdf_bytes()
    confirm = client.get(f"/applications/{application.id}/submit").get_data(as_text=True)
    assert "Submit now" in confirm
    assert client.post(f"/applications/{application.id}/submit").status_code == 302
    db.refresh(application)
    assert application.status is ApplicationStatus.SUBMITTED
    status_page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Submitted" in status_page and "质量手册.pdf" in status_page


def test_validation_error_keeps_the_typed_text(db, client, login, draft, enterprise, open_cycle):
    login(enterprise)
    data = form_data(open_cycle, founded_on="2005-13-45", item_0="很长的一段自评文字，不能丢")
    response = client.post(f"/applications/{draft.id}/edit", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "很长的一段自评文字，不能丢" in page and "2005-13-45" in page
    db.refresh(draft)
    assert draft.self_assessment == {}


def test_over_the_length_limit_keeps_the_typed_text(db, client, login, draft, enterprise, open_cycle, office):
    services.set_max_self_assessment_chars(db, actor=office, cycle=open_cycle, value=1000)
    db.commit()
    login(enterprise)
    response = client.post(f"/applications/{draft.id}/edit", data=form_data(open_cycle, item_0="字" * 1200))
    assert response.status_code == 422
    assert "at most 1,000" in response.get_data(as_text=True) and "字" * 1200 in response.get_data(as_text=True)


STASH_TOKEN = re.compile(r'name="stash_token" value="([^"]+)"')


def owner_stash_token(app, user, application) -> str:
    """The token the owner's edit form carries, read while their login was still valid.

    Its own app context: requests share the test's context otherwise, and with it the signed-in user."""
    with app.app_context():
        tab = app.test_client()
        tab.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
        page = tab.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    return STASH_TOKEN.search(page).group(1)


def test_expired_login_keeps_the_posted_draft(db, client, draft, enterprise, open_cycle, app):
    # The session has ended (not signed in) when the owner's form is posted.
    token = owner_stash_token(app, enterprise, draft)
    response = client.post(f"/applications/{draft.id}/edit",
                           data=form_data(open_cycle, item_0="登录过期前写的", stash_token=token))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_url = response.headers["Location"]
    response = client.post(login_url, data={"email": enterprise.email, "password": "correct-horse-battery"})
    assert response.status_code == 302
    restored = client.get(response.headers["Location"])
    page = restored.get_data(as_text=True)
    assert "登录过期前写的" in page and "Not saved yet" in page
    db.refresh(draft)
    assert draft.self_assessment == {}  # shown again, saved only when the user saves
    # The stash is single-use.
    assert "登录过期前写的" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_stash_is_not_restored_without_the_browser_cookie(db, client, draft, enterprise, open_cycle, app):
    token = owner_stash_token(app, enterprise, draft)
    response = client.post(f"/applications/{draft.id}/edit",
                           data=form_data(open_cycle, item_0="别人的文字", stash_token=token))
    restore = re.search(r"restore%3D([0-9a-f]+)", response.headers["Location"]).group(1)
    other = app.test_client()
    other.post("/login", data={"email": enterprise.email, "password": "correct-horse-battery"})
    page = other.get(f"/applications/{draft.id}/edit?restore={restore}").get_data(as_text=True)
    assert "别人的文字" not in page


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"<html><script>alert(1)</script></html>", "report.pdf", "Only PDF, JPEG and PNG"),
    (b"MZ\x90\x00" * 100, "photo.png", "Only PDF, JPEG and PNG"),
    (b"%PDF-1.4 broken", "scan.pdf", "cannot be opened"),
    (pdf_bytes() + b"%" * 60_000, "big.pdf", "larger than"),
])
def test_bad_uploads_are_refused_and_change_nothing(db, client, login, draft, enterprise, content, name, message):
    login(enterprise)
    response = client.post(f"/applications/{draft.id}/files", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), name)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_total_upload_limit(db, client, login, draft, enterprise):
    login(enterprise)
    png = image_bytes("PNG") + b"\0" * 45_000  # trailing bytes after IEND keep it a PNG
    for expected in (302, 302, 422):
        response = client.post(f"/applications/{draft.id}/files", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(png), "a.png")})
        assert response.status_code == expected
    assert "All files together" in response.get_data(as_text=True)


def test_editing_after_submission_is_refused(db, client, login, make_submitted, open_cycle, enterprise):
    application = make_submitted(open_cycle, enterprise)
    login(enterprise)
    response = client.post(f"/applications/{application.id}/edit", data=form_data(open_cycle, item_0="偷偷改"))
    assert response.status_code == 409 and "read-only" in response.get_data(as_text=True)
    db.refresh(application)
    assert "偷偷改" not in application.self_assessment.values()
    upload = client.post(f"/applications/{application.id}/files", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(pdf_bytes()), "x.pdf")})
    assert upload.status_code == 409


def test_late_submission_names_the_deadline(db, client, login, draft, enterprise, open_cycle):
    services.save_draft(db, actor=enterprise, application=draft, profile=complete_profile(),
                        self_assessment=full_texts(open_cycle))
    open_cycle.deadlines[0].due_at = utcnow() - dt.timedelta(minutes=5)
    db.commit()
    login(enterprise)
    response = client.post(f"/applications/{draft.id}/submit")
    assert response.status_code == 409
    assert "The application deadline was" in response.get_data(as_text=True)
    db.refresh(draft)
    assert draft.status is ApplicationStatus.DRAFT


def test_another_enterprise_sees_nothing_by_url(db, client, login, draft, enterprise, make_user, store, limits):
    evidence = services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(), filename="a.pdf",
                                     store=store, limits=limits)
    db.commit()
    login(make_user(Role.ENTERPRISE))
    for url in (f"/applications/{draft.id}", f"/applications/{draft.id}/edit",
                f"/applications/{draft.id}/files/{evidence.id}", f"/applications/{draft.id}/submit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/applications/{draft.id}/withdraw").status_code == 404
    assert client.post(f"/applications/{draft.id}/files/{evidence.id}/delete").status_code == 404
    db.refresh(draft)
    assert draft.status is ApplicationStatus.DRAFT and len(draft.files) == 1


def test_download_is_served_to_the_office_and_audited(db, client, login, draft, enterprise, office, app_config):

    store = EvidenceStore(app_config["FILES_ROOT"])
    data = pdf_bytes()
    evidence = services.add_evidence(db, actor=enterprise, application=draft, data=data, filename="a.pdf",
                                     store=store, limits=services.EvidenceLimits(max_file_bytes=10**6,
                                                                                  max_total_bytes=10**7))
    db.commit()
    login(office)
    response = client.get(f"/applications/{draft.id}/files/{evidence.id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "application.evidence_downloaded")).one()
    assert entry.actor_id == office.id and entry.after["sha256"] == evidence.sha256


def test_office_lists_filters_returns_and_exports(db, client, login, make_submitted, open_cycle, make_user, office):
    first = make_submitted(open_cycle, make_user(Role.ENTERPRISE), org_name="=HYPERLINK(\"x\")", district="吴中区")
    make_submitted(open_cycle, make_user(Role.ENTERPRISE), sector="F", district="姑苏区")
    login(office)
    page = client.get(f"/applications/cycle/{open_cycle.id}?district=吴中区").get_data(as_text=True)
    assert "HYPERLINK" in page and "姑苏区</td>" not in page
    response = client.get(f"/applications/cycle/{open_cycle.id}/export.xlsx?sector=C")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(\"x\")"
    assert rows[1][8] == 1200 and isinstance(rows[1][9], float)
    assert isinstance(rows[1][10], dt.datetime) and rows[1][10].date() == dt.date(2005, 3, 1)
    response = client.post(f"/applications/{first.id}/return", data={"reason": "请补充质量管理体系证书"})
    assert response.status_code == 302
    db.refresh(first)
    assert first.status is ApplicationStatus.RETURNED
    client.post("/logout")


def test_return_without_reason_is_refused(db, client, login, make_submitted, open_cycle, enterprise, office):
    application = make_submitted(open_cycle, enterprise)
    login(office)
    assert client.post(f"/applications/{application.id}/return", data={"reason": ""}).status_code == 422
    db.refresh(application)
    assert application.status is ApplicationStatus.SUBMITTED


def test_office_screens_and_enterprise_reads_the_reason(db, client, login, make_submitted, open_cycle, enterprise,
                                                         office, app):
    application = make_submitted(open_cycle, enterprise, last_penalty_on=utcnow().date() - dt.timedelta(days=30))
    open_cycle.stage = Stage.SCREENING
    db.commit()
    login(office)
    page = client.get(f"/applications/{application.id}/screening").get_data(as_text=True)
    assert "No administrative penalty" in page and "Needs review" in page
    data = {f"{rule}_decision": "pass" for rule in services.eligibility.RULES}
    data["no_penalty_decision"] = "fail"
    data["registered_in_city_reason"] = "营业执照登记机关为本市市场监管局"
    assert client.post(f"/applications/{application.id}/screening", data=data).status_code == 302
    db.refresh(application)
    assert application.status is ApplicationStatus.INELIGIBLE
    reader = app.test_client()
    reader.post("/login", data={"email": enterprise.email, "password": "correct-horse-battery"})
    status_page = reader.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Did not pass eligibility screening" in status_page and "Latest declared on" in status_page


def test_blacklist_import_reports_the_bad_row(db, client, login, office):
    from tests.conftest import fresh_credit_code

    login(office)
    csv = f"credit_code,source,listed_on\n{fresh_credit_code()},局,2025-01-01\n123,局,2025-01-01\n".encode()
    response = client.post("/applications/blacklist", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(csv), "list.csv")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<td>3</td>" in page and "not a valid unified social credit code" in page
    assert db.scalar(select(func.count()).select_from(BlacklistEntry)) == 0
    good = f"credit_code,source,listed_on\n{fresh_credit_code()},局,2025-01-01\n".encode()
    response = client.post("/applications/blacklist", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(good), "list.csv")})
    assert response.status_code == 302
    assert db.scalar(select(func.count()).select_from(BlacklistEntry)) == 1


def test_dashboard_tasks(db, client, login, open_cycle, enterprise, make_submitted, make_user, office):
    login(enterprise)
    assert "Apply:" in client.get("/dashboard").get_data(as_text=True)
    client.post(f"/applications/start/{open_cycle.id}")
    assert "Continue your draft" in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout")
    make_submitted(open_cycle, make_user(Role.ENTERPRISE))
    open_cycle.stage = Stage.SCREENING
    db.commit()
    login(office)
    assert "Screen 1 applications" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("query", ["cycle_id=3", "_method=POST", "status=nonsense&_external=1", "anchor=x&sector=C"])
def test_the_list_ignores_unknown_query_arguments(db, client, login, make_submitted, open_cycle, make_user, office,
                                                  query):
    make_submitted(open_cycle, make_user(Role.ENTERPRISE))
    login(office)
    response = client.get(f"/applications/cycle/{open_cycle.id}?{query}")
    assert response.status_code == 200
    links = re.findall(r'href="([^"]*export\.xlsx[^"]*)"', response.get_data(as_text=True))
    assert len(links) == 1 and "cycle_id" not in links[0] and "_method" not in links[0]
    assert "anchor" not in links[0] and "_external" not in links[0] and "nonsense" not in links[0]


def test_the_export_link_keeps_the_known_filters(db, client, login, make_submitted, open_cycle, make_user, office):
    make_submitted(open_cycle, make_user(Role.ENTERPRISE), district="吴中区")
    login(office)
    page = client.get(f"/applications/cycle/{open_cycle.id}?status=submitted&sector=C&district=吴中区&x=1")
    link = re.search(r'href="([^"]*export\.xlsx[^"]*)"', page.get_data(as_text=True)).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert "status=submitted" in link and "sector=C" in link and "district=" in link and "x=1" not in link
    assert len(list(load_workbook(io.BytesIO(response.data)).active.iter_rows())) == 2


@pytest.mark.parametrize(("field", "value", "message"), [
    ("qms_years_decision", "maybe", "Not a valid choice"),
    ("qms_years_decision", "", "This field is required."),
    ("no_penalty_reason", "x" * 2001, "Field cannot be longer than 2000 characters."),
])
def test_every_screening_field_shows_its_error_next_to_it(db, client, login, make_submitted, open_cycle, enterprise,
                                                         office, field, value, message):
    application = make_submitted(open_cycle, enterprise)
    open_cycle.stage = Stage.SCREENING
    db.commit()
    login(office)
    data = {f"{rule}_decision": "pass" for rule in services.eligibility.RULES}
    data[field] = value
    response = client.post(f"/applications/{application.id}/screening", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    shown = re.search(rf'<small id="{field}-error" class="field-error">([^<]*)</small>', page)
    assert shown and message in shown.group(1)
    assert re.search(rf'<(select|textarea)[^>]*aria-describedby="{field}-error"[^>]*id="{field}"', page)
    db.refresh(application)
    assert application.status is ApplicationStatus.SUBMITTED


def test_a_manual_check_starts_undecided_and_a_pass_without_reason_keeps_the_form(
        db, client, login, make_submitted, open_cycle, enterprise, office):
    application = make_submitted(open_cycle, enterprise)
    open_cycle.stage = Stage.SCREENING
    office.locale = "zh_CN"
    db.commit()
    login(office)
    page = client.get(f"/applications/{application.id}/screening").get_data(as_text=True)
    select_city = re.search(r'<select[^>]*id="registered_in_city_decision"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option selected value="">', select_city)  # undecided: no pass in one click
    select_years = re.search(r'<select[^>]*id="qms_years_decision"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option selected value="pass">', select_years)  # the check passed it
    data = {f"{rule}_decision": "pass" for rule in services.eligibility.RULES}
    data["no_penalty_reason"] = "已核实无处罚记录"
    response = client.post(f"/applications/{application.id}/screening", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = re.search(r'<p class="flash flash-error" role="alert">([^<]*)</p>', page)
    assert shown and "“在本市依法注册登记的法人”需人工核查：请写明核查了什么" in shown.group(1)
    assert "已核实无处罚记录" in page  # nothing typed is lost
    assert re.search(r'<select[^>]*id="registered_in_city_decision"[^>]*>.*?<option selected value="pass">',
                     page, re.S)
    db.refresh(application)
    assert application.status is ApplicationStatus.SUBMITTED and application.screening == []


def test_bulk_screening_lists_what_it_left_and_why(db, client, login, make_submitted, open_cycle, make_user, office):
    application = make_submitted(open_cycle, make_user(Role.ENTERPRISE))
    open_cycle.stage = Stage.SCREENING
    db.commit()
    login(office)
    listing = client.get(f"/applications/cycle/{open_cycle.id}").get_data(as_text=True)
    assert f"/applications/cycle/{open_cycle.id}/screen-clear" in listing
    response = client.post(f"/applications/cycle/{open_cycle.id}/screen-clear")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="left-{application.id}"' in page and "Needs review" in page
    db.refresh(application)
    assert application.status is ApplicationStatus.SUBMITTED
