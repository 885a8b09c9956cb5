"""Publishing the public notice, taking real-name objections inside its period, and deciding them."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from award.applications import notices as application_notices
from award.applications.blacklist import blacklist_hits
from award.applications.evidence import EvidenceRejected, EvidenceStore, display_name, sniff
from award.applications.models import Application
from award.applications.notices import organization_name
from award.applications.services import REJECTION_MESSAGES
from award.approval.models import VoteBody
from award.approval.services import BODY_STAGE, approved_application_ids, decision_body, vote_of
from award.audit.services import chain_anchor, record
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Step
from award.cycles.services import advance_cycle
from award.cycles.settings import AwardLevel, AwardSettings, bare_bodies
from award.cycles.stages import guard, guard_entering, procedure_of
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.files import Blob, keep
from award.i18n import _, _l, format_datetime
from award.inputs import check_name, name_problem, text_problem
from award.limits import PDF_CHECK, ProcessLimits
from award.notice.masking import mask_id_number
from award.notice.models import NoticeCandidate, Objection, ObjectionOutcome, PublicNotice
from award.notice.periods import MissingHolidayData, PeriodKind, WorkCalendar, period_end
from award.notice.references import new_reference, normalize_reference
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage
from award.notifications.services import Person, notify_users, send_address_email, users_with_role
from award.ranking.services import frozen_levels, shortlist_levels
from award.runtime import path_for

MiB = 1024 * 1024
DEFAULT_MAX_EVIDENCE_BYTES = 20 * MiB
# Mainland mobile numbers, or a landline with its area code; spaces and dashes are allowed.
_PHONE = re.compile(r"^(?:\+?86)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}[0-9]{7,8}(?:[0-9]{1,6})?)$")


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can manage the public notice."))


def notice_of(session: Session, cycle: Cycle) -> PublicNotice | None:
    return session.scalars(select(PublicNotice).where(PublicNotice.cycle_id == cycle.id)).first()


@dataclass(frozen=True)
class LevelGroup:
    """The candidates a notice proposes for one award level (level None: the cycle has one level)."""

    level: AwardLevel | None
    candidates: list[NoticeCandidate]


def candidates_by_level(session: Session, notice: PublicNotice) -> list[LevelGroup]:
    """The notice's candidates under the award level each is proposed for, best level first, as the printed
    公示名单 lists them; one group without a level for a cycle of one level."""
    levels = frozen_levels(session, notice.cycle).levels
    if not levels or all(c.level is None for c in notice.candidates):
        return [LevelGroup(None, list(notice.candidates))]
    return [LevelGroup(level, members) for number, level in enumerate(levels, start=1)
            if (members := [c for c in notice.candidates if c.level == number])]


def decided_by(cycle: Cycle) -> str:
    """The public notice's line on who decided: the votes of the cycle's procedure, as the printed
    公示名单 names them (``{decided_by}``)."""
    votes = procedure_of(cycle).votes
    if Step.LEADING_GROUP not in votes:
        return _("Approved by the review committee; published for public supervision.")
    if Step.COMMITTEE in votes:
        return _("Deliberated by the review committee and approved by the leading group; published for public "
                 "supervision.")
    return _("Approved by the leading group; published for public supervision.")


def titles_awarded(session: Session, notice: PublicNotice) -> list[str]:
    """The titles the candidates are proposed for: each award level's, or the notice's one title."""
    levels = frozen_levels(session, notice.cycle).levels
    if not levels or all(c.level is None for c in notice.candidates):  # as candidates_by_level groups them
        return [notice.award_title]
    return [level.name for level in levels]


def published_notices(session: Session) -> list[PublicNotice]:
    """Every notice ever published, newest first: the public page keeps the record."""
    return list(session.scalars(select(PublicNotice).order_by(PublicNotice.published_at.desc(), PublicNotice.id)))




@dataclass(frozen=True, kw_only=True)
class NoticeText:
    award_title: str
    benefits: str
    contact: str


def publish_notice(
    session: Session, *, actor: User | None, cycle: Cycle, text: NoticeText, calendar: WorkCalendar, zone: ZoneInfo,
    now: dt.datetime | None = None,
) -> PublicNotice:
    """Publish the candidates that passed the vote, re-checked against the dishonesty list, and start the period.

    A candidate found on the list now is printed as withdrawn with the listing as the reason.
    Moves the cycle to the notice stage.
    """
    _require_office(actor)
    now = now or utcnow()
    body = decision_body(cycle)  # the leading group, or the review committee when it decides alone
    if cycle.stage is not BODY_STAGE[body]:
        if body is VoteBody.COMMITTEE:
            raise Conflict(_("The public notice is published at the end of the review committee's vote."),
                           code="wrong_stage")
        raise Conflict(_("The public notice is published at the end of the leading-group approval."),
                          code="wrong_stage")
    vote = vote_of(session, cycle, body)
    if vote is None or vote.closed_at is None:
        if body is VoteBody.COMMITTEE:
            raise Conflict(_("Close the review committee's vote first."), code="vote_open")
        raise Conflict(_("Close the leading group's vote first."), code="vote_open")
    if notice_of(session, cycle) is not None:
        raise Conflict(_("The public notice of this cycle is already published."), code="notice_exists")
    if not text.award_title.strip():
        raise Invalid(_("Give the title the awardees will hold."), code="no_title")
    check_name(text.award_title, field=_("The title"))
    bare = bare_bodies(text.contact)
    if bare:  # printed on the notice list as written, after publication no longer changed
        raise Invalid(_("The contact names “%(body)s” without the city: write the city's name in front of it.",
                        body=bare[0]), code="bare_body", field="contact")
    settings = AwardSettings.from_dict(cycle.award_settings)
    try:
        ends_at = period_end(now, kind=PeriodKind(settings.notice_kind), length=settings.notice_length,
                             calendar=calendar, zone=zone)
    except MissingHolidayData as missing:
        raise Conflict(_("The public holidays of %(year)s are not in the holiday list yet; add them before "
                            "publishing a notice counted in working days.", year=missing.year),
                          code="holidays_missing") from None
    approved = approved_application_ids(session, cycle)
    applications = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(approved)))}
    hits = blacklist_hits(session, [a.organization.credit_code for a in applications.values()])
    notice = PublicNotice(cycle_id=cycle.id, published_at=now, published_by_id=actor.id if actor else None,
                          period_kind=PeriodKind(settings.notice_kind), period_length=settings.notice_length,
                          ends_at=ends_at, award_title=text.award_title.strip()[:200],
                          benefits=text.benefits.strip(), contact=text.contact.strip())
    levels = shortlist_levels(session, cycle)
    approved = sorted(approved, key=lambda app_id: levels.get(app_id) or 0)  # level by level, stable
    for position, application_id in enumerate(approved, start=1):
        application = applications[application_id]
        code = application.organization.credit_code
        candidate = NoticeCandidate(application_id=application_id, position=position, credit_code=code,
                                    organization_name=(application.org_name or application.organization.name)[:200],
                                    level=levels.get(application_id))
        if code in hits:
            candidate.withdrawn_at = now
            candidate.withdrawn_reason = _("On the dishonesty list: %(sources)s",
                                           sources=", ".join(h.source for h in hits[code]))
        notice.candidates.append(candidate)
    session.add(notice)
    session.flush()
    for candidate in notice.candidates:
        if candidate.withdrawn_at is not None:
            record(session, actor=actor, action="notice.candidate_withdrawn", target_type="application",
                   target_id=candidate.application_id, cycle_id=cycle.id,
                   after={"reason": candidate.withdrawn_reason, "cause": "blacklist"})
    record(session, actor=actor, action="notice.published", target_type="public_notice", target_id=notice.id,
           cycle_id=cycle.id,
           after={"ends_at": ends_at.isoformat(), "period": f"{notice.period_length} {notice.period_kind.value}",
                  "title": notice.award_title, "listed": [c.application_id for c in notice.listed],
                  **({"levels": {c.application_id: c.level for c in notice.candidates}} if levels else {}),
                  "withdrawn": [c.application_id for c in notice.candidates if c.withdrawn_at is not None]})
    advance_cycle(session, actor=actor, cycle=cycle, target=Stage.NOTICE, now=now)
    anchor = chain_anchor(session)  # after the stage change: the publication's last record
    notice.published_anchor_seq, notice.published_anchor_hash = anchor.seq, anchor.hash
    session.flush()
    link = path_for("notice.public_notice", notice_id=notice.id)
    for candidate in notice.candidates:
        application = applications[candidate.application_id]
        if candidate.withdrawn_at is None:
            application_notices.application_on_notice(session, application=application, ends_at=ends_at,
                                                      link=link, now=now)
        else:
            application_notices.application_withdrawn_from_notice(session, application=application,
                                                                  reason=candidate.withdrawn_reason, now=now)
    return notice


# --- objections ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ObjectionInput:
    candidate_id: int
    name: str
    id_number: str
    organization: str
    phone: str
    text: str
    evidence: bytes
    filename: str
    email: str = ""  # optional: where the office's answer is sent


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")
REFERENCE_ATTEMPTS = 8


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s\-()（）]", "", value or "")


def identity_problems(data: ObjectionInput) -> list[str]:
    """Why an objection is not real-name: the reasons shown to the person filing it."""
    problems = []
    if not data.name.strip():
        problems.append(_("Give your real name; anonymous objections are not accepted."))
    if not data.id_number.strip() and not data.organization.strip():
        problems.append(_("Give your ID card number, or the organization you file for; anonymous objections "
                          "are not accepted."))
    if data.id_number.strip() and not ric.is_valid(data.id_number.strip().upper()):
        problems.append(_("This is not a valid ID card number."))
    if not _PHONE.match(normalize_phone(data.phone)):
        problems.append(_("Give a phone number we can call you back on."))
    if data.email.strip() and (len(data.email.strip()) > 254 or not _EMAIL.match(data.email.strip())):
        problems.append(_("This is not an e-mail address; leave it empty if you want no e-mail."))
    return problems


def unused_reference(session: Session, *, year: int) -> str:
    """A reference no objection holds yet (the unique index refuses a concurrent twin)."""
    for _attempt in range(REFERENCE_ATTEMPTS):
        reference = new_reference(year)
        if session.scalar(select(Objection.id).where(Objection.reference == reference)) is None:
            return reference
    raise RuntimeError("no unused objection reference after several draws")  # 148 million a year: never


def file_objection(
    session: Session, *, notice: PublicNotice, data: ObjectionInput, store: EvidenceStore, remote_addr: str,
    max_evidence_bytes: int = DEFAULT_MAX_EVIDENCE_BYTES, zone: ZoneInfo, now: dt.datetime | None = None,
    pdf_check: ProcessLimits = PDF_CHECK,
) -> Objection:
    """Take a written, real-name objection with evidence, inside the period only; tell the office."""
    now = now or utcnow()
    if now >= notice.ends_at:
        raise Conflict(_("The public notice ended on %(end)s; objections can no longer be filed.",
                            end=format_datetime(notice.ends_at)), code="late")
    if now < notice.published_at:
        raise Conflict(_("The public notice has not started yet."), code="early")
    candidate = session.get(NoticeCandidate, data.candidate_id)
    if candidate is None or candidate.notice_id != notice.id:
        raise Invalid(_("Choose an organization from the notice."), code="unknown_candidate")
    if candidate.withdrawn_at is not None:
        raise Conflict(_("This organization has already been withdrawn from the notice."), code="withdrawn")
    problems = identity_problems(data)
    problems += [problem for problem in (name_problem(data.name, field=_("The name")),
                                         name_problem(data.organization, field=_("The organization")),
                                         text_problem(data.text, multiline=True, field=_("The objection")))
                 if problem]
    if not data.text.strip():
        problems.append(_("Write what your objection is about."))
    if problems:
        raise Invalid(" ".join(problems), code="not_real_name")
    if len(data.evidence) > max_evidence_bytes:
        raise Invalid(_("The file is larger than %(limit)s.", limit=f"{max_evidence_bytes / MiB:.1f} MB"),
                          code="file_too_large")
    try:
        content_type = sniff(data.evidence, pdf_check=pdf_check)
    except EvidenceRejected as rejected:
        if rejected.reason == "empty":
            raise Invalid(_("Attach the evidence for your objection (PDF, JPEG or PNG)."),
                              code="no_evidence") from None
        raise Invalid(REJECTION_MESSAGES[rejected.reason](), code=f"evidence_{rejected.reason}") from None
    stored = store.save(data.evidence)
    keep(session, Blob(stored.sha256, stored.size_bytes), "objection")
    objection = Objection(
        reference=unused_reference(session, year=now.astimezone(zone).year), email=data.email.strip()[:254],
        notice_id=notice.id, candidate_id=candidate.id, name=data.name.strip()[:100],
        id_number=data.id_number.strip().upper()[:18], organization=data.organization.strip()[:200],
        phone=normalize_phone(data.phone)[:30], text=data.text.strip(), stored_name=stored.stored_name,
        display_name=display_name(data.filename, content_type), content_type=content_type,
        size_bytes=stored.size_bytes, sha256=stored.sha256, submitted_at=now, remote_addr=remote_addr[:64],
    )
    session.add(objection)
    session.flush()
    # Personal data (ID number, phone) stays out of the audit chain; the objection row holds it.
    record(session, actor=None, action="notice.objection_filed", target_type="objection", target_id=objection.id,
           cycle_id=notice.cycle_id,
           after={"candidate": candidate.application_id, "sha256": objection.sha256, "bytes": objection.size_bytes,
                  "reference": objection.reference})
    application = session.get(Application, candidate.application_id)
    assert application is not None
    objection_received(session, application=application, now=now,
                       link=path_for("notice.objection", objection_id=objection.id))
    if objection.email:  # the confirmation carries the reference, as the received page does
        send_address_email(
            session, person=Person(full_name=objection.name, email=objection.email), kind=Kind.OBJECTION_FILED,
            link=path_for("notice.objection_status"), now=now,
            context={"reference": objection.reference, "organization": candidate.organization_name, "filed": now})
    return objection


def objection_received(session: Session, *, application: Application, link: str,
                       now: dt.datetime | None = None) -> list[Notification]:
    return notify_users(session, users=users_with_role(session, Role.OFFICE), kind=Kind.OBJECTION_RECEIVED,
                        link=link, now=now, context={"organization": organization_name(application)})


def objections_of(session: Session, notice: PublicNotice) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.notice_id == notice.id)
                                .order_by(Objection.submitted_at, Objection.id)))


def pending_count(session: Session, notice: PublicNotice) -> int:
    return session.scalar(select(func.count(Objection.id)).where(
        Objection.notice_id == notice.id, Objection.outcome == ObjectionOutcome.PENDING)) or 0


def decide_objection(
    session: Session, *, actor: User | None, objection: Objection, outcome: ObjectionOutcome, reason: str,
    answer: str, now: dt.datetime | None = None,
) -> Objection:
    """Record the office's outcome with its reasons and its answer to the objector; upheld withdraws the
    candidate from the notice. The answer is e-mailed through the outbox when the objector gave an address,
    and shown on the objector's lookup page in any case."""
    _require_office(actor)
    now = now or utcnow()
    outcome = ObjectionOutcome(outcome)
    if outcome is ObjectionOutcome.PENDING:
        raise Invalid(_("Choose dismissed or upheld."), code="no_outcome")
    if objection.outcome is not ObjectionOutcome.PENDING:
        raise Conflict(_("This objection already has an outcome."), code="decided")
    if objection.notice.confirmed_at is not None:
        raise Conflict(_("The final list is already confirmed."), code="confirmed")
    if not reason.strip():
        raise Invalid(_("Give the reasons for the outcome."), code="no_reason")
    if not answer.strip():
        raise Invalid(_("Write the answer the objector will read."), code="no_answer")
    problem = text_problem(answer, multiline=True, field=_("The answer"))
    if problem:
        raise Invalid(problem, code="bad_answer")
    objection.outcome = outcome
    objection.outcome_reason = reason.strip()
    objection.answer = answer.strip()
    objection.decided_by_id = actor.id if actor else None
    objection.decided_at = now
    candidate = objection.candidate
    cycle_id = objection.notice.cycle_id
    session.flush()
    record(session, actor=actor, action="notice.objection_decided", target_type="objection", target_id=objection.id,
           cycle_id=cycle_id, after={"outcome": outcome.value, "reason": objection.outcome_reason,
                                     "candidate": candidate.application_id, "answer": objection.answer,
                                     "emailed": bool(objection.email)})
    send_answer(session, objection=objection, now=now)
    if outcome is ObjectionOutcome.UPHELD and candidate.withdrawn_at is None:
        candidate.withdrawn_at = now
        candidate.withdrawn_reason = _("Objection upheld: %(reason)s", reason=objection.outcome_reason)
        session.flush()
        record(session, actor=actor, action="notice.candidate_withdrawn", target_type="application",
               target_id=candidate.application_id, cycle_id=cycle_id,
               after={"reason": candidate.withdrawn_reason, "cause": "objection", "objection": objection.id})
        application = session.get(Application, candidate.application_id)
        assert application is not None  # a notice candidate's application is never deleted (FK)
        application_notices.application_withdrawn_from_notice(session, application=application,
                                                              reason=candidate.withdrawn_reason, now=now)
    return objection


