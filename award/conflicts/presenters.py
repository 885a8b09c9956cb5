"""What the conflict pages show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.conflicts import services as conflicts
from award.cycles.models import Cycle
from award.pool.queries import filtered_profiles

MATRIX_FILTERS = ("q", "sector", "organization", "only")


def matrix_page(session: Session, cycle: Cycle, filters: Mapping[str, str], page: int,
                page_size: int) -> dict[str, Any]:
    """One page of the cycle's applications (by name, or only those with a conflict) against every
    expert of the pool (by sector and organization), with the conflicts found between them."""
    query = select(Application).where(Application.cycle_id == cycle.id)
    if filters["q"]:
        query = query.where(Application.org_name.like(f"%{filters['q']}%"))
    found = conflicts.conflicts_for_cycle(session, cycle, include_soft=True)
    if filters["only"] == "conflicted":
        conflicted_ids = {application_id for application_id, _expert in found}
        query = query.where(Application.id.in_(conflicted_ids or {0}))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    applications = list(session.scalars(query.order_by(Application.id).limit(page_size)
                                        .offset((page - 1) * page_size)))
    profiles = filtered_profiles(session, sector=filters["sector"], organization=filters["organization"],
                                 in_pool="yes")
    return {"cycle": cycle, "applications": applications, "profiles": profiles, "matrix": found, "filters": filters,
            "page": page, "pages": max((total + page_size - 1) // page_size, 1), "total": total,
            "conflicted": sum(1 for items in found.values() if any(c.is_hard for c in items)),
            "signalled": sum(1 for items in found.values() if not any(c.is_hard for c in items)),
            "reference_date": conflicts.reference_date_for(session, cycle),
            "settings": conflicts.coi_settings_for(session, cycle)}
