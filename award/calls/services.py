"""The office writes a cycle's call, adds its files and publishes it; every change is in the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceRejected, EvidenceStore
from award.audit.services import record
from award.auth.models import Role, User
from award.calls.files import call_file_name, sniff_call_file
from award.calls.models import CallAttachment, CycleCall
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.files import Blob, keep, release
from award.i18n import _
from award.inputs import name_problem, text_problem
from award.limits import PDF_CHECK, ProcessLimits

MiB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 20 * MiB
DEFAULT_MAX_FILES = 20
TITLE_MAX = 200
TEXT_MAX = 50_000  # the call's text and its guidelines, each: a long 申报指南 is about 15,000 characters
CONTACT_MAX = 500


@dataclass(frozen=True, kw_only=True)
class CallText:
    title: str
    body: str = ""
    guidelines: str = ""
    contact: str = ""


@dataclass(frozen=True, kw_only=True)
class CallLimits:
    """What the office may attach: the size of one file and the number of files of one call."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_files: int = DEFAULT_MAX_FILES
    pdf_check: ProcessLimits = PDF_CHECK


def mib(size: int) -> str:
    """A size as the limits state it: "20 MB", "0.2 MB"."""
    return f"{size / MiB:.1f}".removesuffix(".0") + " MB"


REJECTIONS: dict[str, Callable[[], str]] = {
    "empty": lambda: _("The file is empty."),
    "type": lambda: _("Only PDF, Word (DOCX), Excel (XLSX), JPEG and PNG files are accepted; this file's content "
                      "is none of them, whatever its name says."),
    "office": lambda: _("The Word or Excel file cannot be accepted: it is damaged, encrypted, holds macros "
                        "or unpacks to too much. Save it again as .docx or .xlsx (without macros) and upload the new "
                        "file."),
    "pdf_unreadable": lambda: _("The PDF cannot be opened. Please export it again and upload the new file."),
    "pdf_encrypted": lambda: _("The PDF is password-protected. Please upload it without a password."),
    "pdf_timeout": lambda: _("The PDF could not be checked in time; it may be damaged or needlessly complex. "
                             "Please export it again (for example with “Print to PDF”) and upload the new file."),
}


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can write and publish the call for applications."))


def _require_open(cycle: Cycle) -> None:
    if cycle.stage is Stage.CLOSED:
        raise Conflict(_("This cycle is closed and archived; its call can no longer be changed."),
                       code="cycle_closed")


def call_of(session: Session, cycle: Cycle) -> CycleCall | None:
    return session.scalars(select(CycleCall).where(CycleCall.cycle_id == cycle.id)).first()


def text_problems(text: CallText) -> list[str]:
    """Why the text cannot be taken: an empty or unprintable title, control characters, too long."""
    problems = [problem for problem in (
        name_problem(text.title, field=_("Title of the call")),
        text_problem(text.body, multiline=True, field=_("Text of the call")),
        text_problem(text.guidelines, multiline=True, field=_("The guidelines")),
        text_problem(text.contact, multiline=True, field=_("The contact")),
    ) if problem]
    if not text.title.strip():
        problems.append(_("Give the call a title."))
    if len(text.title.strip()) > TITLE_MAX:
        problems.append(_("The title may have at most %(max)d characters.", max=TITLE_MAX))
    if max(len(text.body), len(text.guidelines)) > TEXT_MAX:
        problems.append(_("The call and the guidelines may have at most %(max)d characters each.", max=TEXT_MAX))
    if len(text.contact) > CONTACT_MAX:
        problems.append(_("The contact may have at most %(max)d characters.", max=CONTACT_MAX))
    return problems


def _fields(call: CycleCall) -> dict[str, str]:
    return {"title": call.title, "body": call.body, "guidelines": call.guidelines, "contact": call.contact}


