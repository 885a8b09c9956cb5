"""Import and export of the expert pool and of enterprise-group links, as XLSX and CSV.

The column layout is documented in docs/expert-pool-format.md. Imports are all or nothing:
every row is checked first, and a file with any bad row changes nothing; the problems carry
the spreadsheet row number (the header is row 1). Exports go through award.exports, which
neutralizes formula-like text with a leading apostrophe; imports strip that apostrophe again,
so an export imports back unchanged.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from award.audit.services import record
from award.auth.models import Role, User
from award.auth.services import credit_code_or_error, find_user_by_email, normalize_email
from award.errors import DomainError, Invalid
from award.exports import restore_text, write_csv, write_xlsx
from award.i18n import _
from award.inputs import InvalidInput, check_date_range, parse_date
from award.pool import services as pool
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, GroupLink
from award.pool.services import ExpertData, RelationData
from award.tables import TableRefused, read_table

EXPERT_COLUMNS = (
    "email", "full_name", "phone", "title", "organization_code", "organization_name", "sectors", "in_pool", "address",
)
RELATION_COLUMNS = ("relation_kind", "party_code", "party_name", "starts_on", "ends_on", "note")
# The address came later (回避 soft signals): last, so files written before it keep their order.
POOL_COLUMNS = (*EXPERT_COLUMNS[:8], *RELATION_COLUMNS, "address")
OPTIONAL_POOL_COLUMNS = ("address", *RELATION_COLUMNS)  # address: added with the 回避 soft signals
GROUP_COLUMNS = ("parent_code", "child_code", "source")

FORMATS = ("csv", "xlsx")  # as award.tables.FORMATS
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 20_000  # header included; a pool is hundreds of experts, anything near this is the wrong file
_TRUE = {"1", "yes", "y", "true", "是", "在库"}
_FALSE = {"0", "no", "n", "false", "否", "不在库", ""}


@dataclass(frozen=True)
class RowProblem:
    row: int  # spreadsheet row number; 1 is the header
    message: str


class ImportRejected(Invalid):
    """A file with bad rows: nothing of it was imported."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(_("Nothing was imported: %(count)d row(s) need correcting.", count=len(problems)),
                         code="import_rejected")
        self.problems = list(problems)


@dataclass
class PoolImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relations_added: int = 0
    invited: list[str] = field(default_factory=list)  # the e-mail addresses of new accounts, sent an invitation


@dataclass
class GroupImportResult:
    added: int = 0
    already_known: int = 0


# --- cells ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number in a spreadsheet
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return restore_text(str(value).strip())


def _date(value: Any, column: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        check_date_range(value, field=column)
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return parse_date(text.replace("/", "-"), field=column)
    except InvalidInput as refused:
        raise Invalid(_("%(column)s: “%(value)s” is not a date between 1900 and 2100 (use YYYY-MM-DD).",
                            column=column, value=text[:40]), code="bad_date") from refused


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(_("in_pool: “%(value)s” is not yes or no.", value=text), code="bad_bool")


# --- reading files -------------------------------------------------------------------------


def header_problems(names: Sequence[str], columns: Sequence[str]) -> list[str]:
    """What is wrong with a header row: a column the format does not know, or a column named twice.

    An unknown column is never skipped: a misspelled optional column (`end_on` for `ends_on`)
    would otherwise read as empty in every row and change what the file means.
    """
    problems = []
    for name in dict.fromkeys(name for name in names if name and name not in columns):
        nearest = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
        if nearest:
            problems.append(_("Unknown column “%(column)s”: did you mean “%(nearest)s”? The known columns are: "
                              "%(known)s.", column=name, nearest=nearest[0], known=", ".join(columns)))
        else:
            problems.append(_("Unknown column “%(column)s”. The known columns are: %(known)s.",
                              column=name, known=", ".join(columns)))
    for name in dict.fromkeys(name for name in names if name and names.count(name) > 1):
        problems.append(_("The column “%(column)s” appears more than once.", column=name))
    return problems


def read_rows(
    data: bytes, fmt: str, columns: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, {column: raw value}) for every non-empty data row; the header names the columns.

    A column in `optional` may be left out of the header; it then reads as empty in every row. A
    column the format does not know refuses the whole file (`header_problems`).
    The file is read within the ceilings of award.limits (award.tables).
    """
    try:
        rows = read_table(data, fmt, max_rows=MAX_ROWS)
    except TableRefused as refused:
        raise ImportRejected([RowProblem(refused.row or 1, refused.message)]) from None
    if not rows:
        raise ImportRejected([RowProblem(1, _("The file is empty."))])
    names = [_text(cell).lower() for cell in rows[0]]
    if problems := header_problems(names, columns):
        raise ImportRejected([RowProblem(1, problem) for problem in problems])
    missing = [column for column in columns if column not in names and column not in optional]
    if missing:
        raise ImportRejected([RowProblem(1, _("Missing column(s): %(columns)s.", columns=", ".join(missing)))])
    index = {column: names.index(column) for column in columns if column in names}
    for number, row in enumerate(rows[1:], start=2):
        values = {column: row[index[column]] if column in index and index[column] < len(row) else None
                  for column in columns}
        if all(_text(value) == "" for value in values.values()):
            continue
        yield number, values


def format_of(filename: str | None) -> str:
    """The table format named by an upload's extension: csv or xlsx; any other is refused."""
    extension = (filename or "").rsplit(".", 1)[-1].lower()
    if extension not in FORMATS:
        raise Invalid(_("Unknown file format; use .xlsx or .csv."), code="bad_format")
    return extension


# --- writing files -------------------------------------------------------------------------


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, *, sheet: str) -> bytes:
    """The shared safe writers (award.exports): formula text neutralized, numbers and dates typed."""
    if fmt == "csv":
        return write_csv(columns, rows)
    if fmt == "xlsx":
        return write_xlsx(columns, rows, title=sheet)
    raise Invalid(_("Unknown file format; use .xlsx or .csv."), code="bad_format")


