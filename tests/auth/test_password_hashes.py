"""New passwords are hashed by the PASSWORD_HASH_METHOD setting; hashes made by another method still match."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from award.auth.passwords import new_password_hash, password_matches
from award.config import DEFAULTS
from tests.conftest import FAST_HASH_METHOD


def test_production_hashes_with_scrypt():
    assert DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt"


def test_new_hashes_follow_the_setting_and_old_ones_still_match(app):
    with app.app_context():
        assert new_password_hash("a-long-password").startswith(FAST_HASH_METHOD + "$")
        app.config["PASSWORD_HASH_METHOD"] = "scrypt"
        scrypt_hash = new_password_hash("a-long-password")
        assert scrypt_hash.startswith("scrypt:")
        app.config["PASSWORD_HASH_METHOD"] = FAST_HASH_METHOD
        assert password_matches(scrypt_hash, "a-long-password")
        assert not password_matches(scrypt_hash, "another-password")
        assert password_matches(generate_password_hash("x" * 12, method="pbkdf2:sha256:5000"), "x" * 12)
