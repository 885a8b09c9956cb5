"""Reading an uploaded table (CSV or XLSX) within the ceilings of award.limits; every import uses it.

CSV is read in-process: a byte ceiling, no NUL bytes, a known encoding, a field ceiling
(csv.field_size_limit), a column and a row ceiling. XLSX is a ZIP archive: its central directory
is checked first (part names, count, sizes, compression ratio), then openpyxl reads the first
sheet in read-only mode in a child process with capped time and memory (award.sandbox), which
stops at the row ceiling. A file beyond any ceiling is refused with TableRefused naming what is
wrong; nothing is read past that point.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import zipfile
from collections.abc import Sequence
from typing import Any

from award import limits
from award.errors import Invalid
from award.i18n import _
from award.limits import ProcessLimits
from award.sandbox import run_child

FORMATS = ("csv", "xlsx")
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GBK"}
# The parts of an Office Open XML workbook; anything else in the archive is refused.
_XLSX_PART = re.compile(r"^(\[Content_Types\]\.xml|_rels/\.rels|(?:xl|docProps|docMetadata|customXml|_rels)/[^\\:]*)$")
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")


class TableRefused(Invalid):
    """The file cannot be read as a table within the ceilings; `row` is where, None for the whole file."""

    def __init__(self, message: str, *, row: int | None = None, code: str = "table_refused") -> None:
        super().__init__(message, code=code)
        self.row = row


def _size(limit: int) -> str:
    return f"{limit / limits.MiB:.0f} MB"


def read_table(
    data: bytes, fmt: str, *, encodings: Sequence[str] = ("utf-8-sig",), max_rows: int = limits.IMPORT_MAX_ROWS,
    xlsx_limits: ProcessLimits = limits.XLSX_READ,
) -> list[list[Any]]:
    """Every row of the file (the header first, blank rows kept), or TableRefused."""
    if fmt not in FORMATS:
        raise Invalid(_("Unknown file format; use .xlsx or .csv."), code="bad_format")
    if len(data) > limits.IMPORT_MAX_BYTES:
        raise TableRefused(_("The file is larger than %(limit)s.", limit=_size(limits.IMPORT_MAX_BYTES)),
                           code="file_too_large")
    if fmt == "csv":
        return read_csv(data, encodings=encodings, max_rows=max_rows)
    return read_xlsx(data, max_rows=max_rows, process=xlsx_limits)


# --- CSV -------------------------------------------------------------------------------------------


def read_csv(data: bytes, *, encodings: Sequence[str] = ("utf-8-sig",),
             max_rows: int = limits.IMPORT_MAX_ROWS) -> list[list[str]]:
    if b"\x00" in data:
        raise TableRefused(_("The file contains NUL bytes; it is not a CSV text file."), code="csv_nul")
    text = _decode(data, encodings)
    # Process-wide, but every reader of the app sets the same ceiling.
    csv.field_size_limit(limits.IMPORT_MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if number > max_rows:
                raise TableRefused(_("The file has more than %(max)d rows.", max=max_rows), row=number,
                                   code="too_many_rows")
            if len(row) > limits.IMPORT_MAX_COLUMNS:
                raise TableRefused(_("The row has more than %(max)d columns.", max=limits.IMPORT_MAX_COLUMNS),
                                   row=number, code="too_many_columns")
            rows.append(row)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise TableRefused(_("A cell is longer than %(max)d characters.", max=limits.IMPORT_MAX_CELL_CHARS),
                               row=number + 1, code="cell_too_long") from None
        raise TableRefused(_("The CSV file is malformed here (for example an unclosed quotation mark)."),
                           row=number + 1, code="csv_malformed") from None
    return rows


def _decode(data: bytes, encodings: Sequence[str]) -> str:
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    names = ", ".join(dict.fromkeys(_ENCODING_NAMES.get(encoding, encoding) for encoding in encodings))
    raise TableRefused(_("The CSV file is not text in %(encodings)s.", encodings=names), code="csv_encoding")


# --- XLSX ------------------------------------------------------------------------------------------


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a ZIP that is not a plain workbook of bounded size, judged by its central directory only.

    zipfile never inflates a part beyond the size its directory entry declares (and then fails its
    CRC check), so the declared sizes checked here bound what openpyxl can unpack.
    """
    unreadable = TableRefused(_("The file is not a readable XLSX workbook."), code="xlsx_unreadable")
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - _END_RECORD.size - 0xFFFF))
    if end < 0 or len(data) - end < _END_RECORD.size:
        raise unreadable
    _sig, _disk, _start_disk, _entries_here, entries, directory_bytes, _offset, _comment = (
        _END_RECORD.unpack_from(data, end))
    if entries > limits.XLSX_MAX_MEMBERS or directory_bytes > limits.XLSX_MAX_DIRECTORY_BYTES:
        # The ZIP64 markers (0xFFFF, 0xFFFFFFFF) land here too: no workbook of this size needs them.
        raise TableRefused(_("The XLSX file has more than %(max)d parts.", max=limits.XLSX_MAX_MEMBERS),
                           code="xlsx_members")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise unreadable from None
    if len(members) > limits.XLSX_MAX_MEMBERS:
        raise TableRefused(_("The XLSX file has more than %(max)d parts.", max=limits.XLSX_MAX_MEMBERS),
                           code="xlsx_members")
    names: set[str] = set()
    total = 0
    for member in members:
        name = member.filename
        if not _XLSX_PART.match(name) or ".." in name.split("/") or name in names:
            raise TableRefused(_("The XLSX file holds a part that does not belong in a workbook: “%(name)s”.",
                                 name=name[:100]), code="xlsx_part")
        names.add(name)
        if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise TableRefused(_("The XLSX file is encrypted or compressed in an unusual way; save it again "
                                 "from the spreadsheet program."), code="xlsx_compression")
        if member.file_size > limits.XLSX_MAX_MEMBER_BYTES:
            raise TableRefused(_("A part of the XLSX file (“%(name)s”) unpacks to more than %(limit)s.",
                                 name=name[:100], limit=_size(limits.XLSX_MAX_MEMBER_BYTES)), code="xlsx_member_size")
        if (member.file_size > limits.XLSX_RATIO_FLOOR
                and member.file_size > limits.XLSX_MAX_RATIO * max(member.compress_size, 1)):
            raise TableRefused(_("A part of the XLSX file (“%(name)s”) is compressed more than %(ratio)d to 1; "
                                 "the file looks like a ZIP bomb.", name=name[:100], ratio=limits.XLSX_MAX_RATIO),
                               code="xlsx_ratio")
        total += member.file_size
    if total > limits.XLSX_MAX_UNCOMPRESSED_BYTES:
        raise TableRefused(_("The XLSX file unpacks to more than %(limit)s.",
                             limit=_size(limits.XLSX_MAX_UNCOMPRESSED_BYTES)), code="xlsx_size")
    if "[Content_Types].xml" not in names:
        raise unreadable


