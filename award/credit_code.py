"""The unified social credit code (统一社会信用代码, GB 32100-2015) that keys every organization.

The rules themselves (alphabet, weights, check character) are python-stdnum's `stdnum.cn.uscc`;
this module keeps the app's interface: one reason per refusal, so a message can say what is wrong.
"""

from __future__ import annotations

from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z (for seeds and tests)
LENGTH = 18

# stdnum's exception → our reason; InvalidFormat covers a character outside the alphabet and
# a letter among the first 8 characters (authority, type and region code are digits in stdnum).
_REASONS: tuple[tuple[type[stdnum_errors.ValidationError], str], ...] = (
    (stdnum_errors.InvalidLength, "length"),
    (stdnum_errors.InvalidChecksum, "check"),
    (stdnum_errors.InvalidFormat, "character"),
    (stdnum_errors.InvalidComponent, "character"),
)


class InvalidCreditCode(ValueError):
    """Raised with a reason code: 'length', 'character' or 'check'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_character(body: str) -> str:
    """Return the mod-31 check character for the first 17 characters."""
    if len(body) != LENGTH - 1:
        raise ValueError("a credit code body has 17 characters")
    return uscc.calc_check_digit(body)


@lru_cache(maxsize=8192)
def normalize_credit_code(raw: str) -> str:
    """Upper-case, strip, and validate a credit code; raise InvalidCreditCode otherwise.

    Spaces and hyphens inside the code are dropped (stdnum's `compact`), as some licences print them.
    Cached: conflict detection checks the same applicants' and experts' codes on every computation,
    and stdnum takes about 9 µs a code (a hit costs well under 1 µs); refusals are not cached.
    """
    try:
        return uscc.validate(raw)
    except stdnum_errors.ValidationError as error:
        reason = next((reason for kind, reason in _REASONS if isinstance(error, kind)), "character")
        raise InvalidCreditCode(reason) from None


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
