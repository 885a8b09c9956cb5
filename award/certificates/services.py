"""Certificates and feedback reports from the database: texts, seal, the public check, the report data.

Plain functions on a session; the routes and the CLI call them and render with ``render.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.audit.services import record
from award.auth.models import Role, User
from award.awards.models import Award, AwardStatus
from award.awards.numbers import normalize_certificate_number
from award.certificates.models import CertificateSettings
from award.certificates.render import (
    CertificateData,
    DiscussionNote,
    ExpertComment,
    FeedbackReport,
    merge_expert_comments,
)
from award.certificates.seals import DEFAULT_MAX_SEAL_BYTES, SealStore, accept_seal
from award.conflicts.services import conflicts_for_cycle
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric, issuers_of
from award.cycles.settings import bare_bodies
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed, NotFound
from award.files import Blob, keep, release
from award.i18n import _
from award.inputs import check_name
from award.jobs.models import Job
from award.jobs.services import latest_job, load_job, start_job
from award.ranking.models import RankingSnapshot, ShortlistEntry
from award.ranking.services import frozen_levels
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound
from award.scoring.discussion import anonymous_labels
from award.scoring.models import ConsensusRemark, ItemScore, RemarkKind, ScoreSheet, SheetStatus

FEEDBACK_STAGES = (Stage.AWARDED, Stage.CLOSED)

VerifyUrl = Callable[[str], str]
"""Turns a certificate number into the absolute URL of its public check page."""


# --- who may download ----------------------------------------------------------------------------


def is_award_holder(user: Any, award: Award) -> bool:
    """The enterprise account of the organization that holds the award."""
    return bool(getattr(user, "is_authenticated", False)) and user.role is Role.ENTERPRISE \
        and user.organization_id == award.organization_id


def is_applicant(user: Any, application: Application) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role is Role.ENTERPRISE \
        and user.organization_id == application.organization_id


# --- per-cycle texts and seal --------------------------------------------------------------------


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can change the certificates."))


def settings_of(session: Session, cycle: Cycle) -> CertificateSettings:
    """The cycle's certificate settings, or unsaved defaults when the office has set none."""
    return session.get(CertificateSettings, cycle.id) or CertificateSettings(
        cycle_id=cycle.id, award_title="", authority="", issue_date=None)


def _saved_settings(session: Session, cycle: Cycle) -> CertificateSettings:
    row = session.get(CertificateSettings, cycle.id)
    if row is None:
        row = CertificateSettings(cycle_id=cycle.id, award_title="", authority="")
        session.add(row)
    return row


def _texts(row: CertificateSettings) -> dict[str, Any]:
    return {"award_title": row.award_title or "", "authority": row.authority or "",
            "issue_date": row.issue_date.isoformat() if row.issue_date else None}


def update_certificate_texts(session: Session, *, actor: User | None, cycle: Cycle, award_title: str,
                             authority: str, issue_date: dt.date | None) -> CertificateSettings:
    """Set the award title, the issuing authority and the issue date printed on the cycle's certificates."""
    _require_office(actor)
    award_title, authority = award_title.strip(), authority.strip()
    if len(award_title) > 200 or len(authority) > 200:
        raise Invalid(_("Keep the award title and the authority under 200 characters."), code="too_long")
    check_name(award_title, field=_("The award title"))
    check_name(authority, field=_("The issuing authority"))
    if bare_bodies(authority):
        raise Invalid(_("“%(body)s” is named without the city: write the city's name in front of it, or leave the "
                        "authority empty to print the city's government.", body=bare_bodies(authority)[0]),
                      code="bare_body", field="authority")
    row = _saved_settings(session, cycle)
    before = _texts(row)
    row.award_title, row.authority, row.issue_date = award_title, authority, issue_date
    row.updated_at, row.updated_by_id = utcnow(), actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="certificates.texts_updated", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before, after=_texts(row))
    return row


