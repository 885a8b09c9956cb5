"""State changes of applications: drafts, submission, return, withdrawal, evidence, screening.

The application's states form one explicit machine (TRANSITIONS); every move is checked
against it, written to the status history and to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from award.applications import eligibility, notices
from award.applications.blacklist import blacklist_hits
from award.applications.evidence import EvidenceRejected, EvidenceStore, display_name, sniff
from award.applications.models import (
    DEFAULT_MAX_SELF_ASSESSMENT_CHARS,
    Application,
    ApplicationEvent,
    ApplicationSettings,
    ApplicationStatus,
    ApplicationSubmission,
    DraftStash,
    EvidenceFile,
    RuleOutcome,
    ScreeningResult,
)
from award.applications.queries import can_view_application, evidence_total_bytes, owns_application
from award.applications.sectors import GBT4754_SECTIONS
from award.audit.services import record
from award.auth.models import Role, User
from award.cycles.models import Cycle, CycleKind, Stage
from award.cycles.services import cycle_rubric
from award.cycles.settings import EligibilitySettings
from award.cycles.stages import guard as stage_guard
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed, TooLarge
from award.files import Blob, keep, release
from award.i18n import _, _l, format_datetime
from award.inputs import check_name, check_text
from award.limits import PDF_CHECK, ProcessLimits

S = ApplicationStatus
EDITABLE = (S.DRAFT, S.RETURNED)
SCREENED = (S.ELIGIBLE, S.INELIGIBLE)


@dataclass(frozen=True)
class Transition:
    source: ApplicationStatus
    target: ApplicationStatus
    action: str
    role: Role
    needs_reason: bool = False
    in_window: bool = True  # only while the cycle takes applications
    screening: bool = False  # only while the cycle is in eligibility screening


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.SUBMITTED, "submitted", Role.ENTERPRISE),
    Transition(S.RETURNED, S.SUBMITTED, "submitted", Role.ENTERPRISE),
    Transition(S.SUBMITTED, S.RETURNED, "returned", Role.OFFICE, needs_reason=True),
    Transition(S.DRAFT, S.WITHDRAWN, "withdrawn", Role.ENTERPRISE),
    Transition(S.SUBMITTED, S.WITHDRAWN, "withdrawn", Role.ENTERPRISE),
    Transition(S.RETURNED, S.WITHDRAWN, "withdrawn", Role.ENTERPRISE),
    Transition(S.WITHDRAWN, S.DRAFT, "reopened", Role.ENTERPRISE),
    Transition(S.SUBMITTED, S.ELIGIBLE, "screened", Role.OFFICE, in_window=False, screening=True),
    Transition(S.SUBMITTED, S.INELIGIBLE, "screened", Role.OFFICE, needs_reason=True, in_window=False,
               screening=True),
    # The office may revise its screening decision while screening lasts.
    Transition(S.ELIGIBLE, S.INELIGIBLE, "screened", Role.OFFICE, needs_reason=True, in_window=False,
               screening=True),
    Transition(S.INELIGIBLE, S.ELIGIBLE, "screened", Role.OFFICE, in_window=False, screening=True),
)

STATUS_LABELS = {
    S.DRAFT: _l("Draft"),
    S.SUBMITTED: _l("Submitted"),
    S.RETURNED: _l("Returned for correction"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.ELIGIBLE: _l("Eligible"),
    S.INELIGIBLE: _l("Ineligible"),
}


def find_transition(source: ApplicationStatus, target: ApplicationStatus) -> Transition | None:
    return next((t for t in TRANSITIONS if t.source is source and t.target is target), None)


# ------------------------------------------------------------------------ the application window

def _local(moment: dt.datetime) -> str:
    return format_datetime(moment)


def takes_applications(cycle: Cycle, now: dt.datetime) -> bool:
    """Whether the cycle takes applications now: stage APPLICATION and before its deadline."""
    deadline = cycle.deadline(Stage.APPLICATION)
    return cycle.stage is Stage.APPLICATION and (deadline is None or now < deadline)


def _require_window(cycle: Cycle, now: dt.datetime) -> None:
    if takes_applications(cycle, now):
        return
    deadline = cycle.deadline(Stage.APPLICATION)
    if deadline is not None and now >= deadline and cycle.stage in (Stage.APPLICATION, Stage.SCREENING):
        raise Conflict(_("The application deadline was %(deadline)s; this can no longer be done.",
                            deadline=_local(deadline)), code="deadline_passed")
    raise Conflict(_("This cycle is not taking applications."), code="not_open")


def reference_date(cycle: Cycle, zone: ZoneInfo) -> dt.date:
    """The day eligibility is measured on: the application deadline (local), or today."""
    deadline = cycle.deadline(Stage.APPLICATION)
    return (deadline or utcnow()).astimezone(zone).date()


# ---------------------------------------------------------------------------------- settings

def max_self_assessment_chars(session: Session, cycle: Cycle) -> int:
    row = session.get(ApplicationSettings, cycle.id)
    return row.max_self_assessment_chars if row else DEFAULT_MAX_SELF_ASSESSMENT_CHARS


# The form offers up to a million characters; a body that large stays under MAX_BODY_WITHOUT_FILES.
MAX_SELF_ASSESSMENT_LIMIT = 1_000_000


def set_max_self_assessment_chars(session: Session, *, actor: User | None, cycle: Cycle, value: int) -> None:
    """Change the overall length limit of the self-assessment for one cycle (office only)."""
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can change application settings."))
    if value < 1000:
        raise Invalid(_("The limit must be at least 1,000 characters."), code="limit_too_small")
    if value > MAX_SELF_ASSESSMENT_LIMIT:
        raise Invalid(_("The limit can be at most 1,000,000 characters."), code="limit_too_large")
    if cycle.stage not in (Stage.DRAFT, Stage.APPLICATION):
        raise Conflict(_("The limit is fixed once applications have closed."), code="settings_locked")
    before = max_self_assessment_chars(session, cycle)
    row = session.get(ApplicationSettings, cycle.id)
    if row is None:
        row = ApplicationSettings(cycle_id=cycle.id)
        session.add(row)
    row.max_self_assessment_chars = value
    session.flush()
    record(session, actor=actor, action="application.settings_changed", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before={"max_self_assessment_chars": before}, after={"max_self_assessment_chars": value})


# ------------------------------------------------------------------------------ transitions

def _require_owner(actor: User | None, application: Application) -> None:
    if actor is not None and not owns_application(actor, application):
        raise NotAllowed(_("Only the applying organization can change its application."))


def _move(session: Session, *, actor: User | None, application: Application, target: ApplicationStatus,
          reason: str = "", now: dt.datetime) -> None:
    """Apply one transition of the table, or raise before changing anything."""
    transition = find_transition(application.status, target)
    if transition is None:
        raise Conflict(_("This cannot be done to an application in its current state."), code="bad_transition")
    if actor is not None and actor.role is not transition.role:
        raise NotAllowed(_("You may not do this to the application."))
    if transition.role is Role.ENTERPRISE:
        _require_owner(actor, application)
    if transition.in_window:
        _require_window(application.cycle, now)
    if transition.screening and application.cycle.stage is not Stage.SCREENING:
        raise Conflict(_("Screening is possible only while the cycle is in eligibility screening."),
                          code="not_screening")
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise Invalid(_("Please give a reason."), code="reason_required")
    before = application.status
    application.status = target
    application.updated_at = now
    if target is S.SUBMITTED:
        application.submitted_at = now
    if target in SCREENED:
        application.screened_at = now
    application.events.append(ApplicationEvent(from_status=before, to_status=target, reason=reason,
                                               actor_id=actor.id if actor else None, occurred_at=now))
    session.flush()
    record(session, actor=actor, action=f"application.{transition.action}", target_type="application",
           target_id=application.id, cycle_id=application.cycle_id,
           before={"status": before.value}, after={"status": target.value, "reason": reason or None})


# ------------------------------------------------------------------------------------ drafts

@dataclass(frozen=True, kw_only=True)
class Profile:
    """The organization profile as typed (dates and numbers already parsed by the form)."""

    org_name: str = ""
    address: str = ""
    district: str = ""
    sector: str = ""
    employees: int | None = None
    revenue: Decimal | None = None
    founded_on: dt.date | None = None
    qms_certified_on: dt.date | None = None
    last_major_accident_on: dt.date | None = None
    accident_note: str = ""
    last_penalty_on: dt.date | None = None
    penalty_note: str = ""
    declaration_confirmed: bool = False


PROFILE_FIELDS = tuple(Profile.__dataclass_fields__)


def start_application(session: Session, *, actor: User, cycle: Cycle, now: dt.datetime | None = None) -> Application:
    """Open the organization's draft for the cycle (one per organization and cycle)."""
    now = now or utcnow()
    if actor.role is not Role.ENTERPRISE or actor.organization is None:
        raise NotAllowed(_("Only an enterprise account can apply."))
    _require_window(cycle, now)
    existing = session.scalar(select(Application).where(Application.cycle_id == cycle.id,
                                                        Application.organization_id == actor.organization_id))
    if existing is not None:
        raise Conflict(_("Your organization already has an application in this cycle."), code="duplicate")
    application = Application(cycle=cycle, organization_id=actor.organization_id, status=S.DRAFT,
                              org_name=actor.organization.name, self_assessment={}, created_at=now, updated_at=now)
    session.add(application)
    session.flush()
    record(session, actor=actor, action="application.started", target_type="application", target_id=application.id,
           cycle_id=cycle.id, after={"organization": actor.organization.credit_code})
    return application


