"""The world of tests/test_service_guards.py, built once per module with `module_world` (tests/conftest.py).

It holds a person of every role (and a second enterprise), and for each area the objects its guarded
services act on, in the stage where the office (or the rightful expert, enterprise or leader) could
go ahead. Objects are handed over as (model, id): each test loads them in its own session.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceStore
from award.applications.models import Application, ApplicationStatus, EvidenceFile
from award.approval.services import open_vote
from award.auth.models import Role, User
from award.awards import after, reassessment
from award.awards.models import Award
from award.awards.numbers import new_certificate_number
from award.certificates import services as certificates
from award.certificates.seals import SealStore
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric
from award.cycles.settings import IssuerSettings
from award.db import utcnow
from award.documents.models import PrinterProfile
from award.i18n import local_zone
from award.notice.models import NoticeCandidate, Objection, PublicNotice
from award.notice.periods import PeriodKind
from award.notifications.kinds import Kind
from award.notifications.services import notify
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus, ReviewRound, RoundKind, RoundStatus
from award.scoring import services as scoring
from award.visits.models import SiteVisit, VisitPhoto
from tests.approval.access_world import applications_of, frozen_snapshot
from tests.approval.world import pdf_bytes
from tests.certificates.world import png_seal
from tests.conftest import fresh_credit_code
from tests.rounds.factories import full_entries

# The people every guard is tried with; a row of the table names those it lets through.
PERSONAS = ("office", "supervisor", "leader", "expert", "enterprise", "stranger")


def pdf_free_photo() -> bytes:
    """A small PNG, as a phone's photo would be a JPEG: what an on-site photo row points at."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 60)).save(out, format="PNG")
    return out.getvalue()


def _profile(db: Session, user: User, *, in_pool: bool = True) -> ExpertProfile:
    profile = ExpertProfile(user_id=user.id, title="高级工程师", organization_code=fresh_credit_code(),
                            organization_name=f"{user.full_name}所在单位", sectors=["C"], in_pool=in_pool)
    db.add(profile)
    db.flush()
    return profile


def _evidence(db: Session, application: Application, root: Path) -> EvidenceFile:
    stored = EvidenceStore(root / "evidence").save(pdf_bytes())
    evidence = EvidenceFile(application_id=application.id, stored_name=stored.stored_name, display_name="证明.pdf",
                            content_type="application/pdf", size_bytes=stored.size_bytes, sha256=stored.sha256,
                            uploaded_at=utcnow())
    db.add(evidence)
    db.flush()
    return evidence


