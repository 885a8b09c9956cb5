"""The unified social credit code (统一社会信用代码, GB 32100-2015) that keys every organization.

The check character (weights 3^i mod 31) and the compact form are python-stdnum's `stdnum.cn.uscc`.
The layout is checked here, as GB 32100 writes it, because stdnum's `validate` wants digits in the
first eight places: the registration authority and the organization type may be letters (N for
rural collectives, Y for "other", A for military units), and such organizations do apply and
employ experts. So: two characters of the alphabet, six digits of the region, nine characters of
the alphabet, the check character. One reason per refusal, so a message can say what is wrong.
"""

from __future__ import annotations

from functools import lru_cache

from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
LENGTH = 18
# What a licence may print around or inside a code (spaces, hyphens) is dropped first; anything
# longer than this is refused before it is looked at.
_RAW_MAX = 64
_ALPHABET = frozenset(ALPHABET)
_DIGITS = frozenset("0123456789")


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


def normalize_credit_code(raw: str) -> str:
    """Upper-case, drop spaces and hyphens, and validate a credit code; raise InvalidCreditCode."""
    if len(raw) > _RAW_MAX:
        raise InvalidCreditCode("length")
    return _normalized(raw)


@lru_cache(maxsize=8192)
def _normalized(raw: str) -> str:
    # Cached by the raw text too: stdnum's compact costs more than the check itself, and the
    # ranking normalizes every applicant's code on every computation (docs/performance.md).
    return _validated(uscc.compact(raw))


@lru_cache(maxsize=8192)
def _validated(code: str) -> str:
    # Cached: conflict detection checks the same applicants' and experts' codes on every
    # computation. Keys are compacted codes of at most 64 characters; refusals are not cached.
    if len(code) != LENGTH:
        raise InvalidCreditCode("length")
    if (not _ALPHABET.issuperset(code) or not _DIGITS.issuperset(code[2:8])):
        raise InvalidCreditCode("character")
    if uscc.calc_check_digit(code) != code[17]:
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