def require_editable(application: Application, now: dt.datetime) -> None:
    if application.status not in EDITABLE:
        raise Conflict(_("A submitted application is read-only. Withdraw it, or ask the office to return it "
                            "for correction."), code="read_only")
    _require_window(application.cycle, now)


class DraftVersionConflict(Conflict):
    """The draft was saved elsewhere (another tab or device) after this page loaded it; nothing was overwritten."""

    def __init__(self, *, current_version: int) -> None:
        super().__init__(_("This application was saved elsewhere (another tab or device) after you opened it. "
                           "Nothing was overwritten. Copy what you typed, reload the page and add it again."),
                         code="version_conflict")
        self.current_version = current_version


def _claim_version(session: Session, application: Application, expected_version: int | None) -> None:
    """Raise the draft's version by one, or refuse when the page's version is stale. The conditional UPDATE
    is atomic: of two saves sent with the same version (two tabs, PostgreSQL too) only one passes."""
    if expected_version is None:  # a plain form post without a version (an older page): the last save wins
        expected_version = application.version
    claimed = session.execute(update(Application).where(Application.id == application.id,
                                                        Application.version == expected_version)
                              .values(version=expected_version + 1)
                              .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        session.refresh(application, ["version"])
        raise DraftVersionConflict(current_version=application.version)
    session.refresh(application, ["version"])


def save_draft(
    session: Session, *, actor: User | None, application: Application, profile: Profile,
    self_assessment: Mapping[str, str], sectors: Mapping[str, str] = GBT4754_SECTIONS,
    now: dt.datetime | None = None, expected_version: int | None = None,
) -> Application:
    """Save what was typed, complete or not; only formats and the overall length are checked.

    With `expected_version` (the autosave, a form that carries it) a save made elsewhere since the page
    loaded is refused (DraftVersionConflict) instead of overwritten. A save that changes nothing writes
    nothing, not even an audit record; any other writes one record, whatever the number of fields."""
    now = now or utcnow()
    _require_owner(actor, application)
    require_editable(application, now)
    if profile.sector and profile.sector not in sectors:
        raise Invalid(_("Choose a sector from the list."), code="bad_sector")
    check_name(profile.org_name, field=_("The organization name"))
    items = [item.id for item in cycle_rubric(application.cycle).items]
    texts = {item_id: str(self_assessment.get(item_id, "")).replace("\r\n", "\n") for item_id in items}
    for item_id, text in texts.items():  # stored as JSON, out of reach of the NUL check at the flush
        check_text(text, multiline=True, field=item_id)
    total = sum(len(text) for text in texts.values())
    limit = max_self_assessment_chars(session, application.cycle)
    if total > limit:
        raise Invalid(_("The self-assessment has %(total)s characters; at most %(limit)s are allowed. "
                            "Nothing was saved.", total=f"{total:,}", limit=f"{limit:,}"), code="too_long")
    today = now.date()
    for day in (profile.founded_on, profile.qms_certified_on, profile.last_major_accident_on, profile.last_penalty_on):
        if day is not None and day > today:
            raise Invalid(_("Dates cannot lie in the future."), code="future_date")
    before = {"fields": _changed_fields(application, profile, texts)}
    if expected_version is not None and application.version != expected_version:
        raise DraftVersionConflict(current_version=application.version)
    if not before["fields"]:
        return application
    _claim_version(session, application, expected_version)
    for name in PROFILE_FIELDS:
        value = getattr(profile, name)
        setattr(application, name, value.strip() if isinstance(value, str) else value)
    application.self_assessment = texts
    application.updated_at = now
    session.flush()
    record(session, actor=actor, action="application.draft_saved", target_type="application",
           target_id=application.id, cycle_id=application.cycle_id,
           after={"changed": before["fields"], "self_assessment_chars": total, "version": application.version})
    return application


def _changed_fields(application: Application, profile: Profile, texts: Mapping[str, str]) -> list[str]:
    changed = [name for name in PROFILE_FIELDS if getattr(application, name) != getattr(profile, name)]
    old = application.self_assessment or {}
    changed += [item_id for item_id, text in texts.items() if old.get(item_id, "") != text]
    return changed


def submission_problems(application: Application) -> list[str]:
    """What is still missing before the application can be submitted (empty: ready)."""
    problems = []
    labels = {
        "org_name": _("organization name"), "address": _("address"), "district": _("district"),
        "sector": _("sector"), "employees": _("employees"), "revenue": _("annual revenue"),
        "founded_on": _("founding date"), "qms_certified_on": _("quality management system certification date"),
    }
    missing = [label for name, label in labels.items() if getattr(application, name) in (None, "")]
    if missing:
        problems.append(_("Missing in the profile: %(fields)s.", fields=", ".join(missing)))
    texts = application.self_assessment or {}
    empty = [item.id for item in cycle_rubric(application.cycle).items if not str(texts.get(item.id, "")).strip()]
    if empty:
        problems.append(_("Self-assessment items without text: %(items)s.", items=", ".join(empty)))
    if not application.declaration_confirmed:
        problems.append(_("Confirm the declaration on accidents and penalties."))
    return problems


def submit_application(session: Session, *, actor: User | None, application: Application,
                       now: dt.datetime | None = None) -> Application:
    """Submit (or resubmit after a return) before the deadline; afterwards it is read-only."""
    now = now or utcnow()
    _require_owner(actor, application)
    if actor is not None and not actor.email_confirmed:
        raise Conflict(_("Please confirm your e-mail address first: open the link in the e-mail we sent when you "
                         "registered, or ask for a new one on this page."), code="email_unconfirmed")
    if application.status in EDITABLE:
        _require_window(application.cycle, now)
        problems = submission_problems(application)
        if problems:
            raise Conflict(" ".join(problems), code="incomplete")
    _move(session, actor=actor, application=application, target=S.SUBMITTED, now=now)
    submission = _freeze_submission(session, actor=actor, application=application, now=now)
    notices.application_submitted(session, application=application, submission=submission, now=now)
    return application


def submission_content(session: Session, application: Application) -> dict[str, Any]:
    """The application as it is now, in plain JSON: what a submission freezes and the receipt prints."""
    files = session.scalars(select(EvidenceFile).where(EvidenceFile.application_id == application.id)
                            .order_by(EvidenceFile.id)).all()
    profile = {name: (value.isoformat() if isinstance(value, dt.date) else
                      str(value) if isinstance(value, Decimal) else value)
               for name in PROFILE_FIELDS for value in (getattr(application, name),)}
    texts = application.self_assessment or {}
    rubric = cycle_rubric(application.cycle)
    return {
        "cycle": {"year": application.cycle.year, "title": application.cycle.title},
        "organization": {"name": application.org_name or application.organization.name,
                         "credit_code": application.organization.credit_code},
        "profile": profile,
        "self_assessment": [
            {"item": item.id, "category": category.id, "title": {"zh": item.display_name("zh"),
                                                                 "en": item.display_name("en")},
             "points": str(item.points), "text": str(texts.get(item.id, ""))}
            for category in rubric.categories for item in category.items],
        "evidence": [{"name": f.display_name, "content_type": f.content_type, "size_bytes": f.size_bytes,
                      "sha256": f.sha256, "uploaded_at": f.uploaded_at.isoformat(),
                      **({"item": f.rubric_item_id} if f.rubric_item_id else {})} for f in files],
    }


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of a submission's content (keys sorted, UTF-8, no spaces)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _freeze_submission(session: Session, *, actor: User | None, application: Application,
                       now: dt.datetime) -> ApplicationSubmission:
    number = (session.scalar(select(func.max(ApplicationSubmission.number))
                             .where(ApplicationSubmission.application_id == application.id)) or 0) + 1
    content = submission_content(session, application)
    submission = ApplicationSubmission(application_id=application.id, number=number, submitted_at=now,
                                       submitted_by_id=actor.id if actor else None, content=content,
                                       content_sha256=content_digest(content))
    session.add(submission)
    session.flush()
    record(session, actor=actor, action="application.submission_frozen", target_type="application",
           target_id=application.id, cycle_id=application.cycle_id,
           after={"number": number, "content_sha256": submission.content_sha256,
                  "evidence": [f["sha256"] for f in content["evidence"]]})
    return submission


