"""What a call's file may be: PDF, JPEG and PNG as evidence is judged (award.applications.evidence),
and Word (DOCX) and Excel (XLSX) files, judged by their ZIP directory: the parts of an Office Open
XML document only, no macros, no encryption, bounded sizes (the ceilings of award.limits)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from award import limits
from award.applications.evidence import EXTENSIONS, EvidenceRejected, display_name, sniff
from award.limits import PDF_CHECK, ProcessLimits

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICE_EXTENSIONS = {DOCX: ".docx", XLSX: ".xlsx"}
ALL_EXTENSIONS = {**EXTENSIONS, **OFFICE_EXTENSIONS}

_ZIP = b"PK\x03\x04"
_PART = {
    DOCX: re.compile(r"^(\[Content_Types\]\.xml|(?:word|docProps|customXml|_rels)/[^\\:]*)$"),
    XLSX: re.compile(r"^(\[Content_Types\]\.xml|(?:xl|docProps|docMetadata|customXml|_rels)/[^\\:]*)$"),
}
_MAIN_PART = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
_CONTENT_TYPES_MAX = 256 * 1024


def sniff_call_file(data: bytes, *, pdf_check: ProcessLimits = PDF_CHECK) -> str:
    """The content type judged from the bytes; raise EvidenceRejected ("empty", "type", "office", the PDF reasons)."""
    if data.startswith(_ZIP):
        return _office_type(data)
    return sniff(data, pdf_check=pdf_check)


def _office_type(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > limits.XLSX_MAX_MEMBERS:
                raise EvidenceRejected("office")
            names = [member.filename for member in members]
            kind = next((kind for kind, main in _MAIN_PART.items() if main in names), None)
            if kind is None or "[Content_Types].xml" not in names or len(set(names)) != len(names):
                raise EvidenceRejected("type")
            total = 0
            for member in members:
                if (not _PART[kind].match(member.filename) or ".." in member.filename.split("/")
                        or "vbaproject" in member.filename.lower() or member.flag_bits & 0x1
                        or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                        or member.file_size > limits.XLSX_MAX_MEMBER_BYTES
                        or (member.file_size > limits.XLSX_RATIO_FLOOR
                            and member.file_size > limits.XLSX_MAX_RATIO * max(member.compress_size, 1))):
                    raise EvidenceRejected("office")
                total += member.file_size
            if total > limits.XLSX_MAX_UNCOMPRESSED_BYTES:
                raise EvidenceRejected("office")
            types = archive.getinfo("[Content_Types].xml")
            if types.file_size > _CONTENT_TYPES_MAX or b"macroenabled" in archive.read(types).lower():
                raise EvidenceRejected("office")
    except EvidenceRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError):
        raise EvidenceRejected("office") from None
    return kind


def call_file_name(raw: str | None, content_type: str) -> str:
    """A safe label from the uploaded name, ending in the extension of the real type."""
    if content_type in EXTENSIONS:
        return display_name(raw, content_type)
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .") or "attachment"
    extension = OFFICE_EXTENSIONS[content_type]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem.strip(" .")[: 200 - len(extension)] or "attachment") + extension
