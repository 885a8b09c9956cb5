"""The demo tells one true story: checked over the whole seeded database, not per screen.

Every notice points at something that exists and says what happened to it; no expert sits on a panel
against a declared relation; everything shortlisted, voted on, published or awarded is a complete
application; every manual screening check carries its reason; every row a service audits has its
audit record (the seed goes through the services, never writes rows of its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    EvidenceFile,
    RuleOutcome,
    ScreeningResult,
)
from award.approval.models import Ballot, VoteBody, VoteCandidate, VoteMember, VoteOutcome, VoteSession
from award.audit.models import AuditRecord
from award.auth.models import Role, User
from award.awards.models import Award
from award.calls.models import CycleCall
from award.conflicts.services import conflicted_pairs
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Step
from award.cycles.services import cycle_rubric
from award.cycles.stages import procedure_of
from award.notice.models import NoticeCandidate, Objection, PublicNotice
from award.notifications.models import Notification
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.ranking.models import RankingSnapshot, ShortlistEntry
from award.rounds.models import (
    Assignment,
    AssignmentDraw,
    AssignmentStatus,
    PresentationSlot,
    ReviewRound,
    RoundKind,
)
from award.scoring.models import ScoreSheet, SheetStatus
from award.social.models import FindingLevel, SocialFinding, SocialRecord
from award.visits.demo import FULL_PROCEDURE_TITLE
from award.visits.models import SiteVisit
from award.visits.services import team_of

MIN_SELF_ASSESSMENT_CHARS = 60


@pytest.fixture
def db(demo_db) -> Session:
    """The demo as seeded once per session (tests/conftest.py), each test rolled back to it."""
    return demo_db


# ----------------------------------------------------------------------------- notifications

def _number(link: str, pattern: str) -> int:
    found = re.fullmatch(pattern, link)
    assert found, f"{link!r} is not of the form {pattern!r}"
    return int(found.group(1))


def _own_application(db: Session, user: User, application_id: int) -> Application:
    application = db.get(Application, application_id)
    assert application is not None, f"notice about missing application {application_id}"
    assert application.organization_id == user.organization_id, "notice about another organization's application"
    return application


def _events_to(db: Session, application: Application, status: ApplicationStatus) -> list[ApplicationEvent]:
    return list(db.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == application.id,
                                                          ApplicationEvent.to_status == status)))


def _latest_entry(db: Session, application: Application) -> ShortlistEntry | None:
    latest = db.scalar(select(RankingSnapshot).where(RankingSnapshot.cycle_id == application.cycle_id)
                       .order_by(RankingSnapshot.version.desc()).limit(1))
    if latest is None:
        return None
    return db.scalar(select(ShortlistEntry).where(ShortlistEntry.snapshot_id == latest.id,
                                                  ShortlistEntry.application_id == application.id))


def _application_link(pattern: str, claim: Callable[[Session, Application], object]) -> Callable[..., None]:
    def check(db: Session, user: User, link: str) -> None:
        assert user.role is Role.ENTERPRISE
        application = _own_application(db, user, _number(link, pattern))
        assert claim(db, application), f"{link}: the notice's claim does not hold"
    return check


def _assignment_link(pattern: str, claim: Callable[[Session, Assignment], object]) -> Callable[..., None]:
    def check(db: Session, user: User, link: str) -> None:
        assignment = db.get(Assignment, _number(link, pattern))
        assert assignment is not None and assignment.expert_id == user.id, f"{link}: not the expert's seat"
        assert claim(db, assignment), f"{link}: the notice's claim does not hold"
    return check


def _reopened(db: Session, assignment: Assignment) -> bool:
    sheet = db.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id))
    return sheet is not None and db.scalar(select(AuditRecord.seq).where(
        AuditRecord.action == "review.sheet_reopened", AuditRecord.target_id == str(sheet.id))) is not None


def _panel_complete(db: Session, user: User, link: str) -> None:
    found = re.fullmatch(r"/review/rounds/(\d+)/applications/(\d+)/consensus", link)
    assert found, link
    round_id, application_id = int(found.group(1)), int(found.group(2))
    seats = db.scalars(select(Assignment).where(Assignment.round_id == round_id,
                                                Assignment.application_id == application_id,
                                                Assignment.status == AssignmentStatus.ACTIVE)).all()
    assert any(seat.expert_id == user.id and seat.is_leader for seat in seats), f"{link}: not the panel's leader"
    sheets = db.scalars(select(ScoreSheet).where(ScoreSheet.assignment_id.in_([s.id for s in seats]))).all()
    assert len(sheets) == len(seats) and all(s.status is SheetStatus.SUBMITTED for s in sheets), link


def _conflict_declared(db: Session, user: User, link: str) -> None:
    assert user.role is Role.OFFICE
    found = re.fullmatch(r"/review/rounds/(\d+)#panel-(\d+)", link)
    assert found, link
    assert db.scalar(select(Assignment.id).where(
        Assignment.round_id == int(found.group(1)), Assignment.application_id == int(found.group(2)),
        Assignment.status == AssignmentStatus.CONFLICT_DECLARED)) is not None, link


def _objection_received(db: Session, user: User, link: str) -> None:
    assert user.role is Role.OFFICE
    assert db.get(Objection, _number(link, r"/notices/objections/(\d+)")) is not None, link


def _vote_opened(body: VoteBody, pattern: str) -> Callable[..., None]:
    def check(db: Session, user: User, link: str) -> None:
        vote = db.scalar(select(VoteSession).where(VoteSession.cycle_id == _number(link, pattern),
                                                   VoteSession.body == body))
        assert vote is not None and db.scalar(select(VoteMember).where(
            VoteMember.session_id == vote.id, VoteMember.leader_id == user.id)) is not None, link
    return check


def _visit_team_scheduled(db: Session, user: User, link: str) -> None:
    visit = db.get(SiteVisit, _number(link, r"/visits/(\d+)"))
    assert visit is not None, link
    assert any(seat.expert_id == user.id for seat in team_of(db, visit.round_id, visit.application_id)), link


def _onsite_seat(db: Session, application: Application) -> bool:
    return db.scalar(select(Assignment.id).join(ReviewRound, ReviewRound.id == Assignment.round_id).where(
        Assignment.application_id == application.id, ReviewRound.kind == RoundKind.ONSITE,
        Assignment.status == AssignmentStatus.ACTIVE)) is not None


def _on_notice(db: Session, user: User, link: str) -> None:
    notice = db.get(PublicNotice, _number(link, r"/notices/(\d+)"))
    assert notice is not None, link
    assert any(db.get(Application, c.application_id).organization_id == user.organization_id
               for c in notice.candidates), f"{link}: the organization is not on that notice"


def _award_result(awarded: bool) -> Callable[..., None]:
    def check(db: Session, user: User, link: str) -> None:
        application = _own_application(db, user, _number(link, r"/certificates/applications/(\d+)/feedback\.pdf"))
        has_award = db.scalar(select(Award.id).where(Award.application_id == application.id)) is not None
        assert has_award is awarded and _latest_entry(db, application) is not None, link
    return check


CHECKS: dict[str, Callable[[Session, User, str], None]] = {
    "application_submitted": _application_link(
        r"/documents/applications/(\d+)/receipt", lambda db, a: _events_to(db, a, ApplicationStatus.SUBMITTED)),
    "application_returned": _application_link(
        r"/applications/(\d+)/edit", lambda db, a: _events_to(db, a, ApplicationStatus.RETURNED)),
    "application_eligible": _application_link(
        r"/applications/(\d+)", lambda db, a: _events_to(db, a, ApplicationStatus.ELIGIBLE)),
    "application_under_review": _application_link(
        r"/applications/(\d+)", lambda db, a: db.scalar(select(Assignment.id).where(
            Assignment.application_id == a.id, Assignment.status == AssignmentStatus.ACTIVE))),
    "application_shortlisted": _application_link(
        r"/applications/(\d+)", lambda db, a: (entry := _latest_entry(db, a)) is not None and entry.in_shortlist),
    "application_not_shortlisted": _application_link(
        r"/applications/(\d+)", lambda db, a: (entry := _latest_entry(db, a)) is not None and not entry.in_shortlist),
    "application_approved": _application_link(
        r"/applications/(\d+)", lambda db, a: db.scalar(select(VoteOutcome.id).where(
            VoteOutcome.application_id == a.id, VoteOutcome.passed.is_(True)))),
    "application_on_notice": _on_notice,
    "application_awarded": _award_result(True),
    "application_not_awarded": _award_result(False),
    "expert_assigned": _assignment_link(r"/review/assignments/(\d+)/pledge", lambda db, a: True),
    "sheet_reopened": _assignment_link(r"/review/assignments/(\d+)/sheet", _reopened),
    "panel_complete": _panel_complete,
    "conflict_declared": _conflict_declared,
    "objection_received": _objection_received,
    "vote_opened": _vote_opened(VoteBody.LEADING_GROUP, r"/approval/cycles/(\d+)/ballot"),
    "committee_vote_opened": _vote_opened(VoteBody.COMMITTEE, r"/approval/cycles/(\d+)/committee/ballot"),
    "application_onsite_scheduled": _application_link(r"/applications/(\d+)", _onsite_seat),
    "visit_scheduled": _application_link(
        r"/applications/(\d+)", lambda db, a: db.scalar(select(SiteVisit.id).where(SiteVisit.application_id == a.id))),
    "visit_team_scheduled": _visit_team_scheduled,
    "presentation_scheduled": _application_link(
        r"/applications/(\d+)", lambda db, a: db.scalar(select(PresentationSlot.id).where(
            PresentationSlot.application_id == a.id))),
}


def test_every_notice_points_at_what_it_speaks_of(db):
    notices = db.scalars(select(Notification).order_by(Notification.id)).all()
    assert notices
    unchecked = {n.kind for n in notices} - set(CHECKS)
    assert not unchecked, f"add a check for the kinds {unchecked}"
    for notice in notices:
        CHECKS[notice.kind](db, db.get(User, notice.user_id), notice.link)


def test_no_notice_is_written_by_hand(db):
    """A seeded notice carries the service's own link and dedupe key, never the old demo marker."""
    assert db.scalar(select(Notification.id).where(Notification.link == "/dashboard")) is None
    assert db.scalar(select(Notification.id).where(Notification.dedupe_key.like("%:demo"))) is None


