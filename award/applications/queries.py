"""Reusable look-ups and the permission predicate for applications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus, EvidenceFile
from award.auth.permissions import can_read_oversight, is_enterprise

ViewRule = Callable[[Any, Application], bool]
_VIEW_RULES: list[ViewRule] = []


def register_view_rule(rule: ViewRule) -> ViewRule:
    """Let a higher area (review: assigned experts) grant read access; used as a decorator."""
    _VIEW_RULES.append(rule)
    return rule


def owns_application(user: Any, application: Application) -> bool:
    return is_enterprise(user) and user.organization_id == application.organization_id


def can_view_application(user: Any, application: Application) -> bool:
    """The owning enterprise, the office and the supervisor; more via register_view_rule."""
    if not getattr(user, "is_authenticated", False):
        return False
    if owns_application(user, application) or can_read_oversight(user):
        return True
    return any(rule(user, application) for rule in _VIEW_RULES)


def application_of(session: Session, *, cycle_id: int, organization_id: int) -> Application | None:
    return session.scalar(select(Application).where(Application.cycle_id == cycle_id,
                                                    Application.organization_id == organization_id))


def applications_of_organization(session: Session, organization_id: int) -> list[Application]:
    return list(session.scalars(select(Application).where(Application.organization_id == organization_id)
                                .order_by(Application.id.desc())))


def filtered_applications(
    cycle_id: int, *, status: ApplicationStatus | None = None, sector: str | None = None,
    district: str | None = None,
) -> Select[Application]:
    """The office's list of one cycle, filtered; drafts are the enterprise's own business but still listed."""
    query = select(Application).where(Application.cycle_id == cycle_id)
    if status is not None:
        query = query.where(Application.status == status)
    if sector:
        query = query.where(Application.sector == sector)
    if district:
        query = query.where(Application.district == district)
    return query.order_by(Application.id)


def districts_of_cycle(session: Session, cycle_id: int) -> list[str]:
    return [d for d in session.scalars(select(Application.district).where(Application.cycle_id == cycle_id)
                                       .distinct().order_by(Application.district)) if d]


def evidence_total_bytes(session: Session, application_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(EvidenceFile.size_bytes), 0))
                              .where(EvidenceFile.application_id == application_id)) or 0)


def count_by_status(session: Session, cycle_id: int) -> dict[ApplicationStatus, int]:
    rows = session.execute(select(Application.status, func.count()).where(Application.cycle_id == cycle_id)
                           .group_by(Application.status))
    return {status: count for status, count in rows}
