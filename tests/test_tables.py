"""Uploaded tables within their ceilings: hostile XLSX and CSV files are refused, naming what is wrong.

Every refusal imports nothing: the service functions and the office's import pages are both tried.
The files come from tests/hostile_files.py, made on the spot.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from award import limits, tables
from award.applications.blacklist import BlacklistImportError, import_blacklist
from award.applications.models import BlacklistEntry
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.errors import DomainError
from award.pool import io as pool_io
from award.pool.io import GROUP_COLUMNS, ImportRejected
from award.pool.models import ExpertProfile, GroupLink
from tests import hostile_files as hostile
from tests.conftest import fresh_credit_code

TODAY = dt.date(2026, 6, 1)

XLSX_REFUSALS = [
    (hostile.zip_bomb_xlsx, "xlsx_member_size", "unpacks to more than"),
    (hostile.ratio_bomb_xlsx, "xlsx_ratio", "ZIP bomb"),
    (hostile.foreign_part_xlsx, "xlsx_part", "does not belong in a workbook: “payload.exe”"),
    (lambda: hostile.foreign_part_xlsx("xl/../../etc/cron.d/x"), "xlsx_part", "does not belong"),
    (lambda: hostile.foreign_part_xlsx("/etc/passwd"), "xlsx_part", "does not belong"),
    (hostile.many_parts_xlsx, "xlsx_members", "more than 200 parts"),
    (hostile.declared_rows_xlsx, "too_many_rows", "more than 50000 rows"),
    (hostile.huge_cell_xlsx, "cell_too_long", "longer than 10000 characters"),
    (lambda: b"PK\x03\x04 not really a zip", "xlsx_unreadable", "not a readable XLSX"),
]
CSV_REFUSALS = [
    (hostile.csv_with_nul, "csv_nul", "NUL bytes"),
    (hostile.csv_with_huge_field, "cell_too_long", "longer than 10000 characters"),
    (lambda: hostile.csv_many_rows(limits.IMPORT_MAX_ROWS + 1), "too_many_rows", "more than 50000 rows"),
    (lambda: b"a,b\n" + b",".join([b"x"] * 65) + b"\n", "too_many_columns", "more than 64 columns"),
    (lambda: "credit_code".encode("utf-16"), "csv_nul", "NUL bytes"),
    (lambda: b"\xff\xfe\xfa not text", "csv_encoding", "not text in UTF-8"),
]


def _ids(cases):
    return [code + "-" + str(index) for index, (_make, code, _text) in enumerate(cases)]


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


# --- the reader ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "code", "text"), XLSX_REFUSALS, ids=_ids(XLSX_REFUSALS))
def test_hostile_workbooks_are_refused_with_the_reason(make, code, text):
    with pytest.raises(tables.TableRefused) as refused:
        tables.read_table(make(), "xlsx")
    assert refused.value.code == code and text in refused.value.message


@pytest.mark.parametrize(("make", "code", "text"), CSV_REFUSALS, ids=_ids(CSV_REFUSALS))
def test_hostile_csv_files_are_refused_with_the_reason(make, code, text):
    with pytest.raises(tables.TableRefused) as refused:
        tables.read_table(make(), "csv")
    assert refused.value.code == code and text in refused.value.message


def test_the_bomb_is_small_and_refused_from_its_directory_alone(monkeypatch):
    bomb = hostile.zip_bomb_xlsx()
    assert len(bomb) < 100_000  # 48 MB of sheet XML packed
    monkeypatch.setattr(tables, "run_child", lambda *args: pytest.fail("openpyxl must not see the bomb"))
    with pytest.raises(tables.TableRefused, match="unpacks to more than 40 MB"):
        tables.read_table(bomb, "xlsx")


def test_reading_stops_at_the_row_ceiling():
    with pytest.raises(tables.TableRefused) as refused:
        tables.read_table(hostile.many_rows_xlsx(101), "xlsx", max_rows=100)
    assert refused.value.row == 101
    assert len(tables.read_table(hostile.many_rows_xlsx(100), "xlsx", max_rows=100)) == 100


def test_a_file_above_the_byte_ceiling_is_not_parsed(monkeypatch):
    monkeypatch.setattr(limits, "IMPORT_MAX_BYTES", 1000)
    with pytest.raises(tables.TableRefused, match="larger than"):
        tables.read_table(hostile.csv_many_rows(100), "csv")


def test_a_workbook_that_cannot_be_read_in_time_is_refused():
    no_time = limits.ProcessLimits(wall_seconds=0.001, cpu_seconds=1, memory_bytes=512 * limits.MiB)
    with pytest.raises(tables.TableRefused) as refused:
        tables.read_table(hostile.xlsx_bytes([["a", "b"]]), "xlsx", xlsx_limits=no_time)
    assert refused.value.code == "xlsx_limits" and "could not be read in time" in refused.value.message


def test_a_workbook_beyond_the_memory_limit_is_refused():
    little = limits.ProcessLimits(wall_seconds=20, cpu_seconds=10, memory_bytes=160 * limits.MiB)
    assert tables.read_table(hostile.xlsx_bytes([["a", "b"]]), "xlsx", xlsx_limits=little) == [["a", "b"]]
    with pytest.raises(tables.TableRefused) as refused:  # openpyxl holds a whole row in memory
        tables.read_table(hostile.wide_row_xlsx(), "xlsx", xlsx_limits=little)
    assert refused.value.code == "xlsx_limits"


def test_cells_keep_their_types_through_the_child():
    when = dt.datetime(2025, 3, 1, 8, 30)
    rows = tables.read_table(hostile.xlsx_bytes([["a", 1, 2.5, True, when, None, "最后"]]), "xlsx")
    assert rows == [["a", 1, 2.5, True, when, None, "最后"]]


def test_refusals_speak_the_users_language(app):
    with app.test_request_context(), force_locale("zh_CN"), pytest.raises(tables.TableRefused) as refused:
        tables.read_table(hostile.ratio_bomb_xlsx(), "xlsx")
    assert "疑似压缩炸弹" in refused.value.message


# --- the imports: nothing is written ---------------------------------------------------------------


@pytest.mark.parametrize(("make", "text"), [
    (hostile.zip_bomb_xlsx, "unpacks to more than"),
    (hostile.ratio_bomb_xlsx, "ZIP bomb"),
    (hostile.foreign_part_xlsx, "does not belong in a workbook"),
    (hostile.declared_rows_xlsx, "more than 20000 rows"),  # the pool's own, tighter ceiling
    (hostile.huge_cell_xlsx, "longer than 10000 characters"),
])
def test_pool_import_of_a_hostile_workbook_imports_nothing(db, office, make, text):
    before = count(db, AuditRecord)
    with pytest.raises(ImportRejected) as rejected:
        pool_io.import_pool(db, actor=office, data=make(), fmt="xlsx", password_min_length=10)
    assert text in rejected.value.problems[0].message
    assert count(db, ExpertProfile) == 0 and count(db, AuditRecord) == before


@pytest.mark.parametrize(("make", "text"), [
    (hostile.csv_with_nul, "NUL bytes"),
    (hostile.csv_with_huge_field, "longer than 10000 characters"),
    (lambda: hostile.csv_many_rows(pool_io.MAX_ROWS + 1), "more than 20000 rows"),
])
def test_group_import_of_a_hostile_csv_imports_nothing(db, office, make, text):
    with pytest.raises(ImportRejected) as rejected:
        pool_io.import_groups(db, actor=office, data=make(), fmt="csv")
    assert text in rejected.value.problems[0].message
    assert count(db, GroupLink) == 0


@pytest.mark.parametrize(("make", "code", "text"), XLSX_REFUSALS[:3] + CSV_REFUSALS[:2],
                         ids=_ids(XLSX_REFUSALS[:3] + CSV_REFUSALS[:2]))
def test_blacklist_import_of_a_hostile_file_imports_nothing(db, office, make, code, text):
    with pytest.raises(DomainError) as refused:
        import_blacklist(db, actor=office, data=make(), today=TODAY)
    assert text in refused.value.message or text in " ".join(p.reason for p in refused.value.problems)
    assert count(db, BlacklistEntry) == 0


def test_blacklist_names_the_row_of_a_huge_cell(db, office):
    with pytest.raises(BlacklistImportError) as refused:
        import_blacklist(db, actor=office, data=hostile.huge_cell_xlsx(), today=TODAY)
    assert [problem.row for problem in refused.value.problems] == [2]
    assert count(db, BlacklistEntry) == 0


def test_a_good_file_still_imports(db, office):
    data = hostile.xlsx_bytes([list(GROUP_COLUMNS), [fresh_credit_code(), fresh_credit_code(), "年报"]])
    assert pool_io.import_groups(db, actor=office, data=data, fmt="xlsx").added == 1


# --- the office's pages --------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "name", "make", "text"), [
    ("/pool/import", "pool.xlsx", hostile.zip_bomb_xlsx, "unpacks to more than"),
    ("/pool/import", "pool.xlsx", hostile.declared_rows_xlsx, "more than 20000 rows"),
    ("/pool/groups/import", "groups.csv", hostile.csv_with_huge_field, "longer than 10000 characters"),
    ("/pool/groups/import", "groups.xlsx", hostile.foreign_part_xlsx, "does not belong in a workbook"),
    ("/applications/blacklist", "list.xlsx", hostile.ratio_bomb_xlsx, "ZIP bomb"),
    ("/applications/blacklist", "list.csv", hostile.csv_with_nul, "NUL bytes"),
])
def test_office_import_pages_refuse_hostile_files(db, client, login, office, url, name, make, text):
    login(office)
    response = hostile.post_files(client, url, {"file": (make(), name)})
    assert response.status_code == 422
    assert text in response.get_data(as_text=True)
    assert count(db, ExpertProfile) == count(db, GroupLink) == count(db, BlacklistEntry) == 0
