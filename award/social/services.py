"""Social evaluation (社会评价): the lists, the matches, the public comment window and the findings.

Before the decision the office checks each candidate's record and reputation (domain.md, stage 6):
the lists it imports (credit, administrative penalties, quality inspection failures, complaints),
each row a credit code with its source and date, imported all-or-nothing in the dishonesty list's
way (award.applications.blacklist reads and checks the rows); a candidate is matched by the
统一社会信用代码 of its organization, never by name. An optional public comment window takes real-name
comments on the candidates. The office records one finding per candidate: none, noted or veto (一票否决),
with a reason and the evidence relied on. A veto leaves the candidate out of the ranking's proposal,
shown there with its reason (award.ranking), and the archive keeps every finding.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from award.applications.blacklist import parse_rows, read_rows
from award.applications.models import Application, ApplicationStatus
from award.audit.services import record
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.stages import guard_leaving
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _, _l, format_datetime, local_zone
from award.inputs import check_length, check_name, check_printed_text
from award.social.models import (
    CommentWindow,
    FindingLevel,
    ListKind,
    PublicComment,
    SocialFinding,
    SocialRecord,
)

LIST_LABELS = {
    ListKind.CREDIT: _l("Credit and dishonesty records"),
    ListKind.PENALTY: _l("Administrative penalties"),
    ListKind.INSPECTION: _l("Quality inspection failures"),
    ListKind.COMPLAINT: _l("Complaints"),
}
LEVEL_LABELS = {
    FindingLevel.NONE: _l("Nothing found"),
    FindingLevel.NOTED: _l("Noted"),
    FindingLevel.VETO: _l("Veto"),
}
REASON_MAX = 2000
EVIDENCE_MAX = 4000
COMMENT_MAX = 2000
NAME_MAX = 100
WINDOW_MAX_DAYS = 60
# The notice's rule for a phone to call back on (mobile or fixed line, optional +86).
_PHONE = re.compile(r"^(?:\+?86)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}[0-9]{7,8}(?:[0-9]{1,6})?)$")


def _finding_stages() -> frozenset[Stage]:
    """Where findings may be recorded: after the review rounds, before the decision. The stage of the
    social evaluation itself counts when the cycle's procedure has one."""
    stages = {Stage.ONSITE_REVIEW, Stage.DELIBERATION}
    social = getattr(Stage, "SOCIAL_EVALUATION", None)
    if social is not None:
        stages.add(social)
    return frozenset(stages)


def _require_office(actor: User | None, message: str) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(message)


# --- the lists ----------------------------------------------------------------------------------


def import_records(session: Session, *, actor: User | None, kind: ListKind, data: bytes, filename: str = "",
                   today: dt.date | None = None) -> int:
    """Import every row of the file or none (rows already present are skipped); returns the new records."""
    _require_office(actor, _("Only the award office can import the lists of the social evaluation."))
    entries = parse_rows(read_rows(data), today=today or utcnow().astimezone(local_zone()).date())
    existing = {
        (row.credit_code, row.source, row.listed_on)
        for row in session.scalars(select(SocialRecord).where(
            SocialRecord.kind == kind, SocialRecord.credit_code.in_({entry.credit_code for entry in entries})))
    }
    added = 0
    for entry in entries:
        key = (entry.credit_code, entry.source, entry.listed_on)
        if key in existing:
            continue
        existing.add(key)
        session.add(SocialRecord(kind=kind, credit_code=entry.credit_code, source=entry.source,
                                 listed_on=entry.listed_on, imported_by_id=actor.id if actor else None))
        added += 1
    session.flush()
    # Named by its file, as the dishonesty list's import is: the kind is a code, in `after`.
    record(session, actor=actor, action="social.list_imported", target_type="social_list",
           target_id=filename[:80] or "-",
           after={"kind": kind.value, "file": filename[:80], "rows": len(entries), "added": added})
    return added


def candidates(session: Session, cycle: Cycle) -> list[Application]:
    """The cycle's candidates: its eligible applications, the ones the ranking takes, by id."""
    return list(session.scalars(
        select(Application).where(Application.cycle_id == cycle.id, Application.status == ApplicationStatus.ELIGIBLE)
        .options(joinedload(Application.organization)).order_by(Application.id)))


def matches(session: Session, applications: Iterable[Application], *,
            as_of: dt.date | None = None) -> dict[int, list[SocialRecord]]:
    """Application id → the list records of its organization's credit code dated up to `as_of`, newest first."""
    by_code: dict[str, list[int]] = {}
    for application in applications:
        by_code.setdefault(application.organization.credit_code.strip().upper(), []).append(application.id)
    found: dict[int, list[SocialRecord]] = {}
    if not by_code:
        return found
    query = select(SocialRecord).where(SocialRecord.credit_code.in_(list(by_code)))
    if as_of is not None:
        query = query.where(SocialRecord.listed_on <= as_of)
    for row in session.scalars(query.order_by(SocialRecord.listed_on.desc(), SocialRecord.id)):
        for application_id in by_code[row.credit_code]:
            found.setdefault(application_id, []).append(row)
    return found


