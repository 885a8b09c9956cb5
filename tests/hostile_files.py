"""Hostile files, made on the spot (never committed as binaries), for any test that uploads.

Plain generators, each returning bytes:
    xlsx_bytes(rows)                        a small, valid workbook (openpyxl), the baseline
    xlsx_with_sheet(sheet_data, dimension)  a valid workbook whose sheet XML is given by hand
    zip_bomb_xlsx(sheet_bytes)              a highly compressible huge sheet XML, a few KB to 100 KB packed
    ratio_bomb_xlsx(sheet_bytes)            a sheet below the size ceiling that packs more than 100 to 1
    declared_rows_xlsx(rows)                a few-KB sheet that declares, and reaches, row 1,000,000
    many_rows_xlsx(rows)                    a real sheet with that many rows
    huge_cell_xlsx(chars)                   one cell of that many characters
    wide_row_xlsx(cells)                    one row of a million cells (hundreds of MB inside openpyxl)
    foreign_part_xlsx(name)                 a workbook with an extra ZIP entry that is no xlsx part
    many_parts_xlsx(parts)                  a workbook with that many extra (valid-looking) parts
    csv_with_nul()                          a CSV with a NUL byte
    csv_with_huge_field(chars)              a CSV with one 10 MB field (default)
    csv_many_rows(rows)                     a CSV with that many rows
    slow_pdf(objects)                       a PDF without a cross-reference table and with many objects:
                                            pypdf rebuilds the table by parsing every object (about
                                            5 s of CPU for 800,000 objects, 20 MB)
    truncated_pdf()                         the first half of a valid PDF
    not_a_pdf()                             an executable's bytes (upload it as "report.pdf")
    nested_pdf(depth)                       a PDF whose catalog holds arrays nested that deep
    valid_pdf()                             a valid one-page PDF, the baseline
    png_bomb(side)                          a real grey PNG of side x side pixels, all black: 13,000
                                            pixels make about 170 KB that decode to 169 megapixels
    png_claiming(width, height)             a tiny PNG whose header claims that size (its pixel data
                                            is one empty row)

Hypothesis: hostile_uploads() draws (filename, bytes) among the cheap ones above.
Posting: post_files(client, url, {"file": (bytes, filename)}, **fields) sends a multipart form
without the test client's temporary file (werkzeug leaves it open for bodies above 500 KB, which
fails a test whose warnings are errors).
"""

from __future__ import annotations

import csv
import functools
import io
import struct
import zipfile
import zlib

from hypothesis import strategies as st
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.approval.world import pdf_bytes

MiB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


