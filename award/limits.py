"""Ceilings for every parser of untrusted files, in one place.

A parser that meets a file beyond a ceiling refuses it with a message naming what is wrong; it
never tries harder. The PDF check and the XLSX reader run in a child process (award.sandbox)
whose time and memory are capped by a ProcessLimits; CSV is read in-process within byte, row and
cell ceilings. An operator on slow hardware may raise the PDF check's limits with the optional
config keys PDF_CHECK_SECONDS, PDF_CHECK_CPU_SECONDS and PDF_CHECK_MEMORY_MB (see pdf_check_limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True, kw_only=True)
class ProcessLimits:
    """What a child process may spend: wall-clock seconds (start-up included), CPU seconds, address space."""

    wall_seconds: float
    cpu_seconds: int
    memory_bytes: int


# --- typed text -------------------------------------------------------------------------------
REASON_MAX_CHARS = 4000  # a reason typed in a text area: replacing a seat, reopening a sheet
REMARK_MAX_CHARS = 2000  # one entry of a panel's consensus discussion (agree, disagree, comment)

# --- PDF evidence (the public objection form and applications' files) ---------------------------
# A real PDF of 20 MB opens and counts its pages in well under a second; a crafted one can take
# tens of seconds or gigabytes. Start-up of the child costs about 0.1 s of the wall-clock budget.
PDF_CHECK = ProcessLimits(wall_seconds=6.0, cpu_seconds=3, memory_bytes=512 * MiB)

# --- spreadsheet imports (expert pool, group links, dishonesty list) -----------------------------
IMPORT_MAX_BYTES = 16 * MiB  # the uploaded file, XLSX or CSV
IMPORT_MAX_ROWS = 50_000  # rows read, the header and blank rows included; reading stops there
IMPORT_MAX_COLUMNS = 64  # a CSV row with more fields is refused; XLSX columns beyond are not read
IMPORT_MAX_CELL_CHARS = 10_000  # one cell (csv.field_size_limit for CSV)
IMPORT_MAX_TEXT_CHARS = 16 * MiB  # all cells of an XLSX sheet together, like a CSV at the byte ceiling

# An XLSX file is a ZIP archive; its central directory is checked before openpyxl opens it.
XLSX_MAX_DIRECTORY_BYTES = 256 * KiB  # the central directory itself (about 46 bytes and a name per part)
XLSX_MAX_MEMBERS = 200  # parts in the archive; a workbook written by Excel has 10 to 30
XLSX_MAX_MEMBER_BYTES = 40 * MiB  # one part, uncompressed (20,000 rows of the pool export: about 15 MB)
XLSX_MAX_UNCOMPRESSED_BYTES = 64 * MiB  # all parts together, uncompressed
XLSX_MAX_RATIO = 100  # uncompressed / compressed size of one part (sheet XML compresses 5 to 30 times)
XLSX_RATIO_FLOOR = 1 * MiB  # parts smaller than this are not judged by their ratio
# openpyxl itself (styles, shared strings, one row of a million cells) is bounded by its child process.
XLSX_READ = ProcessLimits(wall_seconds=20.0, cpu_seconds=15, memory_bytes=1024 * MiB)


def pdf_check_limits(config: Mapping[str, Any]) -> ProcessLimits:
    """The PDF check's limits, raised or lowered by the optional config keys of the module docstring."""
    return ProcessLimits(
        wall_seconds=float(config.get("PDF_CHECK_SECONDS", PDF_CHECK.wall_seconds)),
        cpu_seconds=int(config.get("PDF_CHECK_CPU_SECONDS", PDF_CHECK.cpu_seconds)),
        memory_bytes=int(config.get("PDF_CHECK_MEMORY_MB", PDF_CHECK.memory_bytes // MiB)) * MiB,
    )
