"""The applications area as this app is configured: the evidence store and its limits, the sector
list, the draft stash's limits. Interface level (reads ``current_app``)."""

from __future__ import annotations

from flask import current_app

from award.applications import services
from award.applications.evidence import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES, EvidenceStore
from award.applications.sectors import sectors
from award.files import files_root
from award.limits import pdf_check_limits


def evidence_store() -> EvidenceStore:
    return EvidenceStore(files_root(current_app.config, current_app.instance_path))


def evidence_limits() -> services.EvidenceLimits:
    return services.EvidenceLimits(
        max_file_bytes=int(current_app.config.get("EVIDENCE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)),
        max_total_bytes=int(current_app.config.get("EVIDENCE_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES)),
        pdf_check=pdf_check_limits(current_app.config),
    )


def configured_sectors() -> dict[str, str]:
    return sectors(current_app.config)


def stash_max_bytes() -> int:
    return int(current_app.config.get("DRAFT_STASH_MAX_BYTES", services.DEFAULT_STASH_MAX_BYTES))


def stashes_per_address() -> str:
    return current_app.config.get("DRAFT_STASHES_PER_ADDRESS", "10 per hour")
