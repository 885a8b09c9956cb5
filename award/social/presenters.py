"""What the social evaluation pages show: each candidate with its matches, comments and finding."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from award.applications.models import Application
from award.cycles.models import Cycle
from award.db import utcnow
from award.social import services
from award.social.forms import FindingForm, ImportForm, WindowForm


def labels() -> dict[str, dict[str, str]]:
    return {"list": {k.value: str(v) for k, v in services.LIST_LABELS.items()},
            "level": {k.value: str(v) for k, v in services.LEVEL_LABELS.items()}}


def cycle_page(session: Session, cycle: Cycle, *, import_form: ImportForm | None = None,
               window_form: WindowForm | None = None, problems: list[Any] | None = None) -> dict[str, Any]:
    candidates = services.candidates(session, cycle)
    matches = services.matches(session, candidates, as_of=utcnow().date())
    findings = services.findings_of(session, cycle)
    comments = services.comments_of(session, cycle)
    per_candidate: dict[int, int] = {}
    for comment in comments:
        per_candidate[comment.application_id] = per_candidate.get(comment.application_id, 0) + 1
    window = services.window_of(session, cycle)
    return {
        "cycle": cycle, "labels": labels(), "window": window,
        "window_open": services.accepting_comments(session, cycle, utcnow()),
        "findings_open": services.findings_open(cycle),
        "rows": [{"application": a, "matches": matches.get(a.id, []), "finding": findings.get(a.id),
                  "comments": per_candidate.get(a.id, 0)} for a in candidates],
        "comments": comments, "problems": services.evaluation_problems(session, cycle),
        "import_form": import_form or ImportForm(formdata=None),
        "window_form": window_form or WindowForm(formdata=None),
        "import_problems": problems or [],
    }


def finding_page(session: Session, application: Application, *, form: FindingForm | None = None) -> dict[str, Any]:
    finding = services.finding_of(session, application)
    if form is None:
        form = FindingForm(formdata=None, data={"level": finding.level.value, "reason": finding.reason,
                                                "evidence": finding.evidence} if finding else None)
    comments = [c for c in services.comments_of(session, application.cycle) if c.application_id == application.id]
    return {
        "application": application, "cycle": application.cycle, "labels": labels(), "finding": finding,
        "matches": services.matches(session, [application], as_of=utcnow().date()).get(application.id, []),
        "comments": comments, "form": form, "findings_open": services.findings_open(application.cycle),
    }
