"""The service is the guard: every service that acts for someone refuses the wrong role, the wrong
stage and a conflicted expert by itself, whoever calls it (a page, a command, a script).

One row per public function of award/ that takes a keyword-only `actor` (routes, commands and the
demo seed aside): who may call it, and, where they apply, its stage and conflict cases. Each row is
tried with every person of the world it does not let through; each refusal must leave nothing
written (no statement, nothing pending in the session, no audit record). The people it lets through
are tried too, so that a refusal is known to come from the guard and not from a broken world.
`actor=None` is the system (the CLI, the demo seed): a row lets it through where the signature allows it.
A new service with an `actor` fails test_every_service_with_an_actor_has_a_row until it has a row.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from award import PROJECT_ROOT
from award.applications import services as applications
from award.applications.blacklist import import_blacklist
from award.applications.evidence import EvidenceStore
from award.applications.models import ApplicationStatus, RuleOutcome
from award.approval import services as approval
from award.approval.models import Choice
from award.archive.builder import build_archive, queue_archive
from award.audit.models import AuditRecord
from award.auth import accounts
from award.auth import services as auth
from award.auth.models import Role, User
from award.awards import after, reassessment
from award.awards import services as awards
from award.awards.models import ReassessmentOutcome
from award.calls import services as calls
from award.certificates import services as certificates
from award.certificates.seals import SealStore
from award.conflicts import services as conflicts
from award.conflicts.rules import ConflictType
from award.cycles import services as cycles
from award.cycles.models import Stage
from award.cycles.procedure import build as build_procedure
from award.cycles.settings import AwardLevel, AwardLevels, EligibilitySettings, IssuerSettings
from award.db import utcnow
from award.documents import services as documents
from award.documents.models import DocumentKind
from award.errors import Conflict, DomainError, NotAllowed
from award.jobs import services as jobs
from award.jobs.models import Job, JobState
from award.notice import services as notice
from award.notice.models import ObjectionOutcome
from award.notice.periods import load_calendar
from award.notifications import services as notifications
from award.notifications.kinds import kinds_for
from award.notifications.models import Notification
from award.outreach import services as outreach
from award.pool import io as pool_io
from award.pool import services as pool
from award.pool.kinds import RelationKind
from award.ranking import services as ranking
from award.ranking.models import CombineMode
from award.rounds import panels, presentation
from award.rounds import services as rounds
from award.rounds.models import (
    AggregationMethod,
    AssignmentSource,
    AssignmentStatus,
    Attendance,
    RoundKind,
    RoundStatus,
)
from award.scoring import discussion
from award.scoring import services as scoring
from award.scoring.models import RemarkKind
from award.social import services as social
from award.social.models import FindingLevel, ListKind
from award.visits import services as visits
from award.visits.models import CheckStatus
from award.visits.report import visit_report
from tests.approval.world import pdf_bytes
from tests.certificates.world import png_seal
from tests.conftest import ModuleWorld, fresh_credit_code, module_world
from tests.guards_world import PERSONAS, build_guards_world, pdf_free_photo
from tests.rounds.factories import full_entries

ZONE = ZoneInfo("Asia/Shanghai")
SYSTEM = "system"  # actor=None: the CLI and the demo seed


class Ctx:
    """One test's view of the world: its session, its objects by name (`c.application`), its folder."""

    def __init__(self, session: Session, world: ModuleWorld) -> None:
        self.s, self.world, self.root = session, world, world.files_root

    def __getattr__(self, name: str) -> Any:
        model, object_id = self.world.objects[name]
        return self.s.get(model, object_id)

    def actor(self, persona: str) -> User | None:
        return None if persona == SYSTEM else getattr(self, persona)


Setup = Callable[[Ctx], object]


def failed_job(c: Ctx) -> Job:
    """A certificate batch of the awarded cycle that failed: the office may queue it again."""
    inputs = {"cycle_id": c.awarded_cycle.id}
    job = Job(kind="certificates.batch", inputs=inputs, inputs_hash=jobs.inputs_hash("certificates.batch", inputs),
              state=JobState.FAILED, error_code="failed", error_detail="RuntimeError: x", done=0, total=1,
              attempts=1, max_attempts=3)
    c.s.add(job)
    c.s.flush()
    c.__dict__["failed_job"] = job
    return job


@dataclass(frozen=True)
class Case:
    """A refusal besides the role: set the world up so, then the call must raise `error` (with `code`);
    a stage is a state of things, so its refusal is a `Conflict`."""

    setup: Setup
    error: type[DomainError] = Conflict
    code: str | None = None
    actor: str | None = None  # None: the row's first allowed person


@dataclass(frozen=True)
class Guard:
    service: Callable[..., Any]
    call: Callable[[Ctx, User | None], object]
    allowed: tuple[str, ...]  # the people who get past the guard; the first one tries the stage and conflict cases
    also_refused: tuple[str, ...] = ()  # people of the world besides PERSONAS who must be refused
    prepare: Setup | None = None  # brings the world to where the allowed people may act
    stage: Case | None = None
    conflict: Case | None = None
    passes: str | None = None  # the allowed call succeeds, or stops at this later rule (its code)

    @property
    def name(self) -> str:
        return service_name(self.service.__module__, self.service.__name__)

    def refused(self) -> list[str]:
        return [p for p in PERSONAS if p not in self.allowed] + list(self.also_refused)


def service_name(module: str, function: str) -> str:
    return f"{module.removeprefix('award.').removesuffix('.services')}.{function}"


# ------------------------------------------------------------------------------ set-up helpers

def at_stage(cycle: str, stage: Stage) -> Setup:
    return lambda c: setattr(getattr(c, cycle), "stage", stage)


def round_status(name: str, status: RoundStatus) -> Setup:
    return lambda c: setattr(getattr(c, name), "status", status)


def pinned(expert: str, application: str) -> Setup:
    """A conflict recorded after the world was built (as the office does once it comes to light)."""
    return lambda c: conflicts.pin_conflict(c.s, actor=None, application=getattr(c, application),
                                            expert=getattr(c, expert), conflict_type=ConflictType.OTHER,
                                            reason="评审期间发现其配偶在该企业任职")


def both(*setups: Setup) -> Setup:
    def run(c: Ctx) -> None:
        for setup in setups:
            setup(c)
    return run


