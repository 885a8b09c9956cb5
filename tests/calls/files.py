"""Files a call may carry, and files it must refuse, made in memory."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

from tests.applications.conftest import pdf_bytes
from tests.certificates.world import png_seal

__all__ = ["docx_bytes", "macro_docx_bytes", "pdf_bytes", "png_seal", "xlsx_bytes"]

_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="xml" ContentType="application/xml"/>{extra}</Types>')


def docx_bytes(*, extra_parts: dict[str, bytes] | None = None, content_types_extra: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _TYPES.format(extra=content_types_extra))
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document><w:body><w:p>申报书</w:p></w:body></w:document>")
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def macro_docx_bytes() -> bytes:
    return docx_bytes(extra_parts={"word/vbaProject.bin": b"\x00" * 64})


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["企业名称", "统一社会信用代码"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