# --- XLSX ----------------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rebuild(replace: dict[str, bytes | None] | None = None, extra: dict[str, bytes] | None = None,
             level: int = 6) -> bytes:
    """A baseline workbook with some parts replaced (None: removed) and extra parts added."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["a", "b"]])))
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for info in source.infolist():
            data = replace.get(info.filename, source.read(info.filename))
            if data is not None:
                archive.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def _sheet(sheet_data: bytes, dimension: str = "A1:B2") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="' + dimension.encode() + b'"/><sheetData>' + sheet_data
            + b"</sheetData></worksheet>")


def _row(number: int, *values: str) -> bytes:
    cells = b"".join(b'<c t="inlineStr"><is><t>' + value.encode() + b"</t></is></c>" for value in values)
    return b'<row r="%d">' % number + cells + b"</row>"


def xlsx_with_sheet(sheet_data: bytes, dimension: str = "A1:B2") -> bytes:
    return _rebuild({SHEET: _sheet(sheet_data, dimension)})


def zip_bomb_xlsx(sheet_bytes: int = 48 * MiB) -> bytes:
    """The sheet XML is `sheet_bytes` long (above every part ceiling) and packs about 1000 to 1."""
    filler = b"<!--" + b" " * (sheet_bytes - 200) + b"-->"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["a"]])))
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == SHEET:
                data = _sheet(_row(1, "a") + filler)
            archive.writestr(info.filename, data)
    return out.getvalue()


def ratio_bomb_xlsx(sheet_bytes: int = 8 * MiB) -> bytes:
    return zip_bomb_xlsx(sheet_bytes)


def declared_rows_xlsx(rows: int = 1_000_000) -> bytes:
    """Row 1 and row `rows`, nothing between: openpyxl fills the gap with empty rows."""
    return xlsx_with_sheet(_row(1, "a", "b") + _row(rows, "x", "y"), dimension=f"A1:B{rows}")


def many_rows_xlsx(rows: int) -> bytes:
    return xlsx_with_sheet(b"".join(_row(number, "a", str(number)) for number in range(1, rows + 1)),
                           dimension=f"A1:B{rows}")


def huge_cell_xlsx(chars: int = 200_000) -> bytes:
    """Below the ratio floor, so the cell ceiling itself refuses it."""
    return xlsx_with_sheet(_row(1, "a", "b") + _row(2, "x" * chars, "y"))


def wide_row_xlsx(cells: int = 1_000_000) -> bytes:
    """Numbers that do not repeat, so the sheet packs only about 3 to 1 and passes the ratio ceiling."""
    values = b"".join(b"<c><v>%d</v></c>" % (number * 7919 % 1_000_003) for number in range(cells))
    return xlsx_with_sheet(b'<row r="1">' + values + b"</row>", dimension="A1:A1")


def foreign_part_xlsx(name: str = "payload.exe") -> bytes:
    return _rebuild(extra={name: b"MZ\x90\x00 not a workbook part"})


def many_parts_xlsx(parts: int = 1000) -> bytes:
    return _rebuild(extra={f"xl/media/image{number}.png": b"" for number in range(parts)}, level=0)


# --- CSV -----------------------------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csv_with_nul() -> bytes:
    return _csv([["credit_code", "source", "listed_on"], ["91320500\x00", "x", "2025-01-01"]])


def csv_with_huge_field(chars: int = 10 * MiB) -> bytes:
    return _csv([["credit_code", "source", "listed_on"], ["x", "y" * chars, "2025-01-01"]])


def csv_many_rows(rows: int) -> bytes:
    return _csv([["credit_code", "source", "listed_on"]] + [["x", "y", "2025-01-01"]] * (rows - 1))


# --- PDF -----------------------------------------------------------------------------------------


def valid_pdf() -> bytes:
    return pdf_bytes()


def _pdf(objects: list[bytes], *, xref: bool) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    start = out.tell()
    if xref:
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start))
    return out.getvalue()


_ONE_PAGE = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"]


def slow_pdf(objects: int = 600_000) -> bytes:
    """Valid but for its missing xref table; 600,000 objects make 15 MB and seconds of pypdf's time."""
    return _pdf(_ONE_PAGE + [b"<< >>"] * objects, xref=False)


def nested_pdf(depth: int = 100_000) -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth + b" >>"
    return _pdf([catalog, *_ONE_PAGE[1:]], xref=True)


def truncated_pdf() -> bytes:
    data = valid_pdf()
    return data[: len(data) // 2]


def not_a_pdf() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode"


# --- PNG -----------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


@functools.cache  # built at collection by several modules: once per process is enough
def png_bomb(side: int = 13_000) -> bytes:
    compressor = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # the filter byte and the pixels
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return _png(side, side, idat)


def png_claiming(width: int, height: int) -> bytes:
    return _png(width, height, zlib.compress(b"\0\0"))


# --- Hypothesis ----------------------------------------------------------------------------------

_CHEAP = [
    ("truncated.pdf", truncated_pdf), ("report.pdf", not_a_pdf), ("nested.pdf", lambda: nested_pdf(5_000)),
    ("bomb.xlsx", lambda: ratio_bomb_xlsx(2 * MiB)), ("rows.xlsx", declared_rows_xlsx),
    ("cell.xlsx", lambda: huge_cell_xlsx(20_000)), ("part.xlsx", foreign_part_xlsx),
    ("parts.xlsx", lambda: many_parts_xlsx(300)), ("nul.csv", csv_with_nul),
    ("field.csv", lambda: csv_with_huge_field(200_000)),
]


def hostile_uploads() -> st.SearchStrategy[tuple[str, bytes]]:
    """(filename, content) of a cheap hostile file; the name says what the content pretends to be."""
    return st.sampled_from(_CHEAP).map(lambda case: (case[0], case[1]()))


# --- posting -------------------------------------------------------------------------------------


def post_files(client, url: str, files: dict[str, tuple[bytes, str]], **fields: str):
    """POST a multipart form, encoded in memory; `files` maps a field to (content, filename)."""
    values: dict[str, object] = dict(fields)
    values.update({field: FileStorage(io.BytesIO(content), filename=name) for field, (content, name) in files.items()})
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
