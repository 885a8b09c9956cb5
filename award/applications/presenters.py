"""What the application pages show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from award.applications import services
from award.applications.eligibility import RULE_LABELS, describe
from award.applications.models import Application, ApplicationStatus, EvidenceFile
from award.applications.services import STATUS_LABELS
from award.auth.permissions import is_office
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric
from award.i18n import _
from award.rubrics import Rubric


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


@dataclass(frozen=True, slots=True)
class ItemProgress:
    """One rubric item of the form's table of contents: its text written, its files attached."""

    item_id: str
    written: bool
    files: int

    @property
    def state(self) -> str:
        """The navigator's state class (the score sheet's): done once the text is written."""
        return "scored" if self.written else ("partial" if self.files else "empty")


@dataclass(frozen=True, slots=True)
class FormProgress:
    items: dict[str, ItemProgress]

    @property
    def done(self) -> int:
        return sum(1 for item in self.items.values() if item.written)

    @property
    def total(self) -> int:
        return len(self.items)


def form_progress(rubric: Rubric, texts: Mapping[str, object], files: Sequence[EvidenceFile]) -> FormProgress:
    """Per rubric item, whether its self-assessment is written and how many files support it."""
    counts = Counter(f.rubric_item_id for f in files if f.rubric_item_id)
    return FormProgress({item.id: ItemProgress(item.id, bool(str(texts.get(item.id) or "").strip()),
                                               counts[item.id]) for item in rubric.items})


def files_by_item(files: Sequence[EvidenceFile]) -> dict[str | None, list[EvidenceFile]]:
    """The application's files grouped by their rubric item (None: the whole application)."""
    grouped: dict[str | None, list[EvidenceFile]] = {}
    for f in files:
        grouped.setdefault(f.rubric_item_id, []).append(f)
    return grouped


def progress_labels() -> dict[str, str]:
    """The table of contents' states, in the score sheet navigator's classes."""
    return {"empty": _("not started"), "partial": _("files only, no text"), "scored": _("written")}
