"""The visits area as this app is configured: where on-site photos are kept (on the intranet's instance
storage, beside the evidence files) and how large one may be. Interface level (reads ``current_app``)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from award.applications.evidence import EvidenceStore
from award.visits.services import DEFAULT_MAX_PHOTO_BYTES


def photo_store() -> EvidenceStore:
    root = current_app.config.get("VISIT_PHOTO_ROOT") or str(Path(current_app.instance_path) / "visit_photos")
    return EvidenceStore(root)


def max_photo_bytes() -> int:
    return int(current_app.config.get("VISIT_PHOTO_MAX_BYTES", DEFAULT_MAX_PHOTO_BYTES))
