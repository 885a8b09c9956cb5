"""Objects of the review rounds for the access matrix (tests/test_access.py `world`): an open
document round whose panel holds the expert user (pledge signed, leader) and four others."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role
from award.cycles.models import Stage
from award.pool.models import ExpertProfile
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentSource, RoundKind
from award.scoring import services as scoring
from tests.conftest import fresh_credit_code


def review_access_world(db, *, users, make_user, make_cycle, make_organization) -> dict[str, int]:
    me = users["expert"]
    cycle = make_cycle(stage=Stage.SCREENING, cutoff_score=Decimal("600"))
    organization = make_organization()
    application = Application(cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.ELIGIBLE,
                              org_name=organization.name, sector="C", self_assessment={"4.1.2": "自评"})
    db.add(application)
    experts = [me] + [make_user(Role.EXPERT) for _ in range(4)]
    for user in experts:
        if db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id)) is None:
            db.add(ExpertProfile(user_id=user.id, organization_code=fresh_credit_code(),
                                 organization_name="评审专家单位", sectors=["C"]))
    db.flush()
    office = users["office"]
    review_round = rounds.create_round(db, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT)
    draw = panels.run_assignment(db, actor=office, review_round=review_round, mode=AssignmentSource.OPTIMAL)
    seats = {a.expert_id: a for a in db.scalars(select(Assignment).where(Assignment.round_id == review_round.id))}
    assert me.id in seats, "the expert user must sit on the panel"
    cycle.stage = Stage.DOCUMENT_REVIEW
    rounds.open_round(db, actor=office, review_round=review_round)
    sheet = scoring.sign_pledge(db, actor=me, assignment=seats[me.id])
    other = next(a for e, a in seats.items() if e != me.id)
    db.commit()
    return {"review_cycle_id": cycle.id, "round_id": review_round.id, "draw_id": draw.id,
            "own_assignment_id": seats[me.id].id, "other_assignment_id": other.id, "sheet_id": sheet.id,
            "review_application_id": application.id}