# ----------------------------------------------------------------------------- panels

def test_no_expert_sits_against_a_declared_relation(db):
    seated = 0
    for cycle in db.scalars(select(Cycle)):
        forbidden = conflicted_pairs(db, cycle)
        seats = db.execute(select(Assignment.application_id, Assignment.expert_id)
                           .join(ReviewRound, ReviewRound.id == Assignment.round_id)
                           .where(ReviewRound.cycle_id == cycle.id,
                                  Assignment.status == AssignmentStatus.ACTIVE)).all()
        assert not {(a, e) for a, e in seats} & forbidden, cycle.title
        seated += len(seats)
    assert seated >= 40


def test_the_demo_s_declared_relations_do_conflict_somewhere(db):
    """The check above is not empty: the seeded relations do rule pairs out."""
    assert any(conflicted_pairs(db, cycle) for cycle in db.scalars(select(Cycle)))


# ----------------------------------------------------------------------------- applications

def _decided_on(db: Session) -> set[int]:
    ids = set(db.scalars(select(ShortlistEntry.application_id).where(ShortlistEntry.in_shortlist.is_(True))))
    ids |= set(db.scalars(select(VoteCandidate.application_id)))
    ids |= set(db.scalars(select(NoticeCandidate.application_id)))
    ids |= set(db.scalars(select(Award.application_id)))
    return ids