def latest_submission(session: Session, application: Application) -> ApplicationSubmission | None:
    """The application as last submitted (a return and a resubmission make a newer one), or None."""
    return session.scalars(select(ApplicationSubmission).where(ApplicationSubmission.application_id == application.id)
                           .order_by(ApplicationSubmission.number.desc()).limit(1)).first()


def withdraw_application(session: Session, *, actor: User | None, application: Application,
                         now: dt.datetime | None = None) -> Application:
    _move(session, actor=actor, application=application, target=S.WITHDRAWN, now=now or utcnow())
    return application


def reopen_application(session: Session, *, actor: User | None, application: Application,
                       now: dt.datetime | None = None) -> Application:
    _move(session, actor=actor, application=application, target=S.DRAFT, now=now or utcnow())
    return application


def return_application(session: Session, *, actor: User | None, application: Application, reason: str,
                       now: dt.datetime | None = None) -> Application:
    """The office sends a submitted application back for correction, with a reason."""
    _move(session, actor=actor, application=application, target=S.RETURNED, reason=reason, now=now or utcnow())
    notices.application_returned(session, application=application, reason=reason.strip(), now=now)
    return application


# ---------------------------------------------------------------------------------- evidence

MAX_FILES_PER_UPLOAD = 10
MAX_FILES_PER_APPLICATION = 200


