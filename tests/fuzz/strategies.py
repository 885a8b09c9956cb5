"""Hypothesis strategies of hostile input: numbers, text, JSON bodies and path arguments per converter.

Every value is text as a browser or a script would send it. The fixed tables name the cases the
issue lists (huge, negative, Unicode digits, exponents, NaN, control, bidi and zero-width
characters, 100k-character strings, wrong JSON types, deep nesting); Hypothesis mixes them with
generated text and numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from award.web import IdConverter

LONG = 100_000
# A path or query value rides in the request line, which gunicorn cuts at limit_request_line
# (deploy/gunicorn.conf.py; tests/test_deployment.py holds the two equal): a longer URL is refused by
# the server before the app sees it. Up to four query values share one line, so each gets a quarter.
REQUEST_LINE_LIMIT = 4094
URL_VALUE_BYTES = REQUEST_LINE_LIMIT // 4

# Exponents whose integer value costs real CPU ("1e600000" makes a 600,000-digit int); the input
# boundary (award/inputs.py) refuses them, so every route gets them.
HUGE_EXPONENTS = ("1e600000", "1E600000", "-1e600000", "9e999999999")
MILD_EXPONENTS = ("1e400", "-1e400", "1e-400")

NUMBERS = (
    "0", "-0", "-1", "+1", "1.5", "-99999", "007", " 42 ", "4 2", "1_000", "0x1F", "0b11", "1,000", "１２",
    "9" * 25, "-" + "9" * 25, "1" + "0" * 30, "18446744073709551616", "9223372036854775808",
    "-9223372036854775809", "2147483648",
    "²", "³", "①", "⑩", "٣", "١٢٣", "۴", "१२३", "〇", "十", "Ⅻ", "𝟗", "3²",
    "1e5", "1E5", "1e-9", "1e+9", "1e9", "1e308", "1e309", ".5", "5.", "-.0", "1e", "e5",
    "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-inf", "∞",
    *MILD_EXPONENTS,
)
TEXTS = (
    "", " ", "\t", "\n", "\r\n", "\x00", "a\x00b", "\x00" * 10, "\x01\x02\x1b[31m\x7f\x85", "\x08\x0c\x0b",
    "\u202e", "\u202egnp.exe\u202c", "\u2066x\u2069", "\u2067\u2068\u2069", "\u200b", "a\u200bb", "\ufeff",
    "\u200f\u200e", "\ufffd", "\uffff", "𠀋", "👩‍👩‍👧", "ﷺ", "e\u0301" * 50,
    "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "'; DROP TABLE users; --", "1' OR '1'='1",
    "{{7*7}}", "${7*7}", "%s%s%n", "../../etc/passwd", "/etc/passwd", "file:///etc/passwd",
    "http://127.0.0.1:1/", "//evil.example/", "javascript:alert(1)", "=1+1", "@SUM(1)",
    "true", "false", "null", "None", "[]", "{}", "-", "%", "%00", "%zz", "+", "&", "=",
    "2026-02-30", "9999-12-31", "0000-00-00", "0001-01-01", "10000-01-01", "2026-13-01", "2026-1-1",
    "2026-01-01T25:61", "24:00", "-1 day",
    "a" * 300, "苏" * 5000,
    "9" * LONG, "苏" * LONG, "\u202e" * LONG, "\x00" * LONG, "1" + "0" * LONG,
)


def _fits_request_line(value: str) -> bool:
    return len(quote(value, safe="")) <= URL_VALUE_BYTES


# The longest values a URL can carry, percent-encoded: three bytes per NUL, nine per CJK character.
URL_TEXTS = (
    *(text for text in TEXTS if _fits_request_line(text)),
    "9" * URL_VALUE_BYTES, "苏" * (URL_VALUE_BYTES // 9), "\u202e" * (URL_VALUE_BYTES // 9),
    "\x00" * (URL_VALUE_BYTES // 3), "1" + "0" * (URL_VALUE_BYTES - 1),
)


def _plain_text() -> st.SearchStrategy[str]:
    # Surrogates cannot be encoded in a request at all, so they are not input a server can get.
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def _unicode_digits() -> st.SearchStrategy[str]:
    return st.text(st.characters(categories=("Nd", "No", "Nl")), min_size=1, max_size=30)


def hostile_text(*, in_url: bool = False) -> st.SearchStrategy[str]:
    """One hostile form, query or JSON text value; `in_url`: one that a request line can carry."""
    fixed = NUMBERS + (URL_TEXTS if in_url else TEXTS) + HUGE_EXPONENTS
    return st.one_of(
        st.sampled_from(fixed),
        st.integers().map(str),
        st.floats().map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        _unicode_digits(),
        _plain_text(),
    )


def nested(depth: int, *, as_object: bool = False) -> str:
    """A JSON text nested `depth` levels deep."""
    if as_object:
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "]" * depth


def json_scalars() -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from([10**30, -(10**30), 1e300]), hostile_text())


def json_values() -> st.SearchStrategy[object]:
    return st.recursive(json_scalars(),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_plain_text(), inner, max_size=3),
                        max_leaves=8)


# Keys a JSON endpoint may read besides the page's form fields (the autosave reads "fields" and
# "version"; the form fields themselves travel inside "fields").
JSON_KEYS = ("fields", "version", "id", "data", "items", "value")


def json_bodies(field_names: Sequence[str]) -> st.SearchStrategy[str]:
    """A JSON request body: well-formed objects with hostile values, wrong top-level types, wrong
    "fields" types, deep nesting, and text that is no JSON at all."""
    names = sorted(set(field_names)) or ["field"]
    values = json_values()
    fields = st.dictionaries(st.sampled_from(names) | _plain_text(), values, max_size=len(names) + 2)
    shaped = st.fixed_dictionaries({}, optional={
        "fields": fields | values, "version": values,
        **{key: values for key in JSON_KEYS if key not in ("fields", "version")},
    })
    wrong = st.sampled_from([
        "[]", "[1, 2]", '"fields"', "42", "1e400", "null", "true", '{"fields": []}', '{"fields": "x"}',
        '{"fields": null}', '{"fields": 5}', '{"fields": {"a": {"b": []}}}', '{"version": [], "fields": {}}',
        nested(1000), nested(1000, as_object=True), nested(100_000), '{"fields": ' + nested(1000) + "}",
        "", "{", '{"a": NaN}', '{"a": Infinity}', '{"a": 1e600000}',
        '"\\ud800"', '{"\\u0000": "\\u0000"}', "\ufeff{}", "{}" * 2,
    ])
    return st.one_of(shaped.map(json.dumps), wrong)


# Path arguments: a strategy per converter. A rule with a converter missing here fails the test
# (tests/test_fuzz_routes.py: test_every_converter_has_a_strategy), so a new kind of argument gets
# its own hostile values instead of none.
def int_argument(valid: Sequence[str]) -> st.SearchStrategy[str]:
    hostile = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), _unicode_digits(),
                        hostile_text(in_url=True))
    return st.sampled_from(list(valid)) | hostile if valid else hostile


def string_argument(valid: Sequence[str]) -> st.SearchStrategy[str]:
    hostile = hostile_text(in_url=True)
    return st.sampled_from(list(valid)) | hostile if valid else hostile


CONVERTER_STRATEGIES = {
    IdConverter: int_argument,  # the app's <int:...>
    IntegerConverter: int_argument,
    UnicodeConverter: string_argument,
}
# Converters of rules the fuzz test skips, with the reason.
SKIPPED_CONVERTERS = {PathConverter: "only `static` uses it, and static files are served by Werkzeug"}


def strategy_for(converter: object) -> object:
    return CONVERTER_STRATEGIES.get(type(converter))


def query_args(names: Sequence[str], valid: Sequence[Mapping[str, str]]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Query arguments: a valid set seen on the pages, or hostile values, some names repeated."""
    value = hostile_text(in_url=True)
    pairs = st.lists(st.tuples(st.sampled_from(sorted(set(names))), value), max_size=4)
    if not valid:
        return pairs
    known = st.sampled_from([sorted(v.items()) for v in valid])
    return st.one_of(pairs, known, st.tuples(known, pairs).map(lambda kp: kp[0] + kp[1]))
