"""Reads of calls: the published ones, those of cycles taking applications, and who may read a draft."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.services import takes_applications
from award.auth.permissions import can_read_oversight
from award.calls.models import CycleCall
from award.cycles.models import Cycle


def can_read_call(user: Any, call: CycleCall) -> bool:
    """Anyone reads a published call; a draft only the office and the supervisor (everyone else gets a 404)."""
    return call.published or (bool(getattr(user, "is_authenticated", False)) and can_read_oversight(user))


def published_calls(session: Session) -> list[CycleCall]:
    """Every published call, the newest cycle first."""
    return list(session.scalars(select(CycleCall).join(Cycle).where(CycleCall.published_at.is_not(None))
                                .order_by(Cycle.year.desc(), Cycle.id.desc())))


def open_calls(session: Session, now: dt.datetime) -> list[CycleCall]:
    """The published calls of the cycles that take applications now (the home page links them)."""
    return [call for call in published_calls(session) if takes_applications(call.cycle, now)]
