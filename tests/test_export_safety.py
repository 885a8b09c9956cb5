"""Every spreadsheet the app writes, fed hostile text: each cell is inert, numbers and dates stay typed.

The table EXPORTS names every export (routes and CLI commands); each row seeds data whose text
fields hold one hostile value, downloads the file, and checks every cell. The guard tests fail when
an export route or command is added without a row here, or when code writes XLSX or CSV without
going through award/exports.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from openpyxl import load_workbook

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role
from award.cycles.models import Stage
from award.exports import XLSX_MAX_CELL
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from tests.conftest import fresh_credit_code
from tests.ranking.conftest import ReviewWorld

LONG = "=" + "1+" * 25_000 + "1"
HOSTILE = {
    "equals": "=1+1",
    "plus": "+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(A1)",
    "tab": "\t=x",
    "carriage return": "\r=x",
    "very long": LONG,
    "right-to-left override": "\u202e=HYPERLINK(\"http://evil\")",
    "right-to-left mark": "\u200f+1",
    "zero-width space": "\u200b=1+1",
    "full-width equals": "＝1+1",
    "hyperlink": "=HYPERLINK(\"http://evil\",\"点击\")",
}
FORMULA_START = "=+-@\t\r＝＋－＠"
DAY = dt.date(2005, 3, 1)
MOMENT = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)  # 10:30 in Beijing


def runs_as_formula(text: str) -> bool:
    """Would a spreadsheet run it? Its first visible character (after spaces and format marks) starts a formula."""
    visible = text.lstrip(" \u3000")
    while visible and unicodedata.category(visible[0]) == "Cf":
        visible = visible[1:].lstrip(" \u3000")
    return bool(visible) and visible[0] in FORMULA_START


def is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


@dataclass
class Sheet:
    rows: list[list[Any]]
    fmt: str


def parse(data: bytes, fmt: str) -> Sheet:
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 BOM"
        text = data.decode("utf-8-sig")
        assert "\r\n" in text
        return Sheet(list(csv.reader(io.StringIO(text, newline=""))), fmt)
    workbook = load_workbook(io.BytesIO(data))
    return Sheet([list(row) for row in workbook.active.iter_rows(values_only=True)], fmt)


def check_cells(sheet: Sheet, hostile: str) -> None:
    """No cell runs as a formula; the hostile text is there, behind an apostrophe."""
    found = False
    for row in sheet.rows[1:]:
        for cell in row:
            if not isinstance(cell, str):
                continue
            if sheet.fmt == "xlsx":
                assert len(cell) <= XLSX_MAX_CELL
            if runs_as_formula(cell):
                assert sheet.fmt == "csv" and is_number(cell), f"formula-like cell {cell[:40]!r}"
            if cell.startswith("'"):
                original = hostile.replace("\r", "\n") if sheet.fmt == "xlsx" else hostile
                found = found or original.startswith(cell[1:61])
    assert found, "the hostile value should be in the file, neutralized"


@dataclass(frozen=True)
class Export:
    """One export: how to seed hostile data and fetch the file, and which columns are numbers or dates."""

    name: str  # endpoint, or "cli:<group> <command>"
    fmt: str
    seed: Callable[[Any, str], None]
    fetch: Callable[[Any], bytes]
    numbers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()


# --- seeding ---------------------------------------------------------------------------------------------


def seed_applications(env, hostile: str) -> None:
    cycle = env.cycle(Stage.SCREENING)
    organization = env.make_organization(name=hostile[:200])
    env.db.add(Application(
        cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.SUBMITTED,
        org_name=hostile[:200], address=hostile[:300], district=hostile[:60], sector="C", employees=1200,
        revenue=Decimal("3456.78"), founded_on=DAY, qms_certified_on=DAY, submitted_at=MOMENT,
        self_assessment={"4.1.2": hostile}))
    env.db.commit()


def seed_ranking(env, hostile: str) -> None:
    world = ReviewWorld(env.db, env.make_user, env.make_organization, env.cycle(Stage.DELIBERATION))
    review_round = world.round()
    for index, percents in enumerate([[80, 75, 70, 70, 65], [55, 60, 60, 65, 60]]):
        application = world.application(name=hostile[:200] if index == 0 else f"第{index}有限公司")
        application.org_name = hostile[:200] if index == 0 else application.org_name
        world.panel(review_round, application, percents)
    env.db.commit()


def seed_pool(env, hostile: str) -> None:
    user = env.make_user(Role.EXPERT, name=hostile[:100])
    profile = ExpertProfile(user_id=user.id, title=hostile[:100], organization_code=fresh_credit_code(),
                            organization_name=hostile[:200], sectors=["C"])
    profile.relations = [ExpertRelation(kind=RelationKind.CLIENT, party_code=fresh_credit_code(),
                                        party_name=hostile[:200], starts_on=DAY, ends_on=None, note=hostile[:500])]
    env.db.add(profile)
    env.db.commit()


def seed_groups(env, hostile: str) -> None:
    env.db.add(GroupLink(parent_code=fresh_credit_code(), child_code=fresh_credit_code(), source=hostile[:200]))
    env.db.commit()


def get(path: str) -> Callable[[Any], bytes]:
    def fetch(env) -> bytes:
        response = env.client.get(path.format(cycle_id=env.current_cycle.id if env.current_cycle else 0))
        assert response.status_code == 200, response.status_code
        return response.data

    return fetch


def cli(*args: str) -> Callable[[Any], bytes]:
    def fetch(env) -> bytes:
        target = env.tmp_path / f"out.{args[-1]}"
        result = env.app.test_cli_runner().invoke(args=[*args[:-1], str(target)])
        assert result.exit_code == 0, result.output
        return target.read_bytes()

    return fetch


APPLICATION_NUMBERS = ("Employees", "Annual revenue (10,000 yuan)", "Self-assessment characters", "Files")
RANKING_NUMBERS = ("Total (official method)", "Valid sheets")
EXPORTS = [
    Export("applications.export", "xlsx", seed_applications, get("/applications/cycle/{cycle_id}/export.xlsx"),
           numbers=APPLICATION_NUMBERS, dates=("Founding date", "Submitted at")),
    Export("ranking.export", "csv", seed_ranking, get("/cycles/{cycle_id}/ranking/export.csv"),
           numbers=RANKING_NUMBERS),
    Export("ranking.export", "xlsx", seed_ranking, get("/cycles/{cycle_id}/ranking/export.xlsx"),
           numbers=RANKING_NUMBERS),
    Export("pool.export_pool", "csv", seed_pool, get("/pool/export.csv"), dates=("starts_on",)),
    Export("pool.export_pool", "xlsx", seed_pool, get("/pool/export.xlsx"), dates=("starts_on",)),
    Export("pool.export_groups", "csv", seed_groups, get("/pool/groups/export.csv")),
    Export("pool.export_groups", "xlsx", seed_groups, get("/pool/groups/export.xlsx")),
    Export("cli:pool export", "csv", seed_pool, cli("pool", "export", "csv"), dates=("starts_on",)),
    Export("cli:pool export", "xlsx", seed_pool, cli("pool", "export", "xlsx"), dates=("starts_on",)),
    Export("cli:pool groups-export", "csv", seed_groups, cli("pool", "groups-export", "csv")),
    Export("cli:pool groups-export", "xlsx", seed_groups, cli("pool", "groups-export", "xlsx")),
]
# Modules allowed to call the shared writers; each is reached by rows of the table above.
WRITER_MODULES = {"award/applications/exports.py", "award/ranking/exports.py", "award/pool/io.py"}


class Env:
    def __init__(self, app, db, client, make_user, make_organization, make_cycle, tmp_path) -> None:
        self.app, self.db, self.client, self.tmp_path = app, db, client, tmp_path
        self.make_user, self.make_organization, self.make_cycle = make_user, make_organization, make_cycle
        self.current_cycle = None

    def cycle(self, stage: Stage):
        self.current_cycle = self.make_cycle(stage=stage)
        return self.current_cycle


@pytest.fixture
def env(app, db, client, login, make_user, make_organization, make_cycle, tmp_path) -> Env:
    login(make_user(Role.OFFICE))
    return Env(app, db, client, make_user, make_organization, make_cycle, tmp_path)


def _column(sheet: Sheet, header: str) -> int:
    names = [str(cell) for cell in sheet.rows[0]]
    assert header in names, f"{header!r} not in {names}"
    return names.index(header)


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("export", EXPORTS, ids=[f"{e.name}.{e.fmt}" for e in EXPORTS])
def test_hostile_text_is_neutralized(env, export, hostile):
    export.seed(env, hostile)
    sheet = parse(export.fetch(env), export.fmt)
    check_cells(sheet, hostile)


@pytest.mark.parametrize("export", EXPORTS, ids=[f"{e.name}.{e.fmt}" for e in EXPORTS])
def test_numbers_stay_numbers_and_dates_stay_dates(env, export):
    export.seed(env, "=1+1")
    sheet = parse(export.fetch(env), export.fmt)
    assert len(sheet.rows) >= 2
    for header in export.numbers:
        column = _column(sheet, header)
        for row in sheet.rows[1:]:
            value = row[column]
            if export.fmt == "xlsx":
                assert isinstance(value, int | float) and not isinstance(value, bool), (header, value)
            else:
                assert is_number(value), (header, value)
    for header in export.dates:
        column = _column(sheet, header)
        values = [row[column] for row in sheet.rows[1:] if row[column] not in (None, "")]
        assert values
        for value in values:
            if export.fmt == "xlsx":
                assert isinstance(value, dt.datetime), (header, value)
            else:
                assert re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", value), (header, value)
    if "Submitted at" in export.dates:  # an aware time is written in Beijing time
        assert sheet.rows[1][_column(sheet, "Submitted at")] == dt.datetime(2026, 3, 1, 10, 30)


# --- guards: nothing writes a spreadsheet outside the table -----------------------------------------------


def test_every_export_route_is_in_the_table(app):
    covered = {e.name for e in EXPORTS if not e.name.startswith("cli:")}
    exports = {rule.endpoint for rule in app.url_map.iter_rules()
               if "export" in rule.endpoint or re.search(r"\.(csv|xlsx)|<fmt>", rule.rule)}
    assert exports == covered, f"add these to EXPORTS: {sorted(exports - covered)}"


def _commands(group: click.Group, ctx: click.Context, prefix: str = "") -> list[str]:
    names = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            names += _commands(command, ctx, f"{prefix}{name} ")
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_export_command_is_in_the_table(app):
    with app.app_context():
        ctx = click.Context(app.cli)
        commands = {f"cli:{name}" for name in _commands(app.cli, ctx) if "export" in name}
    covered = {e.name for e in EXPORTS if e.name.startswith("cli:")}
    assert commands == covered, f"add these to EXPORTS: {sorted(commands - covered)}"


SOURCE = Path(__file__).resolve().parents[1] / "award"
RAW_WRITERS = re.compile(r"csv\.writer|csv\.DictWriter|Workbook\(|xlsxwriter|\.to_csv\(|\.to_excel\(")


def test_only_award_exports_writes_spreadsheets():
    """XLSX and CSV are written in award/exports.py only; its callers are the modules the table covers."""
    raw, callers = [], set()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        if relative != "award/exports.py" and RAW_WRITERS.search(text.replace("exports.to_csv(", "")):
            raw.append(relative)
        if re.search(r"from award\.exports import .*write_(csv|xlsx)", text):
            callers.add(relative)
    assert raw == [], f"these write spreadsheets without award/exports.py: {raw}"
    assert callers == WRITER_MODULES, f"new callers of the safe writers need rows in EXPORTS: {callers}"
