"""A cycle with an open on-site round: one eligible application, its enterprise account, a team of three
experts (the first is the team leader) and an expert who is on no team."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.rounds.models import (
    AggregationMethod,
    Assignment,
    AssignmentSource,
    ReviewRound,
    RoundKind,
    RoundStatus,
)


@dataclass
class VisitWorld:
    cycle: Cycle
    application: Application
    review_round: ReviewRound
    enterprise: User
    office: User
    supervisor: User
    team: list[User]
    outsider: User


def visit_world(db, *, make_user, make_cycle, make_organization, users: dict[str, User] | None = None,
                status: RoundStatus = RoundStatus.OPEN) -> VisitWorld:
    cycle = make_cycle(stage=Stage.ONSITE_REVIEW, onsite_review=True)
    organization = make_organization(name="苏州精密制造有限公司")
    enterprise = make_user(Role.ENTERPRISE, organization=organization)
    application = Application(cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.ELIGIBLE,
                              org_name=organization.name, sector="C")
    db.add(application)
    db.flush()
    review_round = ReviewRound(cycle_id=cycle.id, kind=RoundKind.ONSITE, status=status,
                               method=AggregationMethod.MEAN, experts_per_application=3, required_sheets=3,
                               range_threshold_pct=Decimal(30), std_threshold_pct=Decimal(12))
    db.add(review_round)
    db.flush()
    users = users or {}
    team = [users.get("expert") or make_user(Role.EXPERT, name="王组长"), make_user(Role.EXPERT, name="李专家"),
            make_user(Role.EXPERT, name="赵专家")]
    for index, expert in enumerate(team):
        db.add(Assignment(round_id=review_round.id, application_id=application.id, expert_id=expert.id,
                          is_leader=index == 0, source=AssignmentSource.MANUAL, pledge_signed_at=utcnow()))
    db.flush()
    return VisitWorld(cycle=cycle, application=application, review_round=review_round, enterprise=enterprise,
                      office=users.get("office") or make_user(Role.OFFICE),
                      supervisor=users.get("supervisor") or make_user(Role.SUPERVISOR), team=team,
                      outsider=make_user(Role.EXPERT))
