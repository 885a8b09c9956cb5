"""An anchor of the audit chain: a record number and that record's hash, printed where the database's
holder cannot reach it (official documents, the public notice page).

The chain alone proves that no record was edited in place; whoever holds the database could still
rewrite every record and recompute every hash. An anchor printed before such a rewrite no longer
matches the record it names, so the rewrite shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TEXT = re.compile(r"([1-9][0-9]{0,9}):([0-9a-f]{64})")


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def parse_anchor(text: str) -> Anchor:
    """`N:HASH` as printed (record number, then 64 hexadecimal digits); ValueError otherwise."""
    match = _TEXT.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"not an anchor (expected RECORD:HASH, 64 hexadecimal digits): {text!r}")
    return Anchor(int(match[1]), match[2])
