"""The seal image (公章) of a cycle's certificates: checked by content, kept in the file store.

Only PNG and JPEG are accepted, judged from the bytes (magic number, then a full decode by
Pillow), never from the name or the browser's content type; the size and the pixel dimensions
are bounded so that a decompression bomb is refused before it is decoded. ``accept_seal`` is the
one check of every seal upload: the certificates' seal and the official documents' seals.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from award.errors import Invalid
from award.files import FileStore
from award.i18n import _

MiB = 1024 * 1024
DEFAULT_MAX_SEAL_BYTES = 2 * MiB
MAX_SEAL_PIXELS = 4000  # per side
MIN_SEAL_PIXELS = 32

PNG = "image/png"
JPEG = "image/jpeg"
_EXTENSIONS = {PNG: ".png", JPEG: ".jpg"}


class SealRejected(ValueError):
    """The upload is not an acceptable seal; ``reason``: empty, too_large, type, unreadable, dimensions."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CheckedSeal:
    data: bytes
    mime: str
    width: int
    height: int


def check_seal(data: bytes, *, max_bytes: int = DEFAULT_MAX_SEAL_BYTES) -> CheckedSeal:
    """Accept a PNG or JPEG that decodes completely and has sensible dimensions; else raise."""
    if not data:
        raise SealRejected("empty")
    if len(data) > max_bytes:
        raise SealRejected("too_large")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        mime, kind = PNG, "PNG"
    elif data.startswith(b"\xff\xd8\xff"):
        mime, kind = JPEG, "JPEG"
    else:
        raise SealRejected("type")
    from PIL import Image, UnidentifiedImageError  # Pillow only where a seal is checked

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size  # read from the header, before any decoding
                if not (MIN_SEAL_PIXELS <= width <= MAX_SEAL_PIXELS
                        and MIN_SEAL_PIXELS <= height <= MAX_SEAL_PIXELS):
                    raise SealRejected("dimensions")
                image.load()  # a truncated or corrupt file fails here
    except SealRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        # Pillow refuses a header claiming too many pixels inside Image.open, before we see the size.
        raise SealRejected("dimensions") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise SealRejected("unreadable") from None
    return CheckedSeal(data=data, mime=mime, width=width, height=height)


SEAL_REASONS = {
    "empty": lambda limit: _("The seal file is empty."),
    "too_large": lambda limit: _("The seal image is larger than %(limit)s KiB.", limit=limit // 1024),
    "type": lambda limit: _("The seal must be a PNG or JPEG image."),
    "unreadable": lambda limit: _("The seal image cannot be read; save it again as PNG or JPEG."),
    "dimensions": lambda limit: _("The seal image must be between 32 and 4000 pixels on each side."),
}


def accept_seal(data: bytes, *, max_bytes: int = DEFAULT_MAX_SEAL_BYTES) -> CheckedSeal:
    """``check_seal`` for an upload: a refusal becomes an Invalid whose message names the reason."""
    try:
        return check_seal(data, max_bytes=max_bytes)
    except SealRejected as error:
        raise Invalid(SEAL_REASONS[error.reason](max_bytes), code=f"seal_{error.reason}", field="seal") from None


@dataclass(frozen=True, slots=True)
class StoredSeal:
    stored_name: str
    mime: str
    sha256: str
    size: int


class SealStore(FileStore):
    """Seal images in the one file store (award.files), found by their SHA-256."""

    def save(self, seal: CheckedSeal) -> StoredSeal:
        blob = self.put(seal.data)
        return StoredSeal(secrets.token_hex(16) + _EXTENSIONS[seal.mime], seal.mime, blob.sha256, blob.size_bytes)