# --- the public comment window -------------------------------------------------------------------


def window_of(session: Session, cycle: Cycle) -> CommentWindow | None:
    return session.get(CommentWindow, cycle.id)


def window_is_open(window: CommentWindow | None, now: dt.datetime) -> bool:
    return window is not None and window.opens_at <= now < window.closes_at


def findings_open(cycle: Cycle) -> bool:
    """Whether the cycle is in a stage where findings are recorded and the public comment window may run."""
    return cycle.stage in _finding_stages()


def accepting_comments(session: Session, cycle: Cycle, now: dt.datetime) -> bool:
    """The window is open and the cycle has not gone on to the decision: a window opened in the ranking stage
    (a procedure without a social evaluation stage of its own) is not held open by any stage guard."""
    return findings_open(cycle) and window_is_open(window_of(session, cycle), now)


def open_comment_window(session: Session, *, actor: User | None, cycle: Cycle, closes_at: dt.datetime,
                        now: dt.datetime | None = None) -> CommentWindow:
    """Open the public comment window until `closes_at`; once per cycle, while findings may be recorded."""
    _require_office(actor, _("Only the award office can open the public comment window."))
    now = now or utcnow()
    if not findings_open(cycle):
        raise Conflict(_("The public comment window opens only during the social evaluation, after the review "
                         "rounds and before the decision."), code="wrong_stage")
    if window_of(session, cycle) is not None:
        raise Conflict(_("This cycle's public comment window has already been opened."), code="window_exists")
    if closes_at <= now:
        raise Invalid(_("The window must close in the future (now: %(now)s).", now=format_datetime(now)),
                      code="window_past", field="closes_at")
    if closes_at > now + dt.timedelta(days=WINDOW_MAX_DAYS):
        raise Invalid(_("The window can stay open for at most %(days)s days.", days=WINDOW_MAX_DAYS),
                      code="window_long", field="closes_at")
    window = CommentWindow(cycle_id=cycle.id, opens_at=now, closes_at=closes_at,
                           opened_by_id=actor.id if actor else None)
    session.add(window)
    session.flush()
    record(session, actor=actor, action="social.window_opened", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after={"opens_at": now.isoformat(), "closes_at": closes_at.isoformat()})
    return window


@dataclass(frozen=True)
class CommentInput:
    application_id: int | None
    name: str
    phone: str
    text: str


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s\-()（）]", "", value or "")


def file_comment(session: Session, *, cycle: Cycle, data: CommentInput,
                 now: dt.datetime | None = None) -> PublicComment:
    """A member of the public's real-name comment on a candidate, while the window is open."""
    now = now or utcnow()
    if not accepting_comments(session, cycle, now):
        raise Conflict(_("The public comment window is not open."), code="window_closed")
    name, text = data.name.strip(), data.text.strip()
    problems = []
    if not name:
        problems.append(_("Give your real name; anonymous comments are not accepted."))
    if not _PHONE.match(normalize_phone(data.phone)):
        problems.append(_("Give a phone number we can call you back on."))
    if not text:
        problems.append(_("Write your comment."))
    if problems:
        raise Invalid(" ".join(problems), code="comment_incomplete")
    check_name(name, field=_("Your name"))
    check_length(name, limit=NAME_MAX, field=_("Your name"))
    check_printed_text(text, field=_("Comment"))
    check_length(text, limit=COMMENT_MAX, field=_("Comment"))
    candidate = next((a for a in candidates(session, cycle) if a.id == data.application_id), None)
    if candidate is None:
        raise Invalid(_("Choose one of the candidates listed."), code="not_a_candidate", field="application_id")
    comment = PublicComment(cycle_id=cycle.id, application_id=candidate.id, name=name,
                            phone=normalize_phone(data.phone)[:30], text=text, submitted_at=now)
    session.add(comment)
    session.flush()
    # The commenter's name and phone stay out of the audit chain; the comment row holds them.
    record(session, actor=None, action="social.comment_filed", target_type="social_comment", target_id=comment.id,
           cycle_id=cycle.id, after={"application_id": candidate.id})
    return comment


def comments_of(session: Session, cycle: Cycle) -> list[PublicComment]:
    return list(session.scalars(select(PublicComment).where(PublicComment.cycle_id == cycle.id)
                                .order_by(PublicComment.submitted_at, PublicComment.id)))