def not_open(cycle: str) -> Case:
    """The application window is shut: the cycle has moved on to screening."""
    return Case(at_stage(cycle, Stage.SCREENING), code="not_open")


def round_closed(code: str, name: str = "review_round") -> Case:
    return Case(round_status(name, RoundStatus.CLOSED), code=code)


def csv_file(*rows: tuple[str, ...]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode()


def profile_of(application: Any) -> applications.Profile:
    return applications.Profile(**{name: getattr(application, name) for name in applications.PROFILE_FIELDS})


def passing_decisions(c: Ctx) -> dict[str, applications.Decision]:
    findings = applications.automatic_findings(c.s, c.application, zone=ZONE)
    return {f.rule: applications.Decision(RuleOutcome.PASS, reason="已核实") for f in findings}


def cycle_settings(title: str) -> cycles.CycleSettings:
    return cycles.CycleSettings(year=utcnow().year, title=title, awards_count=3, cutoff_score=Decimal("600"),
                                experts_per_application=5, onsite_review=False,
                                deadlines={Stage.APPLICATION: utcnow() + dt.timedelta(days=30)},
                                eligibility=EligibilitySettings())


def round_settings() -> rounds.RoundSettings:
    return rounds.RoundSettings(method=AggregationMethod.TRIMMED_MEAN, deadline=None, experts_per_application=5,
                                required_sheets=5)


def sheet_version(c: Ctx) -> int:
    return scoring.sheet_of(c.seat).version


def proposals(c: Ctx) -> dict[str, scoring.ConsensusEntry]:
    return {e.item_id: scoring.ConsensusEntry(percent=50) for e in full_entries(c.review_cycle)}


def voted_and_closed(c: Ctx) -> None:
    for candidate in c.vote.candidates:
        approval.cast_ballot(c.s, actor=c.leader, vote=c.vote, application_id=candidate.application_id,
                             choice=Choice.APPROVE)
    approval.close_vote(c.s, actor=None, vote=c.vote)


def vacated(c: Ctx) -> None:
    panels.vacate_seat(c.s, c.unpledged, status=AssignmentStatus.REMOVED, reason="身体原因")


def drawn_and_in_review(c: Ctx) -> None:
    panels.run_assignment(c.s, actor=None, review_round=c.setup_round, mode=AssignmentSource.OPTIMAL)
    c.setup_cycle.stage = Stage.DOCUMENT_REVIEW


def evidence_store(c: Ctx) -> EvidenceStore:
    return EvidenceStore(c.root / "evidence")


CALL_TEXT = calls.CallText(title="关于开展市长质量奖申报工作的通知", body="各有关单位：\n\n现将申报工作通知如下。")


def call_store(c: Ctx) -> EvidenceStore:
    return EvidenceStore(c.root / "calls")


def call_of(c: Ctx) -> Any:
    return calls.call_of(c.s, c.apply_cycle)


def drafted_call(c: Ctx) -> None:
    calls.save_call(c.s, actor=None, cycle=c.apply_cycle, text=CALL_TEXT)


def published_call(c: Ctx) -> None:
    calls.publish_call(c.s, actor=None, call=calls.save_call(c.s, actor=None, cycle=c.apply_cycle, text=CALL_TEXT))


def attached_call(c: Ctx) -> None:
    call = calls.save_call(c.s, actor=None, cycle=c.apply_cycle, text=CALL_TEXT)
    calls.add_call_attachment(c.s, actor=None, call=call, data=pdf_bytes(), filename="模板.pdf", store=call_store(c),
                              limits=calls.CallLimits())


FULL_STEPS = ["screening", "document_review", "presentation", "onsite_review", "social_evaluation", "committee",
              "leading_group", "notice", "award"]
FULL_WEIGHTS = {"document_review": "0.5", "presentation": "0.2", "onsite_review": "0.3"}


def presentation_round(c: Ctx) -> Any:
    """The setup cycle's presentation round, its procedure made to have one (created on first use)."""
    found = rounds.round_of(c.s, c.setup_cycle, RoundKind.PRESENTATION)
    if found is None:
        c.setup_cycle.procedure = build_procedure(FULL_STEPS, FULL_WEIGHTS).as_dict()
        found = rounds.create_round(c.s, actor=None, cycle=c.setup_cycle, kind=RoundKind.PRESENTATION)
    return found


def presentation_drawn(c: Ctx) -> None:
    c.setup_cycle.stage = Stage.DOCUMENT_REVIEW
    presentation.draw_presentation_order(c.s, actor=None, review_round=presentation_round(c),
                                         starts_at=utcnow() + dt.timedelta(days=3), minutes=30, rooms=["第一会议室"],
                                         seed=7)
    c.setup_cycle.stage = Stage.PRESENTATION


def draw_of(c: Ctx) -> Any:
    return presentation.draws_of(c.s, presentation_round(c))[0]


def first_slot(c: Ctx) -> Any:
    return presentation.slots_of(c.s, presentation_round(c))[0]


LIMITS = applications.EvidenceLimits(max_file_bytes=10 * 1024 * 1024, max_total_bytes=50 * 1024 * 1024)
OFFICE = ("office", SYSTEM)
VISIT_TEAM = ("visit_expert", SYSTEM)
ENTERPRISE = ("enterprise", SYSTEM)
EVERYONE = PERSONAS

# ----------------------------------------------------------------------------------- the table

GUARDS: list[Guard] = [
    # applications: the applying enterprise, while the cycle takes applications; the office screens.
    Guard(import_blacklist, lambda c, a: import_blacklist(
        c.s, actor=a, data=csv_file(("统一社会信用代码", "来源", "列入日期"),
                                    (fresh_credit_code(), "苏州市市场监督管理局", "2025-03-01")),
        filename="list.csv"), OFFICE),
    Guard(applications.set_max_self_assessment_chars, lambda c, a: applications.set_max_self_assessment_chars(
        c.s, actor=a, cycle=c.apply_cycle, value=20_000), OFFICE,
        stage=Case(at_stage("apply_cycle", Stage.SCREENING), code="settings_locked")),
    Guard(applications.start_application, lambda c, a: applications.start_application(
        c.s, actor=a, cycle=c.open_cycle), ("enterprise", "stranger"), stage=not_open("open_cycle")),
    Guard(applications.save_draft, lambda c, a: applications.save_draft(
        c.s, actor=a, application=c.application, profile=profile_of(c.application),
        self_assessment=c.application.self_assessment), ENTERPRISE, stage=not_open("apply_cycle")),
    Guard(applications.submit_application, lambda c, a: applications.submit_application(
        c.s, actor=a, application=c.application), ENTERPRISE, stage=not_open("apply_cycle")),
    Guard(applications.withdraw_application, lambda c, a: applications.withdraw_application(
        c.s, actor=a, application=c.application), ENTERPRISE, stage=not_open("apply_cycle")),
    Guard(applications.reopen_application, lambda c, a: applications.reopen_application(
        c.s, actor=a, application=c.application), ENTERPRISE,
        prepare=lambda c: setattr(c.application, "status", ApplicationStatus.WITHDRAWN),
        stage=not_open("apply_cycle")),
    Guard(applications.return_application, lambda c, a: applications.return_application(
        c.s, actor=a, application=c.application, reason="缺少资质证明"), OFFICE,
        prepare=lambda c: setattr(c.application, "status", ApplicationStatus.SUBMITTED),
        stage=not_open("apply_cycle")),
    Guard(applications.add_evidence, lambda c, a: applications.add_evidence(
        c.s, actor=a, application=c.application, data=pdf_bytes(), filename="证明.pdf", store=evidence_store(c),
        limits=LIMITS), ENTERPRISE, stage=not_open("apply_cycle")),
    Guard(applications.add_evidence_files, lambda c, a: applications.add_evidence_files(
        c.s, actor=a, application=c.application, files=[("证明.pdf", pdf_bytes())], store=evidence_store(c),
        limits=LIMITS, rubric_item_id="4.1.2"), ENTERPRISE, stage=not_open("apply_cycle")),
    Guard(applications.remove_evidence, lambda c, a: applications.remove_evidence(
        c.s, actor=a, evidence=c.evidence, store=evidence_store(c)), ENTERPRISE, stage=not_open("apply_cycle")),
    # The evidence of an application under review: its enterprise, oversight, and a panel expert who signed.
    Guard(applications.record_download, lambda c, a: applications.record_download(
        c.s, actor=a, evidence=c.scored_evidence), ("seat_expert", "enterprise", "office", "supervisor"),
        also_refused=("unpledged_expert",),
        conflict=Case(pinned("seat_expert", "scored"), error=NotAllowed)),
    Guard(applications.screen_application, lambda c, a: applications.screen_application(
        c.s, actor=a, application=c.application, decisions=passing_decisions(c), zone=ZONE), OFFICE,
        prepare=both(at_stage("apply_cycle", Stage.SCREENING),
                     lambda c: setattr(c.application, "status", ApplicationStatus.SUBMITTED)),
        stage=Case(at_stage("apply_cycle", Stage.APPLICATION), code="not_screening")),
    Guard(applications.screen_clear_applications, lambda c, a: applications.screen_clear_applications(
        c.s, actor=a, cycle=c.apply_cycle, zone=ZONE), OFFICE,
        prepare=at_stage("apply_cycle", Stage.SCREENING),
        stage=Case(at_stage("apply_cycle", Stage.APPLICATION), code="not_screening")),

    # approval: the office runs the vote in the approval stage; the leading group's members vote.
    Guard(approval.open_vote, lambda c, a: approval.open_vote(
        c.s, actor=a, cycle=c.unopened_cycle, closes_at=utcnow() + dt.timedelta(days=2)), OFFICE,
        stage=Case(at_stage("unopened_cycle", Stage.DELIBERATION), code="wrong_stage")),
    Guard(approval.cast_ballot, lambda c, a: approval.cast_ballot(
        c.s, actor=a, vote=c.vote, application_id=c.candidate.id, choice=Choice.APPROVE), ("leader",),
        stage=Case(lambda c: setattr(c.vote, "closed_at", utcnow()), code="vote_closed")),
    Guard(approval.close_vote, lambda c, a: approval.close_vote(c.s, actor=a, vote=c.vote), OFFICE,
        stage=Case(lambda c: setattr(c.vote, "closed_at", utcnow()), code="vote_closed")),

    Guard(build_archive, lambda c, a: build_archive(
        c.s, actor=a, cycle=c.awarded_cycle, target=c.root / "archives" / f"{uuid.uuid4().hex}.zip"), OFFICE,
        prepare=lambda c: (c.root / "archives").mkdir(exist_ok=True),
        stage=Case(at_stage("awarded_cycle", Stage.NOTICE), code="not_archivable")),
    Guard(queue_archive, lambda c, a: queue_archive(c.s, actor=a, cycle=c.awarded_cycle), OFFICE,
        stage=Case(at_stage("awarded_cycle", Stage.NOTICE), code="not_archivable")),

    # accounts: the office; a password also by its owner.
    Guard(auth.create_staff_user, lambda c, a: auth.create_staff_user(
        c.s, actor=a, role=Role.EXPERT, email=f"new-{uuid.uuid4().hex[:8]}@example.cn", full_name="新专家",
        password="a-long-enough-password", password_min_length=10), OFFICE),
    Guard(auth.set_user_enabled, lambda c, a: auth.set_user_enabled(c.s, actor=a, user=c.expert, enabled=False),
          ("office",)),
    Guard(auth.change_password, lambda c, a: auth.change_password(
        c.s, actor=a, user=c.expert, new_password="another-long-password", password_min_length=10),
        ("office", "expert")),
    Guard(auth.change_role, lambda c, a: auth.change_role(c.s, actor=a, user=c.expert, role=Role.LEADER),
          ("office",)),
    # the holder's own account: everyone for their own password (stopped here by a wrong current one);
    # invitations by the office; a confirmation e-mail by an enterprise (the world's are confirmed already).
    Guard(accounts.change_own_password, lambda c, a: accounts.change_own_password(
        c.s, actor=a, current_password="not-the-password", new_password="another-long-password",
        password_min_length=10), EVERYONE, passes="wrong_password"),
    Guard(accounts.resend_invitation, lambda c, a: accounts.resend_invitation(c.s, actor=a, user=c.expert), OFFICE),
    Guard(accounts.resend_confirmation, lambda c, a: accounts.resend_confirmation(c.s, actor=a),
          ("enterprise", "stranger"), passes="already_confirmed"),

    # awards: the office, at the end of the notice.
    Guard(awards.confirm_awards, lambda c, a: awards.confirm_awards(c.s, actor=a, cycle=c.notice_cycle, zone=ZONE),
          OFFICE, passes="notice_not_over",
          stage=Case(at_stage("notice_cycle", Stage.APPROVAL), code="wrong_stage")),
    Guard(awards.revoke_award, lambda c, a: awards.revoke_award(
        c.s, actor=a, award=c.award, reason="材料造假", zone=ZONE), OFFICE),
    Guard(awards.update_levels, lambda c, a: awards.update_levels(
        c.s, actor=a, cycle=c.apply_cycle, levels=AwardLevels((AwardLevel(name="市长质量奖", quota=1,
                                                                          cutoff=Decimal(800)),))), OFFICE,
        stage=Case(at_stage("apply_cycle", Stage.APPROVAL), code="levels_locked")),
    # after the award: the holder writes its follow-up reports; the holder, the office and the supervisor read them
    Guard(after.submit_report, lambda c, a: after.submit_report(
        c.s, actor=a, award=c.own_award, store=EvidenceStore(c.root / "follow_up"), zone=ZONE,
        report=after.ReportInput(year=c.own_award.valid_until.year, experience="经验", improvements="成效")),
        ENTERPRISE, passes="report_year"),
    Guard(after.report_file, lambda c, a: after.report_file(
        c.s, actor=a, report=c.follow_up_report, store=EvidenceStore(c.root / "follow_up")),
        ("office", "supervisor", "enterprise", SYSTEM)),
    Guard(reassessment.open_reassessment, lambda c, a: reassessment.open_reassessment(
        c.s, actor=a, today=utcnow().date(), plan=reassessment.ReassessmentPlan(
            year=utcnow().year, title=f"复审 {uuid.uuid4().hex[:6]}", award_ids=[c.award.id])), OFFICE),
    Guard(reassessment.decide_reassessment, lambda c, a: reassessment.decide_reassessment(
        c.s, actor=a, reassessment=c.reassessment, outcome=ReassessmentOutcome.RENEWED, reason="复审合格",
        zone=ZONE), OFFICE,
        stage=Case(at_stage("reassess_cycle", Stage.DOCUMENT_REVIEW), code="wrong_stage")),

    Guard(certificates.update_certificate_texts, lambda c, a: certificates.update_certificate_texts(
        c.s, actor=a, cycle=c.awarded_cycle, award_title="苏州市市长质量奖", authority="苏州市人民政府",
        issue_date=None), OFFICE),
    Guard(certificates.replace_seal, lambda c, a: certificates.replace_seal(
        c.s, actor=a, cycle=c.awarded_cycle, data=png_seal(), store=SealStore(c.root / "seals")), OFFICE),
    Guard(certificates.remove_seal, lambda c, a: certificates.remove_seal(
        c.s, actor=a, cycle=c.awarded_cycle, store=SealStore(c.root / "seals")), OFFICE),
    Guard(certificates.record_batch_started, lambda c, a: certificates.record_batch_started(
        c.s, actor=a, cycle=c.awarded_cycle, job_id=1, count=1), OFFICE),
    Guard(certificates.print_cycle, lambda c, a: certificates.print_cycle(c.s, actor=a, cycle=c.awarded_cycle),
          OFFICE),
    Guard(certificates.queue_feedback_reports, lambda c, a: certificates.queue_feedback_reports(
        c.s, actor=a, cycle=c.awarded_cycle), OFFICE, passes="no_feedback"),

    Guard(jobs.retry_job, lambda c, a: jobs.retry_job(c.s, actor=a, job=c.failed_job), OFFICE,
          prepare=lambda c: failed_job(c), stage=Case(lambda c: setattr(c.failed_job, "state", JobState.QUEUED),
                                                      code="not_failed")),

    Guard(conflicts.set_coi_settings, lambda c, a: conflicts.set_coi_settings(
        c.s, actor=a, cycle=c.review_cycle, settings=conflicts.coi_settings_for(c.s, c.review_cycle),
        reference_date=None), OFFICE),
    Guard(conflicts.pin_conflict, lambda c, a: conflicts.pin_conflict(
        c.s, actor=a, application=c.scored, expert=c.expert, conflict_type=ConflictType.OTHER,
        reason="曾为该企业提供咨询"), OFFICE),

    Guard(cycles.create_cycle, lambda c, a: cycles.create_cycle(
        c.s, actor=a, settings=cycle_settings(f"新周期 {uuid.uuid4().hex[:6]}"), rubric_key="gbt19580-2012"),
        OFFICE),
    Guard(cycles.update_cycle, lambda c, a: cycles.update_cycle(
        c.s, actor=a, cycle=c.apply_cycle, settings=cycle_settings("改名的周期"), reason="申报截止时间顺延"), OFFICE,
        stage=Case(at_stage("apply_cycle", Stage.DOCUMENT_REVIEW), code="settings_locked")),
    Guard(cycles.set_procedure, lambda c, a: cycles.set_procedure(
        c.s, actor=a, cycle=c.apply_cycle, steps=FULL_STEPS, weights=FULL_WEIGHTS), OFFICE,
        prepare=at_stage("apply_cycle", Stage.DRAFT),
        stage=Case(at_stage("apply_cycle", Stage.APPLICATION), code="procedure_frozen")),
    Guard(cycles.update_issuers, lambda c, a: cycles.update_issuers(
        c.s, actor=a, cycle=c.awarded_cycle, issuers=IssuerSettings(city="苏州市")), OFFICE),
    Guard(cycles.advance_cycle, lambda c, a: cycles.advance_cycle(
        c.s, actor=a, cycle=c.apply_cycle, target=Stage.SCREENING, now=utcnow() + dt.timedelta(days=31)), OFFICE,
        stage=Case(at_stage("apply_cycle", Stage.NOTICE), code="transition_refused")),

    Guard(documents.save_texts, lambda c, a: documents.save_texts(
        c.s, actor=a, cycle=c.awarded_cycle, kind=DocumentKind.DECISION,
        texts=documents.texts_of(c.s, c.awarded_cycle, DocumentKind.DECISION)), OFFICE),
    Guard(documents.queue_official_set, lambda c, a: documents.queue_official_set(
        c.s, actor=a, cycle=c.awarded_cycle, zone=ZoneInfo("Asia/Shanghai")), OFFICE),
    Guard(documents.save_layout, lambda c, a: documents.save_layout(
        c.s, actor=a, cycle=c.awarded_cycle, layout=documents.layout_of(c.s, c.awarded_cycle)), OFFICE),
    Guard(documents.create_printer, lambda c, a: documents.create_printer(
        c.s, actor=a, name=f"打印机 {uuid.uuid4().hex[:6]}", offset_x_mm=Decimal(0), offset_y_mm=Decimal(0)), OFFICE),
    Guard(documents.update_printer, lambda c, a: documents.update_printer(
        c.s, actor=a, printer=c.printer, name="二楼打印机", offset_x_mm=Decimal(1), offset_y_mm=Decimal(0)), OFFICE),
    Guard(documents.delete_printer, lambda c, a: documents.delete_printer(c.s, actor=a, printer=c.printer), OFFICE),

    # the public notice: the office publishes it after the closed vote and decides objections; oversight reads them.
    Guard(notice.publish_notice, lambda c, a: notice.publish_notice(
        c.s, actor=a, cycle=c.vote_cycle, text=notice.NoticeText(award_title="市长质量奖", benefits="证书和奖牌",
                                                              contact="0512-12345678"),
        calendar=load_calendar(), zone=ZONE), OFFICE, prepare=voted_and_closed,
        stage=Case(at_stage("vote_cycle", Stage.DELIBERATION), code="wrong_stage")),
    Guard(notice.decide_objection, lambda c, a: notice.decide_objection(
        c.s, actor=a, objection=c.objection, outcome=ObjectionOutcome.DISMISSED, reason="查无实据",
        answer="经核查，查无实据。"), OFFICE,
        stage=Case(lambda c: setattr(c.objection.notice, "confirmed_at", utcnow()), code="confirmed")),
    Guard(notice.record_evidence_download, lambda c, a: notice.record_evidence_download(
        c.s, actor=a, objection=c.objection), ("office", "supervisor")),

    # the call for applications: the office writes, publishes and files it, until the cycle is closed.
    Guard(calls.save_call, lambda c, a: calls.save_call(c.s, actor=a, cycle=c.apply_cycle, text=CALL_TEXT), OFFICE,
          stage=Case(at_stage("apply_cycle", Stage.CLOSED), code="cycle_closed")),
    Guard(calls.publish_call, lambda c, a: calls.publish_call(c.s, actor=a, call=call_of(c)), OFFICE,
          prepare=drafted_call, stage=Case(at_stage("apply_cycle", Stage.CLOSED), code="cycle_closed")),
    Guard(calls.unpublish_call, lambda c, a: calls.unpublish_call(c.s, actor=a, call=call_of(c)), OFFICE,
          prepare=published_call, stage=Case(at_stage("apply_cycle", Stage.CLOSED), code="cycle_closed")),
    Guard(calls.add_call_attachment, lambda c, a: calls.add_call_attachment(
        c.s, actor=a, call=call_of(c), data=pdf_bytes(), filename="申报书模板.pdf", store=call_store(c),
        limits=calls.CallLimits()), OFFICE, prepare=drafted_call,
        stage=Case(at_stage("apply_cycle", Stage.CLOSED), code="cycle_closed")),
    Guard(calls.remove_call_attachment, lambda c, a: calls.remove_call_attachment(
        c.s, actor=a, attachment=call_of(c).attachments[0], store=call_store(c)), OFFICE, prepare=attached_call,
        stage=Case(at_stage("apply_cycle", Stage.CLOSED), code="cycle_closed")),

    # the office's bulk tools: reminders and messages to many at once.
    Guard(outreach.remind_late_experts, lambda c, a: outreach.remind_late_experts(
        c.s, actor=a, review_round=c.review_round), OFFICE,
        stage=round_closed("round_not_open")),
    Guard(outreach.remind_returned_applicants, lambda c, a: outreach.remind_returned_applicants(
        c.s, actor=a, cycle=c.apply_cycle), OFFICE, passes="nobody"),
    Guard(outreach.preview_message, lambda c, a: outreach.preview_message(
        c.s, actor=a, cycle=c.apply_cycle, message=outreach.Message(status=None, subject="通知", body="请注意")),
        OFFICE),
    Guard(outreach.send_message, lambda c, a: outreach.send_message(
        c.s, actor=a, cycle=c.apply_cycle, message=outreach.Message(status=None, subject="通知", body="请注意"),
        expected_count=len(outreach.applicants(c.s, c.apply_cycle))), OFFICE),
    Guard(outreach.queue_message, lambda c, a: outreach.queue_message(
        c.s, actor=a, cycle=c.apply_cycle, message=outreach.Message(status=None, subject="通知", body="请注意"),
        expected_count=len(outreach.applicants(c.s, c.apply_cycle))), OFFICE),

    # notifications: each person's own.
    Guard(notifications.mark_read, lambda c, a: notifications.mark_read(c.s, actor=a, notification=c.notification),
          ("office",)),
    Guard(notifications.mark_all_read, lambda c, a: notifications.mark_all_read(c.s, actor=a), EVERYONE),
    Guard(notifications.set_email_preferences, lambda c, a: notifications.set_email_preferences(
        c.s, actor=a, choices={}), EVERYONE),

    # the expert pool: the office; an expert adds declarations to their own profile.
    Guard(pool_io.import_pool, lambda c, a: pool_io.import_pool(
        c.s, actor=a, data=csv_file(pool_io.POOL_COLUMNS, (
            f"new-{uuid.uuid4().hex[:8]}@example.cn", "王芳", "0512-66001234", "教授", fresh_credit_code(),
            "苏州大学", "C", "yes", "", "", "", "", "", "")), fmt="csv", password_min_length=10), OFFICE),
    Guard(pool_io.import_groups, lambda c, a: pool_io.import_groups(
        c.s, actor=a, data=csv_file(pool_io.GROUP_COLUMNS, (fresh_credit_code(), fresh_credit_code(), "年报")),
        fmt="csv"), OFFICE),
    Guard(pool.create_expert, lambda c, a: pool.create_expert(c.s, actor=a, data=pool.ExpertData(
        email=f"new-{uuid.uuid4().hex[:8]}@example.cn", full_name="李强", organization_code=fresh_credit_code(),
        organization_name="苏州质量研究院", sectors=("C",)), password_min_length=10), OFFICE),
    Guard(pool.update_expert, lambda c, a: pool.update_expert(c.s, actor=a, profile=c.profile, data=pool.ExpertData(
        email=c.expert.email, full_name="改名的专家", organization_code=c.profile.organization_code,
        organization_name=c.profile.organization_name, sectors=("C",))), OFFICE),
    Guard(pool.add_relation, lambda c, a: pool.add_relation(
        c.s, actor=a, profile=c.seat_profile, data=pool.RelationData(kind=RelationKind.CLIENT,
                                                                     party_code=fresh_credit_code())),
        ("office", SYSTEM, "seat_expert")),
    Guard(pool.remove_relation, lambda c, a: pool.remove_relation(c.s, actor=a, relation=c.relation, reason="误报"),
          OFFICE),
    Guard(pool.set_availability, lambda c, a: pool.set_availability(
        c.s, actor=a, profile=c.profile, cycle=c.review_cycle, available=True, max_load=3), OFFICE),
    Guard(pool.add_group_link, lambda c, a: pool.add_group_link(
        c.s, actor=a, parent_code=fresh_credit_code(), child_code=fresh_credit_code()), OFFICE),
    Guard(pool.remove_group_link, lambda c, a: pool.remove_group_link(c.s, actor=a, link=c.link), OFFICE),

    Guard(ranking.update_ranking_settings, lambda c, a: ranking.update_ranking_settings(
        c.s, actor=a, cycle=c.review_cycle, combine_mode=CombineMode.REPLACE, onsite_weight=Decimal("0.5"),
        sector_limits={}, min_sheets_for_leniency=3), OFFICE,
        stage=Case(at_stage("review_cycle", Stage.APPROVAL), code="settings_locked")),
    Guard(ranking.freeze_shortlist, lambda c, a: ranking.freeze_shortlist(c.s, actor=a, cycle=c.review_cycle), OFFICE,
          prepare=at_stage("review_cycle", Stage.DELIBERATION),
          stage=Case(at_stage("review_cycle", Stage.DOCUMENT_REVIEW), code="wrong_stage")),

    # rounds and panels: the office; the supervisor may re-run a draw to check it.
    Guard(panels.run_assignment, lambda c, a: panels.run_assignment(
        c.s, actor=a, review_round=c.setup_round, mode=AssignmentSource.OPTIMAL), OFFICE,
        stage=Case(at_stage("setup_cycle", Stage.APPLICATION), code="wrong_stage")),
    Guard(panels.plan_assignment, lambda c, a: panels.plan_assignment(
        c.s, actor=a, review_round=c.setup_round, mode=AssignmentSource.OPTIMAL), OFFICE,
        stage=Case(at_stage("setup_cycle", Stage.APPLICATION), code="wrong_stage")),
    Guard(panels.draw_panels, lambda c, a: panels.draw_panels(
        c.s, actor=a, review_round=c.setup_round, mode=AssignmentSource.RANDOMIZED, job_above=0), OFFICE,
        stage=Case(at_stage("setup_cycle", Stage.APPLICATION), code="wrong_stage")),
    Guard(panels.run_draw_job, lambda c, a: panels.run_draw_job(
        c.s, actor=a, review_round=c.setup_round, end_read=lambda: None,
        inputs={"mode": "randomized", "seed": 5, "max_pair_probability": 0.5}), OFFICE,
        stage=Case(at_stage("setup_cycle", Stage.APPLICATION), code="wrong_stage")),
    Guard(panels.replay_draw, lambda c, a: panels.replay_draw(c.s, actor=a, draw=c.draw),
          ("office", "supervisor", SYSTEM)),
    # Seating an expert is the office's act for that expert on that application: a conflict refuses it.
    Guard(panels.replace_expert, lambda c, a: panels.replace_expert(
        c.s, actor=a, assignment=c.unpledged, expert_id=c.expert.id, reason="身体原因"), OFFICE,
        stage=round_closed("round_closed"), conflict=Case(pinned("expert", "scored"), code="rule_broken")),
    Guard(panels.add_expert, lambda c, a: panels.add_expert(
        c.s, actor=a, review_round=c.review_round, application=c.scored, expert_id=c.expert.id), OFFICE,
        prepare=vacated, stage=round_closed("round_closed"),
        conflict=Case(pinned("expert", "scored"), code="rule_broken")),
    Guard(panels.set_leader, lambda c, a: panels.set_leader(c.s, actor=a, assignment=c.seat), OFFICE,
          stage=round_closed("round_closed"), conflict=Case(pinned("seat_expert", "scored"), code="rule_broken")),
    Guard(rounds.create_round, lambda c, a: rounds.create_round(
        c.s, actor=a, cycle=c.setup_cycle, kind=RoundKind.ONSITE), OFFICE),
    # the presentation round's schedule: the office draws and records; the supervisor may replay the lot.
    Guard(presentation.draw_presentation_order, lambda c, a: presentation.draw_presentation_order(
        c.s, actor=a, review_round=presentation_round(c), starts_at=utcnow() + dt.timedelta(days=3), minutes=30,
        rooms=["第一会议室", "第二会议室"], seed=11), OFFICE,
        prepare=both(presentation_round, at_stage("setup_cycle", Stage.DOCUMENT_REVIEW)),
        stage=Case(at_stage("setup_cycle", Stage.SCREENING), code="wrong_stage")),
    Guard(presentation.replay_presentation_draw, lambda c, a: presentation.replay_presentation_draw(
        c.s, actor=a, draw=draw_of(c)), ("office", "supervisor", SYSTEM), prepare=presentation_drawn),
    Guard(presentation.record_attendance, lambda c, a: presentation.record_attendance(
        c.s, actor=a, slot=first_slot(c), attendance=Attendance.PRESENT), OFFICE, prepare=presentation_drawn,
        stage=Case(at_stage("setup_cycle", Stage.ONSITE_REVIEW), code="wrong_stage")),
    # The review cycle has every round it needs: the call creates nothing and must still refuse.
    Guard(rounds.ensure_rounds, lambda c, a: rounds.ensure_rounds(c.s, actor=a, cycle=c.review_cycle), OFFICE),
    Guard(rounds.configure_round, lambda c, a: rounds.configure_round(
        c.s, actor=a, review_round=c.setup_round, settings=round_settings()), OFFICE,
        stage=round_closed("round_closed", "setup_round")),
    Guard(rounds.open_round, lambda c, a: rounds.open_round(c.s, actor=a, review_round=c.setup_round), OFFICE,
          prepare=drawn_and_in_review, stage=Case(at_stage("setup_cycle", Stage.SCREENING), code="wrong_stage")),

    # scoring: the expert of the seat, while the round is open and no conflict is on record.
    Guard(scoring.sign_pledge, lambda c, a: scoring.sign_pledge(c.s, actor=a, assignment=c.unpledged),
          ("unpledged_expert",), also_refused=("seat_expert",), stage=round_closed("round_not_open"),
          conflict=Case(pinned("unpledged_expert", "scored"), error=NotAllowed)),
    Guard(scoring.declare_conflict, lambda c, a: scoring.declare_conflict(
        c.s, actor=a, assignment=c.seat, reason="配偶在该企业任职"), ("seat_expert",),
        also_refused=("unpledged_expert",), stage=round_closed("round_closed")),
    Guard(scoring.save_draft, lambda c, a: scoring.save_draft(
        c.s, actor=a, assignment=c.seat, entries=full_entries(c.review_cycle)[:1], expected_version=sheet_version(c)),
        ("seat_expert",), also_refused=("unpledged_expert",), stage=round_closed("round_not_open"),
        conflict=Case(pinned("seat_expert", "scored"), error=NotAllowed)),
    Guard(scoring.submit_sheet, lambda c, a: scoring.submit_sheet(
        c.s, actor=a, assignment=c.seat, entries=full_entries(c.review_cycle), expected_version=sheet_version(c)),
        ("seat_expert",), also_refused=("unpledged_expert",), stage=round_closed("round_not_open"),
        conflict=Case(pinned("seat_expert", "scored"), error=NotAllowed)),
    Guard(scoring.reopen_sheet, lambda c, a: scoring.reopen_sheet(
        c.s, actor=a, sheet=c.submitted_sheet, reason="请补充评分依据"), ("office",),
        stage=round_closed("round_not_open")),
    Guard(scoring.propose_consensus, lambda c, a: scoring.propose_consensus(
        c.s, actor=a, review_round=c.review_round, application=c.agreed, proposals=proposals(c)), ("team_leader",),
        also_refused=("member",), stage=round_closed("round_not_open"),
        conflict=Case(pinned("team_leader", "agreed"), error=NotAllowed)),
    Guard(scoring.confirm_consensus, lambda c, a: scoring.confirm_consensus(
        c.s, actor=a, review_round=c.review_round, application=c.agreed), ("member",),
        stage=round_closed("round_not_open"), conflict=Case(pinned("member", "agreed"), error=NotAllowed)),
    Guard(discussion.add_remark, lambda c, a: discussion.add_remark(
        c.s, actor=a, review_round=c.review_round, application=c.agreed, kind=RemarkKind.COMMENT, item_id=None,
        text="建议参考现场记录"), ("member", "team_leader"), stage=round_closed("round_not_open"),
        conflict=Case(pinned("member", "agreed"), error=NotAllowed)),
    Guard(discussion.finalize_consensus, lambda c, a: discussion.finalize_consensus(
        c.s, actor=a, review_round=c.review_round, application=c.agreed), ("team_leader",),
        also_refused=("member",), stage=round_closed("round_not_open"),
        conflict=Case(pinned("team_leader", "agreed"), error=NotAllowed)),
    Guard(scoring.close_round, lambda c, a: scoring.close_round(c.s, actor=a, review_round=c.review_round), OFFICE,
          passes="sheets_missing", stage=Case(round_status("review_round", RoundStatus.SETUP), code="round_not_open")),

    # social evaluation: the office, after the review rounds and before the decision.
    Guard(social.import_records, lambda c, a: social.import_records(
        c.s, actor=a, kind=ListKind.PENALTY, data=csv_file(("credit_code", "source", "listed_on"),
                                                           (fresh_credit_code(), "市市场监管局", "2025-01-02"))),
          OFFICE),
    Guard(social.open_comment_window, lambda c, a: social.open_comment_window(
        c.s, actor=a, cycle=c.social_cycle, closes_at=utcnow() + dt.timedelta(days=3)), OFFICE,
        stage=Case(at_stage("social_cycle", Stage.NOTICE), code="wrong_stage")),
    Guard(social.record_finding, lambda c, a: social.record_finding(
        c.s, actor=a, application=c.social_candidate, level=FindingLevel.VETO, reason="重大质量事故",
        evidence="处罚决定书"), OFFICE, stage=Case(at_stage("social_cycle", Stage.APPROVAL), code="wrong_stage")),

    # on-site visits: the office schedules; the visit's team (pledged, no conflict) fills the checklist.
    Guard(visits.schedule_visit, lambda c, a: visits.schedule_visit(
        c.s, actor=a, application=c.visit_application, visit_on=utcnow().date() + dt.timedelta(days=3),
        itinerary="9:00 座谈 10:00 现场", today=utcnow().date()), OFFICE,
        stage=round_closed("round_closed", "visit_round")),
    Guard(visits.save_check, lambda c, a: visits.save_check(
        c.s, actor=a, visit=c.visit, item_id="4.1.2", status=CheckStatus.CONFIRMED, note="纪要齐全"),
        VISIT_TEAM, also_refused=("seat_expert",), stage=round_closed("round_not_open", "visit_round"),
        conflict=Case(pinned("visit_expert", "visit_application"), error=NotAllowed)),
    Guard(visits.add_photo, lambda c, a: visits.add_photo(
        c.s, actor=a, visit=c.visit, item_id="4.1.2", data=pdf_free_photo(), filename="现场.png",
        strip_location=True, store=EvidenceStore(c.root / "visit_photos")),
        VISIT_TEAM, stage=round_closed("round_not_open", "visit_round"),
        conflict=Case(pinned("visit_expert", "visit_application"), error=NotAllowed)),
    Guard(visits.remove_photo, lambda c, a: visits.remove_photo(
        c.s, actor=a, photo=c.visit_photo, store=EvidenceStore(c.root / "visit_photos")),
        VISIT_TEAM, stage=round_closed("round_not_open", "visit_round"),
        conflict=Case(pinned("visit_expert", "visit_application"), error=NotAllowed)),
    Guard(visits.photo_bytes, lambda c, a: visits.photo_bytes(
        c.s, actor=a, photo=c.visit_photo, store=EvidenceStore(c.root / "visit_photos")),
        ("office", "supervisor", "visit_expert", SYSTEM), also_refused=("seat_expert",),
        conflict=Case(pinned("visit_expert", "visit_application"), error=NotAllowed, actor="visit_expert")),
    Guard(visit_report, lambda c, a: visit_report(
        c.s, c.visit, actor=a, store=EvidenceStore(c.root / "visit_photos"), now=utcnow()),
        ("office", "supervisor", "visit_expert", SYSTEM),
        conflict=Case(pinned("visit_expert", "visit_application"), error=NotAllowed, actor="visit_expert")),
]

# Functions with an `actor` that guard nothing, and why.
NOT_GUARDS = {
    "audit.record": "writes the audit record of a change another service has already allowed; `actor` is whom it names",
}

BY_NAME = {guard.name: guard for guard in GUARDS}


# -------------------------------------------------------------------------------- the world

@pytest.fixture(scope="module")
def world(engine, database_url, tmp_path_factory) -> Iterator[ModuleWorld]:
    with module_world(engine, database_url, tmp_path_factory.mktemp("guards") / "files", build_guards_world) as built:
        yield built


@pytest.fixture
def c(world) -> Iterator[Ctx]:
    with world.isolated_test() as session:
        yield Ctx(session, world)


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord)) or 0


