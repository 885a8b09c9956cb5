"""Password hashes with Werkzeug's functions (scrypt by default).

The one Werkzeug import below the web layer, allowed by the layer contracts by name: werkzeug.security
is a password-hashing library, not request machinery.
"""

from werkzeug.security import check_password_hash as password_matches
from werkzeug.security import generate_password_hash as new_password_hash

__all__ = ["new_password_hash", "password_matches"]
