"""The sections of a cycle archive, one small function each, in archive order.

Each section yields (path inside its folder, bytes or an iterable of byte chunks). Records are
JSON (UTF-8, keys sorted); long lists are JSON Lines read from the database in batches; files
(evidence, objection evidence) are streamed from the file store (award.files) in 1 MiB chunks. To archive
something new, add one function here with @archive_section("folder").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from award.applications.evidence import EvidenceStore
from award.applications.models import (
    Application,
    ApplicationSettings,
    ApplicationSubmission,
)
from award.approval.models import Ballot, VoteBody, VoteOutcome, VoteSession
from award.audit.models import AuditRecord
from award.auth.models import Role, User
from award.awards.models import Award, Reassessment
from award.calls.models import CycleCall
from award.certificates import services as certificates
from award.certificates.fonts import FontLookup, MissingFontError, installed_cjk_families
from award.certificates.models import CertificateSettings
from award.certificates.render import render_certificate_pdf, render_feedback_pdf
from award.certificates.seals import SealStore
from award.certificates.services import VerifyUrl
from award.conflicts.models import PinnedConflict
from award.conflicts.rules import email_domain, normalize_phone
from award.conflicts.services import (
    applicant_facts,
    avoid_soft_pairs,
    coi_settings_for,
    conflicts_for_cycle,
    reference_date_for,
)
from award.cycles.models import Cycle
from award.cycles.stages import procedure_of
from award.db import utcnow
from award.documents.models import DocumentKind, DocumentText
from award.documents.official import render_official_pdf
from award.documents.services import official_document
from award.errors import DomainError
from award.i18n import local_zone
from award.notice.masking import mask_id_number
from award.notice.models import Objection, PublicNotice
from award.pool.models import ExpertAvailability, ExpertProfile, GroupLink
from award.ranking.models import RankingSettings, RankingSnapshot
from award.rounds.models import (
    Assignment,
    AssignmentDraw,
    AssignmentStatus,
    PresentationDraw,
    PresentationSlot,
    ReviewRound,
)
from award.scoring.discussion import anonymous_labels
from award.scoring.models import (
    ConsensusConfirmation,
    ConsensusFinalization,
    ConsensusRemark,
    ConsensusScore,
    ScoreSheet,
)
from award.social import services as social
from award.social.models import SocialFinding
from award.visits.models import SiteVisit

CHUNK = 1 << 20
Content = bytes | Iterable[bytes]


@dataclass
class ArchiveContext:
    """What a section reads: the cycle, the file stores, the print settings; notes go to the manifest."""

    session: Session
    cycle: Cycle
    evidence: EvidenceStore | None = None
    objection_evidence: EvidenceStore | None = None
    visit_photos: EvidenceStore | None = None
    seals: SealStore | None = None
    verify_url: VerifyUrl | None = None
    today: dt.date | None = None  # the issue date of the feedback reports, as the app prints them
    zone: ZoneInfo = field(default_factory=local_zone)
    font_lookup: FontLookup = installed_cjk_families
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


Section = Callable[[ArchiveContext], Iterator[tuple[str, Content]]]
_SECTIONS: dict[str, Section] = {}


def archive_section(name: str) -> Callable[[Section], Section]:
    """Register a generator of (path, content) for every archive; `name` is the folder of its paths."""

    def register(section: Section) -> Section:
        if name in _SECTIONS and _SECTIONS[name] is not section:
            raise ValueError(f"archive section {name!r} is registered twice")
        _SECTIONS[name] = section
        return section

    return register


def sections() -> dict[str, Section]:
    """The registered sections in archive order."""
    return dict(_SECTIONS)


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def jsonl_chunks(rows: Iterable[Any]) -> Iterator[bytes]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, sort_keys=True, default=str).encode() + b"\n"


Yield = Iterator[tuple[str, Content]]
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def _when(moment: dt.datetime | dt.date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _row(obj: Any, *names: str) -> dict[str, Any]:
    """The named columns of a model row; enums by value, times in ISO 8601, decimals as strings."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif hasattr(value, "value") and not isinstance(value, int | str):
            value = value.value
        out[name] = value
    return out