OUTCOME_WORDS = {
    ObjectionOutcome.PENDING: _l("being examined"),
    ObjectionOutcome.DISMISSED: _l("dismissed"),
    ObjectionOutcome.UPHELD: _l("upheld, the candidate is withdrawn from the notice"),
}


def send_answer(session: Session, *, objection: Objection, now: dt.datetime | None = None) -> OutboxMessage | None:
    """E-mail the office's answer to the objector through the outbox; None when no address was given."""
    if not objection.email:
        return None
    return send_address_email(
        session, person=Person(full_name=objection.name, email=objection.email), kind=Kind.OBJECTION_ANSWERED,
        link=path_for("notice.objection_status"), now=now,
        context={"reference": objection.reference or "", "organization": objection.candidate.organization_name,
                 "outcome": OUTCOME_WORDS[objection.outcome], "answer": objection.answer})


@dataclass(frozen=True, kw_only=True)
class ObjectionStatus:
    """What the objector sees on the lookup page: nothing the office alone may read."""

    reference: str
    organization: str
    name: str
    id_number_masked: str
    submitted_at: dt.datetime
    outcome: ObjectionOutcome
    answer: str
    decided_at: dt.datetime | None
    emailed: bool


def lookup_objection(session: Session, *, reference: str, phone: str) -> ObjectionStatus | None:
    """The objection with this reference, if it was filed with this phone; None alike for an unknown number,
    a wrong phone or something that is no reference, so the answer tells nothing of which it was."""
    normalized = normalize_reference(reference)
    found = (session.scalar(select(Objection).where(Objection.reference == normalized))
             if normalized is not None else None)
    typed = normalize_phone(phone)[:30].encode()
    stored = found.phone.encode() if found is not None else b"\x00" * len(typed)
    if not hmac.compare_digest(stored, typed) or found is None or not typed:
        return None
    decided = found.outcome is not ObjectionOutcome.PENDING
    return ObjectionStatus(
        reference=found.reference or "", organization=found.candidate.organization_name, name=found.name,
        id_number_masked=mask_id_number(found.id_number), submitted_at=found.submitted_at, outcome=found.outcome,
        answer=found.answer if decided else "", decided_at=found.decided_at, emailed=decided and bool(found.email))


