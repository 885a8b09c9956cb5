"""What WeasyPrint may fetch while it lays out our PDFs, told apart from WeasyPrint itself.

The rules and the record of each fetch are plain Python; `award.certificates.engine` applies them
inside WeasyPrint, and is imported only when a PDF is made (see there why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ASSET_SCHEME", "FetchRecord", "RefusedURLError", "asset_file"]

ASSET_SCHEME = "award-asset:"
_ASSET_NAME = re.compile(r"^[A-Za-z0-9_-]+\.(css|svg|png|jpe?g)$")
_ASSET_TYPES = {"css": "text/css", "svg": "image/svg+xml", "png": "image/png",
                "jpg": "image/jpeg", "jpeg": "image/jpeg"}


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One URL WeasyPrint asked for, and whether it was served."""

    url: str
    served: bool


class RefusedURLError(ValueError):
    """The fetcher refused a URL that is not one of the app's own assets."""


def asset_file(url: str, templates_dir: Path) -> tuple[Path, str] | None:
    """The file and media type an ``award-asset:NAME`` URL names: a plain file name directly inside
    ``templates_dir``; None for anything else."""
    if not url.startswith(ASSET_SCHEME):
        return None
    name = url.removeprefix(ASSET_SCHEME)
    if not _ASSET_NAME.match(name):
        return None
    path = (templates_dir / name).resolve()
    if path.parent != templates_dir or not path.is_file():
        return None
    return path, _ASSET_TYPES[name.rsplit(".", 1)[1].lower()]
