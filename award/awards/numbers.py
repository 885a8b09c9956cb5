"""Certificate numbers: a year, a random code and a check character, e.g. ``2026-7K3QX9M2-R``.

Why this shape:

* **Not guessable in sequence.** The code is 8 characters drawn with :mod:`secrets` from a
  32-character alphabet, i.e. 40 bits of entropy per number. A city awards a few dozen
  certificates a year, so a random guess hits an existing number with probability about
  ``n / 2**40`` (≈ 5e-11 for 50 certificates); the public check page should still be
  rate-limited. Uniqueness is enforced by the database (a unique column); collisions at
  this entropy are vanishingly rare, and the caller simply draws again.
* **Unambiguous alphabet.** ``23456789ABCDEFGHJKLMNPQRSTUVWXYZ`` leaves out ``0``, ``1``,
  ``I`` and ``O``, which readers confuse when they type a number from paper.
* **Check character: Luhn mod N** with N = 32 over the code points of the year digits
  (``0``-``9`` as code points 0-9, all below N) followed by the code's characters (their
  index in the alphabet). It detects every single-character substitution and every
  transposition of adjacent characters except the pair of code points (0, N - 1), i.e.
  ``2`` and ``Z`` in the code — the same blind spot as decimal Luhn's ``09``/``90``.
"""

from __future__ import annotations

import re
import secrets

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "check_character",
    "is_well_formed_certificate_number",
    "new_certificate_number",
    "normalize_certificate_number",
]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_N = len(ALPHABET)
_INDEX = {char: index for index, char in enumerate(ALPHABET)}
_SHAPE = re.compile(rf"^([0-9]{{4}})-([{ALPHABET}]{{{CODE_LENGTH}}})-([{ALPHABET}])$")
# Dashes and spaces people paste from word processors or type on a Chinese keyboard.
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-", "‑": "-", "_": "-"})


def _code_points(year: str, code: str) -> list[int]:
    return [int(digit) for digit in year] + [_INDEX[char] for char in code]


def check_character(year: int | str, code: str) -> str:
    """Return the Luhn mod 32 check character over the year's digits and the code."""
    year_text = f"{int(year):04d}"
    total = 0
    # Double every second code point, starting with the rightmost one of the payload, so
    # that the check character itself sits at an undoubled position when validating.
    for position, point in enumerate(reversed(_code_points(year_text, code))):
        addend = point * 2 if position % 2 == 0 else point
        total += addend // _N + addend % _N  # sum of the base-N digits
    return ALPHABET[(_N - total % _N) % _N]


def new_certificate_number(year: int) -> str:
    """Draw a fresh random certificate number for an award of ``year``."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year!r}")
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{year}-{code}-{check_character(year, code)}"


def is_well_formed_certificate_number(text: object) -> bool:
    """Tell whether ``text`` is a certificate number in canonical form with a valid check.

    It says nothing about whether the number was ever issued: that is the database's job.
    """
    match = _SHAPE.match(text) if isinstance(text, str) else None
    if match is None:
        return False
    year, code, check = match.groups()
    return check_character(year, code) == check


def normalize_certificate_number(text: str) -> str | None:
    """Turn what a person typed into the canonical number, or ``None`` if it is not one.

    Upper-cases, drops surrounding and inner spaces and maps look-alike dashes, so that the
    public check page accepts ``2026 - 7k3qx9m2 - r`` but never a malformed number.
    """
    candidate = "".join(text.split()).translate(_DASHES).upper()
    return candidate if is_well_formed_certificate_number(candidate) else None