def read_xlsx(data: bytes, *, max_rows: int = limits.IMPORT_MAX_ROWS,
              process: ProcessLimits = limits.XLSX_READ) -> list[list[Any]]:
    """The first sheet's rows, read by openpyxl in read-only mode in a child process within `process`."""
    check_xlsx_archive(data)
    answer = run_child("xlsx", data, process, max_rows, limits.IMPORT_MAX_COLUMNS, limits.IMPORT_MAX_CELL_CHARS,
                       limits.IMPORT_MAX_TEXT_CHARS)
    if answer is None or "limits" in answer:
        raise TableRefused(_("The workbook could not be read in time; it may be damaged or needlessly complex. "
                             "Save it again as .xlsx or .csv and import the new file."), code="xlsx_limits")
    refused = answer.get("refused")
    row = answer.get("row")
    if refused == "rows":
        raise TableRefused(_("The file has more than %(max)d rows.", max=max_rows), row=row, code="too_many_rows")
    if refused == "cell":
        raise TableRefused(_("A cell is longer than %(max)d characters.", max=limits.IMPORT_MAX_CELL_CHARS),
                           row=row, code="cell_too_long")
    if refused == "text":
        raise TableRefused(_("The workbook holds more than %(limit)s of text.",
                             limit=_size(limits.IMPORT_MAX_TEXT_CHARS)), row=row, code="xlsx_text")
    rows = answer.get("rows")
    if refused or not isinstance(rows, list):
        raise TableRefused(_("The file is not a readable XLSX workbook."), code="xlsx_unreadable")
    return [[_value(cell) for cell in row] for row in rows]


def _value(cell: Any) -> Any:
    """A cell as openpyxl gave it: the child tags dates, times and durations (JSON has none)."""
    if not isinstance(cell, dict):
        return cell
    if "datetime" in cell:
        return dt.datetime.fromisoformat(cell["datetime"])
    if "date" in cell:
        return dt.date.fromisoformat(cell["date"])
    if "time" in cell:
        return dt.time.fromisoformat(cell["time"])
    if "seconds" in cell:
        return dt.timedelta(seconds=cell["seconds"])
    return None
