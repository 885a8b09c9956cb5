"""Objection reference numbers: `YY2026-7K3QX9` (异议, the year, six random characters).

Six characters of a 23-letter alphabet give 148 million numbers a year, for a few dozen objections:
guessing one is hopeless, and a number alone opens nothing anyway (the lookup also wants the phone it was
filed with, and is throttled). The alphabet leaves out what is misread on the phone or on paper
(0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
PREFIX = "YY"
RANDOM_LENGTH = 6
REFERENCE_LENGTH = len(PREFIX) + 4 + 1 + RANDOM_LENGTH
_REFERENCE = re.compile(rf"^{PREFIX}([0-9]{{4}})-([{ALPHABET}]{{{RANDOM_LENGTH}}})$")


def new_reference(year: int) -> str:
    """A fresh random reference for an objection filed in `year` (Beijing time)."""
    return f"{PREFIX}{year:04d}-" + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))


def normalize_reference(typed: str) -> str | None:
    """The reference as stored, from what someone typed (any case, spaces, a missing dash); None if it cannot be one."""
    text = re.sub(r"[\s\-_－—]", "", typed or "").upper()[:40]
    if len(text) != REFERENCE_LENGTH - 1:
        return None
    candidate = f"{text[:6]}-{text[6:]}"
    return candidate if _REFERENCE.match(candidate) else None
