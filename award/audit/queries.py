"""Filtered reads of the audit trail for the office and the supervisor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select

from award.audit.models import AuditRecord


@dataclass(frozen=True)
class TrailFilter:
    action: str = ""
    actor_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    cycle_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def trail_query(criteria: TrailFilter) -> Select[tuple[AuditRecord]]:
    query = select(AuditRecord).order_by(AuditRecord.seq.desc())
    if criteria.action:
        query = query.where(AuditRecord.action.startswith(criteria.action, autoescape=True))
    if criteria.actor_id is not None:
        query = query.where(AuditRecord.actor_id == criteria.actor_id)
    if criteria.target_type:
        query = query.where(AuditRecord.target_type == criteria.target_type)
    if criteria.target_id:
        query = query.where(AuditRecord.target_id == criteria.target_id)
    if criteria.cycle_id is not None:
        query = query.where(AuditRecord.cycle_id == criteria.cycle_id)
    if criteria.since is not None:
        query = query.where(AuditRecord.occurred_at >= criteria.since)
    if criteria.until is not None:
        query = query.where(AuditRecord.occurred_at < criteria.until)
    return query
