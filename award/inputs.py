"""The one input boundary: numbers, ids, dates, JSON bodies and text that come from outside.

Every value a person or a program sends is parsed here and nowhere else: ASCII digits only
(``int()`` also accepts "١٢" and Python's ``Decimal`` accepts "1e600000", whose conversion
to an integer costs minutes), a stated range, dates inside a sane window, JSON of a known
shape and depth, and text without control characters. A refusal is an ``InvalidInput``
carrying a message in the user's language; the web layer turns it into a 400.

Nothing here knows Flask: callers pass the raw strings or mappings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from award.errors import DomainError
from award.i18n import _

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "ID_MAX",
    "InvalidInput",
    "arg_date",
    "arg_id",
    "arg_int",
    "arg_page",
    "check_date_range",
    "check_length",
    "check_name",
    "check_text",
    "json_mapping",
    "json_object",
    "json_scalar_text",
    "local_path",
    "name_problem",
    "parse_date",
    "parse_decimal",
    "parse_id",
    "parse_int",
    "text_problem",
]

# Primary keys are INTEGER columns: 32 bits on PostgreSQL.
ID_MAX = 2**31 - 1
# Dates people mean: nothing in an award cycle happens before 1900 or after 2100, and
# dates near year 9999 overflow as soon as a day is added.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
PAGE_MAX = 100_000
JSON_MAX_DEPTH = 8
JSON_MAX_BYTES = 2 * 1024 * 1024

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,9})?", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

# Line breaks that are not "\n": they split e-mail headers and CSV rows.
_LINE_SEPARATORS = {"\u2028", "\u2029", "\u0085"}
_MULTILINE_ALLOWED = {"\t", "\n", "\r"}
# Bidirectional overrides, embeddings and isolates reorder what is printed ("福州‮司公限有‬精密"
# reads as another company); zero-width characters make two names look the same.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}


class InvalidInput(DomainError):
    """A value from outside that is not what the field takes (a 400, never a 500)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_input")


def _label(field: str | None) -> str:
    return field or _("The value")


def parse_int(text: object, *, minimum: int, maximum: int, field: str | None = None) -> int:
    """An integer written in ASCII digits (optionally signed) inside [minimum, maximum]."""
    value = str(text if text is not None else "").strip()
    if not _INTEGER.fullmatch(value):
        raise InvalidInput(_("%(field)s must be a whole number written with the digits 0 to 9.",
                             field=_label(field)))
    number = int(value)
    if not minimum <= number <= maximum:
        raise InvalidInput(_("%(field)s must be between %(min)s and %(max)s.",
                             field=_label(field), min=minimum, max=maximum))
    return number


def parse_id(text: object) -> int | None:
    """A database id, or None when the text cannot be one (the caller answers 404)."""
    value = str(text if text is not None else "").strip()
    if not _INTEGER.fullmatch(value) or value[0] in "+-":
        return None
    number = int(value)
    return number if 1 <= number <= ID_MAX else None


def parse_decimal(text: object, *, minimum: Decimal | int, maximum: Decimal | int, places: int,
                  field: str | None = None) -> Decimal:
    """A decimal in plain notation (no exponent, at most ``places`` decimals) inside the range."""
    value = str(text if text is not None else "").strip()
    if not _DECIMAL.fullmatch(value) or len(value.partition(".")[2]) > places:
        raise InvalidInput(_("%(field)s must be a number such as 12.5, with at most %(places)s decimals.",
                             field=_label(field), places=places))
    number = Decimal(value)
    if not Decimal(minimum) <= number <= Decimal(maximum):
        raise InvalidInput(_("%(field)s must be between %(min)s and %(max)s.",
                             field=_label(field), min=minimum, max=maximum))
    return number


def parse_date(text: object, *, field: str | None = None) -> dt.date:
    """A calendar date written YYYY-MM-DD between 1900 and 2100."""
    value = str(text if text is not None else "").strip()
    try:
        date = dt.date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        date = None
    if date is None:
        raise InvalidInput(_("%(field)s must be a date written as YYYY-MM-DD.", field=_label(field)))
    check_date_range(date, field=field)
    return date