def test_everything_shortlisted_voted_or_awarded_is_a_complete_application(db):
    decided = _decided_on(db)
    assert len(decided) >= 7
    for application in db.scalars(select(Application).where(Application.id.in_(decided))):
        name = application.org_name
        assert application.status is ApplicationStatus.ELIGIBLE, name
        assert all(getattr(application, field) not in (None, "") for field in (
            "address", "district", "sector", "employees", "revenue", "founded_on", "qms_certified_on")), name
        assert application.declaration_confirmed, name
        texts = application.self_assessment
        for item in cycle_rubric(application.cycle).items:
            assert len(texts.get(item.id, "").strip()) >= MIN_SELF_ASSESSMENT_CHARS, (name, item.id)
        assert db.scalar(select(EvidenceFile.id).where(EvidenceFile.application_id == application.id)), name
        assert db.scalar(select(ScoreSheet.id).join(Assignment).where(
            Assignment.application_id == application.id, ScoreSheet.status == SheetStatus.SUBMITTED)), name


def test_every_screened_application_has_every_rule_decided_with_its_reasons(db):
    screened = db.scalars(select(Application).where(Application.status.in_(
        [ApplicationStatus.ELIGIBLE, ApplicationStatus.INELIGIBLE]))).all()
    assert screened
    for application in screened:
        results = db.scalars(select(ScreeningResult).where(ScreeningResult.application_id == application.id)).all()
        assert len(results) == 8, application.org_name
        for result in results:
            if result.automatic is RuleOutcome.REVIEW or result.decision is not result.automatic:
                assert result.reason.strip(), (application.org_name, result.rule)
    manual = db.scalars(select(ScreeningResult).where(ScreeningResult.automatic == RuleOutcome.REVIEW)).all()
    assert manual, "the demo shows at least one manual check (需人工核查) and its reason"


# ----------------------------------------------------------------------------- audit

def _audited(db: Session, action: str, target_type: str) -> set[str]:
    return set(db.scalars(select(AuditRecord.target_id).where(AuditRecord.action == action,
                                                             AuditRecord.target_type == target_type)))