@dataclass(frozen=True, kw_only=True)
class EvidenceLimits:
    max_file_bytes: int
    max_total_bytes: int
    pdf_check: ProcessLimits = PDF_CHECK  # time and memory of the PDF check (award.limits)
    max_files_per_upload: int = MAX_FILES_PER_UPLOAD
    max_files: int = MAX_FILES_PER_APPLICATION  # per application


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


REJECTION_MESSAGES: dict[str, Callable[[], str]] = {
    "empty": lambda: _("The file is empty."),
    "type": lambda: _("Only PDF, JPEG and PNG files are accepted; this file's content is none of them, "
                      "whatever its name says."),
    "pdf_unreadable": lambda: _("The PDF cannot be opened. Please export it again and upload the new file."),
    "pdf_encrypted": lambda: _("The PDF is password-protected. Please upload it without a password."),
    "pdf_timeout": lambda: _("The PDF could not be checked in time; it may be damaged or needlessly complex. "
                             "Please export it again (for example with “Print to PDF”) and upload the new file."),
}


def check_rubric_item(application: Application, rubric_item_id: str | None) -> str | None:
    """The item a file is attached to: None (the whole application) or an item of the cycle's own rubric."""
    if rubric_item_id is None or rubric_item_id == "":
        return None
    if rubric_item_id not in {item.id for item in cycle_rubric(application.cycle).items}:
        raise Invalid(_("This item is not part of the rubric of this application's cycle."), code="bad_rubric_item")
    return rubric_item_id


