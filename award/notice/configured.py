"""The notice area as this app is configured: where objections' evidence is kept. Interface level
(reads ``current_app``)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from award.applications.evidence import EvidenceStore


def objection_store() -> EvidenceStore:
    root = current_app.config.get("OBJECTION_EVIDENCE_ROOT") or str(Path(current_app.instance_path) / "objections")
    return EvidenceStore(root)
