"""A cycle whose procedure has a presentation round ranks by the procedure's frozen weights.

Every sheet gives one percentage to every item, so a GB/T 19580 sheet totals 10 x percentage and a
presentation sheet (100-point form) totals the percentage itself; brought to 1000 points it counts 10 x.
Weights: document 0.5, presentation 0.2, on-site 0.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from award.applications.models import Application
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.services import set_procedure
from award.ranking import services
from award.ranking.models import RankingSnapshot
from award.rounds.models import ReviewRound, RoundKind
from award.rubrics import RUBRICS_DIR, load_rubric
from tests.ranking.conftest import ReviewWorld

STEPS = ["screening", "document_review", "presentation", "onsite_review", "leading_group", "notice", "award"]
WEIGHTS = {"document_review": "0.5", "presentation": "0.2", "onsite_review": "0.3"}


@dataclass
class ThreeRounds:
    cycle: Cycle
    office: User
    world: ReviewWorld
    document: ReviewRound
    presentation: ReviewRound
    onsite: ReviewRound
    applications: dict[str, Application]


def three_round_cycle(db, make_user, make_organization, make_cycle) -> ThreeRounds:
    """Three applications scored in document review, presentation and on-site review, in deliberation.

    甲: 600 / 90 (900) / 700 -> 0.5 x 600 + 0.2 x 900 + 0.3 x 700 = 690.00
    乙: 800 / 50 (500) / 600 -> 0.5 x 800 + 0.2 x 500 + 0.3 x 600 = 680.00 (first without the presentation)
    丙: 900 / -  / 900 -> no presentation score, not ranked
    """
    office = make_user(Role.OFFICE)
    cycle = make_cycle(onsite_review=True)
    set_procedure(db, actor=office, cycle=cycle, steps=STEPS, weights=WEIGHTS)
    cycle.stage = Stage.DELIBERATION
    db.flush()
    world = ReviewWorld(db, make_user, make_organization, cycle)
    document = world.round(method="mean")
    onsite = world.round(kind=RoundKind.ONSITE, method="mean", required_sheets=3)
    presentation = world.round(kind=RoundKind.PRESENTATION, method="mean", required_sheets=3)
    form = load_rubric(RUBRICS_DIR / "presentation-100.toml")
    presentation.rubric_key, presentation.rubric_text, presentation.rubric_hash = form.key, form.text, \
        form.content_hash
    apps = {name: world.application(name=f"{name}质量有限公司") for name in ("甲", "乙", "丙")}
    for name, doc, pres, site in (("甲", 60, 90, 70), ("乙", 80, 50, 60), ("丙", 90, None, 90)):
        world.panel(document, apps[name], [doc] * 5)
        world.panel(onsite, apps[name], [site] * 3, first_expert=5)
        if pres is not None:
            world.rubric, gbt = form, world.rubric  # the presentation sheets are scored on their own form
            world.panel(presentation, apps[name], [pres] * 3, first_expert=8)
            world.rubric = gbt
    db.flush()
    return ThreeRounds(cycle, office, world, document, presentation, onsite, apps)


@pytest.fixture
def three(db, make_user, make_organization, make_cycle) -> ThreeRounds:
    return three_round_cycle(db, make_user, make_organization, make_cycle)


def _entry(ranking, application):
    return next(e for e in ranking.entries if e.application_id == application.id)


def test_a_three_round_cycle_ranks_by_the_hand_computed_weighted_totals(three):
    ranking = services.compute_ranking(three.world.db, three.cycle)
    first, second, missing = (_entry(ranking, three.applications[n]) for n in ("甲", "乙", "丙"))
    assert (first.rank, first.total) == (1, 690.0)
    assert (second.rank, second.total) == (2, 680.0)
    assert (missing.rank, missing.reason) == (None, "no_presentation")
    assert ranking.counted_of(three.applications["甲"].id) == {
        "document": "independent", "presentation": "independent", "onsite": "independent"}


def test_the_tie_break_categories_are_the_rubric_rounds_mixed_by_their_weights(three):
    ranking = services.compute_ranking(three.world.db, three.cycle)
    # 甲's results category 4.7 (400 points): document 240, on-site 280 -> (0.5 x 240 + 0.3 x 280) / 0.8
    assert ranking.categories(three.applications["甲"].id)["4.7"] == 255.0


def test_a_presentation_round_not_scored_yet_ranks_nobody(three):
    three.presentation.status = "setup"
    three.world.db.flush()
    ranking = services.compute_ranking(three.world.db, three.cycle)
    assert all(e.rank is None and e.reason == "no_presentation" for e in ranking.entries)


def test_the_frozen_shortlist_keeps_the_weights_and_the_presentation_round(three):
    snapshot = services.freeze_shortlist(three.world.db, actor=three.office, cycle=three.cycle)
    stored = three.world.db.get(RankingSnapshot, snapshot.id)
    assert stored.settings["weights"] == {
        "weights": {"document": "0.500", "presentation": "0.200", "onsite": "0.300"},
        "form_totals": {"document": 1000, "presentation": 100, "onsite": 1000}, "scale_to": 1000}
    assert stored.settings["rounds"]["presentation"] == three.presentation.id
    assert stored.combine_mode == "weighted" and stored.onsite_weight == Decimal("0.300")
    assert [(e.rank, e.total) for e in stored.entries][:2] == [(1, Decimal("690.00")), (2, Decimal("680.00"))]


def test_the_pages_and_the_export_name_the_presentation_round_and_the_weights(three, client, login, db):
    db.commit()
    login(three.office)
    base = f"/cycles/{three.cycle.id}/ranking"
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "By the procedure&#39;s weights:" in page or "By the procedure's weights:" in page
    assert "Presentation and defence 0.200" in page and "No presentation score" in page
    first = three.applications["甲"].id
    response = client.get(f"{base}/applications/{first}")
    assert response.status_code == 200
    detail = response.get_data(as_text=True)
    assert "<h2>Presentation and defence</h2>" in detail and "Content of the presentation" in detail
    assert client.get(f"{base}/export.csv").status_code == 200
    services.freeze_shortlist(db, actor=three.office, cycle=three.cycle)
    db.commit()
    assert "Presentation and defence" in client.get(f"{base}/snapshot").get_data(as_text=True)