def add_evidence(
    session: Session, *, actor: User | None, application: Application, data: bytes, filename: str,
    store: EvidenceStore, limits: EvidenceLimits, now: dt.datetime | None = None, rubric_item_id: str | None = None,
) -> EvidenceFile:
    """Check type (by content) and sizes, then store the file under a random name with its SHA-256."""
    now = now or utcnow()
    _require_owner(actor, application)
    require_editable(application, now)
    rubric_item_id = check_rubric_item(application, rubric_item_id)
    count = session.scalar(select(func.count()).select_from(EvidenceFile)
                           .where(EvidenceFile.application_id == application.id)) or 0
    if count >= limits.max_files:
        raise Invalid(_("An application may have at most %(count)s files.", count=limits.max_files),
                      code="too_many_files")
    if len(data) > limits.max_file_bytes:
        raise Invalid(_("The file is larger than %(limit)s.", limit=_mib(limits.max_file_bytes)),
                          code="file_too_large")
    total = evidence_total_bytes(session, application.id)
    if total + len(data) > limits.max_total_bytes:
        raise Invalid(_("All files together may not exceed %(limit)s; %(used)s are already used.",
                            limit=_mib(limits.max_total_bytes), used=_mib(total)), code="total_too_large")
    try:
        content_type = sniff(data, pdf_check=limits.pdf_check)
    except EvidenceRejected as rejected:
        raise Invalid(REJECTION_MESSAGES[rejected.reason](), code=f"evidence_{rejected.reason}") from None
    stored = store.save(data)
    keep(session, Blob(stored.sha256, stored.size_bytes), "evidence")
    evidence = EvidenceFile(application_id=application.id, stored_name=stored.stored_name,
                            display_name=display_name(filename, content_type), content_type=content_type,
                            size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_at=now,
                            uploaded_by_id=actor.id if actor else None, rubric_item_id=rubric_item_id)
    session.add(evidence)
    application.updated_at = now
    session.flush()
    record(session, actor=actor, action="application.evidence_added", target_type="application",
           target_id=application.id, cycle_id=application.cycle_id,
           after={"file": evidence.id, "name": evidence.display_name, "sha256": evidence.sha256,
                  "bytes": evidence.size_bytes, "type": content_type, "item": rubric_item_id})
    return evidence


@dataclass(frozen=True)
class UploadOutcome:
    """One file of an upload of several: stored (`evidence`), or refused with the reason (`message`)."""

    filename: str
    evidence: EvidenceFile | None = None
    message: str = ""