def check_date_range(value: dt.date | dt.datetime, *, field: str | None = None) -> None:
    """Refuse a date or time outside 1900–2100."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise InvalidInput(_("%(field)s must lie between %(min)s and %(max)s.", field=_label(field),
                             min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat()))


# ----------------------------------------------------------------------------- query arguments


def arg_int(args: Mapping[str, str], name: str, *, default: int | None, minimum: int, maximum: int,
            field: str | None = None) -> int | None:
    """An integer query argument; blank or absent gives ``default``."""
    raw = args.get(name)
    if raw is None or not str(raw).strip():
        return default
    return parse_int(raw, minimum=minimum, maximum=maximum, field=field)


def arg_id(args: Mapping[str, str], name: str, *, field: str | None = None) -> int | None:
    """An id in a query argument (a filter, a preselection); blank or absent gives None."""
    return arg_int(args, name, default=None, minimum=1, maximum=ID_MAX, field=field)


def arg_page(args: Mapping[str, str], name: str = "page") -> int:
    """A page number: 1 when absent."""
    return arg_int(args, name, default=1, minimum=1, maximum=PAGE_MAX, field=_("The page number")) or 1


def arg_date(args: Mapping[str, str], name: str, *, field: str | None = None) -> dt.date | None:
    raw = args.get(name)
    if raw is None or not str(raw).strip():
        return None
    return parse_date(raw, field=field)


# ----------------------------------------------------------------------------- redirect targets

REDIRECT_MAX_LENGTH = 2000


def local_path(target: str | None) -> str | None:
    """A same-site path to send the browser back to, or None. Browsers read "/\\evil.example" and
    "/\t/evil.example" as "//evil.example", another site; so no backslash, no whitespace or control
    character, and nothing but a path."""
    if not target or len(target) > REDIRECT_MAX_LENGTH or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target or any(char.isspace() or not char.isprintable() for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


# ----------------------------------------------------------------------------- JSON bodies


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL refuses it) and no lone surrogate ("\\ud800" in JSON decodes to one, and
    nothing can encode it as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit or not all(_storable(key) for key in item):
                return False
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and not _storable(item):
            return False
    return True


def json_object(body: bytes | str, *, max_bytes: int = JSON_MAX_BYTES,
                max_depth: int = JSON_MAX_DEPTH) -> dict[str, Any]:
    """A JSON body that must be an object, bounded in size and nesting, without NUL characters."""
    if len(body) > max_bytes:
        raise InvalidInput(_("The request is too large."))
    try:
        # Python's json is not recursive in C beyond its own limit; a RecursionError is a refusal too.
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The request is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The request must be a JSON object."))
    if not _depth_ok(data, max_depth):
        raise InvalidInput(_("The request is nested too deeply or contains characters that are not allowed."))
    return data


def json_mapping(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A member that must be an object (absent or null gives an empty one)."""
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(_("The field %(name)s must be a JSON object.", name=name))
    return value


def json_scalar_text(value: Any, name: str) -> str:
    """A member that must be a string or a number (null gives ""), as text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(_("The field %(name)s must be text or a number.", name=name))
    return str(value)


# ----------------------------------------------------------------------------- text


def text_problem(value: str | None, *, multiline: bool = False, field: str | None = None) -> str | None:
    """Why the text cannot be taken, or None: control characters (tab and line breaks only in
    multi-line fields)."""
    if not value:
        return None
    allowed = _MULTILINE_ALLOWED if multiline else set()
    for char in value:
        if char in allowed:
            continue
        if char in _LINE_SEPARATORS or unicodedata.category(char) == "Cc":
            if char in "\t\n\r":
                return _("%(field)s must be on one line.", field=_label(field))
            return _("%(field)s contains a control character (U+%(code)s) that cannot be stored.",
                     field=_label(field), code=f"{ord(char):04X}")
    return None


def name_problem(value: str | None, *, field: str | None = None) -> str | None:
    """Why a name that is printed or published cannot be taken, or None: besides control
    characters, bidirectional controls and invisible characters, which change what a reader sees."""
    problem = text_problem(value, field=field)
    if problem or not value:
        return problem
    for char in value:
        if char in _BIDI_CONTROLS or char in _INVISIBLE:
            return _("%(field)s contains an invisible or direction-changing character (U+%(code)s); "
                     "please type the name again without it.", field=_label(field), code=f"{ord(char):04X}")
    return None


def check_length(value: str | None, *, limit: int, field: str | None = None) -> None:
    """Refuse text longer than the column that will hold it (PostgreSQL refuses, SQLite would keep it)."""
    if value and len(value) > limit:
        raise InvalidInput(_("%(field)s is longer than %(max)s characters.", field=_label(field), max=limit))


def check_text(value: str | None, *, multiline: bool = False, field: str | None = None) -> None:
    problem = text_problem(value, multiline=multiline, field=field)
    if problem:
        raise InvalidInput(problem)


def check_name(value: str | None, *, field: str | None = None) -> None:
    problem = name_problem(value, field=field)
    if problem:
        raise InvalidInput(problem)


def check_printed_text(value: str | None, *, field: str | None = None) -> None:
    """Multi-line text that is printed or sent to others (an itinerary, a finding's reason): besides control
    characters, no bidirectional controls or invisible characters, which change what a reader sees."""
    check_text(value, multiline=True, field=field)
    for line in (value or "").splitlines():
        check_name(line.replace("\t", " "), field=field)
