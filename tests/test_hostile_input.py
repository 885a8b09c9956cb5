"""A table of hostile strings goes through every form of every page and comes back escaped.

The forms are found by reading each page a role may open (from the access matrix), so a new form
is covered without a new test. A form's text fields get the hostile value, other fields keep what
the page offered. No answer may be a server error, and no page may echo the markup unescaped.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

# The access matrix's world, built once for this module too; each test starts from it as built.
from tests.test_access import ANON, ROLES, ROUTES, app, db, matrix_world, world  # noqa: F401  (fixtures)

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE users; --",
    "1' OR '1'='1",
    "\u202egnp.exe\u202c 质量\u200f",  # right-to-left override and mark
    "Ω≈ç√ مرحبا Привет 你好 𠀋" * 3,
    "苏" * 5000,
]
RAW_MARKUP = ("<script>alert('x')</script>", "<img src=x onerror=alert(1)>")
TEXT_TYPES = {"text", "email", "tel", "search", "url", None}
SKIPPED_ACTIONS = ("/logout", "/language/")


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "fields": {}, "text": []})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type")
            if kind in TEXT_TYPES:
                self.forms[-1]["text"].append(attrs["name"])
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "y")
            elif kind not in ("submit", "button", "file", "password"):
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea" and attrs.get("name"):
            self.forms[-1]["text"].append(attrs["name"])
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif tag == "option" and self._select and self._select not in self.forms[-1]["fields"]:
            self.forms[-1]["fields"][self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return [form for form in parser.forms if form["method"] == "post" and form["text"]]


def html_of(response) -> str:
    return response.get_data(as_text=True) if response.mimetype == "text/html" else ""


def assert_escaped(body: str, where: str) -> None:
    for markup in RAW_MARKUP:
        assert markup not in body, f"unescaped markup echoed by {where}"


@pytest.mark.parametrize("role", ROLES)
def test_hostile_strings_through_every_form(client, login, world, role):  # noqa: F811
    if role != ANON:
        login(world["users"][role])
    pages = sorted({r.path.format(**world) for r in ROUTES if r.method == "GET" and r.status_for(role) == 200})
    posted = 0
    for url in pages:
        for form in forms_of(html_of(client.get(url))):
            action = urljoin(url, form["action"] or url)
            if action.startswith(SKIPPED_ACTIONS):
                continue
            for value in HOSTILE:
                data = {**form["fields"], **{name: value for name in form["text"]}}
                response = client.post(action, data=data)
                posted += 1
                assert response.status_code < 500, f"{role} POST {action}: {response.status_code}"
                assert_escaped(html_of(response), f"POST {action}")
        assert_escaped(html_of(client.get(url)), f"GET {url}")
    if role == ANON:
        assert posted >= len(HOSTILE)  # at least registration was exercised
