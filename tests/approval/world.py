"""A cycle in leading-group approval with a frozen shortlist, built through the real review and ranking."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfWriter

from award.applications.models import Application
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.ranking.models import RankingSnapshot
from award.ranking.services import freeze_shortlist
from tests.ranking.conftest import ReviewWorld


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Shortlisted:
    cycle: Cycle
    office: User
    applications: list[Application]
    snapshot: RankingSnapshot


def shortlisted_cycle(db, *, make_user, make_organization, make_cycle, office: User | None = None,
                      names: tuple[str, ...] = ("甲精密制造有限公司", "乙电子有限公司", "丙新材料有限公司"),
                      stage: Stage = Stage.APPROVAL, **cycle_settings) -> Shortlisted:
    """Applications scored by a panel of five, ranked and frozen; every one above the cut-off."""
    office = office or make_user(Role.OFFICE)
    cycle = make_cycle(stage=Stage.DELIBERATION, **cycle_settings)
    world = ReviewWorld(db, make_user, make_organization, cycle)
    review_round = world.round(method="trimmed_mean")
    applications = []
    for index, name in enumerate(names):
        application = world.application(name=name)
        base = 90 - 5 * index
        world.panel(review_round, application, [base, base, base - 5, base - 5, base - 10])
        applications.append(application)
    db.commit()
    snapshot = freeze_shortlist(db, actor=office, cycle=cycle)
    cycle.stage = stage  # set-up only: the cycle page's transition is tested by the cycles area
    db.commit()
    return Shortlisted(cycle, office, applications, snapshot)
