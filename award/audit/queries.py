"""Filtered reads of the audit trail for the office and the supervisor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from award.audit.models import AuditRecord
from award.i18n import _
from award.inputs import arg_date, arg_id

FILTER_ARGS = ("action", "actor", "target_type", "target_id", "cycle", "since", "until")


@dataclass(frozen=True)
class TrailFilter:
    action: str = ""
    actor_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    cycle_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, zone: ZoneInfo) -> TrailFilter:
        """The trail page's filters from its query string; dates are whole local days, ``until`` included."""

        def start_of(name: str, field: str) -> dt.datetime | None:
            day = arg_date(args, name, field=field)
            return dt.datetime.combine(day, dt.time(), tzinfo=zone) if day else None

        until = start_of("until", _("The end date"))
        return cls(action=args.get("action", "").strip()[:80], actor_id=arg_id(args, "actor", field=_("The actor")),
                   target_type=args.get("target_type", "").strip()[:40],
                   target_id=args.get("target_id", "").strip()[:40],
                   cycle_id=arg_id(args, "cycle", field=_("The cycle")), since=start_of("since", _("The start date")),
                   until=until + dt.timedelta(days=1) if until else None)


def trail_page(session: Session, criteria: TrailFilter, page: int, page_size: int) -> dict[str, Any]:
    """One page of the filtered trail, newest first, and every action there is to filter by."""
    query = trail_query(criteria)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    records = session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    actions = session.scalars(select(AuditRecord.action).distinct().order_by(AuditRecord.action)).all()
    return {"records": records, "criteria": criteria, "page": page, "total": total,
            "pages": max((total + page_size - 1) // page_size, 1), "actions": actions}


def trail_query(criteria: TrailFilter) -> Select[AuditRecord]:
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