def _file_name(identifier: int, display_name: str) -> str:
    """A safe member name: the row id first (unique), then the uploaded name without path characters."""
    return f"{identifier}-{_UNSAFE.sub('_', display_name).strip('._') or 'file'}"


def _stored_file(context: ArchiveContext, store: EvidenceStore | None, sha256: str,
                 label: str) -> Iterator[bytes] | None:
    """The stored file as chunks, checked against the SHA-256 taken at upload; None (with a note) if absent."""
    if store is None:
        context.note(f"{label}: file storage was not given; the file is not in the archive")
        return None
    path = store.path_of(sha256)
    if not path.is_file():
        context.note(f"{label}: the stored file is missing from the file store")
        return None

    def chunks() -> Iterator[bytes]:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                yield chunk
        if digest.hexdigest() != sha256:
            context.note(f"{label}: the stored file differs from the SHA-256 recorded at upload")

    return chunks()


# --------------------------------------------------------------------------- cycle, rubric, people


@archive_section("cycle")
def cycle_settings(context: ArchiveContext) -> Yield:
    session, cycle = context.session, context.cycle
    ranking = session.get(RankingSettings, cycle.id)
    limits = session.get(ApplicationSettings, cycle.id)
    coi = coi_settings_for(session, cycle)
    yield "settings.json", json_bytes({
        "id": cycle.id, "year": cycle.year, "title": cycle.title, "stage": cycle.stage.value,
        "awards_count": cycle.awards_count, "cutoff_score": str(cycle.cutoff_score),
        "experts_per_application": cycle.experts_per_application, "onsite_review": cycle.onsite_review,
        "eligibility": cycle.eligibility, "award_settings": cycle.award_settings,
        "rubric_key": cycle.rubric_key, "rubric_hash": cycle.rubric_hash,
        "procedure": procedure_of(cycle).as_dict(),  # the steps and the frozen weights of the scored rounds
        "created_at": _when(cycle.created_at), "created_by_id": cycle.created_by_id,
        "deadlines": {d.stage.value: d.due_at.isoformat() for d in cycle.deadlines},
        "max_self_assessment_chars": limits.max_self_assessment_chars if limits else None,
        "conflict_windows": asdict(coi),  # the windows and the group depth
        "conflict_avoid_soft_pairs": avoid_soft_pairs(session, cycle),
        "conflict_reference_date": reference_date_for(session, cycle).isoformat(),
        "ranking": None if ranking is None else _row(ranking, "combine_mode", "onsite_weight", "sector_limits",
                                                      "min_sheets_for_leniency"),
    })
    # The rubric exactly as frozen when the cycle was created (its hash is in settings.json).
    yield f"rubric-{cycle.rubric_key}.toml", cycle.rubric_text.encode("utf-8")


@archive_section("texts")
def printed_texts(context: ArchiveContext) -> Yield:
    """The office's texts for the certificates and the official documents (seals by SHA-256; the PDFs show them)."""
    session, cycle = context.session, context.cycle
    certificate = session.get(CertificateSettings, cycle.id)
    documents = session.scalars(select(DocumentText).where(DocumentText.cycle_id == cycle.id)
                                .order_by(DocumentText.kind))
    yield "texts.json", json_bytes({
        "certificates": None if certificate is None else _row(
            certificate, "award_title", "authority", "issue_date", "seal_mime", "seal_sha256", "seal_size",
            "updated_at", "updated_by_id"),
        "documents": [
            _row(d, "kind", "issuing_office", "document_number", "title", "opening", "closing", "issued_on",
                 "seal_mime", "updated_at", "updated_by_id")
            | {"seal_sha256": hashlib.sha256(d.seal_image).hexdigest() if d.seal_image else None}
            for d in documents],
        "call": _call_row(session.scalar(select(CycleCall).where(CycleCall.cycle_id == cycle.id))),
    })


def _call_row(call: CycleCall | None) -> dict[str, Any] | None:
    """The public call as published (its files by name and SHA-256: the call page serves them)."""
    if call is None:
        return None
    return _row(call, "title", "body", "guidelines", "contact", "published_at", "published_by_id", "updated_at",
                "updated_by_id") | {"attachments": [
                    _row(a, "display_name", "content_type", "size_bytes", "sha256", "uploaded_at", "uploaded_by_id")
                    for a in call.attachments]}


