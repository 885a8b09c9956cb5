"""The quality-credit dishonesty list (质量信用失信名单): all-or-nothing import and look-ups.

An import file is CSV (UTF-8 or GBK) or XLSX with the columns credit code, source, date.
One bad row stops the whole import, and every bad row is reported with its number and reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import BlacklistEntry
from award.audit.services import record
from award.auth.models import Role, User
from award.credit_code import InvalidCreditCode, normalize_credit_code
from award.db import utcnow
from award.errors import Invalid, NotAllowed
from award.i18n import _, local_zone
from award.inputs import DATE_MAX, DATE_MIN, name_problem
from award.tables import TableRefused, read_table

HEADER_NAMES = {
    "credit_code": {"credit_code", "credit code", "统一社会信用代码", "信用代码"},
    "source": {"source", "来源", "列入机关", "名单来源"},
    "listed_on": {"listed_on", "date", "listed on", "列入日期", "日期"},
}
MAX_SOURCE_LENGTH = 200


@dataclass(frozen=True)
class RowProblem:
    row: int  # as the office sees it in the file: the header is row 1
    reason: str


@dataclass(frozen=True)
class ParsedEntry:
    row: int
    credit_code: str
    source: str
    listed_on: dt.date


class BlacklistImportError(Invalid):
    """The file was refused; `problems` names each bad row."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(_("Nothing was imported: %(count)s rows have problems.", count=len(problems)),
                         code="blacklist_rows")
        self.problems = list(problems)


def read_rows(data: bytes) -> list[list[Any]]:
    """The rows of a CSV (UTF-8 or GBK) or XLSX file (recognized by its ZIP signature, not by its name).

    Read within the ceilings of award.limits (award.tables): a refused row is reported as a bad row.
    """
    fmt = "xlsx" if data.startswith(b"PK\x03\x04") else "csv"
    try:
        return read_table(data, fmt, encodings=("utf-8-sig", "gb18030"))
    except TableRefused as refused:
        if refused.row is None:
            raise
        raise BlacklistImportError([RowProblem(refused.row, refused.message)]) from None


_DATE_WORDS = str.maketrans("", "", "年月日")


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text.translate(_DATE_WORDS).isascii():
        return None  # strptime also reads "２０２０"
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _columns(header: Sequence[Any]) -> dict[str, int] | None:
    names = [str(cell or "").strip().lower() for cell in header]
    found = {}
    for key, accepted in HEADER_NAMES.items():
        for index, name in enumerate(names):
            if name in accepted:
                found[key] = index
                break
    return found if len(found) == len(HEADER_NAMES) else None


def parse_rows(rows: Sequence[Sequence[Any]], *, today: dt.date) -> list[ParsedEntry]:
    """Validate every row; raise BlacklistImportError listing all bad rows, or return all entries."""
    if not rows:
        raise BlacklistImportError([RowProblem(1, _("The file is empty."))])
    columns = _columns(rows[0])
    if columns is None:
        raise BlacklistImportError([RowProblem(1, _(
            "The first row must name the columns: credit_code, source, listed_on "
            "(or 统一社会信用代码, 来源, 列入日期)."))])
    entries: list[ParsedEntry] = []
    problems: list[RowProblem] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * 3

        def cell(key: str, cells: list[Any] = cells) -> Any:
            return cells[columns[key]]

        if all(str(value or "").strip() == "" for value in row):
            continue  # blank lines are harmless
        reasons = []
        raw_code = str(cell("credit_code") or "").strip()
        try:
            code = normalize_credit_code(raw_code)
        except InvalidCreditCode:
            code = ""
            reasons.append(_("“%(code)s” is not a valid unified social credit code.", code=raw_code))
        source = str(cell("source") or "").strip()
        if not source:
            reasons.append(_("The source is missing."))
        elif len(source) > MAX_SOURCE_LENGTH:
            reasons.append(_("The source is longer than %(max)s characters.", max=MAX_SOURCE_LENGTH))
        elif problem := name_problem(source, field=_("The source")):
            reasons.append(problem)
        listed_on = _parse_date(cell("listed_on"))
        if listed_on is not None and not DATE_MIN <= listed_on <= DATE_MAX:
            reasons.append(_("The date %(date)s lies outside %(min)s to %(max)s.", date=listed_on.isoformat(),
                             min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat()))
        elif listed_on is None:
            reasons.append(_("The date is missing or not a date (use YYYY-MM-DD)."))
        elif listed_on > today:
            reasons.append(_("The date %(date)s is in the future.", date=listed_on.isoformat()))
        if reasons:
            problems.append(RowProblem(number, " ".join(reasons)))
        else:
            assert listed_on is not None
            entries.append(ParsedEntry(number, code, source, listed_on))
    if problems:
        raise BlacklistImportError(problems)
    if not entries:
        raise BlacklistImportError([RowProblem(2, _("The file has no entries."))])
    return entries


def beijing_today() -> dt.date:
    """Today's date in the award's time zone: a list dated today is not "in the future" before 08:00 Beijing
    time, when the server's own (UTC) calendar still says yesterday."""
    return utcnow().astimezone(local_zone()).date()


def import_blacklist(session: Session, *, actor: User | None, data: bytes, filename: str = "",
                     today: dt.date | None = None) -> int:
    """Import every row of the file or none; entries already present are skipped. Returns new entries."""
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can import the dishonesty list."))
    entries = parse_rows(read_rows(data), today=today or beijing_today())
    existing = {
        (row.credit_code, row.source, row.listed_on)
        for row in session.scalars(select(BlacklistEntry).where(
            BlacklistEntry.credit_code.in_({entry.credit_code for entry in entries})))
    }
    added = 0
    for entry in entries:
        key = (entry.credit_code, entry.source, entry.listed_on)
        if key in existing:
            continue
        existing.add(key)
        session.add(BlacklistEntry(credit_code=entry.credit_code, source=entry.source, listed_on=entry.listed_on,
                                   imported_by_id=actor.id if actor else None))
        added += 1
    session.flush()
    record(session, actor=actor, action="blacklist.imported", target_type="blacklist", target_id=filename[:80] or "-",
           after={"rows": len(entries), "added": added})
    return added


def blacklist_hits(session: Session, credit_codes: Iterable[str]) -> dict[str, list[BlacklistEntry]]:
    """Listed credit codes → their entries (oldest first); codes not listed are absent.

    Screening calls it, and so can the shortlist and the public notice, to check again."""
    codes = {code.strip().upper() for code in credit_codes if code}
    hits: dict[str, list[BlacklistEntry]] = {}
    if not codes:
        return hits
    rows = session.scalars(select(BlacklistEntry).where(BlacklistEntry.credit_code.in_(codes))
                           .order_by(BlacklistEntry.listed_on, BlacklistEntry.id))
    for row in rows:
        hits.setdefault(row.credit_code, []).append(row)
    return hits