def replace_seal(session: Session, *, actor: User | None, cycle: Cycle, data: bytes, store: SealStore,
                 max_bytes: int = DEFAULT_MAX_SEAL_BYTES) -> CertificateSettings:
    """Check the uploaded image by its content and make it the cycle's seal (the old file is deleted)."""
    _require_office(actor)
    seal = accept_seal(data, max_bytes=max_bytes)
    row = _saved_settings(session, cycle)
    old = row.seal_sha256
    stored = store.save(seal)
    keep(session, Blob(stored.sha256, stored.size), "seal")
    row.seal_stored_name, row.seal_mime = stored.stored_name, stored.mime
    row.seal_sha256, row.seal_size = stored.sha256, stored.size
    row.updated_at, row.updated_by_id = utcnow(), actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="certificates.seal_replaced", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after={"sha256": stored.sha256, "size": stored.size, "mime": stored.mime,
                                     "width": seal.width, "height": seal.height})
    if old and old != stored.sha256:
        release(session, store, old)
    return row


def remove_seal(session: Session, *, actor: User | None, cycle: Cycle, store: SealStore) -> None:
    _require_office(actor)
    row = session.get(CertificateSettings, cycle.id)
    if row is None or row.seal_stored_name is None:
        raise Conflict(_("This cycle has no seal image."), code="no_seal")
    before = {"sha256": row.seal_sha256}
    old = row.seal_sha256
    row.seal_stored_name = row.seal_mime = row.seal_sha256 = None
    row.seal_size = None
    row.updated_at, row.updated_by_id = utcnow(), actor.id if actor else None
    session.flush()
    record(session, actor=actor, action="certificates.seal_removed", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before)
    if old:
        release(session, store, old)


BATCH_KIND = "certificates.batch"


def record_batch_started(session: Session, *, actor: User | None, cycle: Cycle, job_id: int, count: int) -> None:
    """The audit trail keeps who printed a cycle's certificates, and how many."""
    _require_office(actor)
    record(session, actor=actor, action="certificates.batch_started", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, after={"job": job_id, "certificates": count})


def print_cycle(session: Session, *, actor: User | None, cycle: Cycle) -> tuple[Job, bool]:
    """Queue the printing of every valid certificate of the cycle into one PDF (a job of the worker), or give
    the batch of the cycle already queued or running (``created`` False); the audit trail keeps who did."""
    _require_office(actor)
    count = len(printable_awards(session, cycle))
    if not count:
        raise Conflict(_("This cycle has no valid award to print."), code="nothing_to_print")
    job, created = start_job(session, started_by=actor, kind=BATCH_KIND, inputs={"cycle_id": cycle.id}, total=count)
    if created:
        record_batch_started(session, actor=actor, cycle=cycle, job_id=job.id, count=count)
    return job, created


FEEDBACK_KIND = "certificates.feedback_reports"


def queue_feedback_reports(session: Session, *, actor: User | None, cycle: Cycle) -> tuple[Job, bool]:
    """Queue every feedback report of the cycle into one ZIP (a job of the worker: each report takes a second
    or more), or give the one already queued or running."""
    _require_office(actor)
    count = len(feedback_applications(session, cycle))
    if not count:
        raise NotFound(_("The feedback report is available once the cycle is awarded, for ranked applications."),
                       code="no_feedback")
    return start_job(session, started_by=actor, kind=FEEDBACK_KIND, inputs={"cycle_id": cycle.id}, total=count)


def batch_of(session: Session, job_id: int) -> Job | None:
    """The batch job of that id (None for another kind of job)."""
    job = load_job(session, job_id)
    return job if job is not None and job.kind == BATCH_KIND else None


def latest_batch(session: Session, cycle: Cycle) -> Job | None:
    return latest_job(session, kind=BATCH_KIND, inputs={"cycle_id": cycle.id})


def batch_file_name(cycle: Cycle) -> str:
    return f"{cycle.year}年度荣誉证书（{cycle.title}）.pdf"


# --- what a certificate prints -------------------------------------------------------------------


