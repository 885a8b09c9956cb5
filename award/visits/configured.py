"""The visits area as this app is configured: where on-site photos are kept (in the one file store, beside the
evidence files) and how large one may be. Interface level (reads ``current_app``)."""

from __future__ import annotations

from flask import current_app

from award.applications.evidence import EvidenceStore
from award.files import files_root
from award.visits.services import DEFAULT_MAX_PHOTO_BYTES


def photo_store() -> EvidenceStore:
    return EvidenceStore(files_root(current_app.config, current_app.instance_path))


def max_photo_bytes() -> int:
    return int(current_app.config.get("VISIT_PHOTO_MAX_BYTES", DEFAULT_MAX_PHOTO_BYTES))
