"""The office's application list as XLSX: numbers stay numbers, dates stay dates, formulas are defused."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from award.applications.models import Application

# A spreadsheet treats a cell starting with these as a formula (CSV/Excel injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Strings that could start a formula get a leading quote; other types are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, Decimal):
        return float(value)  # openpyxl writes floats as numbers
    return value


def applications_workbook(
    applications: Iterable[Application], *, headers: list[str], status_labels: Mapping[Any, str],
    sectors: Mapping[str, str], zone: ZoneInfo,
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "applications"
    sheet.append(headers)
    for application in applications:
        submitted = application.submitted_at.astimezone(zone).replace(tzinfo=None) if application.submitted_at else None
        row = [
            application.id,
            application.org_name,
            application.organization.credit_code,
            str(status_labels[application.status]),
            application.sector,
            sectors.get(application.sector, ""),
            application.district,
            application.address,
            application.employees,
            application.revenue,
            application.founded_on,
            application.qms_certified_on,
            submitted,
            application.self_assessment_length(),
            len(application.files),
        ]
        sheet.append([safe_cell(value) for value in row])
    for column, _header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = 18
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
