"""Uploads under attack: malformed PDFs, wrong magic bytes, huge and empty files, hostile names.

Each upload goes through the real route. Every answer is a refusal (422/413) or a stored file;
never a server error, and a stored file always sits under the evidence root with a random name.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from award.applications.models import EvidenceFile
from tests.applications.conftest import image_bytes, pdf_bytes

MAX_FILE = 50_000


@pytest.fixture
def app_config(tmp_path):
    return {"FILES_ROOT": str(tmp_path / "evidence"), "EVIDENCE_MAX_FILE_BYTES": MAX_FILE,
            "EVIDENCE_MAX_TOTAL_BYTES": 10 * MAX_FILE, "MAX_CONTENT_LENGTH": 4 * MAX_FILE}


def upload(client, application, data: bytes, name: str):
    return client.post(f"/applications/{application.id}/files",
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


REAL_PDF = pdf_bytes()
CASES = [
    ("empty.pdf", b"", False),
    ("garbage.pdf", b"%PDF-1.7\n garbage that is not a PDF", False),
    ("truncated.pdf", REAL_PDF[: len(REAL_PDF) // 2], False),
    ("png-behind-pdf-name.pdf", b"MZ\x90\x00 this is an executable", False),
    ("script.pdf", b"<script>alert(1)</script>", False),
    ("huge.pdf", REAL_PDF + b"\0" * (MAX_FILE + 1), False),
    ("../../../../etc/passwd", REAL_PDF, True),
    ("..\\..\\windows\\win.ini.pdf", REAL_PDF, True),
    ("/etc/cron.d/evil.png", image_bytes("PNG"), True),
    ("a\x00b.pdf", REAL_PDF, True),
    ("\u202egpj.exe", image_bytes("JPEG"), True),
    ("很长的文件名" * 100 + ".pdf", REAL_PDF, True),
    ("", REAL_PDF, False),  # a browser sends no file part without a name: "choose a file"
]


@pytest.mark.parametrize(("name", "data", "stored"), CASES, ids=[c[0][:30] or "no-name" for c in CASES])
def test_hostile_uploads_are_refused_or_stored_safely(client, login, db, draft, enterprise, tmp_path,
                                                      name, data, stored):
    login(enterprise)
    response = upload(client, draft, data, name)
    assert response.status_code in (302, 400, 413, 422), response.status_code
    files = db.scalars(select(EvidenceFile).where(EvidenceFile.application_id == draft.id)).all()
    assert bool(files) == stored and (response.status_code == 302) == stored
    root = tmp_path / "evidence"
    for evidence in files:
        assert re.fullmatch(r"[0-9a-f]{64}", evidence.stored_name)
        assert "/" not in evidence.display_name and "\\" not in evidence.display_name
        assert "\x00" not in evidence.display_name and ".." not in evidence.display_name
        stored_paths = [p for p in root.rglob("*") if p.is_file()]
        assert all(p.resolve().is_relative_to(root.resolve()) for p in stored_paths)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2_000), name=st.text(max_size=80))
def test_random_bytes_and_names_never_cause_a_server_error(client, login, draft, enterprise, data, name):
    login(enterprise)
    response = upload(client, draft, data, name)
    assert response.status_code < 500