# --- findings ------------------------------------------------------------------------------------


def finding_of(session: Session, application: Application) -> SocialFinding | None:
    return session.scalar(select(SocialFinding).where(SocialFinding.application_id == application.id))


def findings_of(session: Session, cycle: Cycle) -> dict[int, SocialFinding]:
    return {f.application_id: f for f in session.scalars(
        select(SocialFinding).where(SocialFinding.cycle_id == cycle.id))}


def _finding_snapshot(finding: SocialFinding | None) -> dict[str, str] | None:
    if finding is None:
        return None
    return {"level": finding.level.value, "reason": finding.reason, "evidence": finding.evidence}


def record_finding(session: Session, *, actor: User | None, application: Application, level: FindingLevel,
                   reason: str, evidence: str = "", now: dt.datetime | None = None) -> SocialFinding:
    """Record (or change) the finding on a candidate; noted and veto need a reason and their evidence."""
    _require_office(actor, _("Only the award office can record a finding of the social evaluation."))
    cycle = application.cycle
    if not findings_open(cycle):
        raise Conflict(_("Findings are recorded during the social evaluation, after the review rounds and before "
                         "the decision."), code="wrong_stage")
    if application.status is not ApplicationStatus.ELIGIBLE:
        raise Conflict(_("Only a candidate still in the competition gets a finding."), code="not_a_candidate")
    reason, evidence = reason.strip(), evidence.strip()
    check_printed_text(reason, field=_("Reason"))
    check_length(reason, limit=REASON_MAX, field=_("Reason"))
    check_printed_text(evidence, field=_("Evidence"))
    check_length(evidence, limit=EVIDENCE_MAX, field=_("Evidence"))
    if level is not FindingLevel.NONE and not reason:
        raise Invalid(_("Write the reason for this finding: the deciders and the archive read it."),
                      code="reason_missing", field="reason")
    if level is FindingLevel.VETO and not evidence:
        raise Invalid(_("A veto needs its evidence: name the records or comments it rests on."),
                      code="evidence_missing", field="evidence")
    finding = finding_of(session, application)
    before = _finding_snapshot(finding)
    if finding is None:
        finding = SocialFinding(cycle_id=cycle.id, application_id=application.id)
        session.add(finding)
    finding.level, finding.reason, finding.evidence = level, reason, evidence
    finding.decided_by_id = actor.id if actor else None
    finding.decided_at = now or utcnow()
    session.flush()
    record(session, actor=actor, action="social.finding_recorded", target_type="application",
           target_id=application.id, cycle_id=cycle.id, before=before, after=_finding_snapshot(finding))
    return finding


def vetoes(session: Session, cycle: Cycle) -> dict[int, str]:
    """Application id → the reason of its veto: the candidates the proposal leaves out."""
    rows = session.execute(select(SocialFinding.application_id, SocialFinding.reason).where(
        SocialFinding.cycle_id == cycle.id, SocialFinding.level == FindingLevel.VETO)).all()
    return {application_id: reason for application_id, reason in rows}


def evaluation_problems(session: Session, cycle: Cycle, now: dt.datetime | None = None) -> list[str]:
    """What stops the social evaluation from ending: candidates without a finding, an open comment window,
    comments filed after the last finding on their candidate. The stage guard shows these."""
    now = now or utcnow()
    problems = []
    found = findings_of(session, cycle)
    missing = [a.org_name or a.organization.name for a in candidates(session, cycle) if a.id not in found]
    if missing:
        problems.append(_("No finding yet for %(count)s candidate(s): %(names)s.", count=len(missing),
                          names="、".join(missing[:10]) + ("…" if len(missing) > 10 else "")))
    window = window_of(session, cycle)
    if window_is_open(window, now):
        assert window is not None
        problems.append(_("The public comment window is open until %(end)s.", end=format_datetime(window.closes_at)))
    late = {c.application_id for c in comments_of(session, cycle)
            if c.application_id in found and c.submitted_at > found[c.application_id].decided_at}
    if late:
        problems.append(_("%(count)s candidate(s) received comments after their finding; review the finding again.",
                          count=len(late)))
    return problems


@guard_leaving(Stage.SOCIAL_EVALUATION)
def _every_candidate_evaluated(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    """The social evaluation ends, wherever the procedure goes next, only when nothing stops it."""
    return evaluation_problems(session, cycle, now)


__all__ = ["LIST_LABELS", "LEVEL_LABELS", "CommentInput", "accepting_comments", "candidates", "comments_of",
           "evaluation_problems", "file_comment", "finding_of", "findings_of", "findings_open", "import_records",
           "matches", "open_comment_window", "record_finding", "vetoes", "window_is_open", "window_of"]
