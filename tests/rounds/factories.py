"""Factories for the rounds, panels and scoring tests: a cycle with eligible applications and a
pool of experts from distinct organizations, a round with panels, and full valid sheets."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.pool.models import ExpertProfile
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus, ReviewRound, RoundKind
from award.scoring.rules import ItemEntry

__all__ = ["ReviewWorld", "full_entries", "opened", "pledged_seat", "review_world"]


@dataclass
class ReviewWorld:
    cycle: Cycle
    office: User
    applications: list[Application]
    experts: list[User]
    review_round: ReviewRound | None = None
    extra: dict = field(default_factory=dict)

    def panel(self, db, application: Application) -> list[Assignment]:
        return list(db.scalars(select(Assignment).where(
            Assignment.round_id == self.review_round.id, Assignment.application_id == application.id,
            Assignment.status == AssignmentStatus.ACTIVE).order_by(Assignment.expert_id)))


def full_entries(cycle: Cycle, percent_of=lambda item: 50, **overrides) -> list[ItemEntry]:
    """A complete, valid sheet: the band holding the percentage, comments, a justification."""
    rubric = cycle_rubric(cycle)
    entries = []
    for item in rubric.items:
        percent = percent_of(item)
        band = rubric.band_for_percent(item, percent)
        entries.append(ItemEntry(item_id=item.id, band_id=band.id, percent=percent,
                                 strength=f"{item.id} 方法系统", improvement=f"{item.id} 展开不足",
                                 justification="证据充分" if band.justification_required else "",
                                 **overrides))
    return entries


@pytest.fixture
def review_world(db, make_user, make_cycle, make_organization):
    """make(rubric_key=..., applications=1, experts=5, sectors=..., stage=...) → ReviewWorld.

    With `panels=True` the document round is created and drawn optimally, the cycle moved to
    document review and the round opened."""

    def make(*, rubric_key: str = "gbt19580-2012", applications: int = 1, experts: int = 5,
             sectors: tuple[str, ...] = ("C",), app_sector: str = "C", stage: Stage = Stage.SCREENING,
             panel_size: int = 5, panels_drawn: bool = False, opened: bool = False) -> ReviewWorld:
        cycle = make_cycle(stage=stage, rubric_key=rubric_key, experts_per_application=max(panel_size, 5),
                           cutoff_score=Decimal("60"))
        office = make_user(Role.OFFICE)
        apps = []
        for _ in range(applications):
            organization = make_organization()
            apps.append(Application(cycle_id=cycle.id, organization_id=organization.id,
                                    status=ApplicationStatus.ELIGIBLE, org_name=organization.name,
                                    sector=app_sector,
                                    self_assessment={i.id: f"{i.id} 自评内容" for i in cycle_rubric(cycle).items}))
        db.add_all(apps)
        pool = []
        for _ in range(experts):
            user = make_user(Role.EXPERT)
            organization = make_organization()
            db.add(ExpertProfile(user_id=user.id, title="高级工程师", organization_code=organization.credit_code,
                                 organization_name=organization.name, sectors=list(sectors), in_pool=True))
            pool.append(user)
        db.commit()
        world = ReviewWorld(cycle=cycle, office=office, applications=apps, experts=pool)
        if panels_drawn or opened:
            world.review_round = rounds.create_round(
                db, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT,
                settings=rounds.RoundSettings(method=rounds.AggregationMethod.TRIMMED_MEAN, deadline=None,
                                              experts_per_application=panel_size, required_sheets=panel_size))
            panels.run_assignment(db, actor=office, review_round=world.review_round, mode=AssignmentSource.OPTIMAL)
            db.commit()
        if opened:
            cycle.stage = Stage.DOCUMENT_REVIEW
            rounds.open_round(db, actor=office, review_round=world.review_round)
            db.commit()
        return world

    return make


@pytest.fixture
def opened(review_world):
    return review_world(experts=6, opened=True)


def pledged_seat(db, client, login, world):
    seat = world.panel(db, world.applications[0])[0]
    login(seat.expert)
    client.post(f"/review/assignments/{seat.id}/pledge", data={"agree": "yes"})
    return seat