def assert_refused(c: Ctx, guard: Guard, persona: str, error: type[DomainError], code: str | None = None) -> None:
    """The call raises exactly `error` and leaves nothing behind: no write, nothing pending, no audit record."""
    actor = c.actor(persona)
    c.s.flush()
    records = audit_count(c.s)
    writes: list[str] = []

    def watch(conn, cursor, statement: str, *args: object) -> None:  # noqa: ANN001
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    connection = c.s.connection()
    event.listen(connection, "before_cursor_execute", watch)
    try:
        with pytest.raises(DomainError) as refused:
            guard.call(c, actor)
    finally:
        event.remove(connection, "before_cursor_execute", watch)
    assert type(refused.value) is error, refused.value
    if code is not None:
        assert refused.value.code == code, refused.value
    assert writes == []
    assert not (c.s.new or c.s.dirty or c.s.deleted)
    assert audit_count(c.s) == records


def _cases(kind: str) -> list[Any]:
    params = []
    for guard in GUARDS:
        if kind == "refused":
            params += [pytest.param(guard, persona, id=f"{guard.name}-{persona}") for persona in guard.refused()]
        elif kind == "allowed":
            params += [pytest.param(guard, persona, id=f"{guard.name}-{persona}") for persona in guard.allowed]
        elif getattr(guard, kind) is not None:
            params.append(pytest.param(guard, id=guard.name))
    return params


