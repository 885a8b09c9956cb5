"""The unified social credit code (统一社会信用代码, GB 32100-2015) that keys every organization."""

from __future__ import annotations

from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18
_VALUE = {char: value for value, char in enumerate(ALPHABET)}


class InvalidCreditCode(ValueError):
    """Raised with a reason code: 'length', 'character' or 'check'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_character(body: str) -> str:
    """Return the mod-31 check character for the first 17 characters."""
    if len(body) != LENGTH - 1:
        raise ValueError("a credit code body has 17 characters")
    # Checked for every applicant each time conflicts are computed, so no generator per code.
    total = sum(map(mul, map(_VALUE.__getitem__, body), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(raw: str) -> str:
    """Upper-case, strip, and validate a credit code; raise InvalidCreditCode otherwise."""
    code = raw.strip().upper()
    if len(code) != LENGTH:
        raise InvalidCreditCode("length")
    if not all(map(_VALUE.__contains__, code)):
        raise InvalidCreditCode("character")
    if check_character(code[:17]) != code[17]:
        raise InvalidCreditCode("check")
    return code


def is_valid_credit_code(raw: str) -> bool:
    try:
        normalize_credit_code(raw)
    except InvalidCreditCode:
        return False
    return True


def make_credit_code(body: str) -> str:
    """Complete a 17-character body with its check character (for seeds and tests)."""
    if len(body) != LENGTH - 1 or any(char not in ALPHABET for char in body):
        raise InvalidCreditCode("length" if len(body) != LENGTH - 1 else "character")
    return body + check_character(body)
