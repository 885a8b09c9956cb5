"""Evidence file storage: type by content (magic bytes, PDF parsed), random names, SHA-256.

A PDF is opened by pypdf in a child process with capped time and memory (award.sandbox,
award.limits.PDF_CHECK): a crafted file that the check cannot finish quickly is refused.

Files live in the one content-addressed file store (award.files: FILES_ROOT, default
instance/files), found by their SHA-256; the uploaded name is kept as display text only.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from award.files import FileStore
from award.limits import PDF_CHECK, ProcessLimits
from award.sandbox import run_child

MiB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 20 * MiB
DEFAULT_MAX_TOTAL_BYTES = 100 * MiB

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}


class EvidenceRejected(ValueError):
    """The content is not an accepted file; `reason` is one of: empty, type, pdf_unreadable, pdf_encrypted,
    pdf_timeout (the check did not finish within its time and memory limits)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(data: bytes, *, pdf_check: ProcessLimits = PDF_CHECK) -> str:
    """The content type judged from the bytes themselves, never from the name; raise EvidenceRejected."""
    if not data:
        raise EvidenceRejected("empty")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"%PDF-"):
        _check_pdf(data, pdf_check)
        return PDF
    raise EvidenceRejected("type")


_PDF_VERDICTS = {"pdf_unreadable", "pdf_encrypted"}


def _check_pdf(data: bytes, limits: ProcessLimits) -> None:
    """A PDF must open and have at least one page, so experts can read it; checked in a limited child."""
    answer = run_child("pdf", data, limits) or {}
    verdict = answer.get("verdict")
    if verdict == "ok":
        return
    raise EvidenceRejected(verdict if verdict in _PDF_VERDICTS else "pdf_timeout")


def display_name(raw: str | None, content_type: str) -> str:
    """A safe label from the uploaded name: no path, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    name = name or "evidence"
    extension = EXTENSIONS[content_type]
    stem = name[: 200 - len(extension)]
    # The label shows the real type, whatever the uploaded name claimed.
    if not stem.lower().endswith(extension) and not (content_type == JPEG and stem.lower().endswith(".jpeg")):
        stem = stem.rsplit(".", 1)[0] if "." in stem else stem
        return (stem[: 200 - len(extension)] or "evidence") + extension
    return stem


@dataclass(frozen=True)
class StoredFile:
    stored_name: str  # the row's own random handle; the bytes are found by their SHA-256
    sha256: str
    size_bytes: int


class EvidenceStore(FileStore):
    """Uploaded files (evidence, objection evidence, a call's files) in the one file store (award.files)."""

    def save(self, data: bytes) -> StoredFile:
        blob = self.put(data)
        return StoredFile(secrets.token_hex(32), blob.sha256, blob.size_bytes)
