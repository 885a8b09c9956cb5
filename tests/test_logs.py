"""Structured logs: one JSON object per line with a request id; secrets, ID card and phone numbers redacted."""

from __future__ import annotations

import io
import json
import logging

import pytest

from award import logs
from award.logs import JsonFormatter, RedactingFilter, TextFormatter, redact, request_id_from

TOKEN = "Vb4kP0sT9xQ2mN7rL1cY8eW3aZ6hJ5gU0fD2iO9nB4q"  # secrets.token_urlsafe(32), as auth/tokens.py makes

# (what is logged, what must not survive) — each a way a secret reaches a log line.
LEAKS = [
    ("login failed: password=hunter2-secret for office@example.cn", "hunter2-secret"),
    ("form {'email': 'a@b.cn', 'password': 'Tr0ub4dor&3'}", "Tr0ub4dor&3"),
    ('{"new_password": "correct horse battery", "csrf_token": "IjQ2ZDk2"}', "correct horse battery"),
    ('{"new_password": "correct horse battery", "csrf_token": "IjQ2ZDk2"}', "IjQ2ZDk2"),
    ("AWARD_SECRET_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("MAIL_PASSWORD: smtp-pass-42", "smtp-pass-42"),
    ("cannot reach postgresql+psycopg://award:pg-s3cret@db.internal/award", "pg-s3cret"),
    ("Redis at redis://:r3dis-pass@cache:6379/0 refused", "r3dis-pass"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "eyJhbGciOiJIUzI1NiJ9"),
    ("Cookie: session=.eJwlzj0OwjAMQOG7eM4Q; lang=zh", ".eJwlzj0OwjAMQOG7eM4Q"),
    ("GET /account/password/set/Xq3-mZ_9aB 200", "Xq3-mZ_9aB"),
    ("GET /account/confirm/k2P9dQ7wLm?next=/ 302", "k2P9dQ7wLm"),
    (f"invitation link token {TOKEN} sent", TOKEN),
    ("objector 身份证号110101199003074578提交异议", "110101199003074578"),
    ("objector id 11010119900307457X", "11010119900307457X"),
    ("objector id 11010119900307457x.", "11010119900307457x"),
    ("old id card 110101900307457 on file", "110101900307457"),
    ("联系电话13812345678，请回电", "13812345678"),
    ("mobile +86 138 1234 5678 called", "138 1234 5678"),
    ("mobile 8613812345678", "13812345678"),
    ("mobile 138-1234-5678", "138-1234-5678"),
    ("office phone 0512-61234567", "61234567"),
    ("office phone (010) 12345678", "12345678"),
]


@pytest.mark.parametrize(("message", "secret"), LEAKS)
def test_redact_hides_every_kind_of_secret(message, secret):
    assert secret not in redact(message)
    assert "[REDACTED" in redact(message)


@pytest.mark.parametrize("message", [
    "sent 3, to retry 0, failed 1",
    "GET /applications/12/evidence/3 200 45ms",
    "audit chain head 1234 sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "cycle 2026 stage document_review opened at 2026-12-07 09:30",
    "credit code 91320500MA1XPT8E2K screened",
    "the password was changed for user 17",
    "request took 1234567 us",
])
def test_redact_leaves_ordinary_text_alone(message):
    assert redact(message) == message


def record(message: str, *args, exc: BaseException | None = None, **extra) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "award.test", "levelno": logging.WARNING, "levelname": "WARNING",
                                  "msg": message, "args": args or None, **extra})
    if exc is not None:
        try:
            raise exc
        except BaseException:  # noqa: BLE001
            import sys

            made.exc_info = sys.exc_info()
    return made


def test_the_filter_rewrites_message_arguments_exception_and_extra_fields():
    entry = record("sign-in from %s with password=%s", "13812345678", "hunter2-secret",
                   exc=RuntimeError("cannot connect to postgresql://award:pg-s3cret@db/award"),
                   objector_id="110101199003074578")
    assert RedactingFilter().filter(entry) is True
    rendered = logging.Formatter().format(entry)
    for secret in ("13812345678", "hunter2-secret", "pg-s3cret", "110101199003074578"):
        assert secret not in rendered
        assert secret not in entry.objector_id
    assert "sign-in from [REDACTED:phone] with password=[REDACTED]" in rendered
    assert "RuntimeError" in rendered  # the traceback is kept, redacted


def test_a_json_line_has_time_level_logger_message_and_request_id():
    token = logs.REQUEST_ID.set("req-42")
    try:
        line = JsonFormatter().format(record("mail %s refused", 7, status=503))
    finally:
        logs.REQUEST_ID.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "award.test" and entry["message"] == "mail 7 refused"
    assert entry["request_id"] == "req-42" and entry["status"] == 503
    assert entry["time"].endswith("Z") and entry["time"][:4].isdigit()


def test_a_json_line_is_one_line_even_with_a_traceback_and_newlines():
    line = JsonFormatter().format(record("first\nsecond 13812345678", exc=ValueError("boom")))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "first\nsecond [REDACTED:phone]"
    assert "ValueError: boom" in entry["exception"]
    assert entry["request_id"] is None  # outside a request


def test_the_formatters_redact_even_without_the_filter():
    assert "hunter2" not in JsonFormatter().format(record("password=%s", "hunter2"))
    assert "hunter2" not in TextFormatter().format(record("password=%s", "hunter2"))


@pytest.mark.parametrize(("header", "kept"), [
    ("lb-7f3a.1", True),
    ("0f1e2d3c4b5a69788796a5b4c3d2e1f0", True),  # nginx's $request_id
    ("550e8400-e29b-41d4-a716-446655440000", True),
    ("", False),
    (None, False),
    ("x" * 65, False),
    ("two words", False),
    ("id\r\nSet-Cookie: a=b", False),
    ("<script>", False),
    ("请求1", False),
    ("13812345678", False),  # an id that is a phone number would put it in every log line
])
def test_request_id_is_the_callers_only_when_it_is_a_safe_token(header, kept):
    chosen = request_id_from(header)
    assert (chosen == header) is kept
    assert 1 <= len(chosen) <= 64


def test_a_request_logs_one_json_line_with_its_id_and_echoes_it(client):
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure(level="INFO", log_format="json", stream=stream)
    try:
        response = client.get("/account/password/set/Xq3mZ9aBpQ7", headers={"X-Request-ID": "probe-1"})
        generated = client.get("/login").headers["X-Request-ID"]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert response.headers["X-Request-ID"] == "probe-1"
    assert len(generated) == 32 and generated != "probe-1"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "no log line"
    requests = [line for line in lines if line["logger"] == "award.request"]
    assert [line["request_id"] for line in requests] == ["probe-1", generated]
    assert requests[0]["status"] == response.status_code and requests[0]["method"] == "GET"
    assert "Xq3mZ9aBpQ7" not in stream.getvalue()
    assert requests[0]["path"] == "/account/password/set/[REDACTED]"


def test_configure_replaces_its_own_handler():
    root = logging.getLogger()
    level = root.level
    first = logs.configure(stream=io.StringIO())
    second = logs.configure(log_format="text", stream=io.StringIO())
    try:
        assert first not in root.handlers and second in root.handlers
        assert [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME] == [second]
    finally:
        root.removeHandler(second)
        root.setLevel(level)