def add_evidence_files(
    session: Session, *, actor: User | None, application: Application, files: Sequence[tuple[str, bytes]],
    store: EvidenceStore, limits: EvidenceLimits, rubric_item_id: str | None = None, now: dt.datetime | None = None,
) -> list[UploadOutcome]:
    """Add several files at once, each checked on its own as add_evidence() checks one.

    A file refused for its own content or size is named with its reason and the others are kept:
    each file is a separate piece of evidence, and refusing them all would make the applicant send
    the good ones again for one bad scan. What concerns the whole upload (the owner, a read-only
    application, an item of another rubric, too many files at once) refuses it all before any is stored."""
    now = now or utcnow()
    _require_owner(actor, application)
    require_editable(application, now)
    rubric_item_id = check_rubric_item(application, rubric_item_id)
    if not files:
        raise Invalid(_("Choose a file."), code="no_file")
    if len(files) > limits.max_files_per_upload:
        raise Invalid(_("At most %(count)s files can be uploaded at once.", count=limits.max_files_per_upload),
                      code="too_many_at_once")
    outcomes = []
    for filename, data in files:
        try:
            evidence = add_evidence(session, actor=actor, application=application, data=data, filename=filename,
                                    store=store, limits=limits, now=now, rubric_item_id=rubric_item_id)
        except Invalid as refused:
            outcomes.append(UploadOutcome(filename=filename, message=refused.message))
        else:
            outcomes.append(UploadOutcome(filename=filename, evidence=evidence))
    return outcomes


def remove_evidence(session: Session, *, actor: User | None, evidence: EvidenceFile, store: EvidenceStore,
                    now: dt.datetime | None = None) -> None:
    """Delete a file from a draft; the stored bytes go once the deletion is committed."""
    now = now or utcnow()
    application = evidence.application
    _require_owner(actor, application)
    require_editable(application, now)
    sha256 = evidence.sha256
    after = {"file": evidence.id, "name": evidence.display_name, "sha256": evidence.sha256}
    application.files.remove(evidence)
    session.flush()
    release(session, store, sha256)
    record(session, actor=actor, action="application.evidence_removed", target_type="application",
           target_id=application.id, cycle_id=application.cycle_id, before=after)


def record_download(session: Session, *, actor: User, evidence: EvidenceFile) -> None:
    """Every download is in the audit trail: who read which file of which application."""
    if not can_view_application(actor, evidence.application):
        raise NotAllowed(_("You may not open this file."))
    record(session, actor=actor, action="application.evidence_downloaded", target_type="application",
           target_id=evidence.application_id, cycle_id=evidence.application.cycle_id,
           after={"file": evidence.id, "sha256": evidence.sha256})


# ---------------------------------------------------------------------------------- screening

AwardHistoryProvider = Callable[[Session, int], Sequence[eligibility.PastAward]]


def no_award_history(session: Session, organization_id: int) -> Sequence[eligibility.PastAward]:
    """Until the certificates area records awards, no organization has one."""
    return ()


award_history_provider: list[AwardHistoryProvider] = [no_award_history]


def award_history(session: Session, organization_id: int) -> list[eligibility.PastAward]:
    """An organization's earlier awards, from the registered provider (replace award_history_provider[0])."""
    return list(award_history_provider[0](session, organization_id))


def automatic_findings(
    session: Session, application: Application, *, zone: ZoneInfo,
    history: Sequence[eligibility.PastAward] | None = None,
) -> list[eligibility.RuleResult]:
    """Run every eligibility rule on the application's data; `history` overrides the provider (tests)."""
    code = application.organization.credit_code
    hits = blacklist_hits(session, [code]).get(code, [])
    facts = eligibility.ApplicantFacts(
        credit_code=code, address=application.address, district=application.district,
        founded_on=application.founded_on, qms_certified_on=application.qms_certified_on,
        last_major_accident_on=application.last_major_accident_on, last_penalty_on=application.last_penalty_on,
    )
    cycle = application.cycle
    return eligibility.check_all(
        facts,
        settings=EligibilitySettings.from_dict(cycle.eligibility),
        on=reference_date(cycle, zone),
        cycle_year=cycle.year,
        blacklist=[eligibility.BlacklistHit(source=h.source, listed_on=h.listed_on) for h in hits],
        history=award_history(session, application.organization_id) if history is None else history,
        reassessment=cycle.kind is CycleKind.REASSESSMENT,
    )


@dataclass(frozen=True)
class Decision:
    outcome: RuleOutcome  # PASS or FAIL
    reason: str = ""


