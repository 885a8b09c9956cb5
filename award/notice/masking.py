"""The one way an objector's ID card number is shown outside the office's own objection page."""

from __future__ import annotations

MASK = "*"


def mask_id_number(value: str | None) -> str:
    """Keep the first four and the last four characters (region and check), star the birth date and the rest.

    Short or empty values keep nothing but their length: `""` stays empty, anything of eight characters or
    fewer becomes stars only, so no part of a malformed number leaks either."""
    text = (value or "").strip()
    if len(text) <= 8:
        return MASK * len(text)
    return text[:4] + MASK * (len(text) - 8) + text[-4:]
