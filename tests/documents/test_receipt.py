"""The applicant's receipt: frozen at each submission, e-mailed, printed as a PDF and a print view."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from award.applications import services
from award.applications.evidence import EvidenceStore
from award.applications.models import ApplicationSubmission
from award.auth.models import Role
from award.cycles.models import Stage
from award.documents.receipt import receipt_of, render_receipt_pdf
from award.errors import NotFound
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage
from tests.applications.conftest import complete_profile, full_texts, pdf_bytes
from tests.documents.pdfs import embedded_fonts, page_sizes_mm, page_texts, squeeze

SUBMITTED_AT = dt.datetime(2026, 11, 20, 2, 15, 7, tzinfo=dt.UTC)  # 10:15:07 in Beijing


@pytest.fixture
def store(tmp_path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence")


@pytest.fixture
def limits() -> services.EvidenceLimits:
    return services.EvidenceLimits(max_file_bytes=200_000, max_total_bytes=500_000)


@pytest.fixture
def submitted(db, make_cycle, make_user, store, limits):
    """A complete application with two evidence files, submitted once at SUBMITTED_AT."""
    cycle = make_cycle(stage=Stage.APPLICATION)
    user = make_user(Role.ENTERPRISE)
    application = services.start_application(db, actor=user, cycle=cycle, now=SUBMITTED_AT - dt.timedelta(days=1))
    services.save_draft(db, actor=user, application=application, profile=complete_profile(),
                        self_assessment=full_texts(cycle, "以顾客为关注焦点，持续改进。"))
    files = [services.add_evidence(db, actor=user, application=application, data=pdf_bytes(pages), store=store,
                                   filename=name, limits=limits)
             for pages, name in ((1, "质量管理体系证书.pdf"), (2, "年度质量报告.pdf"))]
    services.submit_application(db, actor=user, application=application, now=SUBMITTED_AT)
    db.flush()
    return application, user, files


def test_a_submission_freezes_what_was_sent(db, submitted):
    application, _user, files = submitted
    submission = services.latest_submission(db, application)
    assert submission is not None and submission.number == 1 and submission.submitted_at == SUBMITTED_AT
    assert [f["sha256"] for f in submission.content["evidence"]] == [f.sha256 for f in files]
    assert submission.content["profile"]["org_name"] == "苏州精密制造有限公司"
    assert submission.content_sha256 == services.content_digest(submission.content)


def test_the_receipt_is_of_the_latest_submission_not_of_the_edits_after_a_return(db, submitted, make_user, store,
                                                                                   limits):
    application, user, _files = submitted
    office = make_user(Role.OFFICE)
    services.return_application(db, actor=office, application=application, reason="缺少营业执照。",
                                now=SUBMITTED_AT + dt.timedelta(hours=1))
    services.save_draft(db, actor=user, application=application, profile=complete_profile(org_name="改名后的公司"),
                        self_assessment=full_texts(application.cycle))
    # While it is being corrected the receipt still shows what the office received.
    assert receipt_of(db, application).organization == "苏州精密制造有限公司"
    services.add_evidence(db, actor=user, application=application, data=pdf_bytes(3), filename="营业执照.pdf",
                          store=store, limits=limits)
    again = SUBMITTED_AT + dt.timedelta(hours=3)
    services.submit_application(db, actor=user, application=application, now=again)
    receipt = receipt_of(db, application)
    assert receipt.number == 2 and receipt.submitted_at == again
    assert [line.name for line in receipt.evidence][-1] == "营业执照.pdf" and len(receipt.evidence) == 3
    assert dict(receipt.profile)["单位名称"] == "改名后的公司"
    assert db.scalar(select(ApplicationSubmission.number).where(
        ApplicationSubmission.application_id == application.id).order_by(ApplicationSubmission.number)) == 1


def test_no_receipt_before_a_submission(db, make_cycle, make_user):
    user = make_user(Role.ENTERPRISE)
    draft = services.start_application(db, actor=user, cycle=make_cycle(stage=Stage.APPLICATION))
    with pytest.raises(NotFound):
        receipt_of(db, draft)


def test_submitting_mails_the_receipt_in_app_and_through_the_outbox(db, submitted):
    application, user, _files = submitted
    notice = db.scalar(select(Notification).where(Notification.user_id == user.id,
                                                  Notification.kind == Kind.APPLICATION_SUBMITTED))
    assert notice is not None and notice.link == f"/documents/applications/{application.id}/receipt"
    submission = services.latest_submission(db, application)
    assert "10:15" in notice.body and submission.content_sha256 in notice.body and "2" in notice.body
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                 OutboxMessage.kind == Kind.APPLICATION_SUBMITTED))
    assert mail is not None and f"/documents/applications/{application.id}/receipt" in mail.text


def test_the_pdf_reads_back_with_the_fields_the_digests_and_the_time(db, submitted):
    application, _user, files = submitted
    pdf = render_receipt_pdf(receipt_of(db, application), printed_at="2026-11-21 09:00（北京时间）")
    text = squeeze("".join(page_texts(pdf)))
    assert "市长质量奖申报回执" in text and "苏州精密制造有限公司" in text
    assert "2026-11-2010:15（北京时间）" in text
    for evidence in files:
        assert evidence.sha256 in text and squeeze(evidence.display_name) in text
        assert evidence.sha256 == hashlib.sha256(pdf_bytes(1 if "证书" in evidence.display_name else 2)).hexdigest()
    assert "以顾客为关注焦点，持续改进。" in text and "4.1.2高层领导的作用" in text  # item by item
    assert services.latest_submission(db, application).content_sha256 in text
    pages = page_texts(pdf)  # the shared A4 page (a4-portrait.css) with the receipt's own footer
    assert page_sizes_mm(pdf)[0] == (210.0, 297.0)
    assert f"申报回执·第1页/共{len(pages)}页" in squeeze(pages[0])
    fonts = embedded_fonts(pdf)
    assert fonts and all(files_of for files_of in fonts.values()), fonts  # every font embedded


def test_the_print_view_and_the_download_for_the_owner(db, client, login, submitted):
    application, user, _files = submitted
    db.commit()
    login(user)
    page = client.get(f"/documents/applications/{application.id}/receipt")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026-11-20 10:15（北京时间）" in html and "receipt-sheet" in html
    pdf = client.get(f"/documents/applications/{application.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    shown = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f"/documents/applications/{application.id}/receipt.pdf" in shown


def test_the_receipt_lists_the_evidence_of_each_item_where_set(db, make_cycle, make_user, store, limits):
    cycle = make_cycle(stage=Stage.APPLICATION)
    user = make_user(Role.ENTERPRISE)
    application = services.start_application(db, actor=user, cycle=cycle)
    services.save_draft(db, actor=user, application=application, profile=complete_profile(),
                        self_assessment=full_texts(cycle))
    services.add_evidence(db, actor=user, application=application, data=pdf_bytes(1), filename="总体.pdf",
                          store=store, limits=limits)
    services.add_evidence_files(db, actor=user, application=application, store=store, limits=limits,
                                rubric_item_id="4.1.2", files=[("领导.pdf", pdf_bytes(2)), ("会议.pdf", pdf_bytes(3))])
    services.submit_application(db, actor=user, application=application)
    receipt = receipt_of(db, application)
    assert [(line.number, line.item) for line in receipt.evidence] == [(1, ""), (2, "4.1.2"), (3, "4.1.2")]
    by_item = {entry["item"]: entry["evidence"] for entry in receipt.self_assessment}
    assert by_item["4.1.2"] == "2、3" and by_item["4.1.3"] == ""
    text = squeeze("".join(page_texts(render_receipt_pdf(receipt, printed_at="2026-12-07 09:00（北京时间）"))))
    assert "本条目证明材料：第2、3号" in text