def save_call(session: Session, *, actor: User | None, cycle: Cycle, text: CallText,
              now: dt.datetime | None = None) -> CycleCall:
    """Write the call's text (a new call is a draft); a published call stays published, with the change on record."""
    _require_office(actor)
    _require_open(cycle)
    problems = text_problems(text)
    if problems:
        raise Invalid(" ".join(problems), code="bad_text")
    call = call_of(session, cycle)
    before = _fields(call) if call else None
    if call is None:
        call = CycleCall(cycle_id=cycle.id)
        session.add(call)
    cleaned = CallText(title=text.title.strip(), body=text.body.strip("\r\n"), guidelines=text.guidelines.strip("\r\n"),
                       contact=text.contact.strip())
    for name, value in asdict(cleaned).items():
        setattr(call, name, value)
    call.updated_at = now or utcnow()
    call.updated_by_id = actor.id if actor else None
    session.flush()
    after = _fields(call)
    changed = [name for name in after if before is None or before[name] != after[name]]
    record(session, actor=actor, action="call.saved", target_type="call", target_id=call.id, cycle_id=cycle.id,
           before={name: before[name] for name in changed} if before else None,
           after={name: after[name] for name in changed} | {"published": call.published})
    return call


def publish_call(session: Session, *, actor: User | None, call: CycleCall, now: dt.datetime | None = None) -> None:
    """Make the call public: from now on anyone can read it and download its files."""
    _require_office(actor)
    _require_open(call.cycle)
    if call.published_at is not None:
        raise Conflict(_("The call is already published."), code="already_published")
    if not call.body.strip():
        raise Invalid(_("Write the call's text before publishing it."), code="empty_call")
    call.published_at = now or utcnow()
    call.published_by_id = actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="call.published", target_type="call", target_id=call.id,
           cycle_id=call.cycle_id, after={"title": call.title, "files": [a.sha256 for a in call.attachments]})


def unpublish_call(session: Session, *, actor: User | None, call: CycleCall) -> None:
    """Take the call back to a draft: the public page answers 404 again."""
    _require_office(actor)
    _require_open(call.cycle)
    if call.published_at is None:
        raise Conflict(_("The call is not published."), code="not_published")
    before = {"published_at": call.published_at.isoformat()}
    call.published_at = None
    call.published_by_id = None
    session.flush()
    record(session, actor=actor, action="call.unpublished", target_type="call", target_id=call.id,
           cycle_id=call.cycle_id, before=before)


def add_call_attachment(
    session: Session, *, actor: User | None, call: CycleCall, data: bytes, filename: str, store: EvidenceStore,
    limits: CallLimits, now: dt.datetime | None = None,
) -> CallAttachment:
    """Check the file's count, size and type (by content), then store it under a random name with its SHA-256."""
    _require_office(actor)
    _require_open(call.cycle)
    count = session.scalar(select(func.count(CallAttachment.id)).where(CallAttachment.call_id == call.id)) or 0
    if count >= limits.max_files:
        raise Conflict(_("A call may have at most %(max)d files; remove one first.", max=limits.max_files),
                       code="too_many_files")
    if len(data) > limits.max_file_bytes:
        raise Invalid(_("The file is larger than %(limit)s.", limit=mib(limits.max_file_bytes)),
                      code="file_too_large")
    try:
        content_type = sniff_call_file(data, pdf_check=limits.pdf_check)
    except EvidenceRejected as rejected:
        raise Invalid(REJECTIONS[rejected.reason](), code=f"file_{rejected.reason}") from None
    stored = store.save(data)
    keep(session, Blob(stored.sha256, stored.size_bytes), "call_file")
    attachment = CallAttachment(call_id=call.id, stored_name=stored.stored_name,
                                display_name=call_file_name(filename, content_type), content_type=content_type,
                                size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_at=now or utcnow(),
                                uploaded_by_id=actor.id if actor else None)
    session.add(attachment)
    session.flush()
    record(session, actor=actor, action="call.file_added", target_type="call", target_id=call.id,
           cycle_id=call.cycle_id, after={"file": attachment.id, "name": attachment.display_name,
                                          "sha256": attachment.sha256, "bytes": attachment.size_bytes,
                                          "type": content_type})
    return attachment


def remove_call_attachment(session: Session, *, actor: User | None, attachment: CallAttachment,
                           store: EvidenceStore) -> None:
    """Remove a file from the call; the stored bytes go once the removal is committed."""
    _require_office(actor)
    call = attachment.call
    _require_open(call.cycle)
    sha256 = attachment.sha256
    before = {"file": attachment.id, "name": attachment.display_name, "sha256": attachment.sha256}
    call.attachments.remove(attachment)
    session.flush()
    release(session, store, sha256)
    record(session, actor=actor, action="call.file_removed", target_type="call", target_id=call.id,
           cycle_id=call.cycle_id, before=before)
