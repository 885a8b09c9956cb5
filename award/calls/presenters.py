"""What a call's page shows: the cycle's deadlines with the time left, and what its reader can do next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.applications.services import EDITABLE, takes_applications
from award.auth.permissions import is_enterprise
from award.calls.models import CycleCall
from award.calls.rules import describe_time_left, time_left
from award.cycles.models import Cycle, Stage
from award.cycles.stages import STAGE_LABELS
from award.i18n import _


@dataclass(frozen=True)
class DeadlineRow:
    label: str
    due_at: dt.datetime
    left: str
    closed: bool


@dataclass(frozen=True)
class ApplyAction:
    """`kind`: "start" (a POST that opens the enterprise's draft), "open" (its application), "register"
    (a visitor: register or sign in), "closed" (nothing to do: the window is shut) or "none"."""

    kind: str
    application_id: int | None = None
    editable: bool = False


def deadline_rows(cycle: Cycle, now: dt.datetime) -> list[DeadlineRow]:
    """Each deadline of the cycle, the application deadline first, with the time left."""
    rows = []
    for deadline in sorted(cycle.deadlines, key=lambda d: (d.stage is not Stage.APPLICATION, d.due_at)):
        label = (_("Applications close") if deadline.stage is Stage.APPLICATION
                 else _("%(stage)s closes", stage=STAGE_LABELS[deadline.stage]))
        left = time_left(deadline.due_at, now)
        rows.append(DeadlineRow(label=label, due_at=deadline.due_at, left=describe_time_left(left),
                                closed=left.closed))
    return rows


def window_status(cycle: Cycle, now: dt.datetime) -> str:
    if takes_applications(cycle, now):
        return _("Applications are open.")
    if cycle.stage is Stage.DRAFT:
        return _("Applications are not open yet.")
    return _("Applications are closed.")


def apply_action(session: Session, call: CycleCall, user: Any, now: dt.datetime) -> ApplyAction:
    """The way to apply for this reader: a visitor registers, an enterprise starts or opens its application."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    if signed_in and is_enterprise(user):
        own = session.scalars(select(Application).where(Application.cycle_id == call.cycle_id,
                                                        Application.organization_id == user.organization_id)).first()
        if own is not None:
            return ApplyAction("open", application_id=own.id, editable=own.status in EDITABLE)
    if not takes_applications(call.cycle, now):
        return ApplyAction("closed")
    if not signed_in:
        return ApplyAction("register")
    return ApplyAction("start" if is_enterprise(user) else "none")
