"""Where job results are kept: files under a root every host shares, written atomically.

The one writer and reader of result files; switch these two functions to the files service when it
exists (``AWARD_FILES_ROOT``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

_RELATIVE = re.compile(r"^jobs/[0-9]+-[0-9]+\.bin$")


def result_path_for(job_id: int, attempt: int) -> str:
    """The result's name under the root; each attempt its own, so a late worker never overwrites a kept one."""
    return f"jobs/{int(job_id)}-{int(attempt)}.bin"


def write_result(root: str | Path, relative: str, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file, fsync, then an atomic rename."""
    if not _RELATIVE.match(relative):
        raise ValueError("not a job result name")
    path = Path(root) / relative
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    with open(temporary, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def keep_result_file(root: str | Path, relative: str, source: Path) -> None:
    """Move a file the job wrote into place (copied first when it lies on another file system)."""
    if not _RELATIVE.match(relative):
        raise ValueError("not a job result name")
    path = Path(root) / relative
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    shutil.copyfile(source, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    source.unlink(missing_ok=True)


def result_file(root: str | Path, relative: str) -> Path | None:
    """The result's file, for streaming a large download; None when the name is not a result's or it is gone."""
    if not _RELATIVE.match(relative):
        return None
    path = Path(root) / relative
    return path if path.is_file() else None


def read_result(root: str | Path, relative: str) -> bytes | None:
    """The result's bytes; None when the name is not a result's or the file is gone."""
    if not _RELATIVE.match(relative):
        return None
    try:
        return (Path(root) / relative).read_bytes()
    except OSError:
        return None
