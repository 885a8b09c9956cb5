"""The calls area as this app is configured: where the call's files are stored and their limits. Interface level."""

from __future__ import annotations

from flask import current_app

from award.applications.evidence import EvidenceStore
from award.calls.services import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES, CallLimits
from award.files import files_root
from award.limits import pdf_check_limits


def call_store() -> EvidenceStore:
    return EvidenceStore(files_root(current_app.config, current_app.instance_path))


def call_limits() -> CallLimits:
    return CallLimits(max_file_bytes=int(current_app.config.get("CALL_FILE_MAX_BYTES", DEFAULT_MAX_FILE_BYTES)),
                      max_files=int(current_app.config.get("CALL_FILES_MAX", DEFAULT_MAX_FILES)),
                      pdf_check=pdf_check_limits(current_app.config))
