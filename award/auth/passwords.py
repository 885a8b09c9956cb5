"""Password hashes with Werkzeug's functions, by the method of the PASSWORD_HASH_METHOD setting (scrypt).

The one Werkzeug import below the web layer, allowed by the layer contracts by name: werkzeug.security
is a password-hashing library, not request machinery. A hash names its own method, so a password
hashed before the setting changed still matches.
"""

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from award.runtime import settings

__all__ = ["new_password_hash", "password_matches", "unusable_password_hash"]

# Marks an account whose holder has not chosen a password yet (an invitation is out). Werkzeug's
# hashes start with their method name, so no hash it makes can start with this.
_UNUSABLE = "!"


def _method() -> str:
    return str(settings()["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when there is nothing to check, so a miss costs as long as a wrong password."""
    return generate_password_hash("not-a-real-password", method=method)


def new_password_hash(password: str) -> str:
    return generate_password_hash(password, method=_method())


def unusable_password_hash() -> str:
    """A hash that no password matches, made without a key derivation: importing two thousand invited
    experts would otherwise spend two thousand scrypt runs (about 0.1 s each) on passwords nobody knows."""
    return _UNUSABLE + secrets.token_hex(16)


def password_matches(password_hash: str, password: str) -> bool:
    if password_hash.startswith(_UNUSABLE):
        check_password_hash(_dummy_hash(_method()), password)  # the same time as a wrong password
        return False
    return check_password_hash(password_hash, password)


def spend_a_check(password: str) -> None:
    """The work of one password check, for an unknown e-mail (its answer must take as long)."""
    check_password_hash(_dummy_hash(_method()), password)