def screen_application(
    session: Session, *, actor: User | None, application: Application, decisions: Mapping[str, Decision],
    zone: ZoneInfo, history: Sequence[eligibility.PastAward] | None = None, now: dt.datetime | None = None,
) -> Application:
    """Record the office's decision per rule (confirming or overriding the automatic finding) and the outcome.

    A decision against the automatic finding needs a written reason: passing a rule the check
    failed, failing one it passed, or deciding either way a rule the check left for a manual
    check (需人工核查). The reason is stored with the rule and audited. The application is
    eligible when every rule passes, ineligible otherwise."""
    now = now or utcnow()
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("You may not do this to the application."))
    if application.cycle.stage is not Stage.SCREENING:
        raise Conflict(_("Screening is possible only while the cycle is in eligibility screening."),
                       code="not_screening")
    findings = automatic_findings(session, application, zone=zone, history=history)
    problems: list[tuple[str, str]] = []  # (the form field it is about, the message)
    rows = []
    for finding in findings:
        decision = decisions.get(finding.rule)
        label = eligibility.RULE_LABELS[finding.rule]
        if decision is None or decision.outcome is RuleOutcome.REVIEW:
            problems.append((f"{finding.rule}_decision", _("Decide “%(rule)s”: pass or fail.", rule=label)))
            continue
        reason = decision.reason.strip()
        if finding.outcome is RuleOutcome.REVIEW and not reason:
            problems.append((f"{finding.rule}_reason", _(
                "“%(rule)s” needs a manual check: write what you checked and why it passes or fails.", rule=label)))
        elif decision.outcome is not finding.outcome and not reason:
            problems.append((f"{finding.rule}_reason",
                             _("“%(rule)s” differs from the automatic check: give a reason.", rule=label)))
        if decision.outcome is RuleOutcome.FAIL and not reason:
            # The enterprise reads why: the fact the rule used, in words.
            reason = eligibility.describe(finding.rule, finding.outcome, finding.fact)
        rows.append((finding, decision.outcome, reason))
    if problems:
        # Every problem in one message, shown by the first field it is about.
        raise Invalid(" ".join(message for _field, message in problems), code="screening_incomplete",
                      field=problems[0][0])
    failed = [(finding.rule, reason) for finding, outcome, reason in rows if outcome is RuleOutcome.FAIL]
    target = S.INELIGIBLE if failed else S.ELIGIBLE
    summary = "\n".join(f"{eligibility.RULE_LABELS[rule]}: {reason}" for rule, reason in failed)
    before = {r.rule: r.decision.value for r in application.screening}
    status_changed = application.status is not target
    if status_changed:
        _move(session, actor=actor, application=application, target=target, reason=summary, now=now)
    session.execute(delete(ScreeningResult).where(ScreeningResult.application_id == application.id))
    session.expire(application, ["screening"])
    for finding, outcome, reason in rows:
        session.add(ScreeningResult(application_id=application.id, rule=finding.rule, automatic=finding.outcome,
                                    fact=finding.fact, decision=outcome, reason=reason,
                                    decided_by_id=actor.id if actor else None, decided_at=now))
    session.flush()
    record(session, actor=actor, action="application.screening_recorded", target_type="application",
           target_id=application.id, cycle_id=application.cycle_id, before=before or None,
           after={"outcome": target.value,
                  "rules": {f.rule: {"automatic": f.outcome.value, "decision": o.value, "reason": r,
                                     "against_automatic": o is not f.outcome}
                            for f, o, r in rows}})
    if status_changed:
        notices.application_screened(session, application=application, eligible=not failed,
                                                  reason=summary, now=now)
    return application


@dataclass(frozen=True)
class LeftForScreening:
    """A submitted application bulk screening did not pass, and why: each rule the check did not pass."""

    application: Application
    reasons: list[str]


@dataclass(frozen=True)
class BulkScreening:
    passed: list[Application]
    left: list[LeftForScreening]


def _not_passed(finding: eligibility.RuleResult) -> str:
    outcome = _("Fail") if finding.outcome is RuleOutcome.FAIL else _("Needs review")
    return _("%(rule)s: %(outcome)s (%(fact)s)", rule=eligibility.RULE_LABELS[finding.rule], outcome=outcome,
             fact=eligibility.describe(finding.rule, finding.outcome, finding.fact))


def screen_clear_applications(
    session: Session, *, actor: User | None, cycle: Cycle, zone: ZoneInfo,
    history: Sequence[eligibility.PastAward] | None = None, now: dt.datetime | None = None,
) -> BulkScreening:
    """Pass in one go the submitted applications whose every rule passed the automatic check.

    Any other application (a failed rule, or one left for a manual check) is left for screening one
    by one, listed with the rules that stopped it: bulk screening never decides against, or in place
    of, the automatic check."""
    now = now or utcnow()
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("You may not do this to the application."))
    if cycle.stage is not Stage.SCREENING:
        raise Conflict(_("Screening is possible only while the cycle is in eligibility screening."),
                       code="not_screening")
    waiting = session.scalars(select(Application).where(Application.cycle_id == cycle.id,
                                                        Application.status == S.SUBMITTED)
                              .order_by(Application.id)).all()
    passed: list[Application] = []
    left: list[LeftForScreening] = []
    for application in waiting:
        findings = automatic_findings(session, application, zone=zone, history=history)
        open_rules = [finding for finding in findings if finding.outcome is not RuleOutcome.PASS]
        if open_rules:
            left.append(LeftForScreening(application, [_not_passed(finding) for finding in open_rules]))
            continue
        screen_application(session, actor=actor, application=application, zone=zone, history=history, now=now,
                           decisions={finding.rule: Decision(RuleOutcome.PASS) for finding in findings})
        passed.append(application)
    record(session, actor=actor, action="application.bulk_screening", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after={"passed": [a.id for a in passed],
                                     "left": {str(item.application.id): item.reasons for item in left}})
    return BulkScreening(passed=passed, left=left)