# --- the pool ------------------------------------------------------------------------------


def pool_rows(session: Session) -> Iterator[list[Any]]:
    """One row per declared relation (expert columns repeated); an expert without any gets one row."""
    profiles = session.scalars(select(ExpertProfile).options(selectinload(ExpertProfile.relations))
                               .join(User, User.id == ExpertProfile.user_id).order_by(User.email))
    for profile in profiles:
        expert = [profile.user.email, profile.user.full_name, profile.user.phone, profile.title,
                  profile.organization_code, profile.organization_name, ",".join(profile.sectors or []),
                  profile.in_pool]
        if not profile.relations:
            yield [*expert, *([None] * len(RELATION_COLUMNS)), profile.address]
        for relation in profile.relations:
            yield [*expert, relation.kind.value, relation.party_code, relation.party_name, relation.starts_on,
                   relation.ends_on, relation.note, profile.address]


def export_pool(session: Session, fmt: str) -> bytes:
    return write_table(POOL_COLUMNS, pool_rows(session), fmt, sheet="experts")


@dataclass
class _ExpertRows:
    data: ExpertData
    first_row: int
    relations: list[tuple[int, RelationData]] = field(default_factory=list)


def parse_pool(data: bytes, fmt: str) -> list[_ExpertRows]:
    """Every expert of the file with its relations, or ImportRejected listing every bad row."""
    experts: dict[str, _ExpertRows] = {}
    problems: list[RowProblem] = []
    for number, values in read_rows(data, fmt, POOL_COLUMNS, optional=OPTIONAL_POOL_COLUMNS):
        try:
            email = normalize_email(_text(values["email"]))
            if not email:
                raise Invalid(_("The e-mail address is missing."), code="email_missing")
            expert_given = any(_text(values[column]) for column in EXPERT_COLUMNS[1:])
            if expert_given or email not in experts:
                expert = pool.clean_expert_data(ExpertData(
                    email=email, full_name=_text(values["full_name"]), phone=_text(values["phone"]),
                    title=_text(values["title"]), organization_code=_text(values["organization_code"]),
                    organization_name=_text(values["organization_name"]),
                    sectors=tuple(_text(values["sectors"]).replace("，", ",").split(",")),
                    in_pool=_bool(values["in_pool"]) if _text(values["in_pool"]) else True,
                    address=_text(values["address"]),
                ))
                known = experts.get(email)
                if known is None:
                    experts[email] = known = _ExpertRows(expert, number)
                elif known.data != expert:
                    raise Invalid(_("The expert columns differ from row %(row)d for the same e-mail.",
                                        row=known.first_row), code="expert_differs")
            if _text(values["relation_kind"]):
                relation = pool.clean_relation_data(RelationData(
                    kind=_relation_kind(_text(values["relation_kind"])), party_code=_text(values["party_code"]),
                    party_name=_text(values["party_name"]), starts_on=_date(values["starts_on"], "starts_on"),
                    ends_on=_date(values["ends_on"], "ends_on"), note=_text(values["note"]),
                ))
                experts[email].relations.append((number, relation))
            elif any(_text(values[column]) for column in RELATION_COLUMNS):
                raise Invalid(_("relation_kind is missing while other relation columns are filled."),
                                  code="relation_kind_missing")
        except DomainError as error:
            problems.append(RowProblem(number, error.message))
    if problems:
        raise ImportRejected(problems)
    return list(experts.values())


