"""The documents pages: the office edits texts, positions and printers; PDFs download for the office and supervisor."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import issuers_of
from award.documents import services
from award.documents.models import DocumentKind, PrinterProfile
from award.errors import NotAllowed
from award.jobs.models import Job
from tests.documents.pdfs import page_texts, run_of, squeeze, text_runs
from tests.documents.test_official import png_seal
from tests.documents.world import awarded_cycle
from tests.hostile_files import png_bomb, png_claiming

NAMES = ["某某市精密机械制造股份有限公司", "某某市绿色能源科技有限公司"]


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def awarded(db, make_cycle, make_organization):
    return awarded_cycle(db, make_cycle=make_cycle, make_organization=make_organization, names=NAMES)


def test_the_cycle_page_links_to_the_documents(client, login, office, awarded):
    login(office)
    page = client.get(f"/cycles/{awarded.cycle.id}").get_data(as_text=True)
    assert f'href="/documents/cycles/{awarded.cycle.id}"' in page
    documents = client.get(f"/documents/cycles/{awarded.cycle.id}").get_data(as_text=True)
    assert f"/documents/cycles/{awarded.cycle.id}/official/notice.pdf" in documents
    assert f"/documents/cycles/{awarded.cycle.id}/official/decision.pdf" in documents
    assert f"/documents/cycles/{awarded.cycle.id}/texts/notice" in documents
    assert "关于2026年度市长质量奖拟授奖单位名单的公示" in documents  # the placeholders filled in


def test_the_supervisor_downloads_but_sees_no_edit_links(client, login, make_user, awarded):
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/documents/cycles/{awarded.cycle.id}").get_data(as_text=True)
    assert "/texts/notice" not in page and "/overlay\"" not in page and "/documents/printers" not in page
    response = client.get(f"/documents/cycles/{awarded.cycle.id}/official/decision.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = squeeze("".join(page_texts(response.data)))
    assert all(squeeze(a.certificate_number) in text for a in awarded.awards)


def test_the_office_edits_the_notice_texts_and_the_pdf_follows(client, login, office, awarded, db):
    login(office)
    url = f"/documents/cycles/{awarded.cycle.id}/texts/notice"
    form = client.get(url).get_data(as_text=True)
    assert "{award_office}" in form  # the defaults fill the form
    response = client.post(url, data={
        "issuing_office": "某某市市场监督管理局", "document_number": "某市监〔2026〕8号",
        "title": "关于{award_title}拟授奖名单的公示", "opening": "<b>现将{count}家单位公示如下。</b>",
        "closing": "联系电话：{contact}", "issued_on": "2026-03-03",
        "seal": (io.BytesIO(png_seal()), "seal.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    pdf = client.get(f"/documents/cycles/{awarded.cycle.id}/official/notice.pdf").data
    text = squeeze("".join(page_texts(pdf)))
    assert text.startswith("某某市市场监督管理局文件某市监〔2026〕8号关于2026年度市长质量奖拟授奖名单的公示")
    assert "<b>现将2家单位公示如下。</b>" in text
    assert "联系电话：0512-12345678" in text and "某某市市场监督管理局2026年3月3日" in text
    assert services.stored_texts(db, awarded.cycle, DocumentKind.NOTICE).seal_mime == "image/png"


def test_a_bad_seal_or_a_missing_title_re_renders_the_form(client, login, office, awarded):
    login(office)
    url = f"/documents/cycles/{awarded.cycle.id}/texts/decision"
    base = {"issuing_office": "{government}", "title": "决定"}
    bad_seal = client.post(url, data={**base, "seal": (io.BytesIO(b"GIF89a...."), "seal.gif")},
                           content_type="multipart/form-data")
    assert bad_seal.status_code == 422
    assert "The seal must be a PNG or JPEG image." in bad_seal.get_data(as_text=True)
    no_title = client.post(url, data={"issuing_office": "{government}", "title": ""})
    assert no_title.status_code == 422


@pytest.mark.parametrize("seal", [png_bomb(13_000), png_claiming(100_000, 100_000)], ids=["bomb", "claim"])
def test_a_seal_of_too_many_pixels_is_refused_with_the_certificates_message(client, login, office, awarded, db,
                                                                           seal):
    login(office)
    data = {"issuing_office": "{government}", "title": "公示", "seal": (io.BytesIO(seal), "seal.png")}
    response = client.post(f"/documents/cycles/{awarded.cycle.id}/texts/notice", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The seal image must be between 32 and 4000 pixels on each side." in response.get_data(as_text=True)
    assert services.stored_texts(db, awarded.cycle, DocumentKind.NOTICE) is None


def test_without_a_notice_the_download_returns_to_the_page_with_the_reason(client, login, office, make_cycle):
    cycle = make_cycle(stage=Stage.APPROVAL)
    login(office)
    response = client.get(f"/documents/cycles/{cycle.id}/official/notice.pdf", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/documents/cycles/{cycle.id}"
    assert "The public notice of this cycle has not been published." in page


def test_the_office_sets_the_positions_and_the_overlay_prints_there_with_the_printer_offset(
        client, login, office, awarded, db):
    login(office)
    response = client.post(f"/documents/cycles/{awarded.cycle.id}/overlay", data={
        "page_width_mm": "297", "page_height_mm": "210",
        "organization_x_mm": "70.5", "organization_y_mm": "95", "organization_pt": "20",
        "organization_max_width_mm": "180",
        "number_x_mm": "30", "number_y_mm": "190", "number_pt": "11",
        "date_x_mm": "200", "date_y_mm": "175", "date_pt": "14", "date_style": "arabic",
    })
    assert response.status_code == 302
    assert client.post("/documents/printers", data={"name": "二楼打印机", "offset_x_mm": "-1.5",
                                                    "offset_y_mm": "2.0"}).status_code == 302
    printer = db.scalars(select(PrinterProfile).where(PrinterProfile.name == "二楼打印机")).one()
    pdf = client.get(f"/documents/cycles/{awarded.cycle.id}/overlay.pdf?printer={printer.id}").data
    runs = text_runs(pdf)[1]
    name = run_of(runs, NAMES[1])
    assert name.x_mm == pytest.approx(70.5 - 1.5, abs=1) and name.y_mm == pytest.approx(95 + 2, abs=1)
    day = run_of(runs, "2026年3月18日")
    assert day.x_mm == pytest.approx(200 - 1.5, abs=1) and day.y_mm == pytest.approx(175 + 2, abs=1)
    assert run_of(runs, awarded.awards[1].certificate_number).size_pt == pytest.approx(11, abs=0.1)


def test_positions_off_the_sheet_re_render_the_form(client, login, office, awarded):
    login(office)
    form = client.get(f"/documents/cycles/{awarded.cycle.id}/overlay").get_data(as_text=True)
    assert 'value="297.0"' in form  # the defaults fill the form
    response = client.post(f"/documents/cycles/{awarded.cycle.id}/overlay", data={
        "page_width_mm": "210", "page_height_mm": "297", "organization_x_mm": "250", "organization_y_mm": "95",
        "organization_pt": "20", "organization_max_width_mm": "180", "number_x_mm": "30", "number_y_mm": "190",
        "number_pt": "11", "date_x_mm": "100", "date_y_mm": "175", "date_pt": "14", "date_style": "chinese",
    })
    assert response.status_code == 422
    assert "Every position must lie on the sheet." in response.get_data(as_text=True)


def test_overlay_batch_and_test_page_use_the_chosen_printer(client, login, office, awarded, db):
    printer = services.create_printer(db, actor=office, name="二楼打印机", offset_x_mm=Decimal("-1.5"),
                                      offset_y_mm=Decimal(2))
    db.commit()
    login(office)
    response = client.get(f"/documents/cycles/{awarded.cycle.id}/overlay.pdf?printer={printer.id}")
    assert response.status_code == 200
    pages = text_runs(response.data)
    assert len(pages) == 2
    name = run_of(pages[0], NAMES[0])
    assert name.x_mm == pytest.approx(60 - 1.5, abs=1) and name.y_mm == pytest.approx(88 + 2, abs=1)
    test_page = client.get(f"/documents/cycles/{awarded.cycle.id}/overlay-test.pdf?printer={printer.id}")
    assert test_page.status_code == 200
    assert "二楼打印机" in page_texts(test_page.data)[0]
    assert client.get(f"/documents/cycles/{awarded.cycle.id}/overlay.pdf?printer=999999").status_code == 404
    assert client.get(f"/documents/cycles/{awarded.cycle.id}/overlay.pdf?printer=x").status_code == 400  # malformed


def test_printers_are_managed_on_their_page(client, login, office, db):
    login(office)
    assert client.post("/documents/printers", data={"name": "一楼打印机", "offset_x_mm": "0.5",
                                                    "offset_y_mm": "-1"}).status_code == 302
    duplicate = client.post("/documents/printers", data={"name": "一楼打印机", "offset_x_mm": "0", "offset_y_mm": "0"})
    assert duplicate.status_code == 422
    assert "already exists" in duplicate.get_data(as_text=True)
    too_far = client.post("/documents/printers", data={"name": "远", "offset_x_mm": "80", "offset_y_mm": "0"})
    assert too_far.status_code == 422
    printer = db.scalars(select(PrinterProfile).where(PrinterProfile.name == "一楼打印机")).one()
    assert client.post(f"/documents/printers/{printer.id}", data={
        "name": "一楼打印机", "offset_x_mm": "1.0", "offset_y_mm": "-1.5", "note": "校准于三月"}).status_code == 302
    db.refresh(printer)
    assert (str(printer.offset_x_mm), str(printer.offset_y_mm), printer.note) == ("1.0", "-1.5", "校准于三月")
    assert "一楼打印机" in client.get("/documents/printers").get_data(as_text=True)
    assert client.post(f"/documents/printers/{printer.id}/delete").status_code == 302
    assert services.printer_profiles(db) == []


def test_without_a_city_the_page_says_so_and_the_office_names_it(client, login, office, awarded, db):
    awarded.cycle.award_settings = {}
    db.commit()
    login(office)
    page = client.get(f"/documents/cycles/{awarded.cycle.id}").get_data(as_text=True)
    assert "is not named yet" in page and f"/documents/cycles/{awarded.cycle.id}/issuers" in page
    refused = client.get(f"/documents/cycles/{awarded.cycle.id}/official/decision.pdf")
    assert refused.status_code == 302  # back to the documents page with the reason, never a blank office
    url = f"/documents/cycles/{awarded.cycle.id}/issuers"
    bare = client.post(url, data={"city": "某某市", "government": "市人民政府"})
    assert bare.status_code == 422 and "without the city" in bare.get_data(as_text=True)
    assert client.post(url, data={"city": "某某市"}).status_code == 302
    db.expire_all()
    assert issuers_of(awarded.cycle).government_name == "某某市人民政府"
    page = client.get(f"/documents/cycles/{awarded.cycle.id}").get_data(as_text=True)
    assert "某某市市长质量奖评审委员会办公室" in page and "is not named yet" not in page
    pdf = client.get(f"/documents/cycles/{awarded.cycle.id}/official/decision.pdf")
    assert squeeze("".join(page_texts(pdf.data))).startswith("某某市人民政府文件政发〔2026〕1号")


def test_the_office_prints_the_official_documents_as_one_zip_from_a_job(client, login, office, awarded, db):
    login(office)
    page = client.get(f"/documents/cycles/{awarded.cycle.id}").get_data(as_text=True)
    assert f"/documents/cycles/{awarded.cycle.id}/official-set" in page
    response = client.post(f"/documents/cycles/{awarded.cycle.id}/official-set")  # runs in the request here
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "公文" in job_page or "official documents" in job_page.lower()
    download = client.get(response.headers["Location"] + "/result")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert sorted(archive.namelist()) == ["2026-公示名单.pdf", "2026-表彰决定名单.pdf"]
        decision = squeeze("".join(page_texts(archive.read("2026-表彰决定名单.pdf"))))
    assert all(squeeze(a.certificate_number) in decision for a in awarded.awards)
    assert f"/documents/cycles/{awarded.cycle.id}" in client.get(f"/documents/cycles/{awarded.cycle.id}").get_data(
        as_text=True)


def test_a_set_that_cannot_be_printed_is_refused_before_it_is_queued(client, login, office, make_cycle, db):
    cycle = make_cycle(stage=Stage.APPROVAL)
    login(office)
    response = client.post(f"/documents/cycles/{cycle.id}/official-set", follow_redirects=True)
    assert response.request.path == f"/documents/cycles/{cycle.id}"
    assert "The public notice of this cycle has not been published." in response.get_data(as_text=True)
    assert db.scalar(select(Job.id).where(Job.kind == services.OFFICIAL_SET_KIND)) is None


def test_only_the_office_queues_the_set(db, office, make_user, awarded):
    with pytest.raises(NotAllowed):
        services.queue_official_set(db, actor=make_user(Role.SUPERVISOR), cycle=awarded.cycle,
                                    zone=ZoneInfo("Asia/Shanghai"))
