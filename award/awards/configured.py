"""The awards area as this app is configured: the follow-up reports' files, in the one file store. Interface level
(reads ``current_app``)."""

from __future__ import annotations

from flask import current_app

from award.applications.evidence import EvidenceStore
from award.files import files_root


def follow_up_store() -> EvidenceStore:
    return EvidenceStore(files_root(current_app.config, current_app.instance_path))