@archive_section("people")
def people(context: ArchiveContext) -> Yield:
    """Who the user ids in the other files are: staff, and the applicants' accounts (no e-mail, no password)."""
    applicants = select(Application.organization_id).where(Application.cycle_id == context.cycle.id)
    users = context.session.scalars(
        select(User).where(or_(User.role != Role.ENTERPRISE, User.organization_id.in_(applicants))).order_by(User.id))
    yield "users.json", json_bytes([
        {"id": user.id, "role": user.role.value, "full_name": user.full_name,
         "organization": user.organization.name if user.organization else None,
         "credit_code": user.organization.credit_code if user.organization else None}
        for user in users
    ])


# --------------------------------------------------------------------------- applications and evidence


def _applications(context: ArchiveContext) -> list[Application]:
    return list(context.session.scalars(
        select(Application).where(Application.cycle_id == context.cycle.id).order_by(Application.id)
        .options(selectinload(Application.files), selectinload(Application.events),
                 selectinload(Application.screening))))


@archive_section("applications")
def applications(context: ArchiveContext) -> Yield:
    rows = _applications(context)
    yield "index.json", json_bytes([
        {"id": a.id, "organization": a.org_name, "credit_code": a.organization.credit_code,
         "status": a.status.value, "files": len(a.files)} for a in rows])
    submissions: dict[int, list[ApplicationSubmission]] = {}
    for submission in context.session.scalars(
            select(ApplicationSubmission).join(Application, Application.id == ApplicationSubmission.application_id)
            .where(Application.cycle_id == context.cycle.id)
            .order_by(ApplicationSubmission.application_id, ApplicationSubmission.number)):
        submissions.setdefault(submission.application_id, []).append(submission)
    for application in rows:
        folder = f"{application.id}"
        for submission in submissions.get(application.id, []):  # each as sent: the receipts' source
            yield f"{folder}/submissions/{submission.number}.json", json_bytes(
                _row(submission, "number", "submitted_at", "submitted_by_id", "content_sha256")
                | {"content": submission.content})
        yield f"{folder}/application.json", json_bytes({
            **_row(application, "id", "cycle_id", "organization_id", "status", "org_name", "address", "district",
                   "sector", "employees", "revenue", "founded_on", "qms_certified_on", "last_major_accident_on",
                   "accident_note", "last_penalty_on", "penalty_note", "declaration_confirmed", "created_at",
                   "updated_at", "submitted_at", "screened_at"),
            "credit_code": application.organization.credit_code,
            "status_history": [_row(e, "from_status", "to_status", "reason", "actor_id", "occurred_at")
                               for e in application.events],
            "screening": [_row(s, "rule", "automatic", "fact", "decision", "reason", "decided_by_id", "decided_at")
                          for s in application.screening],
            "evidence_files": [_row(f, "id", "display_name", "content_type", "size_bytes", "sha256", "uploaded_at",
                                    "uploaded_by_id") | {"archived_as": f"evidence/{_file_name(f.id, f.display_name)}"}
                               for f in application.files],
        })
        yield f"{folder}/self-assessment.json", json_bytes(application.self_assessment or {})
        for evidence in application.files:
            chunks = _stored_file(context, context.evidence, evidence.sha256,
                                  f"applications/{folder}/evidence/{evidence.id}")
            if chunks is not None:
                yield f"{folder}/evidence/{_file_name(evidence.id, evidence.display_name)}", chunks


# --------------------------------------------------------------------------- review


def _rounds(context: ArchiveContext) -> list[ReviewRound]:
    return list(context.session.scalars(
        select(ReviewRound).where(ReviewRound.cycle_id == context.cycle.id).order_by(ReviewRound.id)))


