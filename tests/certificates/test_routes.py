"""Certificates through the routes: downloads with real PDFs, the QR code a phone reads, the public check
(valid, revoked, expired, unknown, rate-limited), hostile names, a missing font, texts and seal, links."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from award.auth.models import Role
from award.awards.models import Award
from award.awards.services import revoke_award
from award.certificates.fonts import CJK_FONT_PACKAGE
from award.certificates.models import CertificateSettings
from award.certificates.seals import SealStore
from award.cycles.models import Stage
from tests.certificates.world import certificates_world, png_seal
from tests.hostile_files import png_bomb, png_claiming

BASE = "https://award.example.gov.cn"


@pytest.fixture
def app_config() -> dict:
    return {"PUBLIC_BASE_URL": BASE, "CERTIFICATE_MISSES_PER_ADDRESS": "3 per hour"}


@pytest.fixture
def users(make_user):
    return {role.value: make_user(role) for role in Role}


@pytest.fixture
def world(db, app, users, make_cycle, make_organization, tmp_path):
    built = certificates_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                               root=tmp_path)
    return {**built, "users": users, "root": tmp_path, "award": db.get(Award, built["own_award_id"])}


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def text_of(reader: PdfReader) -> str:
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def font_names(reader: PdfReader) -> set[str]:
    return {str(font.get_object()["/BaseFont"]) for page in reader.pages
            for font in page["/Resources"]["/Font"].values()}


def qr_texts(pdf: bytes) -> list[str]:
    """Decode the QR codes of the first page the way a phone would: from pixels."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def certificate_url(award_id: int) -> str:
    return f"/certificates/awards/{award_id}/certificate.pdf"


# --- downloads --------------------------------------------------------------------------------------


def test_holder_downloads_a_certificate_with_name_number_texts_and_cjk_font(client, login, world):
    login(world["users"]["enterprise"])
    reader = pdf_of(client.get(certificate_url(world["own_award_id"])))
    award = world["award"]
    text = text_of(reader)
    assert award.organization_name in text and award.certificate_number in text
    assert f"{award.cycle.year}年度苏州市市长质量奖" in text and "苏州市人民政府" in text  # the office's texts
    assert any("CJK" in name for name in font_names(reader)), font_names(reader)
    assert len(reader.pages) == 1 and len(reader.pages[0].images) == 1  # the seal


def test_qr_code_opens_the_public_check_page_of_that_certificate(app, client, login, world):
    login(world["users"]["office"])
    response = client.get(certificate_url(world["own_award_id"]))
    (url,) = qr_texts(response.data)
    number = world["award"].certificate_number
    assert url == f"{BASE}/verify/{number}"
    client.post("/logout")
    page = client.get(urlsplit(url).path)  # what a phone opens, without an account
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world["award"].organization_name in html and number in html
    assert "check-valid" in html


def test_revoked_award_is_not_printed(db, client, login, world):
    revoke_award(db, actor=world["users"]["office"], award=world["award"], reason="材料造假",
                 zone=ZoneInfo("Asia/Shanghai"))
    db.commit()
    login(world["users"]["enterprise"])
    response = client.get(certificate_url(world["own_award_id"]))
    assert response.status_code == 409
    assert "revoked" in response.get_data(as_text=True)


def test_feedback_report_for_the_applicant(client, login, world):
    login(world["users"]["enterprise"])
    reader = pdf_of(client.get(f"/certificates/applications/{world['own_feedback_id']}/feedback.pdf"))
    text = text_of(reader)
    assert "评审反馈报告" in text and world["award"].organization_name in text
    assert "获奖分数线600分" in text and "达到获奖分数线" in text
    assert any("CJK" in name for name in font_names(reader))


def test_below_cutoff_applicant_sees_its_standing(db, client, login, world):
    login(world["users"]["office"])
    text = text_of(pdf_of(client.get(f"/certificates/applications/{world['other_feedback_id']}/feedback.pdf")))
    assert "未达到获奖分数线" in text and "未入围" in text


def test_no_feedback_before_the_cycle_is_awarded(db, client, login, world):
    from award.cycles.models import Stage

    world["award"].cycle.stage = Stage.NOTICE
    db.commit()
    login(world["users"]["enterprise"])
    assert client.get(f"/certificates/applications/{world['own_feedback_id']}/feedback.pdf").status_code == 404


# --- the public check ---------------------------------------------------------------------------------


def check_page(client, number: str) -> tuple[int, str]:
    response = client.get(f"/verify/{number}")
    return response.status_code, response.get_data(as_text=True)


