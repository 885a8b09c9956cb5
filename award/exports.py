"""Safe spreadsheet exports (XLSX and CSV), shared by every area that writes one.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula:
such text gets a leading apostrophe, also when invisible format characters (bidi marks, zero-width
spaces) or spaces come first, and for the full-width forms a Chinese input method types. Numbers
stay numbers and dates stay dates (with a date format), so the office can sort and sum. XLSX cells
are cut to Excel's 32,767 characters and lose XML-illegal control characters, so the file opens
without a repair prompt. CSV is UTF-8 with a BOM and CRLF line ends, which Excel and WPS open cleanly.

Every spreadsheet the app writes goes through write_csv / write_xlsx (tests/test_export_safety.py
runs hostile values through each export and fails on a writer that bypasses this module).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from award.i18n import local_zone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
CSV_BOM = "\ufeff"
XLSX_MAX_CELL = 32_767
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _looks_like_formula(text: str) -> bool:
    """Starts with a formula character once invisible format characters and spaces are skipped."""
    for char in text:
        if char in FORMULA_PREFIXES:
            return True
        if not (char == " " or char == "\u3000" or unicodedata.category(char) == "Cf"):
            return False
    return False


def neutralize_text(text: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + text if _looks_like_formula(text) else text


def restore_text(text: str) -> str:
    """The inverse of neutralize_text, for importing a file this app exported."""
    return text[1:] if text.startswith("'") and _looks_like_formula(text[1:]) else text


def spreadsheet_value(value: Any, *, zone: ZoneInfo | None = None) -> Any:
    """A cell value: numbers and dates kept as such (aware times in `zone`, the app's by default), text
    neutralized."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(zone or local_zone()).replace(tzinfo=None)
        return value
    return neutralize_text(str(value))


def _csv_text(value: Any) -> str:
    cell = spreadsheet_value(value)
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ", timespec="minutes")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(cell) for cell in header])
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row])
    return (CSV_BOM + buffer.getvalue()).encode("utf-8")


# openpyxl (0.2 s to import) is imported by the functions that write a workbook, not by every
# program that imports this module: each command and web worker builds the app, which imports it.


def _xlsx_value(value: Any, zone: ZoneInfo | None = None) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = spreadsheet_value(value, zone=zone)
    if isinstance(cell, str):
        cell = ILLEGAL_CHARACTERS_RE.sub("", cell)
        return neutralize_text(cell)[:XLSX_MAX_CELL]  # dropping a leading control may uncover a prefix
    return cell


def _xlsx_cell(sheet: Any, value: Any, zone: ZoneInfo | None) -> Any:
    cell = _xlsx_value(value, zone)
    if isinstance(cell, dt.date):
        from openpyxl.cell.cell import WriteOnlyCell

        typed = WriteOnlyCell(sheet)
        typed.value = cell  # as WriteOnlyCell(value=) does; its stub leaves out plain dates
        typed.number_format = DATETIME_FORMAT if isinstance(cell, dt.datetime) else DATE_FORMAT
        return typed
    return cell


def write_xlsx(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1",
               column_width: float | None = None, zone: ZoneInfo | None = None) -> bytes:
    """One worksheet, streamed row by row (write-only mode), the header row frozen."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    if column_width is not None:
        for column in range(1, len(header) + 1):
            sheet.column_dimensions[get_column_letter(column)].width = column_width
    sheet.append([_xlsx_value(cell) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell, zone) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in title).strip("'")
    return (cleaned or "Sheet1")[:31]