@archive_section("assignment")
def assignment(context: ArchiveContext) -> Yield:
    """Rounds, panels (who sat on which, team leaders, removals with reasons) and every draw with its seed."""
    rounds = _rounds(context)
    round_ids = [r.id for r in rounds]
    yield "rounds.json", json_bytes([
        _row(r, "id", "kind", "status", "method", "counts", "deadline", "experts_per_application", "required_sheets",
             "range_threshold_pct", "std_threshold_pct", "opened_at", "closed_at", "rubric_key", "rubric_hash")
        for r in rounds])
    for r in rounds:  # a round scored on its own form (the presentation round): the form as frozen in it
        if r.rubric_text is not None:
            yield f"round-{r.id}-rubric.toml", r.rubric_text.encode("utf-8")
    seats = context.session.scalars(select(Assignment).where(Assignment.round_id.in_(round_ids))
                                    .order_by(Assignment.round_id, Assignment.application_id, Assignment.id))
    yield "panels.json", json_bytes([
        _row(a, "id", "round_id", "application_id", "expert_id", "is_leader", "status", "source", "draw_id",
             "status_reason", "created_at", "pledge_signed_at") for a in seats])
    availability = context.session.scalars(select(ExpertAvailability).where(
        ExpertAvailability.cycle_id == context.cycle.id).order_by(ExpertAvailability.expert_id))
    yield "availability.json", json_bytes([
        {"expert_profile_id": a.expert_id, "available": a.available, "max_load": a.max_load} for a in availability])
    draws = context.session.scalars(select(AssignmentDraw).where(AssignmentDraw.round_id.in_(round_ids))
                                    .order_by(AssignmentDraw.id))
    for draw in draws:
        # The solver's input and output with the seed: anyone can replay it (`flask assign solve`).
        yield f"draws/draw-{draw.id}.json", json_bytes(_row(
            draw, "id", "round_id", "mode", "seed", "max_pair_probability", "input_hash", "instance", "result",
            "created_by_id", "created_at"))
    # The presentation round (陈述答辩): each lot with its seed and input (replayable), the schedule and attendance.
    lots = list(context.session.scalars(select(PresentationDraw).where(PresentationDraw.round_id.in_(round_ids))
                                        .order_by(PresentationDraw.id)))
    for lot in lots:
        yield f"draws/presentation-{lot.id}.json", json_bytes(_row(
            lot, "id", "round_id", "seed", "input_hash", "instance", "order", "created_by_id", "created_at"))
    if lots:
        slots = context.session.scalars(select(PresentationSlot).where(PresentationSlot.round_id.in_(round_ids))
                                        .order_by(PresentationSlot.round_id, PresentationSlot.position))
        yield "presentation.json", json_bytes([
            _row(slot, "id", "round_id", "draw_id", "application_id", "position", "starts_at", "minutes", "room",
                 "attendance", "attendance_note", "recorded_at", "recorded_by_id") for slot in slots])


