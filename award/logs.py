"""Logs: one JSON object per line (time, level, logger, message, request id), with secrets redacted.

`configure()` puts one handler on the root logger (the app factory calls it, gunicorn builds the same
handler from deploy/gunicorn.conf.py). Its `RedactingFilter` rewrites every record that reaches it, from
any logger, before any formatter sees it: passwords, tokens and other secrets given as `key=value` or
in a URL, bearer tokens, the single-use links' secrets, long random tokens, ID card numbers (身份证号)
and phone numbers become `[REDACTED…]`. The formatters redact their output once more, for records that
reach them by another way.

The request id of the request being served lives in `REQUEST_ID` (set by the web layer); a record
logged outside a request has none.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import IO, Any

REQUEST_ID: ContextVar[str | None] = ContextVar("award_request_id", default=None)
HANDLER_NAME = "award"

REDACTED = "[REDACTED]"
_KEY_CHARS = r"[A-Za-z0-9_.-]"
# Names whose value is a secret: password, passwd, pwd, secret, token, api_key, authorization, cookie,
# session, credential, with anything around them (new_password, csrf_token, SECRET_KEY, Set-Cookie).
_SECRET_WORDS = r"passw(?:or)?d|pwd|secret|token|api[_-]?key|authori[sz]ation|cookie|session|credential"
_SECRET_KEY = rf"{_KEY_CHARS}*(?:{_SECRET_WORDS}){_KEY_CHARS}*"


def _quoted(value: str) -> str:
    """REDACTED in the quotes the value had, so a redacted dict or JSON text keeps its shape."""
    quote = value[0] if len(value) > 1 and value[0] in "\"'" and value[-1] == value[0] else ""
    return f"{quote}{REDACTED}{quote}"


_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # A URL's password: postgresql://award:s3cret@db/award, redis://:s3cret@cache:6379/0
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@"), rf"\1:{REDACTED}@"),
    # Authorization: Bearer …, Basic …
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # key=value, key: value, "key": "value", 'key': 'value' (a dict's repr), password="two words"
    (re.compile(rf"(?i)([\"']?\b{_SECRET_KEY}[\"']?\s*[:=]\s*)(?:\"[^\"]*\"|'[^']*'|[^\s,&;)}}\]]+)"),
     lambda match: match.group(1) + _quoted(match.group(0)[len(match.group(1)):])),
    # The secret of an e-mailed link (invitation, password reset, e-mail confirmation) in a path
    (re.compile(r"(/account/(?:password/set|confirm)/)[^/\s?#\"']+"), rf"\1{REDACTED}"),
    # Any other long random token (secrets.token_urlsafe): 32+ of A-Z a-z 0-9 _ - with all three kinds.
    # Hex digests (lowercase only) stay: they name files and records, they open nothing.
    (re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[0-9])"
                r"[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])"), REDACTED),
    # 身份证号: 18 characters (17 digits and a check digit or X), or the old 15 digits
    (re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])"), "[REDACTED:id]"),
    # Mobile numbers (+86 138 1234 5678, 13812345678, 138-1234-5678)
    (re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9A-Za-z])"),
     "[REDACTED:phone]"),
    # Fixed lines with an area code: 0512-61234567, (010) 12345678, 0512 6123 4567
    (re.compile(r"(?<![0-9A-Za-z])(?:\(0[0-9]{2,3}\)\s?|0[0-9]{2,3}[ -])[0-9]{3,4}[ -]?[0-9]{4}(?![0-9A-Za-z])"),
     "[REDACTED:phone]"),
)


def redact(text: str) -> str:
    """The text with every secret, ID card number and phone number replaced by a marker."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def request_id_from(header: str | None) -> str:
    """The client's (or the proxy's) X-Request-ID when it is a safe token: 1 to 64 characters of
    A-Z a-z 0-9 . _ -, starting with a letter or digit, and nothing the redaction would hide (a phone
    number is no id). Anything else is replaced by a new random id."""
    if header and _SAFE_REQUEST_ID.fullmatch(header) and redact(header) == header:
        return header
    return secrets.token_hex(16)


# The attributes every LogRecord has; any other attribute came with `extra=` and is logged as a field.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def _record_request_id(record: logging.LogRecord) -> str | None:
    given = getattr(record, "request_id", None)
    return given if isinstance(given, str) else REQUEST_ID.get()


class RedactingFilter(logging.Filter):
    """Rewrites the record itself: its message (with the arguments put in), its exception and stack
    text and its string `extra=` fields are redacted; every handler after this one sees them so."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (arguments that do not fit the message: log what there is)
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC), level, logger, message, request_id, the
    record's `extra=` fields, and the exception's traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": _record_request_id(record),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, bool | int | float | None) else redact(str(value))
        if record.exc_info or record.exc_text:
            entry["exception"] = redact(record.exc_text or self.formatException(record.exc_info))  # type: ignore[arg-type]
        if record.stack_info:
            entry["stack"] = redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For reading in a terminal (LOG_FORMAT=text): `time level logger [request id] message`, redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = _record_request_id(record) or "-"
        return redact(super().format(record))


def make_handler(log_format: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """The one handler: stderr (journald keeps it), the redacting filter, JSON or text."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    return handler


# Libraries that say at INFO what only a developer reads (alembic's "Context impl" at every start-up
# check, fontTools' subsetting of each PDF's fonts): their warnings still come through.
QUIET_LOGGERS = ("alembic", "fontTools", "weasyprint")


def configure(*, level: str = "INFO", log_format: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """Put the handler on the root logger, replacing one a previous call (or gunicorn) put there."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    handler = make_handler(log_format, stream)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler
