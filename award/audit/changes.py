"""A record's before and after as a list of field changes a person can read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from award.i18n import _

__all__ = ["FieldChange", "field_changes", "shown_value"]

LONGEST_VALUE = 300  # characters of one value on the page; the whole record stays in the archive


@dataclass(frozen=True)
class FieldChange:
    field: str  # the stored key ("" when the record holds one plain value)
    before: str | None  # None: the field was not there
    after: str | None


def shown_value(value: Any) -> str:
    """One value as text: words for yes/no, JSON without escapes for lists and tables, cut when long."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = _("yes") if value else _("no")
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE - 1] + "…"


def field_changes(before: Any, after: Any) -> list[FieldChange]:
    """The fields that differ between before and after, in key order. A creation has only an
    after, a removal only a before; a record holding plain values is one change without a field."""
    if not isinstance(before, dict | None) or not isinstance(after, dict | None):
        return [FieldChange("", None if before is None else shown_value(before),
                            None if after is None else shown_value(after))]
    old, new = before or {}, after or {}
    return [FieldChange(str(key), shown_value(old[key]) if key in old else None,
                        shown_value(new[key]) if key in new else None)
            for key in sorted({*old, *new}, key=str) if old.get(key) != new.get(key) or (key in old) != (key in new)]