@archive_section("conflicts")
def conflicts(context: ArchiveContext) -> Yield:
    """Detected and pinned conflicts per (application, expert), and the experts' own declarations."""
    session, cycle = context.session, context.cycle
    found = conflicts_for_cycle(session, cycle, include_soft=True)
    yield "conflicts.json", json_bytes([
        {"application_id": application_id, "expert_id": expert_id,
         "conflicts": [{"type": c.type.value, "severity": c.severity.value, "source": c.source.value,
                        "party_credit_code": c.party_credit_code,
                        "reason": c.reason, "evidence": list(c.evidence)} for c in items]}
        for (application_id, expert_id), items in sorted(found.items())
    ])
    own = select(Application.id).where(Application.cycle_id == cycle.id)
    pinned = session.scalars(select(PinnedConflict).where(PinnedConflict.application_id.in_(own))
                             .order_by(PinnedConflict.id))
    yield "pinned.json", json_bytes([
        _row(p, "id", "application_id", "expert_id", "type", "reason", "created_by_id", "created_at")
        for p in pinned])
    # The experts' declared facts as they stand at archiving, which the detection above read.
    profiles = session.scalars(select(ExpertProfile).options(selectinload(ExpertProfile.relations))
                               .order_by(ExpertProfile.id))
    # Only the e-mail's domain and the phone's digits: what the detection compares (never a whole e-mail
    # address in the archive).
    yield "experts.json", json_bytes([
        _row(p, "id", "user_id", "title", "organization_code", "organization_name", "sectors", "in_pool", "address",
             "updated_at")
        | {"email_domain": email_domain(p.user.email), "phone": normalize_phone(p.user.phone),
           "relations": [_row(r, "kind", "party_code", "party_name", "starts_on", "ends_on", "note")
                         for r in p.relations]}
        for p in profiles])
    # The applicants as the detection saw them (shared hosts and switchboards already left out).
    applications = session.scalars(select(Application).where(Application.cycle_id == cycle.id)
                                   .order_by(Application.id)).all()
    yield "applicants.json", json_bytes([
        {"application_id": facts.application_id, "credit_code": facts.credit_code,
         "email_domains": sorted(facts.email_domains), "addresses": sorted(facts.addresses),
         "phones": sorted(facts.phones)}
        for facts in applicant_facts(session, applications)])
    links = session.scalars(select(GroupLink).order_by(GroupLink.parent_code, GroupLink.child_code))
    yield "group-links.json", json_bytes([_row(g, "parent_code", "child_code", "source") for g in links])
    rounds = [r.id for r in _rounds(context)]
    seats = session.scalars(select(Assignment).where(Assignment.round_id.in_(rounds)).order_by(Assignment.id))
    yield "declarations.json", json_bytes([
        {"assignment_id": a.id, "round_id": a.round_id, "application_id": a.application_id,
         "expert_id": a.expert_id, "pledge_signed_at": _when(a.pledge_signed_at),
         "conflict_declared": a.status is AssignmentStatus.CONFLICT_DECLARED,
         "removed": a.status is AssignmentStatus.REMOVED, "reason": a.status_reason}
        for a in seats])


@archive_section("sheets")
def score_sheets(context: ArchiveContext) -> Yield:
    """Every score sheet with its items and comments (one per line), and the consensus with confirmations,
    each panel's discussion and the team leader's finalization."""
    session = context.session
    rounds = [r.id for r in _rounds(context)]
    sheets = (select(ScoreSheet).join(Assignment).where(Assignment.round_id.in_(rounds))
              .order_by(Assignment.round_id, Assignment.application_id, ScoreSheet.id)
              .options(joinedload(ScoreSheet.assignment), selectinload(ScoreSheet.items))
              .execution_options(yield_per=200))

    def lines() -> Iterator[dict[str, Any]]:
        for sheet in session.scalars(sheets):
            yield {
                **_row(sheet, "id", "assignment_id", "status", "version", "total", "submitted_at", "updated_at"),
                "round_id": sheet.assignment.round_id, "application_id": sheet.assignment.application_id,
                "expert_id": sheet.assignment.expert_id,
                "items": [_row(i, "item_id", "band_id", "percent", "points", "strength", "improvement",
                               "justification") for i in sheet.items],
            }

    yield "sheets.jsonl", jsonl_chunks(lines())
    scores = session.scalars(select(ConsensusScore).where(ConsensusScore.round_id.in_(rounds))
                             .order_by(ConsensusScore.round_id, ConsensusScore.application_id, ConsensusScore.id))
    confirmations = session.scalars(select(ConsensusConfirmation).where(ConsensusConfirmation.round_id.in_(rounds))
                                    .order_by(ConsensusConfirmation.id))
    remarks = list(session.scalars(select(ConsensusRemark).where(ConsensusRemark.round_id.in_(rounds))
                                   .order_by(ConsensusRemark.round_id, ConsensusRemark.application_id,
                                             ConsensusRemark.created_at, ConsensusRemark.id)))
    finalizations = session.scalars(select(ConsensusFinalization).where(ConsensusFinalization.round_id.in_(rounds))
                                    .order_by(ConsensusFinalization.id))
    yield "consensus.json", json_bytes({
        "scores": [_row(s, "round_id", "application_id", "item_id", "percent", "points", "reason", "proposed_by_id",
                        "proposed_at") for s in scores],
        "confirmations": [_row(c, "round_id", "application_id", "expert_id", "confirmed_at") for c in confirmations],
        "discussion": _discussion_rows(remarks),
        "finalizations": [_row(f, "round_id", "application_id", "finalized_by_id", "finalized_at",
                               "open_disagreements", "note") for f in finalizations],
    })