def unscreened_count(session: Session, cycle_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Application).where(
        Application.cycle_id == cycle_id, Application.status == S.SUBMITTED)) or 0)


# ------------------------------------------------------------- typed text kept across a lost login

STASH_LIFETIME = dt.timedelta(hours=24)
# How long a rendered edit form may stay open and still have its text kept when its login expires.
STASH_FORM_LIFETIME = dt.timedelta(days=7)
DEFAULT_STASH_MAX_BYTES = 768 * 1024  # 60,000 Chinese characters of self-assessment, URL-encoded, and the profile
_STASH_SALT = "award.applications.draft-stash"


@dataclass(frozen=True)
class StashedDraft:
    form: dict[str, str]
    typed_at: dt.datetime


def _stash_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_STASH_SALT)


def stash_form_token(*, secret_key: str, application: Application, user: User) -> str:
    """Signed into the owner's edit form: only that form, posted after the login expired, is kept."""
    return _stash_serializer(secret_key).dumps({"application": application.id, "user": user.id})


def _stash_refused() -> NotAllowed:
    # One answer for every reason (no token, another application's, a stranger's, too old, no such
    # application), so a refusal tells nothing about which applications exist.
    return NotAllowed(_("Your session had ended and the text could not be kept: it did not come from your own "
                        "application form, or the form was opened too long ago. Go back in the browser to copy "
                        "your text, sign in again and paste it."))


def stash_too_large() -> TooLarge:
    return TooLarge(_("Your session had ended and the text is too long to be kept here. Go back in the "
                      "browser to copy it, sign in again and paste it."), code="stash_too_large")


def stash_draft(session: Session, *, secret_key: str, form_token: str, application_id: int,
                form: Mapping[str, str], max_bytes: int = DEFAULT_STASH_MAX_BYTES,
                now: dt.datetime | None = None) -> str:
    """Keep the owner's text posted after their login expired; refuse anything else and store nothing.

    `form_token` must be the one stash_form_token() signed for this application and its owner (who
    still owns it). One stash per owner and application: the newer replaces the older. The returned
    token is bound to the browser by a cookie."""
    now = now or utcnow()
    try:
        claims, signed_at = _stash_serializer(secret_key).loads(form_token, return_timestamp=True)
    except BadData:
        raise _stash_refused() from None
    if (not isinstance(claims, dict) or claims.get("application") != application_id
            or not isinstance(claims.get("user"), int) or now - signed_at > STASH_FORM_LIFETIME):
        raise _stash_refused()
    application = session.get(Application, application_id)
    owner = session.get(User, claims["user"])
    if application is None or owner is None or not owner.is_enabled or not owns_application(owner, application):
        raise _stash_refused()
    values = {str(key): str(value) for key, value in form.items()}
    if len(json.dumps(values, ensure_ascii=False).encode()) > max_bytes:
        raise stash_too_large()
    session.execute(delete(DraftStash).where(DraftStash.created_at < now - STASH_LIFETIME))
    session.execute(delete(DraftStash).where(DraftStash.application_id == application.id,
                                             DraftStash.user_id == owner.id))
    token = secrets.token_hex(32)
    session.add(DraftStash(token=token, application_id=application.id, user_id=owner.id, form=values,
                           created_at=now))
    session.flush()
    return token


def take_stash(session: Session, *, token: str, application: Application, user: User,
               now: dt.datetime | None = None) -> StashedDraft | None:
    """The user's stashed text for this application, removed on reading; None when absent, foreign or expired."""
    now = now or utcnow()
    stash = session.get(DraftStash, token) if token else None
    if stash is None or stash.application_id != application.id or stash.user_id != user.id:
        return None
    session.delete(stash)
    session.flush()
    if stash.created_at < now - STASH_LIFETIME:
        return None
    return StashedDraft(form={str(k): str(v) for k, v in stash.form.items()}, typed_at=stash.created_at)


def profile_as_dict(profile: Profile) -> dict[str, object]:
    return asdict(profile)


# ------------------------------------------------------------------------------ stage guard

@stage_guard(Stage.SCREENING, Stage.DOCUMENT_REVIEW)
def _every_submission_screened(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    waiting = unscreened_count(session, cycle.id)
    if waiting:
        return [_("%(count)s submitted applications have no screening outcome yet.", count=waiting)]
    return []
