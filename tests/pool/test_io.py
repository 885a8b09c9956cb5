"""Pool and group-link files: all or nothing with row numbers, both formats, round trips, formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from award.auth.models import Role, User
from award.notifications.models import OutboxMessage
from award.pool import io as pool_io
from award.pool.io import GROUP_COLUMNS, POOL_COLUMNS, ImportRejected
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.pool.services import profile_of
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)

FORMATS = ["csv", "xlsx"]
ORG, CLIENT, PARENT, CHILD = (fresh_credit_code() for _ in range(4))


def make_file(fmt: str, columns, rows) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")  # no BOM: imports accept both
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def expert_row(email="zhang@sipi.cn", *, kind="", party="", start=None, end=None, note="", org=ORG, name="张伟"):
    return [email, name, "0512-66001234", "高级工程师", org, "苏州工业技术研究院", "C,M", "yes",
            kind, party, "某企业" if party else "", start or "", end or "", note]


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_creates_experts_with_relations(db, office, fmt):
    data = make_file(fmt, POOL_COLUMNS, [
        expert_row(kind="client", party=CLIENT, start="2024-03-01", end="2024-12-31", note="卓越绩效培训"),
        ["zhang@sipi.cn", "", "", "", "", "", "", "", "employer", ORG, "", "2010-01-01", "", ""],
        expert_row("liu@nju.edu.cn", name="刘芳"),
    ])
    result = pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    assert (result.created, result.relations_added) == (2, 2)
    assert sorted(result.invited) == ["liu@nju.edu.cn", "zhang@sipi.cn"]
    invitations = db.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "account_invitation")).all()
    assert sorted(invitations) == ["liu@nju.edu.cn", "zhang@sipi.cn"]
    profile = profile_of(db, db.scalar(select(User).where(User.email == "zhang@sipi.cn")))
    assert [(r.kind, r.starts_on) for r in profile.relations] == [
        (RelationKind.CLIENT, dt.date(2024, 3, 1)), (RelationKind.EMPLOYER, dt.date(2010, 1, 1))]
    assert profile.sectors == ["C", "M"] and profile.user.phone == "0512-66001234"


BAD_ROWS = [
    pytest.param(expert_row(org="91320500MA1XXXXXX0"), "check character", id="bad-credit-code"),
    pytest.param(expert_row(kind="friend", party=CLIENT), "Unknown relation kind", id="bad-kind"),
    pytest.param(expert_row(kind="client", party=CLIENT, start="next year"), "not a date", id="bad-date"),
    pytest.param(expert_row(kind="client", party=CLIENT, start="2024-05-01", end="2024-01-01"), "ends before",
                 id="dates-reversed"),
    pytest.param(expert_row(email="", name="无邮箱"), "e-mail address is missing", id="no-email"),
    pytest.param(expert_row(name="李四"), "differ from row 2", id="same-email-other-data"),
    pytest.param(["nobody@x.cn", "", "", "", "", "", "", "", "client", CLIENT, "", "", "", ""], "name is missing",
                 id="relation-before-expert"),
    # Hostile values that once reached the database (a 500 on PostgreSQL, stored on SQLite).
    pytest.param(expert_row("long@x.cn", name="张" * 150), "longer than 100 characters",
                 id="name-longer-than-its-column"),
    pytest.param(expert_row("bidi@x.cn", name="张\u202e伟"), "U+202E", id="bidi-in-the-name"),
    pytest.param(expert_row(kind="client", party=CLIENT, start="0001-01-01"), "not a date", id="year-one"),
    pytest.param(expert_row(kind="client", party=CLIENT, end="9999-12-31"), "not a date", id="year-9999"),
    pytest.param(expert_row(kind="client", party=CLIENT, start="２０２４-01-01"), "not a date", id="unicode-digits"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("bad_row", "message"), BAD_ROWS)
def test_a_bad_row_rejects_the_whole_file_with_its_row_number(db, office, fmt, bad_row, message):
    users_before = count(db, User)
    data = make_file(fmt, POOL_COLUMNS, [expert_row(), expert_row("ok@x.cn", name="好行"), bad_row])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    (problem,) = caught.value.problems
    assert problem.row == 4 and message in problem.message
    assert count(db, User) == users_before and count(db, ExpertProfile) == 0


def test_a_control_character_in_an_address_is_refused(db, office):
    """A CSV can carry what a worksheet cannot (openpyxl refuses to write ESC)."""
    data = make_file("csv", POOL_COLUMNS, [expert_row(), expert_row("x\x1b4@h.cn", name="好行")])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt="csv", password_min_length=10)
    (problem,) = caught.value.problems
    assert problem.row == 3 and "U+001B" in problem.message
    assert count(db, User) == 0 or db.scalar(select(User).where(User.email.like("x%@h.cn"))) is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_bad_row_is_listed(db, office, fmt):
    data = make_file(fmt, POOL_COLUMNS, [expert_row(org="bad"), expert_row("b@x.cn"), expert_row("c@x.cn", org="x")])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    assert [problem.row for problem in caught.value.problems] == [2, 4]


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_expert_column_is_reported_on_the_header_row(db, office, fmt):
    columns = [column for column in POOL_COLUMNS if column != "title"]
    row = [value for column, value in zip(POOL_COLUMNS, [*expert_row(), ""], strict=True) if column != "title"]
    data = make_file(fmt, columns, [row])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    assert caught.value.problems[0].row == 1 and "title" in caught.value.problems[0].message
    assert count(db, ExpertProfile) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_relation_columns_may_be_left_out(db, office, fmt):
    expert_columns = POOL_COLUMNS[:8]
    data = make_file(fmt, expert_columns, [expert_row()[:8], expert_row("b@x.cn")[:8]])
    result = pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    assert result.created == 2
    assert count(db, ExpertRelation) == 0
    # Only the note left out: the relation is still read, with an empty note.
    data = make_file(fmt, POOL_COLUMNS[:-1], [expert_row("c@x.cn", kind="client", party=CLIENT)[:-1]])
    pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    profile = profile_of(db, db.scalar(select(User).where(User.email == "c@x.cn")))
    assert [(relation.party_code, relation.note) for relation in profile.relations] == [(CLIENT, "")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_misspelled_column_refuses_the_file_naming_the_nearest_known_one(db, office, fmt):
    # `end_on` used to be ignored: every ended relation then read as ongoing, a false conflict.
    columns = [("end_on" if column == "ends_on" else column) for column in POOL_COLUMNS]
    data = make_file(fmt, columns, [expert_row(kind="client", party=CLIENT, start="2019-01-01", end="2020-12-31")])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    (problem,) = caught.value.problems
    assert problem.row == 1
    assert "“end_on”" in problem.message and "did you mean “ends_on”" in problem.message
    assert "email, full_name" in problem.message  # the known columns are listed
    assert count(db, ExpertProfile) == 0 and count(db, ExpertRelation) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_column_with_no_near_match_and_a_repeated_column_are_refused(db, office, fmt):
    columns = [*POOL_COLUMNS, "备注2", "note"]
    data = make_file(fmt, columns, [[*expert_row(), "x", "y"]])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt=fmt, password_min_length=10)
    messages = [problem.message for problem in caught.value.problems]
    assert [problem.row for problem in caught.value.problems] == [1, 1]
    assert "“备注2”" in messages[0] and "did you mean" not in messages[0]
    assert "“note” appears more than once" in messages[1]
    assert count(db, ExpertProfile) == 0


def test_an_unknown_group_column_refuses_the_file(db, office):
    data = make_file("csv", ["parent_code", "child_code", "sorce"], [[PARENT, CHILD, "公示系统"]])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_groups(db, actor=office, data=data, fmt="csv")
    (problem,) = caught.value.problems
    assert problem.row == 1 and "did you mean “source”" in problem.message
    assert count(db, GroupLink) == 0


def test_non_expert_account_rejects_the_file(db, office, make_user):
    enterprise = make_user(Role.ENTERPRISE)
    data = make_file("csv", POOL_COLUMNS, [expert_row(), expert_row(enterprise.email)])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_pool(db, actor=office, data=data, fmt="csv", password_min_length=10)
    assert caught.value.problems[0].row == 3
    assert count(db, ExpertProfile) == 0


def test_garbage_files_are_rejected(db, office):
    with pytest.raises(ImportRejected, match="Nothing was imported"):
        pool_io.import_pool(db, actor=office, data=b"PK\x03\x04 not really", fmt="xlsx", password_min_length=10)
    with pytest.raises(ImportRejected):
        pool_io.import_pool(db, actor=office, data="邮箱".encode("gbk"), fmt="csv", password_min_length=10)


def test_csv_with_bom_is_accepted(db, office):
    data = b"\xef\xbb\xbf" + make_file("csv", POOL_COLUMNS, [expert_row()])
    assert pool_io.import_pool(db, actor=office, data=data, fmt="csv", password_min_length=10).created == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_round_trips(db, office, fmt, make_expert):
    tricky = "=HYPERLINK(\"http://evil\")"
    make_expert((RelationKind.CLIENT, CLIENT, dt.date(2023, 1, 1), dt.date(2023, 6, 30)),
                (RelationKind.DISPUTE, ORG, None, None), email="a@x.cn")
    make_expert(email="b@x.cn", sectors=("C", "I"))
    profile = profile_of(db, db.scalar(select(User).where(User.email == "a@x.cn")))
    profile.relations[0].note = tricky
    profile.user.full_name = "-王五"
    db.commit()
    exported = pool_io.export_pool(db, fmt)
    before = pool_io.export_pool(db, "csv")

    result = pool_io.import_pool(db, actor=office, data=exported, fmt=fmt, password_min_length=10)

    assert (result.created, result.updated, result.relations_added) == (0, 0, 0)
    assert result.unchanged == 2
    assert pool_io.export_pool(db, "csv") == before
    assert profile_of(db, profile.user).relations[0].note == tricky


def test_round_trip_into_an_empty_pool_recreates_everything(db, office, make_expert):
    make_expert((RelationKind.SUPPLIER, CLIENT, dt.date(2022, 2, 2), None), email="c@x.cn")
    exported = pool_io.export_pool(db, "xlsx")
    db.execute(delete(ExpertRelation))
    db.execute(delete(ExpertProfile))
    result = pool_io.import_pool(db, actor=office, data=exported, fmt="xlsx", password_min_length=10)
    assert (result.created, result.relations_added, result.invited) == (1, 1, [])  # account reused
    assert pool_io.export_pool(db, "xlsx") and count(db, ExpertRelation) == 1


def test_csv_export_has_bom_and_neutralized_formulas(db, make_expert):
    make_expert((RelationKind.CLIENT, CLIENT, dt.date(2023, 1, 1), None), email="d@x.cn")
    profile = profile_of(db, db.scalar(select(User).where(User.email == "d@x.cn")))
    profile.title = "@SUM(A1)"
    profile.relations[0].note = "+1 cmd"
    db.commit()
    data = pool_io.export_pool(db, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    (row,) = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert (row["title"], row["note"], row["starts_on"], row["in_pool"]) == ("'@SUM(A1)", "'+1 cmd", "2023-01-01",
                                                                             "True")


def test_xlsx_export_keeps_dates_and_booleans_typed(db, make_expert):
    make_expert((RelationKind.CLIENT, CLIENT, dt.date(2023, 1, 1), None), email="e@x.cn")
    profile = profile_of(db, db.scalar(select(User).where(User.email == "e@x.cn")))
    profile.organization_name = "\t制表符开头"
    db.commit()
    sheet = load_workbook(io.BytesIO(pool_io.export_pool(db, "xlsx"))).active
    header = [cell.value for cell in sheet[1]]
    row = {name: cell.value for name, cell in zip(header, sheet[2], strict=True)}
    assert isinstance(row["starts_on"], dt.datetime) and row["starts_on"].date() == dt.date(2023, 1, 1)
    assert row["in_pool"] is True
    assert row["organization_name"] == "'\t制表符开头"


def test_xlsx_export_neutralizes_text_that_looks_like_a_negative_number(db, make_expert):
    make_expert(email="f@x.cn")
    profile = profile_of(db, db.scalar(select(User).where(User.email == "f@x.cn")))
    profile.user.phone = "-1"  # text that looks like a negative number stays inert text
    db.commit()
    sheet = load_workbook(io.BytesIO(pool_io.export_pool(db, "xlsx"))).active
    assert sheet["C2"].value == "'-1"


# --- group links ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_group_links_import_and_round_trip(db, office, fmt):
    data = make_file(fmt, GROUP_COLUMNS, [[PARENT, CHILD, "企业信用信息公示系统"], [PARENT, ORG, ""],
                                          [PARENT, CHILD, "duplicate line"]])
    result = pool_io.import_groups(db, actor=office, data=data, fmt=fmt)
    assert (result.added, result.already_known) == (2, 0)
    again = pool_io.import_groups(db, actor=office, data=pool_io.export_groups(db, fmt), fmt=fmt)
    assert (again.added, again.already_known) == (0, 2)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("bad_row", "message"), [
    pytest.param([PARENT, PARENT, ""], "own parent", id="self-link"),
    pytest.param([PARENT, "", ""], "child_code is missing", id="missing-child"),
    pytest.param(["12345", CHILD, ""], "parent_code: A unified social credit code has 18", id="short-code"),
])
def test_bad_group_row_rejects_the_file(db, office, fmt, bad_row, message):
    data = make_file(fmt, GROUP_COLUMNS, [[PARENT, CHILD, ""], bad_row])
    with pytest.raises(ImportRejected) as caught:
        pool_io.import_groups(db, actor=office, data=data, fmt=fmt)
    (problem,) = caught.value.problems
    assert problem.row == 3 and message in problem.message
    assert count(db, GroupLink) == 0