# -------------------------------------------------------------------------------- the tests

@pytest.mark.parametrize(("guard", "persona"), _cases("refused"))
def test_a_wrong_role_is_refused(c, guard, persona):
    if guard.prepare:
        guard.prepare(c)
    assert_refused(c, guard, persona, NotAllowed)


@pytest.mark.parametrize("guard", _cases("stage"))
def test_the_wrong_stage_is_refused(c, guard):
    if guard.prepare:
        guard.prepare(c)
    guard.stage.setup(c)
    assert_refused(c, guard, guard.stage.actor or guard.allowed[0], guard.stage.error, guard.stage.code)


@pytest.mark.parametrize("guard", _cases("conflict"))
def test_a_conflicted_expert_is_refused(c, guard):
    if guard.prepare:
        guard.prepare(c)
    guard.conflict.setup(c)
    assert_refused(c, guard, guard.conflict.actor or guard.allowed[0], guard.conflict.error, guard.conflict.code)


@pytest.mark.parametrize(("guard", "persona"), _cases("allowed"))
def test_the_allowed_get_past_the_guard(c, guard, persona):
    """The control: in the same world the people a row lets through are not refused."""
    if guard.prepare:
        guard.prepare(c)
    if guard.passes is None:
        guard.call(c, c.actor(persona))
    else:
        with pytest.raises(DomainError) as stopped:
            guard.call(c, c.actor(persona))
        assert not isinstance(stopped.value, NotAllowed) and stopped.value.code == guard.passes, stopped.value