def build_guards_world(db: Session, app: Flask, root: Path, *, make_user, make_cycle,  # noqa: ANN001
                       make_organization) -> dict[str, object]:
    refs: dict[str, Any] = {}
    users = {persona: make_user(Role(persona) if persona != "stranger" else Role.ENTERPRISE)
             for persona in PERSONAS}
    office, owner = users["office"], users["enterprise"]

    # Applications: the enterprise's complete draft in a cycle taking applications, and a second
    # open cycle where it has none yet.
    apply_cycle = make_cycle(stage=Stage.APPLICATION)
    application = Application(cycle_id=apply_cycle.id, organization_id=owner.organization_id,
                              status=ApplicationStatus.DRAFT, org_name=owner.organization.name,
                              address="苏州市工业园区星湖街 1 号", district="工业园区", sector="C", employees=320,
                              revenue=Decimal("12000"), founded_on=dt.date(2008, 5, 1),
                              qms_certified_on=dt.date(2012, 3, 1), declaration_confirmed=True,
                              self_assessment={i.id: f"{i.id} 自评" for i in cycle_rubric(apply_cycle).items})
    db.add(application)
    db.flush()
    refs.update(apply_cycle=apply_cycle, application=application, evidence=_evidence(db, application, root),
                open_cycle=make_cycle(stage=Stage.APPLICATION))

    # Review: an open document round with two applications; on the first every sheet is in and
    # the team leader has proposed a consensus, on the second one seat has signed the pledge.
    review_cycle = make_cycle(stage=Stage.SCREENING, cutoff_score=Decimal("60"))
    reviewed = [Application(cycle_id=review_cycle.id, organization_id=organization.id,
                            status=ApplicationStatus.ELIGIBLE, org_name=organization.name, sector="C",
                            self_assessment={i.id: f"{i.id} 自评" for i in cycle_rubric(review_cycle).items})
                for organization in (make_organization(), owner.organization)]
    db.add_all(reviewed)
    pool = [make_user(Role.EXPERT) for _ in range(5)]
    for user in pool:
        _profile(db, user)
    db.commit()
    review_round = rounds.create_round(db, actor=office, cycle=review_cycle, kind=RoundKind.DOCUMENT)
    draw = panels.run_assignment(db, actor=office, review_round=review_round, mode=AssignmentSource.OPTIMAL)
    review_cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(db, actor=office, review_round=review_round)

    def panel(application: Application) -> list[Assignment]:
        return list(db.scalars(select(Assignment).where(
            Assignment.round_id == review_round.id, Assignment.application_id == application.id,
            Assignment.status == AssignmentStatus.ACTIVE).order_by(Assignment.is_leader.desc(), Assignment.expert_id)))

    agreed, scored = reviewed
    for seat in panel(agreed):
        scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
        sheet = scoring.submit_sheet(db, actor=seat.expert, assignment=seat, entries=full_entries(review_cycle),
                                     expected_version=1)
    leader_seat, member_seat = panel(agreed)[:2]
    scoring.propose_consensus(db, actor=leader_seat.expert, review_round=review_round, application=agreed,
                              proposals={e.item_id: scoring.ConsensusEntry(percent=50)
                                         for e in full_entries(review_cycle)})
    others = [s for s in panel(scored) if s.expert_id not in (leader_seat.expert_id, member_seat.expert_id)]
    seat, unpledged = others[:2]
    scoring.sign_pledge(db, actor=seat.expert, assignment=seat)
    refs.update(review_cycle=review_cycle, review_round=review_round, draw=draw, agreed=agreed, scored=scored,
                submitted_sheet=sheet, leader_seat=leader_seat, member_seat=member_seat, seat=seat,
                unpledged=unpledged, scored_evidence=_evidence(db, scored, root),
                team_leader=leader_seat.expert, member=member_seat.expert, seat_expert=seat.expert,
                unpledged_expert=unpledged.expert)

    # A round in preparation, in a cycle still in screening, with one eligible application.
    setup_cycle = make_cycle(stage=Stage.SCREENING, onsite_review=True, cutoff_score=Decimal("60"))
    db.add(Application(cycle_id=setup_cycle.id, organization_id=make_organization().id,
                       status=ApplicationStatus.ELIGIBLE, org_name="待评企业", sector="C"))
    db.flush()
    refs.update(setup_cycle=setup_cycle,
                setup_round=rounds.create_round(db, actor=office, cycle=setup_cycle, kind=RoundKind.DOCUMENT))

    # The pool: the expert persona's profile (not on any panel), a declaration of a panel expert, a group link.
    relation = ExpertRelation(kind=RelationKind.CLIENT, party_code=fresh_credit_code())
    seat_profile = db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == seat.expert_id))
    seat_profile.relations.append(relation)
    link = GroupLink(parent_code=fresh_credit_code(), child_code=fresh_credit_code())
    db.add(link)
    refs.update(profile=_profile(db, users["expert"]), seat_profile=seat_profile, relation=relation, link=link)

    # The vote: a cycle in approval with its shortlist and an open vote, and one whose vote is not open yet.
    vote_cycle = make_cycle(stage=Stage.APPROVAL)
    candidates = applications_of(db, vote_cycle, make_organization, 2)
    frozen_snapshot(db, vote_cycle, candidates)
    vote = open_vote(db, actor=office, cycle=vote_cycle, closes_at=utcnow() + dt.timedelta(days=2))
    unopened_cycle = make_cycle(stage=Stage.APPROVAL)
    frozen_snapshot(db, unopened_cycle, applications_of(db, unopened_cycle, make_organization, 2))
    refs.update(vote_cycle=vote_cycle, vote=vote, candidate=candidates[0], unopened_cycle=unopened_cycle)

    # The public notice, running, with an objection and its evidence.
    notice_cycle = make_cycle(stage=Stage.NOTICE)
    listed = applications_of(db, notice_cycle, make_organization, 1)[0]
    now = utcnow()
    notice = PublicNotice(cycle_id=notice_cycle.id, published_at=now - dt.timedelta(days=1),
                          period_kind=PeriodKind.WORKING, period_length=5, ends_at=now + dt.timedelta(days=6),
                          award_title="市长质量奖", benefits="证书和奖牌", contact="0512-12345678")
    notice.candidates.append(NoticeCandidate(application_id=listed.id, position=1, credit_code="X" * 18,
                                             organization_name=listed.org_name))
    db.add(notice)
    db.flush()
    stored = EvidenceStore(root / "objections").save(pdf_bytes())
    objection = Objection(notice_id=notice.id, candidate_id=notice.candidates[0].id, name="张三",
                          id_number="11010519491231002X", phone="13912345678", text="材料不实",
                          stored_name=stored.stored_name, display_name="证据.pdf", content_type="application/pdf",
                          size_bytes=stored.size_bytes, sha256=stored.sha256, remote_addr="127.0.0.1")
    db.add(objection)
    refs.update(notice_cycle=notice_cycle, objection=objection)

    # An awarded cycle: an award, the certificates' texts and seal, a printer.
    awarded_cycle = make_cycle(stage=Stage.AWARDED, issuers=IssuerSettings(city="苏州市"))
    holder = applications_of(db, awarded_cycle, make_organization, 1)[0]
    award = Award(cycle_id=awarded_cycle.id, application_id=holder.id, organization_id=holder.organization_id,
                  organization_name=holder.org_name, title="市长质量奖", awarded_on=now.date(),
                  valid_until=now.date() + dt.timedelta(days=3 * 365),
                  certificate_number=new_certificate_number(now.year))
    db.add(award)
    certificates.replace_seal(db, actor=office, cycle=awarded_cycle, data=png_seal(), store=SealStore(root / "seals"))
    printer = PrinterProfile(name="办公室激光打印机", offset_x_mm=Decimal("1.5"), offset_y_mm=Decimal("-2.0"))
    db.add(printer)
    refs.update(awarded_cycle=awarded_cycle, award=award, printer=printer)

    # On-site visits: a cycle in on-site review, its open round, a team whose member is `visit_expert`, a visit
    # with a photo; and a cycle in deliberation whose candidate awaits its social evaluation.
    visit_cycle = make_cycle(stage=Stage.ONSITE_REVIEW, onsite_review=True)
    visit_application = applications_of(db, visit_cycle, make_organization, 1)[0]
    visit_round = ReviewRound(cycle_id=visit_cycle.id, kind=RoundKind.ONSITE, status=RoundStatus.OPEN,
                              experts_per_application=1, required_sheets=1)
    db.add(visit_round)
    db.flush()
    visit_expert = make_user(Role.EXPERT)
    db.add(Assignment(round_id=visit_round.id, application_id=visit_application.id, expert_id=visit_expert.id,
                      is_leader=True, source=AssignmentSource.MANUAL, pledge_signed_at=now))
    visit = SiteVisit(round_id=visit_round.id, application_id=visit_application.id, visit_on=now.date(),
                      itinerary="9:00 座谈")
    db.add(visit)
    db.flush()
    photo_data = pdf_free_photo()
    stored_photo = EvidenceStore(root / "visit_photos").save(photo_data)
    visit_photo = VisitPhoto(visit_id=visit.id, item_id="4.1.2", stored_name=stored_photo.stored_name,
                             display_name="现场.png", content_type="image/png", size_bytes=stored_photo.size_bytes,
                             sha256=stored_photo.sha256)
    db.add(visit_photo)
    social_cycle = make_cycle(stage=Stage.DELIBERATION)
    refs.update(visit_cycle=visit_cycle, visit_application=visit_application, visit_round=visit_round,
                visit_expert=visit_expert, visit=visit, visit_photo=visit_photo, social_cycle=social_cycle,
                social_candidate=applications_of(db, social_cycle, make_organization, 1)[0])
    # After the award: the enterprise's own award with a follow-up report (and its file), and a
    # re-assessment cycle of it whose review is over (in ranking), its outcome still open.
    own = Application(cycle_id=awarded_cycle.id, organization_id=owner.organization_id,
                      status=ApplicationStatus.ELIGIBLE, org_name=owner.organization.name, sector="C")
    db.add(own)
    db.flush()
    own_award = Award(cycle_id=awarded_cycle.id, application_id=own.id, organization_id=owner.organization_id,
                      organization_name=own.org_name, title="市长质量奖",
                      awarded_on=now.date() - dt.timedelta(days=400),
                      valid_until=now.date() + dt.timedelta(days=200),
                      certificate_number=new_certificate_number(now.year))
    db.add(own_award)
    db.flush()
    report = after.submit_report(db, actor=owner, award=own_award, store=EvidenceStore(root / "follow_up"),
                                 zone=local_zone(), report=after.ReportInput(
                                     year=own_award.awarded_on.year, experience="经验分享", improvements="改进成效",
                                     data=pdf_bytes(), filename="报告.pdf"))
    reassess_cycle = reassessment.open_reassessment(
        db, actor=office, today=now.date(),
        plan=reassessment.ReassessmentPlan(year=now.year, title="市长质量奖复审（守卫）", award_ids=[own_award.id]))
    reassess_cycle.stage = Stage.DELIBERATION
    refs.update(own_award=own_award, follow_up_report=report, reassess_cycle=reassess_cycle,
                reassessment=reassessment.reassessments_of(db, reassess_cycle)[0])

    refs["notification"] = notify(db, user=office, kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"},
                                  link="/dashboard")
    refs.update(users)
    db.commit()
    return {name: (type(obj), obj.id) for name, obj in refs.items()}

