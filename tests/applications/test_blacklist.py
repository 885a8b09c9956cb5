"""Dishonesty-list import: every row checked, all or nothing, and the look-up other areas call."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from award.applications.blacklist import BlacklistImportError, blacklist_hits, import_blacklist
from award.applications.models import BlacklistEntry
from award.auth.models import Role
from award.errors import NotAllowed
from tests.conftest import fresh_credit_code

TODAY = dt.date(2026, 6, 1)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(row) for row in rows).encode(encoding)


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(BlacklistEntry))


def test_csv_import_and_lookup(db, office):
    code = fresh_credit_code()
    data = csv_bytes([["统一社会信用代码", "来源", "列入日期"], [code.lower(), "苏州市市场监督管理局", "2025-03-01"]])
    assert import_blacklist(db, actor=office, data=data, today=TODAY) == 1
    hits = blacklist_hits(db, [code, fresh_credit_code()])
    assert list(hits) == [code]
    assert hits[code][0].source == "苏州市市场监督管理局" and hits[code][0].listed_on == dt.date(2025, 3, 1)


def test_gbk_csv_is_read(db, office):
    data = csv_bytes([["credit_code", "source", "listed_on"], [fresh_credit_code(), "质量信用", "2025/3/1"]], "gbk")
    assert import_blacklist(db, actor=office, data=data, today=TODAY) == 1


def test_xlsx_with_real_dates(db, office):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["credit_code", "source", "listed_on"])
    sheet.append([fresh_credit_code(), "省市场监管局", dt.datetime(2024, 12, 31)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert import_blacklist(db, actor=office, data=buffer.getvalue(), today=TODAY) == 1


@pytest.mark.parametrize(("row", "reason"), [
    (["91320500MA1XXXXX0Y", "局", "2025-01-01"], "not a valid unified social credit code"),
    ([None, "局", "2025-01-01"], "not a valid unified social credit code"),
    ([True, "", "2025-01-01"], "source is missing"),
    ([True, "局", ""], "date is missing"),
    ([True, "局", "01/02/2025"], "date is missing"),
    ([True, "局", "2027-01-01"], "in the future"),
    ([True, "苏州市\u202e局", "2025-01-01"], "U+202E"),
    ([True, "局\x1b[31m", "2025-01-01"], "U+001B"),
    ([True, "局", "0001-01-01"], "lies outside"),
    ([True, "局", "２０２５-01-01"], "date is missing"),
])
def test_a_bad_row_is_named_and_nothing_is_imported(db, office, row, reason):
    row = [fresh_credit_code() if cell is True else (cell or "") for cell in row]
    good = [fresh_credit_code(), "局", "2025-01-01"]
    data = csv_bytes([["credit_code", "source", "listed_on"], good, row, good])
    with pytest.raises(BlacklistImportError) as error:
        import_blacklist(db, actor=office, data=data, today=TODAY)
    assert [(p.row, reason in p.reason) for p in error.value.problems] == [(3, True)]
    assert count(db) == 0


def test_missing_header_is_refused(db, office):
    with pytest.raises(BlacklistImportError) as error:
        import_blacklist(db, actor=office, data=csv_bytes([[fresh_credit_code(), "局", "2025-01-01"]]), today=TODAY)
    assert error.value.problems[0].row == 1


def test_reimport_skips_known_entries(db, office):
    data = csv_bytes([["credit_code", "source", "listed_on"], [fresh_credit_code(), "局", "2025-01-01"]])
    import_blacklist(db, actor=office, data=data, today=TODAY)
    assert import_blacklist(db, actor=office, data=data, today=TODAY) == 0
    assert count(db) == 1


def test_only_the_office_imports(db, make_user):
    data = csv_bytes([["credit_code", "source", "listed_on"], [fresh_credit_code(), "局", "2025-01-01"]])
    with pytest.raises(NotAllowed):
        import_blacklist(db, actor=make_user(Role.SUPERVISOR), data=data, today=TODAY)


def test_a_list_dated_today_in_beijing_is_not_in_the_future_early_in_the_morning(db, make_user, monkeypatch):
    """At 01:00 Beijing time the server's own calendar (UTC) still says yesterday: the list was refused."""
    import award.applications.blacklist as blacklist

    monkeypatch.setattr(blacklist, "utcnow", lambda: dt.datetime(2030, 1, 1, 17, 0, tzinfo=dt.UTC))
    data = f"统一社会信用代码,来源,列入日期\n{fresh_credit_code()},市信用办,2030-01-02\n".encode()
    assert import_blacklist(db, actor=make_user(Role.OFFICE), data=data) == 1
