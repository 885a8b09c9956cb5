"""Safe spreadsheet exports (XLSX and CSV), shared by every area that writes one.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula:
such text gets a leading apostrophe. Numbers stay numbers and dates stay dates, so the office
can sort and sum. CSV is UTF-8 with a BOM and CRLF line ends, which Excel and WPS open cleanly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
CSV_BOM = "\ufeff"


def neutralize_text(text: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def restore_text(text: str) -> str:
    """The inverse of neutralize_text, for importing a file this app exported."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


def spreadsheet_value(value: Any, *, zone: ZoneInfo = LOCAL_ZONE) -> Any:
    """A cell value: numbers and dates kept as such (aware times in local time), text neutralized."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(zone).replace(tzinfo=None)
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


def _xlsx_value(value: Any) -> Any:
    cell = spreadsheet_value(value)
    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell


def write_xlsx(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1") -> bytes:
    """One worksheet, streamed row by row (write-only mode), the header row frozen."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_value(cell) for cell in header])
    for row in rows:
        sheet.append([_xlsx_value(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in title).strip("'")
    return (cleaned or "Sheet1")[:31]