AUDITED = [  # (model, the action its service records, target type, which id the record names)
    (User, ("user.created", "user.registered"), "user", lambda row: row.id),
    (Cycle, ("cycle.created",), "cycle", lambda row: row.id),
    (CycleCall, ("call.saved",), "call", lambda row: row.id),
    (Application, ("application.started",), "application", lambda row: row.id),
    (EvidenceFile, ("application.evidence_added",), "application", lambda row: row.application_id),
    (ScreeningResult, ("application.screening_recorded",), "application", lambda row: row.application_id),
    (ExpertProfile, ("pool.expert_created",), "expert_profile", lambda row: row.id),
    (ExpertRelation, ("pool.relation_added",), "expert_relation", lambda row: row.id),
    (GroupLink, ("pool.group_link_added",), "group_link", lambda row: row.id),
    (ReviewRound, ("review.round_created",), "review_round", lambda row: row.id),
    (AssignmentDraw, ("review.panels_drawn",), "assignment_draw", lambda row: row.id),
    (RankingSnapshot, ("ranking.frozen",), "ranking_snapshot", lambda row: row.id),
    (VoteSession, ("approval.vote_opened",), "vote_session", lambda row: row.id),
    (Ballot, ("approval.ballot_cast",), "vote_session", lambda row: row.session_id),
    (PublicNotice, ("notice.published",), "public_notice", lambda row: row.id),
    (Objection, ("notice.objection_filed",), "objection", lambda row: row.id),
    (Award, ("award.granted",), "award", lambda row: row.id),
]


@pytest.mark.parametrize(("model", "actions", "target_type", "target"), AUDITED,
                         ids=[row[0].__name__ for row in AUDITED])
def test_every_row_has_the_audit_record_of_its_service(db, model, actions, target_type, target):
    rows = db.scalars(select(model)).all()
    assert rows, f"the demo seeds no {model.__name__}"
    audited = set().union(*(_audited(db, action, target_type) for action in actions))
    missing = [row.id for row in rows if str(target(row)) not in audited]
    assert not missing, f"{model.__name__} rows without {actions}: {missing}"


def test_every_submitted_sheet_was_submitted_by_its_expert(db):
    sheets = db.scalars(select(ScoreSheet).where(ScoreSheet.status == SheetStatus.SUBMITTED)).all()
    submitted = {record.target_id: record.actor_id for record in db.scalars(
        select(AuditRecord).where(AuditRecord.action == "review.sheet_submitted"))}
    assert sheets
    for sheet in sheets:
        assert submitted.get(str(sheet.id)) == sheet.assignment.expert_id, sheet.id


# ----------------------------------------------------------------------------- the two procedures

def _stages_walked(db: Session, cycle: Cycle) -> list[str]:
    records = db.scalars(select(AuditRecord).where(AuditRecord.action == "cycle.stage_changed",
                                                   AuditRecord.target_id == str(cycle.id))
                         .order_by(AuditRecord.seq)).all()
    return [records[0].before["stage"], *(record.after["stage"] for record in records)] if records else []


def test_the_full_procedure_cycle_walked_every_stage_of_its_procedure(db):
    cycle = db.scalar(select(Cycle).where(Cycle.title == FULL_PROCEDURE_TITLE))
    procedure = procedure_of(cycle)
    assert all(procedure.has(step) for step in Step), procedure.steps
    walked = _stages_walked(db, cycle)
    assert walked == [stage.value for stage in procedure.stages[:procedure.stages.index(Stage.AWARDED) + 1]]
    assert cycle.stage is Stage.AWARDED


def test_the_full_procedure_cycle_shows_each_stage_s_work(db):
    cycle = db.scalar(select(Cycle).where(Cycle.title == FULL_PROCEDURE_TITLE))
    kinds = set(db.scalars(select(ReviewRound.kind).where(ReviewRound.cycle_id == cycle.id)))
    assert kinds == {RoundKind.DOCUMENT, RoundKind.PRESENTATION, RoundKind.ONSITE}
    visit = db.scalar(select(SiteVisit).join(ReviewRound).where(ReviewRound.cycle_id == cycle.id))
    assert visit is not None and visit.checks and visit.photos
    levels = {finding.level for finding in db.scalars(select(SocialFinding).where(SocialFinding.cycle_id == cycle.id))}
    assert FindingLevel.NOTED in levels
    assert db.scalar(select(SocialRecord.id)) is not None
    bodies = {vote.body for vote in db.scalars(select(VoteSession).where(VoteSession.cycle_id == cycle.id))}
    assert bodies == {VoteBody.COMMITTEE, VoteBody.LEADING_GROUP}
    awarded = {award.level for award in db.scalars(select(Award).join(Application).where(
        Application.cycle_id == cycle.id))}
    assert awarded == {1, 2}


def test_the_other_demo_cycles_keep_the_minimal_procedure(db):
    for cycle in db.scalars(select(Cycle).where(Cycle.title != FULL_PROCEDURE_TITLE)):
        procedure = procedure_of(cycle)
        assert not any(procedure.has(step) for step in (Step.PRESENTATION, Step.SOCIAL_EVALUATION, Step.COMMITTEE)), \
            cycle.title
