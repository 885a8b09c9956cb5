"""The calls area as this app is configured: where the call's files are stored and their limits. Interface level."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from award.applications.evidence import EvidenceStore
from award.calls.services import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES, CallLimits
from award.limits import pdf_check_limits


def call_store() -> EvidenceStore:
    root = current_app.config.get("CALL_FILES_ROOT") or str(Path(current_app.instance_path) / "calls")
    return EvidenceStore(root)


def call_limits() -> CallLimits:
    return CallLimits(max_file_bytes=int(current_app.config.get("CALL_FILE_MAX_BYTES", DEFAULT_MAX_FILE_BYTES)),
                      max_files=int(current_app.config.get("CALL_FILES_MAX", DEFAULT_MAX_FILES)),
                      pdf_check=pdf_check_limits(current_app.config))
