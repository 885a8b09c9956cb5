"""What the application pages show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from award.applications import services
from award.applications.eligibility import RULE_LABELS, describe
from award.applications.models import Application, ApplicationStatus
from award.applications.services import STATUS_LABELS
from award.auth.permissions import is_office
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric


def application_page(application: Application, *, viewer: Any, limits: services.EvidenceLimits,
                     sectors: dict[str, str], now: dt.datetime) -> dict[str, Any]:
    """One application as its page shows it to the viewer: what may still change and who may change it."""
    window_open = services.takes_applications(application.cycle, now)
    return {
        "application": application, "rubric": cycle_rubric(application.cycle), "sectors": sectors,
        "STATUS_LABELS": STATUS_LABELS, "limits": limits, "RULE_LABELS": RULE_LABELS, "describe": describe,
        "editable": application.status in services.EDITABLE and window_open, "window_open": window_open,
        "deadline": application.cycle.deadline(Stage.APPLICATION),
        "can_return": is_office(viewer) and application.status is ApplicationStatus.SUBMITTED and window_open,
    }