def _relation_kind(text: str) -> RelationKind:
    try:
        return RelationKind(text.strip().lower())
    except ValueError:
        raise Invalid(_("Unknown relation kind “%(kind)s” (use one of: %(kinds)s).", kind=text,
                            kinds=", ".join(kind.value for kind in RelationKind)),
                          code="bad_relation_kind") from None


def import_pool(
    session: Session, *, actor: User | None, data: bytes, fmt: str, password_min_length: int
) -> PoolImportResult:
    """Create or update the file's experts and add their new relations; all or nothing.

    Existing relations are kept: a declaration missing from the file is not removed (only the
    office removes one, by hand, with a reason). A relation already on the profile is skipped.
    """
    pool.require_office(actor)
    experts = parse_pool(data, fmt)
    problems: list[RowProblem] = []
    for item in experts:  # account checks need the database: still before any change
        user = find_user_by_email(session, item.data.email)
        if user is not None and user.role is not Role.EXPERT:
            problems.append(RowProblem(item.first_row, _("The account %(email)s exists but is not an expert "
                                                         "account.", email=item.data.email)))
    if problems:
        raise ImportRejected(problems)

    result = PoolImportResult()
    for item in experts:
        user = find_user_by_email(session, item.data.email)
        profile = pool.profile_of(session, user) if user is not None else None
        if profile is None:
            created = pool.create_expert(session, actor=actor, data=item.data,
                                         password_min_length=password_min_length)
            profile = created.profile
            result.created += 1
            if created.invited:
                result.invited.append(created.profile.user.email)
        else:
            before = pool.profile_snapshot(profile)
            pool.update_expert(session, actor=actor, profile=profile, data=item.data)
            if pool.profile_snapshot(profile) == before:
                result.unchanged += 1
            else:
                result.updated += 1
        known = {_relation_key(relation) for relation in profile.relations}
        for _number, relation in item.relations:
            if relation.key() in known:
                continue
            pool.add_relation(session, actor=actor, profile=profile, data=relation)
            known.add(relation.key())
            result.relations_added += 1
    record(session, actor=actor, action="pool.imported", target_type="expert_pool", target_id=fmt,
           after={"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                  "relations_added": result.relations_added})
    return result


def _relation_key(relation: Any) -> tuple[str, str, dt.date | None, dt.date | None]:
    return (relation.kind.value, relation.party_code, relation.starts_on, relation.ends_on)


# --- group links ---------------------------------------------------------------------------


def export_groups(session: Session, fmt: str) -> bytes:
    links = session.scalars(select(GroupLink).order_by(GroupLink.parent_code, GroupLink.child_code))
    return write_table(GROUP_COLUMNS, ([link.parent_code, link.child_code, link.source] for link in links), fmt,
                       sheet="group_links")


def import_groups(session: Session, *, actor: User | None, data: bytes, fmt: str) -> GroupImportResult:
    """Add the file's parent → subsidiary links; links already known are skipped. All or nothing."""
    pool.require_office(actor)
    links: dict[tuple[str, str], str] = {}
    problems: list[RowProblem] = []
    for number, values in read_rows(data, fmt, GROUP_COLUMNS):
        try:
            parent = _code(values["parent_code"], "parent_code")
            child = _code(values["child_code"], "child_code")
            if parent == child:
                raise Invalid(_("An organization cannot be its own parent."), code="self_link")
            links.setdefault((parent, child), _text(values["source"]))
        except DomainError as error:
            problems.append(RowProblem(number, error.message))
    if problems:
        raise ImportRejected(problems)
    rows = session.execute(select(GroupLink.parent_code, GroupLink.child_code))
    existing = {(parent, child) for parent, child in rows}
    result = GroupImportResult()
    for (parent, child), source in links.items():
        if (parent, child) in existing:
            result.already_known += 1
            continue
        pool.add_group_link(session, actor=actor, parent_code=parent, child_code=child, source=source)
        result.added += 1
    record(session, actor=actor, action="pool.group_links_imported", target_type="group_links", target_id=fmt,
           after={"added": result.added, "already_known": result.already_known})
    return result


def _code(value: Any, column: str) -> str:
    text = _text(value)
    if not text:
        raise Invalid(_("%(column)s is missing.", column=column), code="code_missing")
    try:
        return credit_code_or_error(text)
    except DomainError as error:
        raise Invalid(f"{column}: {error.message}", code=error.code) from None