def award_title_for(award: Award, year: int) -> str:
    """The award's title without its leading year ("2025年度市长质量奖" → "市长质量奖"): the year prints before it."""
    title = award.title.strip()
    return title.removeprefix(f"{year}年度").strip() or title


def printed_title(session: Session, award: Award, settings: CertificateSettings) -> str:
    """The title printed after the year: the award level's certificate title, else the cycle's certificate
    title, else the award's own title."""
    if award.level is not None:
        level = frozen_levels(session, award.cycle).level(award.level)
        if level is not None:
            return level.certificate_title or award_title_for(award, award.cycle.year)
    return settings.award_title or award_title_for(award, award.cycle.year)


def default_authority(cycle: Cycle) -> str:
    """Who issues the certificates when the office wrote no authority: the city's government ("" until named)."""
    return issuers_of(cycle).government_name


def authority_of(cycle: Cycle, settings: CertificateSettings) -> str:
    """The authority printed on the cycle's certificates; a Conflict while nobody can be named."""
    authority = settings.authority or default_authority(cycle)
    if not authority:
        raise Conflict(_("Name the city that issues this cycle's documents first (Documents and printing, "
                         "“Issuing bodies”), or write the issuing authority: a certificate does not print "
                         "“市人民政府”."), code="no_city")
    return authority


def certificate_data(session: Session, award: Award, *, verify_url: VerifyUrl, seal_store: SealStore,
                     settings: CertificateSettings | None = None) -> CertificateData:
    """Everything printed on one award's certificate."""
    cycle = award.cycle
    settings = settings or settings_of(session, cycle)
    seal = seal_store.read(settings.seal_sha256) if settings.seal_sha256 else None
    return CertificateData(
        number=award.certificate_number, organization_name=award.organization_name,
        award_title=printed_title(session, award, settings), year=cycle.year,
        issue_date=settings.issue_date or award.awarded_on, valid_until=award.valid_until,
        authority=authority_of(cycle, settings), verify_url=verify_url(award.certificate_number),
        seal_image=seal, seal_mime=settings.seal_mime if seal else None,
    )


def printable_awards(session: Session, cycle: Cycle) -> list[Award]:
    """The awards of the cycle that are printed in a batch: every one not revoked, in award order."""
    return list(session.scalars(select(Award).where(Award.cycle_id == cycle.id, Award.status == AwardStatus.VALID)
                                .order_by(Award.id)))


def cycle_certificates(session: Session, cycle: Cycle, *, verify_url: VerifyUrl,
                       seal_store: SealStore) -> list[CertificateData]:
    """The certificates of a batch; a Conflict when the cycle has nothing to print."""
    awards = printable_awards(session, cycle)
    if not awards:
        raise Conflict(_("This cycle has no valid award to print."), code="nothing_to_print")
    settings = settings_of(session, cycle)
    return [certificate_data(session, award, verify_url=verify_url, seal_store=seal_store, settings=settings)
            for award in awards]


def single_certificate(session: Session, award: Award, *, verify_url: VerifyUrl,
                       seal_store: SealStore) -> CertificateData:
    """One award's certificate; a revoked award is not printed."""
    if award.status is AwardStatus.REVOKED:
        raise Conflict(_("This award was revoked; its certificate is no longer issued."), code="revoked")
    return certificate_data(session, award, verify_url=verify_url, seal_store=seal_store)


# --- the public check ------------------------------------------------------------------------------


class CheckStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True, kw_only=True)
class CertificateCheck:
    """What the public check page shows for one number, and nothing more."""

    number: str
    organization_name: str
    award_title: str
    awarded_on: dt.date
    valid_until: dt.date
    status: CheckStatus
    revoked_on: dt.date | None


