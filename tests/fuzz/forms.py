"""The forms of a rendered page: where they go, their fields with the page's values and choices, and
the URLs the page's script sends JSON to (`data-*-url` attributes, such as the score sheet's autosave)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, radio, hidden, file, number, date, ...
    values: list[str] = field(default_factory=list)  # the page's value(s) and the choices it offers


@dataclass
class Form:
    method: str
    action: str | None
    fields: dict[str, Field] = field(default_factory=dict)
    json_urls: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: Field | None = None
        self._textarea: Field | None = None

    def _field(self, name: str, kind: str) -> Field:
        fields = self.forms[-1].fields
        return fields.setdefault(name, Field(name, kind))

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form((attrs.get("method") or "get").lower(), attrs.get("action")))
            self.forms[-1].json_urls.extend(v for k, v in attrs.items() if k.startswith("data-") and k.endswith("-url"))
            return
        if tag == "option" and self._select is not None:
            self._select.values.append(attrs.get("value", ""))
            return
        if not self.forms or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            self._field(name, kind).values.append(attrs.get("value", "y" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea":
            self._textarea = self._field(name, "textarea")
        elif tag == "select":
            self._select = self._field(name, "select")
        elif tag == "button" and attrs.get("value"):
            self._field(name, "button").values.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values.append(data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms
