"""Every export neutralizes formula-like text and keeps numbers and dates typed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from award.exports import restore_text, write_csv, write_xlsx

HOSTILE = [
    ("=HYPERLINK(\"http://evil\",\"click\")", "'=HYPERLINK(\"http://evil\",\"click\")"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("\u202e=1+1", "'\u202e=1+1"),  # a right-to-left override hides the = from the eye, not from Excel
    ("\u200b@SUM(A1)", "'\u200b@SUM(A1)"),
    (" =1+1", "' =1+1"),
    ("＝1+1", "'＝1+1"),  # full-width, as a Chinese input method types it
    ("苏州恒润精密机械有限公司", "苏州恒润精密机械有限公司"),
    ("\u202e苏州", "\u202e苏州"),
    ("a=b", "a=b"),
]


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_xlsx_neutralizes_formula_text(value, expected):
    sheet = load_workbook(io.BytesIO(write_xlsx(["h"], [[value]]))).active
    assert sheet["A2"].value == expected.replace("\r", "\n")  # XML reads a bare CR as LF
    assert sheet["A2"].data_type == "s"
    assert restore_text(expected) == value


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_csv_neutralizes_formula_text(value, expected):
    data = write_csv(["h"], [[value]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1] == [expected]


def test_numbers_and_dates_stay_typed():
    moment = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)
    sheet = load_workbook(io.BytesIO(write_xlsx(
        ["n", "d", "dec", "day", "time", "neg"],
        [[42, 3.5, Decimal("812.50"), dt.date(2026, 3, 1), moment, -7]],
    ))).active
    values = [cell.value for cell in sheet[2]]
    assert values[:3] == [42, 3.5, 812.5]
    assert values[3] == dt.datetime(2026, 3, 1)  # Excel stores dates as date-times
    assert values[4] == dt.datetime(2026, 3, 1, 10, 30)  # shown in Beijing time
    assert values[5] == -7  # a negative number is a number, not a formula
    assert [cell.data_type for cell in sheet[2]][:3] == ["n", "n", "n"]


def test_csv_has_crlf_and_local_times():
    data = write_csv(["when"], [[dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)], [None]]).decode("utf-8-sig")
    assert data == 'when\r\n2026-03-01 10:30\r\n""\r\n'


def test_xml_illegal_characters_are_dropped_and_sheet_title_is_safe():
    workbook = load_workbook(io.BytesIO(write_xlsx(["h"], [["a\x01b"]], title="2026/年:排名[终]")))
    assert workbook.active["A2"].value == "ab"
    assert workbook.active.title == "2026_年_排名_终_"


def test_xlsx_cells_fit_excel_and_a_control_character_cannot_uncover_a_formula():
    workbook = load_workbook(io.BytesIO(write_xlsx(["h"], [["=" * 40_000], ["\x01=1+1"]])))
    assert len(workbook.active["A2"].value) == 32_767
    assert workbook.active["A3"].value == "'=1+1"


def test_dates_get_a_date_format():
    data = write_xlsx(["d", "t"], [[dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 8)]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].number_format == "yyyy-mm-dd" and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
