"""Photos taken on site: accepted as JPEG or PNG by their bytes, checked by Pillow within a pixel ceiling, and
on request re-written without their EXIF location (the GPS block, tag 0x8825)."""

from __future__ import annotations

import io
import warnings

GPS_IFD = 0x8825
MAX_PIXELS = 40_000_000  # 40 megapixels: any phone camera, far from a decompression bomb
MAX_SIDE = 12_000


class PhotoRejected(ValueError):
    """`reason`: empty, type, unreadable, dimensions."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def photo_type(data: bytes) -> str:
    """image/jpeg or image/png, judged by the bytes, never the name; PhotoRejected otherwise."""
    if not data:
        raise PhotoRejected("empty")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    raise PhotoRejected("type")


def check_photo(data: bytes, *, strip_location: bool) -> tuple[bytes, str]:
    """The photo as it will be stored (without its location when asked) and its type, or PhotoRejected."""
    mime = photo_type(data)
    from PIL import Image, UnidentifiedImageError  # Pillow only where a photo is checked

    kind = "PNG" if mime == "image/png" else "JPEG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size  # from the header, before decoding
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise PhotoRejected("dimensions")
                image.load()  # a truncated or corrupt file fails here
                if not strip_location:
                    return data, mime
                return _without_location(image, kind), mime
    except PhotoRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PhotoRejected("dimensions") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoRejected("unreadable") from None


def _without_location(image: object, kind: str) -> bytes:
    """The image saved again with its EXIF minus the GPS block; other metadata (XMP, comments) is not copied."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    exif = image.getexif()
    exif.pop(GPS_IFD, None)
    out = io.BytesIO()
    if kind == "JPEG":
        image.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    else:
        image.save(out, format="PNG", exif=exif.tobytes())
    return out.getvalue()


def has_location(data: bytes) -> bool:
    """Whether the image's EXIF holds a GPS block (the tests read it back this way)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))