# ------------------------------------------------------------------------ the table stays complete

@functools.cache
def services_with_an_actor() -> dict[str, bool]:
    """Every public function of award/ (routes, commands and the demo seed aside) with a keyword-only
    `actor` → whether `actor` may be None (the system)."""
    found = {}
    root = PROJECT_ROOT / "award"
    for path in sorted(root.rglob("*.py")):
        if path.stem in ("routes", "cli", "demo", "web", "wsgi"):
            continue
        module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            actor = next((a for a in node.args.kwonlyargs if a.arg == "actor"), None)
            if actor is not None:
                found[service_name(module, node.name)] = "None" in ast.unparse(actor.annotation or ast.Constant(""))
    return found


def test_every_service_with_an_actor_has_a_row():
    found = services_with_an_actor()
    assert sorted(set(found) - set(BY_NAME) - set(NOT_GUARDS)) == [], "add a row to GUARDS"
    assert sorted((set(BY_NAME) | set(NOT_GUARDS)) - set(found)) == [], "a row names no such service"
    assert len(BY_NAME) == len(GUARDS), "one row per service"


def test_the_system_is_let_through_where_the_signature_allows_it():
    """`actor=None` (a command, the demo seed) is a row's allowed caller exactly when the signature takes None."""
    takes_none = services_with_an_actor()
    assert [g.name for g in GUARDS if (SYSTEM in g.allowed) != takes_none[g.name]] == []


# ------------------------------------------------------------------ services on the actor's own data

def test_mark_all_read_marks_only_the_actors_notices(c):
    others = c.s.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == c.office.id, Notification.read_at.is_(None)))
    assert others == 1
    assert notifications.mark_all_read(c.s, actor=c.supervisor) == 0
    assert c.s.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == c.office.id, Notification.read_at.is_(None))) == 1


def test_email_preferences_take_only_the_actors_own_kinds(c):
    foreign = next(spec.kind for spec in kinds_for(Role.OFFICE) if not spec.mandatory)
    assert foreign not in {spec.kind for spec in kinds_for(Role.ENTERPRISE)}
    with pytest.raises(DomainError) as refused:
        notifications.set_email_preferences(c.s, actor=c.enterprise, choices={foreign: False})
    assert refused.value.code == "foreign_kind"
    assert notifications.email_enabled(c.s, c.office, foreign)
