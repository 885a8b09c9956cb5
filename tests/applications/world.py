"""Objects of the applications area for the access matrix (tests/test_access.py `world`)."""

from __future__ import annotations

from pathlib import Path

from award.applications import services
from award.applications.evidence import EvidenceStore

from .conftest import pdf_bytes


def applications_world(db, app, *, users, cycle, make_user, root: Path) -> dict[str, int]:
    """The enterprise user's own draft with a file, and another enterprise's draft with a file."""
    app.config["FILES_ROOT"] = str(root)
    store = EvidenceStore(root)
    limits = services.EvidenceLimits(max_file_bytes=10**6, max_total_bytes=10**7)
    owner = users["enterprise"]
    stranger = make_user(owner.role)
    own = services.start_application(db, actor=owner, cycle=cycle)
    other = services.start_application(db, actor=stranger, cycle=cycle)
    own_file = services.add_evidence(db, actor=owner, application=own, data=pdf_bytes(), filename="own.pdf",
                                     store=store, limits=limits)
    other_file = services.add_evidence(db, actor=stranger, application=other, data=pdf_bytes(),
                                       filename="other.pdf", store=store, limits=limits)
    db.commit()
    return {"application_id": own.id, "other_application_id": other.id, "file_id": own_file.id,
            "other_file_id": other_file.id}
