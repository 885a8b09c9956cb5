"""A small review world on the database: applications, a round, experts and scored sheets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.rounds.models import (
    AggregationMethod,
    Assignment,
    AssignmentSource,
    AssignmentStatus,
    CountedRecord,
    ReviewRound,
    RoundKind,
    RoundStatus,
)
from award.scoring.models import ConsensusConfirmation, ConsensusScore, ItemScore, ScoreSheet, SheetStatus
from award.scoring.packed import pack_points


class ReviewWorld:
    """Builds what the ranking reads. Percentages apply to every item unless given per item."""

    def __init__(self, db, make_user, make_organization, cycle: Cycle) -> None:
        self.db, self.make_user, self.make_organization, self.cycle = db, make_user, make_organization, cycle
        self.rubric = cycle_rubric(cycle)
        self.experts: list[User] = []

    def application(self, *, sector: str = "C", name: str | None = None,
                    status: ApplicationStatus = ApplicationStatus.ELIGIBLE) -> Application:
        organization = self.make_organization(name=name)
        application = Application(cycle_id=self.cycle.id, organization_id=organization.id, status=status,
                                  org_name=organization.name, sector=sector)
        self.db.add(application)
        self.db.flush()
        return application

    def round(self, *, kind: RoundKind = RoundKind.DOCUMENT, method: str = "trimmed_mean", required_sheets: int = 5,
              range_pct: int = 30, std_pct: int = 12,
              counts: CountedRecord = CountedRecord.INDEPENDENT) -> ReviewRound:
        review_round = ReviewRound(cycle_id=self.cycle.id, kind=kind, status=RoundStatus.CLOSED,
                                   method=AggregationMethod(method), required_sheets=required_sheets, counts=counts,
                                   experts_per_application=required_sheets,
                                   range_threshold_pct=Decimal(range_pct), std_threshold_pct=Decimal(std_pct))
        self.db.add(review_round)
        self.db.flush()
        return review_round

    def expert(self, index: int) -> User:
        while len(self.experts) <= index:
            self.experts.append(self.make_user(Role.EXPERT))
        return self.experts[index]

    def sheet(self, review_round: ReviewRound, application: Application, expert: User, percent: int,
              *, per_item: dict[str, int] | None = None, status: SheetStatus = SheetStatus.SUBMITTED,
              assignment_status: AssignmentStatus = AssignmentStatus.ACTIVE, status_reason: str = "",
              skip_items: tuple[str, ...] = (), packed: bool = True) -> ScoreSheet:
        """A sheet as `submit_sheet` leaves it: submitted ones carry their points packed too, unless
        `packed` is False (a sheet submitted before the packed column existed)."""
        assignment = Assignment(round_id=review_round.id, application_id=application.id, expert_id=expert.id,
                                status=assignment_status, source=AssignmentSource.MANUAL, status_reason=status_reason)
        self.db.add(assignment)
        self.db.flush()
        sheet = ScoreSheet(assignment_id=assignment.id, status=status)
        total = Decimal(0)
        for item in self.rubric.items:
            if item.id in skip_items:
                continue
            pct = (per_item or {}).get(item.id, percent)
            points = (Decimal(item.points) * pct / 100).quantize(Decimal("0.01"))
            total += points
            sheet.items.append(ItemScore(item_id=item.id, percent=pct, points=points, band_id="b",
                                         strength="s", improvement="i"))
        sheet.total = total
        if packed and status is SheetStatus.SUBMITTED:
            sheet.item_points = pack_points([item.id for item in self.rubric.items],
                                            {i.item_id: i.points for i in sheet.items})
        self.db.add(sheet)
        self.db.flush()
        return sheet

    def panel(self, review_round: ReviewRound, application: Application, percents: list[int],
              first_expert: int = 0) -> list[User]:
        """One sheet per percentage, experts first_expert, first_expert + 1, ..."""
        experts = [self.expert(first_expert + k) for k in range(len(percents))]
        for expert, pct in zip(experts, percents, strict=True):
            self.sheet(review_round, application, expert, pct)
        return experts

    def consensus(self, review_round: ReviewRound, application: Application, item_id: str, percent: int,
                  proposer: User) -> ConsensusScore:
        points = (Decimal(self.rubric.item(item_id).points) * percent / 100).quantize(Decimal("0.01"))
        row = ConsensusScore(round_id=review_round.id, application_id=application.id, item_id=item_id,
                             percent=percent, points=points, reason="agreed", proposed_by_id=proposer.id)
        self.db.add(row)
        self.db.flush()
        return row

    def consensus_sheet(self, review_round: ReviewRound, application: Application, percent: int, *,
                        per_item: dict[str, int] | None = None, confirmed: bool = True) -> list[ConsensusScore]:
        """The panel's consensus on every item, proposed by its first member; confirmed by every
        active member unless `confirmed` is False (then only the proposer has)."""
        members = [a for a in self.db.scalars(select(Assignment).where(
            Assignment.round_id == review_round.id, Assignment.application_id == application.id,
            Assignment.status == AssignmentStatus.ACTIVE).order_by(Assignment.expert_id))]
        proposer = self.db.get(User, members[0].expert_id)
        rows = [self.consensus(review_round, application, item.id, (per_item or {}).get(item.id, percent), proposer)
                for item in self.rubric.items]
        for member in members if confirmed else members[:1]:
            self.db.add(ConsensusConfirmation(round_id=review_round.id, application_id=application.id,
                                              expert_id=member.expert_id))
        self.db.flush()
        return rows


@pytest.fixture
def deliberation_cycle(make_cycle) -> Cycle:
    return make_cycle(stage=Stage.DELIBERATION)


@pytest.fixture
def world(db, make_user, make_organization, deliberation_cycle) -> ReviewWorld:
    return ReviewWorld(db, make_user, make_organization, deliberation_cycle)


@pytest.fixture
def office(make_user) -> User:
    return make_user(Role.OFFICE)
