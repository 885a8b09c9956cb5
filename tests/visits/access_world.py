"""Objects of the on-site visits for the access matrix (tests/test_access.py `world`): a visit of an open on-site
round whose team holds the matrix's expert, with a photo on the intranet store."""

from __future__ import annotations

import io

from PIL import Image

from award.applications.evidence import EvidenceStore
from award.db import utcnow
from award.visits.models import SiteVisit, VisitPhoto
from tests.visits.world import visit_world


def png_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 60)).save(out, format="PNG")
    return out.getvalue()


def visits_access_world(db, app, *, users, make_user, make_cycle, make_organization) -> dict[str, int]:
    world = visit_world(db, make_user=make_user, make_cycle=make_cycle, make_organization=make_organization,
                        users=users)
    visit = SiteVisit(round_id=world.review_round.id, application_id=world.application.id,
                      visit_on=utcnow().date(), itinerary="9:00 质量部座谈\n10:30 生产现场")
    db.add(visit)
    db.flush()
    stored = EvidenceStore(app.config["FILES_ROOT"]).save(png_photo())
    photo = VisitPhoto(visit_id=visit.id, item_id="4.1.2", stored_name=stored.stored_name, display_name="现场.png",
                       content_type="image/png", size_bytes=stored.size_bytes, sha256=stored.sha256)
    db.add(photo)
    db.commit()
    return {"visit_cycle_id": world.cycle.id, "visit_application_id": world.application.id, "visit_id": visit.id,
            "visit_photo_id": photo.id}