def id_number_for(viewer: User | None, objection: Objection) -> str:
    """The objector's ID card number as this viewer may see it: whole for the office, masked for anyone else."""
    if viewer is not None and viewer.role is Role.OFFICE:
        return objection.id_number
    return mask_id_number(objection.id_number)


def record_evidence_download(session: Session, *, actor: User, objection: Objection) -> None:
    """Every download of an objection's evidence is in the audit trail; only oversight may read it."""
    if actor.role not in (Role.OFFICE, Role.SUPERVISOR):
        raise NotAllowed(_("Only the award office and the supervisor can open the evidence of an objection."))
    record(session, actor=actor, action="notice.evidence_downloaded", target_type="objection",
           target_id=objection.id, cycle_id=objection.notice.cycle_id, after={"sha256": objection.sha256})


# --- the end of the notice -------------------------------------------------------------------


def award_problems(session: Session, cycle: Cycle, now: dt.datetime, zone: ZoneInfo | None = None) -> list[str]:
    """Why the final list cannot be confirmed yet: the period runs, or an objection has no outcome."""
    notice = notice_of(session, cycle)
    if notice is None:
        return [_("Publish the public notice first.")]
    problems = []
    if now < notice.ends_at:
        end = format_datetime(notice.ends_at)  # Beijing time, the one format of every page
        problems.append(_("The public notice runs until %(end)s.", end=end))
    pending = pending_count(session, notice)
    if pending:
        problems.append(_("%(count)s objection(s) still need an outcome.", count=pending))
    return problems


@guard_entering(Stage.NOTICE)
def _notice_published(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    if notice_of(session, cycle) is None:
        return [_("Publish the public notice from its page, with the title and what each awardee receives.")]
    return []


@guard(Stage.NOTICE, Stage.AWARDED)
def _notice_over(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    problems = award_problems(session, cycle, now)
    notice = notice_of(session, cycle)
    if not problems and notice is not None and notice.confirmed_at is None:
        problems.append(_("Confirm the final list on the awards page."))
    return problems