def check_certificate(session: Session, text: str, *, today: dt.date) -> CertificateCheck | None:
    """The check of a typed or scanned number; None when it is malformed or was never issued."""
    number = normalize_certificate_number(text or "")
    if number is None:
        return None
    award = session.scalars(select(Award).where(Award.certificate_number == number)).first()
    if award is None:
        return None
    if award.status is AwardStatus.REVOKED:
        status = CheckStatus.REVOKED
    elif today > award.valid_until:
        status = CheckStatus.EXPIRED
    else:
        status = CheckStatus.VALID
    # the title as the certificate prints it ("2023年度苏州市市长质量奖"), not the award's own ("2023年度市长质量奖")
    cycle = award.cycle
    title = f"{cycle.year}年度{printed_title(session, award, settings_of(session, cycle))}"
    return CertificateCheck(number=number, organization_name=award.organization_name, award_title=title,
                            awarded_on=award.awarded_on, valid_until=award.valid_until, status=status,
                            revoked_on=award.revoked_on if status is CheckStatus.REVOKED else None)


# --- feedback reports ---------------------------------------------------------------------------------


def _latest_snapshot(session: Session, cycle_id: int) -> RankingSnapshot | None:
    return session.scalars(select(RankingSnapshot).where(RankingSnapshot.cycle_id == cycle_id)
                           .order_by(RankingSnapshot.version.desc()).limit(1)).first()


def feedback_entry(session: Session, application: Application) -> tuple[RankingSnapshot, ShortlistEntry] | None:
    """The application's row in its cycle's latest frozen ranking, once the cycle is awarded."""
    if application.cycle.stage not in FEEDBACK_STAGES:
        return None
    snapshot = _latest_snapshot(session, application.cycle_id)
    if snapshot is None:
        return None
    entry = next((e for e in snapshot.entries if e.application_id == application.id), None)
    if entry is None or entry.total is None:
        return None
    return snapshot, entry


def _round_ids(session: Session, snapshot: RankingSnapshot) -> list[int]:
    rounds = (snapshot.settings or {}).get("rounds") or {}
    ids = [int(value) for value in rounds.values() if value is not None]
    if ids:
        return ids
    return list(session.scalars(select(ReviewRound.id).where(ReviewRound.cycle_id == snapshot.cycle_id)))


