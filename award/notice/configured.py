"""The notice area as this app is configured: where objections' evidence is kept. Interface level
(reads ``current_app``)."""

from __future__ import annotations

from flask import current_app

from award.applications.evidence import EvidenceStore
from award.files import files_root


def objection_store() -> EvidenceStore:
    return EvidenceStore(files_root(current_app.config, current_app.instance_path))