def test_revoked_certificate_shows_revoked(db, client, world):
    revoke_award(db, actor=world["users"]["office"], award=world["award"], reason="重大质量事故",
                 zone=ZoneInfo("Asia/Shanghai"))
    db.commit()
    status, html = check_page(client, world["certificate_number"])
    assert status == 200
    assert "check-revoked" in html and "check-valid" not in html
    assert "重大质量事故" not in html  # the reason is not public


def test_expired_certificate_shows_expired(db, client, world):
    award = world["award"]
    award.awarded_on, award.valid_until = dt.date(2015, 1, 1), dt.date(2018, 12, 31)
    db.commit()
    status, html = check_page(client, world["certificate_number"])
    assert status == 200
    assert "check-expired" in html and "2018-12-31" in html


def test_check_names_the_award_as_the_certificate_prints_it(client, world):
    status, html = check_page(client, world["certificate_number"])
    award = world["award"]
    assert status == 200 and f"{award.cycle.year}年度苏州市市长质量奖" in html  # the office's title, as printed


def test_check_shows_that_number_only(client, world, db):
    status, html = check_page(client, world["certificate_number"])
    other = db.get(Award, world["other_award_id"])
    assert status == 200 and other.organization_name not in html and other.certificate_number not in html


def test_typed_number_is_normalized_and_sent_to_its_page(client, world):
    number = world["certificate_number"]
    typed = " " + number.lower().replace("-", " － ") + " "
    response = client.get("/verify", query_string={"number": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{number}")


def test_malformed_number_is_refused_in_the_form(client, world):
    response = client.get("/verify", query_string={"number": "2026-ABC"})
    assert response.status_code == 422
    assert "2026-7K3QX9M2-R" in response.get_data(as_text=True)


def test_unknown_numbers_are_rate_limited_per_address(client, world):
    known = world["certificate_number"]
    for _ in range(5):  # successful checks do not use up the allowance for misses
        assert check_page(client, known)[0] == 200
    for code in ("2026-22222222-2", "2026-33333333-2", "nonsense"):
        assert check_page(client, code)[0] == 404
    assert check_page(client, "2026-44444444-2")[0] == 429
    assert check_page(client, known)[0] == 429  # enumeration stops, even for a real number
    other_address = client.get(f"/verify/{known}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 200


def test_landing_page_links_to_the_check(client):
    assert 'href="/verify"' in client.get("/").get_data(as_text=True)


# --- hostile names -------------------------------------------------------------------------------------

HOSTILE = [
    '<img src="file:///etc/passwd">',
    '某公司<link rel="stylesheet" href="http://evil.example/x.css">',
    '<a href="https://evil.example/">点此</a><img src="https://evil.example/p.png">',
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_organization_name_pulls_nothing_into_the_pdfs(db, client, login, world, name):
    award = world["award"]
    award.organization_name = name
    award.application.org_name = name
    db.commit()
    login(world["users"]["office"])
    certificate = pdf_of(client.get(certificate_url(award.id)))
    assert "".join(name.split()) in text_of(certificate)  # printed as text
    assert len(certificate.pages[0].images) == 1  # the seal only: nothing fetched
    assert b"root:x:0:0" not in client.get(certificate_url(award.id)).data
    feedback = pdf_of(client.get(f"/certificates/applications/{world['own_feedback_id']}/feedback.pdf"))
    assert "".join(name.split()) in text_of(feedback)
    assert all(len(page.images) == 0 for page in feedback.pages)
    html = client.get(f"/verify/{award.certificate_number}").get_data(as_text=True)
    assert "<img src=\"file" not in html and "&lt;" in html


# --- a machine without a Chinese font ------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/certificates/awards/{own_award_id}/certificate.pdf",
    "/certificates/applications/{own_feedback_id}/feedback.pdf",
])
def test_missing_font_is_a_clear_message_not_a_500(app, client, login, world, path):
    app.config["CERTIFICATE_FONT_LOOKUP"] = lambda: []
    login(world["users"]["office"])
    response = client.get(path.format(**world))
    assert response.status_code == 503
    assert CJK_FONT_PACKAGE in response.get_data(as_text=True)


def test_missing_font_stops_the_batch_before_it_starts(app, db, client, login, world):
    from sqlalchemy import func, select

    from award.files import FileStore
    from award.jobs.models import Job

    app.config["CERTIFICATE_FONT_LOOKUP"] = lambda: []
    login(world["users"]["office"])
    before = sorted(FileStore(world["root"]).digests())
    jobs = db.scalar(select(func.count()).select_from(Job))
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/batch")
    assert response.status_code == 503 and CJK_FONT_PACKAGE in response.get_data(as_text=True)
    assert sorted(FileStore(world["root"]).digests()) == before
    assert db.scalar(select(func.count()).select_from(Job)) == jobs  # no job queued


# --- texts and seal --------------------------------------------------------------------------------------


def test_office_edits_the_texts_printed_on_the_certificates(db, client, login, world):
    login(world["users"]["office"])
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/texts",
                           data={"award_title": "姑苏质量奖", "authority": "姑苏区人民政府",
                                 "issue_date": "2026-05-20"})
    assert response.status_code == 302
    text = text_of(pdf_of(client.get(certificate_url(world["own_award_id"]))))
    assert "姑苏质量奖" in text and "姑苏区人民政府" in text and "二〇二六年五月二十日" in text


def test_the_missing_city_warning_goes_once_the_authority_is_written(db, client, login, world, make_cycle):
    cycle = make_cycle(stage=Stage.AWARDED)  # no city named: the authority cannot be derived
    db.commit()
    login(world["users"]["office"])
    warning = "The city that issues this cycle's documents is not named yet"
    page = client.get(f"/certificates/cycles/{cycle.id}").get_data(as_text=True)
    assert warning in page, page[page.find("<main"):][:1500]
    response = client.post(f"/certificates/cycles/{cycle.id}/texts", data={"award_title": "", "authority":
                                                                           "苏州市人民政府", "issue_date": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert warning not in client.get(f"/certificates/cycles/{cycle.id}").get_data(as_text=True)


def test_seal_upload_replaces_the_file_in_the_file_store(db, client, login, world):
    login(world["users"]["office"])
    settings = db.get(CertificateSettings, world["cert_cycle_id"])
    old = settings.seal_sha256
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/seal",
                           data={"seal": (io.BytesIO(png_seal(300)), "公章.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.refresh(settings)
    store = SealStore(world["root"])
    assert settings.seal_sha256 != old and not store.path_of(old).exists()
    assert store.read(settings.seal_sha256) == png_seal(300)
    assert client.get(f"/certificates/cycles/{world['cert_cycle_id']}/seal-image").data == png_seal(300)


def _jpeg_header_only() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"GIF89a" + b"\x00" * 100, "seal.png", "PNG or JPEG"),
    (b"just text, named like an image", "seal.png", "PNG or JPEG"),
    (_jpeg_header_only(), "seal.jpg", "cannot be read"),
    (png_seal(16), "tiny.png", "between 32 and 4000 pixels"),
    (png_seal(200) + b"\x00" * 3000, "big.png", "larger than 2 KiB"),
    pytest.param(png_claiming(5000, 5000), "wide.png", "between 32 and 4000 pixels", id="claims-5000"),
    pytest.param(png_bomb(13_000), "bomb.png", "between 32 and 4000 pixels", id="bomb"),
    pytest.param(png_claiming(100_000, 100_000), "claims.png", "between 32 and 4000 pixels", id="claims-100_000"),
])
def test_bad_seal_is_refused_by_its_content(app, db, client, login, world, data, filename, message):
    app.config["CERTIFICATE_SEAL_MAX_BYTES"] = 2048 if "big" in filename else 2 * 1024 * 1024
    login(world["users"]["office"])
    before = db.get(CertificateSettings, world["cert_cycle_id"]).seal_sha256
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/seal",
                           data={"seal": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(CertificateSettings, world["cert_cycle_id"]).seal_sha256 == before


def test_removed_seal_leaves_certificates_without_image(db, client, login, world):
    login(world["users"]["office"])
    assert client.post(f"/certificates/cycles/{world['cert_cycle_id']}/seal/remove").status_code == 302
    reader = pdf_of(client.get(certificate_url(world["own_award_id"])))
    assert len(reader.pages[0].images) == 0


# --- links ------------------------------------------------------------------------------------------------


def test_enterprise_status_page_links_its_certificate_and_feedback(client, login, world):
    login(world["users"]["enterprise"])
    html = client.get(f"/applications/{world['own_feedback_id']}").get_data(as_text=True)
    assert certificate_url(world["own_award_id"]) in html
    assert f"/certificates/applications/{world['own_feedback_id']}/feedback.pdf" in html


def test_awards_page_links_certificates_for_the_office(client, login, world):
    login(world["users"]["office"])
    html = client.get(f"/awards/cycles/{world['cert_cycle_id']}").get_data(as_text=True)
    assert certificate_url(world["own_award_id"]) in html
    assert f"/certificates/cycles/{world['cert_cycle_id']}" in html
    page = client.get(f"/certificates/cycles/{world['cert_cycle_id']}").get_data(as_text=True)
    assert re.search(r"/certificates/applications/\d+/feedback\.pdf", page)