def _discussion_rows(remarks: list[ConsensusRemark]) -> list[dict[str, Any]]:
    """Each panel's thread, its authors by id (as the sheets are) and by the letter that the
    feedback report gives them (专家 A, B, C…, per panel), never by name."""
    panels: dict[tuple[int, int], list[ConsensusRemark]] = {}
    for remark in remarks:
        panels.setdefault((remark.round_id, remark.application_id), []).append(remark)
    rows: list[dict[str, Any]] = []
    for thread in panels.values():
        labels = anonymous_labels(thread)
        rows.extend({**_row(r, "round_id", "application_id", "author_id", "item_id", "kind", "text", "created_at"),
                     "author": labels[r.author_id]} for r in thread)
    return rows


@archive_section("visits")
def onsite_visits(context: ArchiveContext) -> Yield:
    """The on-site visits: date, itinerary, the checklist per rubric item with its notes, and the photos taken
    as evidence (streamed from the intranet store, checked against their SHA-256)."""
    rounds = [r.id for r in _rounds(context)]
    visits = list(context.session.scalars(select(SiteVisit).where(SiteVisit.round_id.in_(rounds))
                                          .order_by(SiteVisit.id)
                                          .options(selectinload(SiteVisit.checks), selectinload(SiteVisit.photos))))
    if not visits:
        return
    yield "visits.json", json_bytes([
        _row(v, "id", "round_id", "application_id", "visit_on", "itinerary", "created_by_id", "created_at",
             "updated_at")
        | {"checks": [_row(c, "item_id", "status", "note", "updated_by_id", "updated_at") for c in v.checks],
           "photos": [_row(p, "id", "item_id", "display_name", "content_type", "size_bytes", "sha256",
                           "location_stripped", "uploaded_by_id", "uploaded_at")
                      | {"archived_as": f"photos/{_file_name(p.id, p.display_name)}"} for p in v.photos]}
        for v in visits])
    for visit in visits:
        for photo in visit.photos:
            chunks = _stored_file(context, context.visit_photos, photo.sha256,
                                  f"visits/photos/{photo.id}")
            if chunks is not None:
                yield f"photos/{_file_name(photo.id, photo.display_name)}", chunks


# --------------------------------------------------------------------------- decision stages


@archive_section("ranking")
def ranking(context: ArchiveContext) -> Yield:
    """Every frozen ranking (snapshot) with all its figures, exclusions, flags and robustness."""
    snapshots = context.session.scalars(select(RankingSnapshot).where(RankingSnapshot.cycle_id == context.cycle.id)
                                        .order_by(RankingSnapshot.version))
    for snapshot in snapshots:
        yield f"snapshot-v{snapshot.version}.json", json_bytes({
            **_row(snapshot, "id", "version", "method", "combine_mode", "onsite_weight", "cutoff_score",
                   "awards_count", "settings", "content_hash", "frozen_at", "frozen_by_id"),
            "entries": [_row(e, "position", "rank", "application_id", "organization_name", "sector", "status",
                             "sheet_count", "total", "categories", "method_totals", "items", "mean_z", "decided_by",
                             "in_shortlist", "reason", "exclusions", "flags", "robustness", "flipped_by", "counted",
                             "independent", "level")
                        for e in snapshot.entries],
        })


