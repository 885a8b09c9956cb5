"""The awards area as this app is configured: where the follow-up reports' files are kept. Interface level
(reads ``current_app``)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from award.applications.evidence import EvidenceStore


def follow_up_store() -> EvidenceStore:
    root = current_app.config.get("FOLLOW_UP_ROOT") or str(Path(current_app.instance_path) / "follow_up")
    return EvidenceStore(root)
