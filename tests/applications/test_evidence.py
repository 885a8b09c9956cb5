"""Evidence files: type by content, size limits, random names, checksums, removal."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfWriter

from award.applications import services
from award.applications.evidence import JPEG, PDF, PNG, EvidenceRejected, display_name, sniff
from award.applications.models import ApplicationStatus
from award.errors import DomainError, NotAllowed

from .conftest import image_bytes, pdf_bytes


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: pdf_bytes(), PDF),
    (lambda: image_bytes("PNG"), PNG),
    (lambda: image_bytes("JPEG"), JPEG),
])
def test_accepted_types_are_recognized_by_content(make, expected):
    assert sniff(make()) == expected


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"MZ\x90\x00 an executable", "type"),
    (b"PK\x03\x04 a zip or docx", "type"),
    (b"GIF89a", "type"),
    (b"%PDF-1.7\n this is not really a pdf", "pdf_unreadable"),
])
def test_other_content_is_rejected(data, reason):
    with pytest.raises(EvidenceRejected) as error:
        sniff(data)
    assert error.value.reason == reason


def test_encrypted_pdf_is_rejected():
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(EvidenceRejected) as error:
        sniff(buffer.getvalue())
    assert error.value.reason == "pdf_encrypted"


@pytest.mark.parametrize(("raw", "kind", "expected"), [
    ("../../etc/passwd.pdf", PDF, "passwd.pdf"),
    ("C:\\Users\\a\\营业执照.PDF", PDF, "营业执照.PDF"),
    ("photo.pdf", PNG, "photo.png"),  # the label tells the real type
    ("re\x00port\n.jpeg", JPEG, "report.jpeg"),
    ("", PDF, "evidence.pdf"),
    ("a" * 500 + ".pdf", PDF, "a" * 196 + ".pdf"),
])
def test_display_names_are_sanitized(raw, kind, expected):
    assert display_name(raw, kind) == expected


def test_upload_stores_under_a_random_name_with_checksum(db, draft, enterprise, store, limits):
    data = pdf_bytes()
    evidence = services.add_evidence(db, actor=enterprise, application=draft, data=data, filename="../质量手册.pdf",
                                     store=store, limits=limits)
    path = store.path_of(evidence.sha256)
    assert path.read_bytes() == data and path.is_relative_to(store.root)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert "质量手册" not in evidence.stored_name and evidence.display_name == "质量手册.pdf"


def test_wrong_content_behind_a_pdf_name_changes_nothing(db, draft, enterprise, store, limits):
    with pytest.raises(DomainError, match="Only PDF, JPEG and PNG"):
        services.add_evidence(db, actor=enterprise, application=draft, data=b"<html>hi</html>",
                              filename="report.pdf", store=store, limits=limits)
    assert draft.files == []
    assert not store.root.exists() or not any(store.root.rglob("*"))


def test_oversized_file_is_refused(db, draft, enterprise, store, limits):
    data = pdf_bytes() + b"%" * limits.max_file_bytes
    with pytest.raises(DomainError, match="larger than"):
        services.add_evidence(db, actor=enterprise, application=draft, data=data, filename="big.pdf",
                              store=store, limits=limits)
    assert draft.files == []


def test_total_size_per_application_is_limited(db, draft, enterprise, store):
    data = image_bytes("PNG")
    limits = services.EvidenceLimits(max_file_bytes=len(data), max_total_bytes=len(data) * 2)
    for _ in range(2):
        services.add_evidence(db, actor=enterprise, application=draft, data=data, filename="a.png", store=store,
                              limits=limits)
    with pytest.raises(DomainError, match="All files together"):
        services.add_evidence(db, actor=enterprise, application=draft, data=data, filename="a.png", store=store,
                              limits=limits)
    assert len(draft.files) == 2


def test_strangers_cannot_upload(db, draft, make_user, store, limits):
    with pytest.raises(NotAllowed):
        services.add_evidence(db, actor=make_user(), application=draft, data=pdf_bytes(), filename="x.pdf",
                              store=store, limits=limits)
    assert draft.files == []


def test_no_uploads_after_submission(db, make_submitted, open_cycle, enterprise, store, limits):
    application = make_submitted(open_cycle, enterprise)
    assert application.status is ApplicationStatus.SUBMITTED
    with pytest.raises(DomainError, match="read-only"):
        services.add_evidence(db, actor=enterprise, application=application, data=pdf_bytes(), filename="x.pdf",
                              store=store, limits=limits)
    assert application.files == []


def test_removal_deletes_the_stored_file_after_commit(db, draft, enterprise, store, limits):
    evidence = services.add_evidence(db, actor=enterprise, application=draft, data=pdf_bytes(), filename="x.pdf",
                                     store=store, limits=limits)
    db.commit()
    path = store.path_of(evidence.sha256)
    services.remove_evidence(db, actor=enterprise, evidence=evidence, store=store)
    assert path.exists()  # not before the deletion is committed
    db.commit()
    assert not path.exists() and draft.files == []


def test_stored_names_cannot_escape_the_root(store):
    with pytest.raises(ValueError):
        store.path_of("../../secret_key")