@archive_section("social")
def social_evaluation(context: ArchiveContext) -> Yield:
    """The social evaluation: each candidate's finding (a veto visible with its reason and evidence), the list
    records that matched a candidate, the public comment window and its comments (the phone number masked)."""
    session, cycle = context.session, context.cycle
    findings = session.scalars(select(SocialFinding).where(SocialFinding.cycle_id == cycle.id)
                               .order_by(SocialFinding.application_id))
    yield "findings.json", json_bytes([
        _row(f, "application_id", "level", "reason", "evidence", "decided_by_id", "decided_at")
        | {"vetoed": f.level.value == "veto"} for f in findings])
    found = social.matches(session, social.candidates(session, cycle))
    yield "matches.json", json_bytes([
        {"application_id": application_id,
         "records": [_row(r, "id", "kind", "credit_code", "source", "listed_on", "imported_at") for r in rows]}
        for application_id, rows in sorted(found.items())])
    window = social.window_of(session, cycle)
    yield "comments.json", json_bytes({
        "window": None if window is None else _row(window, "opens_at", "closes_at", "opened_by_id"),
        "comments": [_row(c, "id", "application_id", "name", "text", "submitted_at")
                     | {"phone": c.phone[:3] + "****" + c.phone[-4:] if len(c.phone) >= 7 else "****"}
                     for c in social.comments_of(session, cycle)],
    })


@archive_section("vote")
def vote(context: ArchiveContext) -> Yield:
    """The votes: members, candidates, the rule, outcomes, and the ballots (once closed). The leading group's
    under its names of before; the review committee's, when the procedure has one, under `committee/`."""
    for body, prefix in ((VoteBody.LEADING_GROUP, ""), (VoteBody.COMMITTEE, "committee/")):
        found = context.session.scalar(select(VoteSession).where(VoteSession.cycle_id == context.cycle.id,
                                                                 VoteSession.body == body))
        if found is not None:
            for name, content in _vote_files(context, found):
                yield prefix + name, content


def _vote_files(context: ArchiveContext, found: VoteSession) -> Yield:
    session = context.session
    yield "session.json", json_bytes({
        **_row(found, "id", "snapshot_id", "opened_at", "opened_by_id", "closes_at", "closed_at", "closed_by_id",
               "blinded", "rule"),
        "members": [m.leader_id for m in found.members],
        "candidates": [_row(c, "application_id", "entry_id", "position", "code") for c in found.candidates],
    })
    outcomes = session.scalars(select(VoteOutcome).where(VoteOutcome.session_id == found.id)
                               .order_by(VoteOutcome.application_id))
    yield "outcomes.json", json_bytes([
        _row(o, "application_id", "members", "approve", "reject", "abstain", "quorum_met", "passed")
        for o in outcomes])
    if found.closed_at is None:
        context.note("vote: the vote is not closed; the ballots stay secret and are not archived")
        return
    ballots = session.scalars(select(Ballot).where(Ballot.session_id == found.id)
                              .order_by(Ballot.application_id, Ballot.leader_id))
    yield "ballots.json", json_bytes([
        _row(b, "application_id", "leader_id", "choice", "comment", "cast_at") for b in ballots])


@archive_section("notice")
def notice(context: ArchiveContext) -> Yield:
    """The public notice with its candidates and withdrawals, every objection with its outcome and evidence."""
    session = context.session
    found = session.scalar(select(PublicNotice).where(PublicNotice.cycle_id == context.cycle.id))
    if found is None:
        return
    yield "notice.json", json_bytes({
        **_row(found, "id", "published_at", "published_by_id", "period_kind", "period_length", "ends_at",
               "award_title", "benefits", "contact", "confirmed_at", "confirmed_by_id"),
        "candidates": [_row(c, "position", "application_id", "organization_name", "credit_code", "withdrawn_at",
                            "withdrawn_reason") for c in found.candidates],
    })
    objections = list(session.scalars(select(Objection).where(Objection.notice_id == found.id)
                                      .order_by(Objection.submitted_at, Objection.id)))
    # The ID card number is masked (notice.masking): the archive is read by others than the office.
    yield "objections.json", json_bytes([
        _row(o, "id", "reference", "candidate_id", "name", "organization", "phone", "text", "display_name",
             "content_type", "size_bytes", "sha256", "submitted_at", "outcome", "outcome_reason", "answer",
             "decided_by_id", "decided_at")
        | {"id_number": mask_id_number(o.id_number), "answer_emailed": bool(o.email),
           "application_id": o.candidate.application_id,
           "archived_as": f"objections/{_file_name(o.id, o.display_name)}"}
        for o in objections])
    for objection in objections:
        chunks = _stored_file(context, context.objection_evidence, objection.sha256,
                              f"notice/objections/{objection.id}")
        if chunks is not None:
            yield f"objections/{_file_name(objection.id, objection.display_name)}", chunks