def _comments(session: Session, application: Application, snapshot: RankingSnapshot) -> list[ExpertComment]:
    """The written strengths and improvement points of the sheets the ranking counted, by category.

    Submitted sheets of active panel seats only, minus experts found conflicted since; the
    expert's identity stays here and never reaches the report.
    """
    rows = session.execute(
        select(Assignment.expert_id, ItemScore.item_id, ItemScore.strength, ItemScore.improvement)
        .select_from(ItemScore)
        .join(ScoreSheet, ScoreSheet.id == ItemScore.sheet_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(Assignment.application_id == application.id, Assignment.round_id.in_(_round_ids(session, snapshot)),
               Assignment.status == AssignmentStatus.ACTIVE, ScoreSheet.status == SheetStatus.SUBMITTED)
        .order_by(ItemScore.id)
    ).all()
    if not rows:
        return []
    conflicted = {expert for _app, expert in conflicts_for_cycle(
        session, application.cycle, application_ids=[application.id], expert_ids={row[0] for row in rows})}
    rubric = cycle_rubric(application.cycle)
    comments = []
    for expert_id, item_id, strength, improvement in rows:
        if expert_id in conflicted or not rubric.has_item(item_id):
            continue
        comments.append(ExpertComment(category_id=rubric.category_of(item_id).id, strengths=[strength or ""],
                                      improvements=[improvement or ""]))
    return comments


def _discussion(session: Session, application: Application, snapshot: RankingSnapshot) -> tuple[DiscussionNote, ...]:
    """The comments of the consensus discussions of the rounds the ranking counted, by letter.

    The rules ask for strengths and improvement points without naming the experts (domain.md);
    they say nothing of the panel's deliberation, so only comments are shown, never the reasons
    given for a disagreement (nor agreements). Comments of a seat no longer active or of an expert
    found conflicted since are left out. Letters are given over the whole thread of a panel, as
    the archive gives them."""
    rubric = cycle_rubric(application.cycle)
    rounds = {r.id: r for r in session.scalars(select(ReviewRound).where(
        ReviewRound.id.in_(_round_ids(session, snapshot))).order_by(ReviewRound.id))}
    notes: list[DiscussionNote] = []
    for review_round in rounds.values():
        thread = list(session.scalars(select(ConsensusRemark).where(
            ConsensusRemark.round_id == review_round.id, ConsensusRemark.application_id == application.id)
            .order_by(ConsensusRemark.created_at, ConsensusRemark.id)))
        if not thread:
            continue
        active = set(session.scalars(select(Assignment.expert_id).where(
            Assignment.round_id == review_round.id, Assignment.application_id == application.id,
            Assignment.status == AssignmentStatus.ACTIVE)))
        conflicted = {expert for _app, expert in conflicts_for_cycle(
            session, application.cycle, application_ids=[application.id], expert_ids=active)}
        labels = anonymous_labels(thread)
        for remark in thread:
            if remark.kind is not RemarkKind.COMMENT or remark.author_id not in active - conflicted:
                continue
            if remark.item_id is None:
                item = "总体意见"
            elif rubric.has_item(remark.item_id):
                item = f"{remark.item_id} {rubric.item(remark.item_id).display_name('zh')}"
            else:
                continue
            notes.append(DiscussionNote(round_kind=review_round.kind.value, author=labels[remark.author_id],
                                        item=item, text=remark.text))
    return tuple(notes)


def feedback_report(session: Session, application: Application, *, today: dt.date) -> FeedbackReport:
    """The applicant's feedback report: category profile, pooled comments, standing against the cut-off."""
    found = feedback_entry(session, application)
    if found is None:
        raise NotFound(_("The feedback report is available once the cycle is awarded, for ranked applications."),
                          code="no_feedback")
    snapshot, entry = found
    cycle = application.cycle
    rubric = cycle_rubric(cycle)
    figures = entry.categories or {}
    categories = [(category.id, category.display_name("zh"), float(category.points), float(figures[category.id]))
                  for category in rubric.categories if figures.get(category.id) is not None]
    assert entry.total is not None
    return FeedbackReport(
        cycle_title=f"{cycle.year}年度 {cycle.title}", year=cycle.year,
        organization_name=application.org_name or application.organization.name,
        total=float(entry.total), cutoff=float(snapshot.cutoff_score), shortlisted=bool(entry.in_shortlist),
        categories=merge_expert_comments(categories, _comments(session, application, snapshot)),
        issued_on=today, issuer=issuers_of(cycle).award_office_name,
        discussion=_discussion(session, application, snapshot),
        **_what_counted(snapshot, entry),
    )


def _what_counted(snapshot: RankingSnapshot, entry: ShortlistEntry) -> dict[str, Any]:
    """What the frozen total was computed from, and the independent sheets beside it (the entry's
    record; nothing for a ranking frozen before rounds stated which record counts)."""
    independent = entry.independent or {}
    ranges = independent.get("ranges") or {}
    total = independent.get("total")
    return {
        "counted": tuple(dict.fromkeys((entry.counted or {}).values())),
        "method": snapshot.method,
        "independent_total": float(total) if total is not None else None,
        "sheet_ranges": tuple((kind, float(low), float(high)) for kind, (low, high) in ranges.items()
                              if low is not None and high is not None),
    }


def feedback_applications(session: Session, cycle: Cycle) -> list[tuple[ShortlistEntry, Application]]:
    """Every application with a feedback report in the cycle, in ranking order (for the office's list)."""
    if cycle.stage not in FEEDBACK_STAGES:
        return []
    snapshot = _latest_snapshot(session, cycle.id)
    if snapshot is None:
        return []
    return [(entry, entry_application) for entry in snapshot.entries if entry.total is not None
            for entry_application in [session.get(Application, entry.application_id)] if entry_application]