@archive_section("awards")
def awards(context: ArchiveContext) -> Yield:
    """The awards with certificate numbers and validity; in a re-assessment cycle, each holder's outcome
    (renewed or lapsed, with the reason); each valid award's certificate and each feedback report.

    The PDFs come from the certificates area's own builders and renderers, as the office downloads them.
    """
    session, cycle = context.session, context.cycle
    rows = list(session.scalars(select(Award).where(Award.cycle_id == cycle.id).order_by(Award.id)))
    yield "awards.json", json_bytes([
        _row(a, "id", "application_id", "organization_id", "organization_name", "title", "awarded_on", "valid_until",
             "status", "revoked_on", "revoke_reason", "revoked_by_id", "ban_until", "certificate_number",
             "level", "created_at") for a in rows])
    reassessed = list(session.scalars(select(Reassessment).where(Reassessment.cycle_id == cycle.id)
                                      .order_by(Reassessment.id)))
    if reassessed:
        yield "reassessments.json", json_bytes([
            _row(r, "id", "award_id", "application_id", "previous_valid_until", "outcome", "reason", "renewed_until",
                 "decided_at", "decided_by_id") for r in reassessed])
    if context.verify_url is None or context.seals is None:
        context.note("awards: certificate settings were not given; certificates and feedback reports are not in "
                     "the archive as PDF")
        return
    try:
        settings = certificates.settings_of(session, cycle)
        for award in certificates.printable_awards(session, cycle):
            data = certificates.certificate_data(session, award, verify_url=context.verify_url,
                                                 seal_store=context.seals, settings=settings)
            yield f"certificates/{award.certificate_number}.pdf", render_certificate_pdf(
                data, font_lookup=context.font_lookup)
        today = context.today or utcnow().date()
        for entry, application in certificates.feedback_applications(session, cycle):
            report = certificates.feedback_report(session, application, today=today)
            yield f"feedback/{entry.application_id}.pdf", render_feedback_pdf(report, font_lookup=context.font_lookup)
    except MissingFontError as missing:
        # The records matter more than their printouts: archive without PDFs, and say so in the manifest.
        context.note(f"awards: certificates and feedback reports are not in the archive as PDF: {missing}")
    except DomainError as refused:  # e.g. the issuing city not named: no certificate says 市人民政府
        context.note(f"awards: certificates and feedback reports are not in the archive as PDF: {refused.message}")


@archive_section("documents")
def official_documents(context: ArchiveContext) -> Yield:
    """The official documents as the office prints them: the public notice list and the award decision list."""
    for kind in DocumentKind:
        try:
            document = official_document(context.session, context.cycle, kind, zone=context.zone)
            data = render_official_pdf(document, font_lookup=context.font_lookup)
        except MissingFontError as missing:
            context.note(f"documents: the official documents are not in the archive as PDF: {missing}")
            return
        except DomainError as error:  # e.g. a cycle awarded before notices were published in the app
            context.note(f"documents/{kind.value}.pdf: not made: {error.message}")
            continue
        yield f"{kind.value}.pdf", data


# --------------------------------------------------------------------------- audit trail


def _audit_row(row: AuditRecord) -> dict[str, Any]:
    return {
        "seq": row.seq, "occurred_at": row.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id, "actor_role": row.actor_role, "action": row.action,
        "target_type": row.target_type, "target_id": row.target_id, "cycle_id": row.cycle_id,
        "before": row.before, "after": row.after, "prev_hash": row.prev_hash, "hash": row.hash,
    }


@archive_section("audit")
def audit_trail(context: ArchiveContext) -> Yield:
    # The whole chain, so its links can be checked offline; the cycle's own records beside it.
    ordered = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    yield "chain.jsonl", jsonl_chunks(_audit_row(r) for r in context.session.scalars(ordered))
    own = ordered.where(AuditRecord.cycle_id == context.cycle.id)
    yield "cycle-records.jsonl", jsonl_chunks(_audit_row(r) for r in context.session.scalars(own))
