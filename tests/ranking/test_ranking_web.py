"""The ranking pages: what the office and the supervisor see, freezing, exports, settings, the task."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from award.auth.models import Role
from award.conflicts.models import PinnedConflict
from award.conflicts.rules import ConflictType
from award.cycles.models import Stage
from award.ranking.models import RankingSettings, RankingSnapshot
from award.rounds.models import CountedRecord


@pytest.fixture
def scored(world, office):
    """Three applications with 5 sheets each; one sheet of the first is conflicted after scoring."""
    review_round = world.round(method="trimmed_mean")
    first = world.application(name="第一精密制造有限公司")
    second = world.application(name="第二电子有限公司")
    third = world.application(name="=HYPERLINK(\"x\")")
    experts = world.panel(review_round, first, [90, 85, 80, 80, 75, 70])
    world.panel(review_round, second, [55, 60, 60, 60, 75])  # 600 trimmed; close to the cut-off
    world.panel(review_round, third, [40, 45, 50, 50, 55])
    world.db.add(PinnedConflict(application_id=first.id, expert_id=experts[0].id, type=ConflictType.FINANCIAL,
                                reason="Holds shares of the applicant", created_by_id=office.id))
    world.db.commit()
    return {"first": first, "second": second, "third": third, "round": review_round}


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SUPERVISOR])
def test_ranking_page_shows_method_exclusions_flags_robustness_and_chart(client, login, make_user, world, scored,
                                                                         role):
    login(make_user(role))
    page = client.get(f"/cycles/{world.cycle.id}/ranking/").get_data(as_text=True)
    assert "Trimmed mean" in page and "Official method" in page
    assert "Holds shares of the applicant" in page  # the exclusion and its reason
    assert "1 sheet excluded" in page
    assert "Stable" in page or "Sensitive" in page
    assert "<svg" in page and "Cut-off 600.00" in page
    assert "第一精密制造有限公司" in page
    assert "=HYPERLINK(&#34;x&#34;)" in page or "=HYPERLINK(&quot;x&quot;)" in page  # escaped, not markup
    assert "<script" not in page.split("</head>")[1]
    # The freeze button is the office's only, and only in deliberation.
    assert ("Freeze the shortlist" in page) is (role is Role.OFFICE)


def test_application_page_shows_figures_and_charts(client, login, make_user, world, scored):
    login(make_user(Role.OFFICE))
    response = client.get(f"/cycles/{world.cycle.id}/ranking/applications/{scored['first'].id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<svg") == 2  # spread of expert totals and the category profile
    assert "Holds shares of the applicant" in page
    assert "Dropped by the trimmed mean" in page
    assert "4.7.2" in page and "Median" in page


def test_application_of_another_cycle_is_not_found(client, login, make_user, make_cycle, world, scored):
    other = make_cycle(stage=Stage.DELIBERATION)
    login(make_user(Role.OFFICE))
    assert client.get(f"/cycles/{other.id}/ranking/applications/{scored['first'].id}").status_code == 404


@pytest.mark.parametrize("role", [Role.LEADER, Role.EXPERT, Role.ENTERPRISE])
def test_results_are_hidden_before_the_vote(client, login, make_user, world, scored, role):
    login(make_user(role))
    assert client.get(f"/cycles/{world.cycle.id}/ranking/").status_code == 403
    assert client.get(f"/cycles/{world.cycle.id}/ranking/export.csv").status_code == 403
    assert client.get(f"/cycles/{world.cycle.id}/ranking/snapshot").status_code == 403


def test_office_freezes_the_shortlist(client, login, make_user, world, scored, db):
    login(make_user(Role.OFFICE))
    response = client.post(f"/cycles/{world.cycle.id}/ranking/freeze")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ranking/snapshot")
    snapshot = db.scalars(select(RankingSnapshot)).one()
    assert [e.application_id for e in snapshot.shortlist] == [scored["first"].id, scored["second"].id]
    page = client.get(f"/cycles/{world.cycle.id}/ranking/snapshot").get_data(as_text=True)
    assert snapshot.content_hash in page and "Holds shares of the applicant" in page


def test_freeze_outside_deliberation_is_refused_and_keeps_nothing(client, login, make_user, world, scored, db):
    world.cycle.stage = Stage.DOCUMENT_REVIEW
    db.commit()
    login(make_user(Role.OFFICE))
    response = client.post(f"/cycles/{world.cycle.id}/ranking/freeze")
    assert response.status_code == 409
    assert "only while the cycle is in ranking and shortlist" in response.get_data(as_text=True)
    assert db.scalars(select(RankingSnapshot)).all() == []


def test_exports_download(client, login, make_user, world, scored):
    login(make_user(Role.SUPERVISOR))
    csv_response = client.get(f"/cycles/{world.cycle.id}/ranking/export.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    body = csv_response.get_data()
    assert body.startswith("\ufeff".encode()) and b"'=HYPERLINK" in body
    xlsx = client.get(f"/cycles/{world.cycle.id}/ranking/export.xlsx")
    assert "attachment" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "Total (official method)" in header and "4.7.7" in header
    assert client.get(f"/cycles/{world.cycle.id}/ranking/export.pdf").status_code == 404


def test_settings_form(client, login, make_user, world, db):
    login(make_user(Role.OFFICE))
    url = f"/cycles/{world.cycle.id}/ranking/settings"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"combine_mode": "weighted", "onsite_weight": "0.3", "sector_limits": "C=two",
                                 "min_sheets_for_leniency": "5"})
    assert bad.status_code == 422 and "Cannot read" in bad.get_data(as_text=True)
    good = client.post(url, data={"combine_mode": "weighted", "onsite_weight": "0.3", "sector_limits": "C=2, i:1",
                                  "min_sheets_for_leniency": "4"})
    assert good.status_code == 302
    row = db.get(RankingSettings, world.cycle.id)
    assert (row.combine_mode.value, row.sector_limits, row.min_sheets_for_leniency) == ("weighted", {"C": 2, "I": 1}, 4)


def test_dashboard_task_until_the_shortlist_is_frozen(client, login, make_user, world, scored):
    login(make_user(Role.OFFICE))
    task = "the ranking is ready; check it and freeze the shortlist"
    assert task in client.get("/dashboard").get_data(as_text=True)
    client.post(f"/cycles/{world.cycle.id}/ranking/freeze")
    assert task not in client.get("/dashboard").get_data(as_text=True)


def test_page_without_a_round_says_so(client, login, make_user, world):
    login(make_user(Role.OFFICE))
    page = client.get(f"/cycles/{world.cycle.id}/ranking/").get_data(as_text=True)
    assert "There is no document review round yet" in page


@pytest.fixture
def agreed(world, office):
    """A round counting its panel consensus: the issue's panel (639 to 660.75) agreed 637.75, and an
    application whose five experts gave identical sheets."""
    review_round = world.round(method="trimmed_mean", counts=CountedRecord.CONSENSUS)
    spread = world.application(name="甲精密制造有限公司")
    same = world.application(name="乙电子有限公司")
    world.panel(review_round, spread, [60, 65, 65, 65, 65])
    world.sheet(review_round, spread, world.expert(5), 60, per_item={"4.1.2": 100})
    world.panel(review_round, same, [70] * 5, first_expert=6)
    world.consensus_sheet(review_round, spread, 60, per_item={"4.7.2": 80})  # 600 + 80 x 20 % = 616
    world.consensus_sheet(review_round, same, 70)
    world.db.commit()
    return {"spread": spread, "same": same, "round": review_round}


def test_a_consensus_round_shows_what_counts_and_the_independent_sheets_beside_it(client, login, make_user,
                                                                                  world, agreed):
    login(make_user(Role.OFFICE))
    page = client.get(f"/cycles/{world.cycle.id}/ranking/").get_data(as_text=True)
    assert "What counts" in page and "Document review: <strong>Panel consensus</strong>" in page
    assert "<strong>616.00</strong><br><small>Panel consensus</small>" in page
    # Trimmed mean over the six sheets 600 650 650 650 650 620: drop 650 (first) and 600 -> 642.50.
    assert "642.50<br><small>600.00–650.00</small>" in page
    assert "The independent sheets give the same place" in page

    figures = client.get(f"/cycles/{world.cycle.id}/ranking/applications/{agreed['spread'].id}")
    text = figures.get_data(as_text=True)
    assert "What counts: <strong>Panel consensus</strong>" in text
    assert "Independent sheets from 600.00 to 650.00, as each expert submitted them." in text
    assert "Panel consensus: 616.00" in text  # the official line of the spread chart
    for label, total in (("E1", "600.00"), ("E2", "650.00"), ("E6", "620.00")):
        assert f"{label}: {total}" in text  # every expert's own total, not the consensus

    identical = client.get(f"/cycles/{world.cycle.id}/ranking/applications/{agreed['same'].id}")
    text = identical.get_data(as_text=True)
    assert "Dropped by the trimmed mean" not in text  # five identical sheets: nothing is trimmed
    assert 'fill="white"' not in text  # no hollow (dropped) dot in the chart either


def test_a_consensus_round_exports_what_counted_and_the_independent_figures(client, login, make_user, world,
                                                                            agreed):
    login(make_user(Role.SUPERVISOR))
    sheet = load_workbook(io.BytesIO(client.get(f"/cycles/{world.cycle.id}/ranking/export.xlsx").get_data())).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    rows = {r[values[0].index("Application number")]: dict(zip(values[0], r, strict=True)) for r in values[1:]}
    spread = rows[agreed["spread"].id]
    assert spread["Total (official method)"] == 616.0
    assert spread["What counts"] == "Document review: Panel consensus"
    assert spread["Independent sheets: official method"] == 642.5
    assert (spread["Independent sheets: lowest total"], spread["Independent sheets: highest total"]) == (600.0, 650.0)
    assert spread["Total: Trimmed mean"] == 642.5
    assert spread["Robustness"] == "The independent sheets give the same place"


def test_the_frozen_shortlist_records_which_record_counted(client, login, make_user, world, agreed, db):
    login(make_user(Role.OFFICE))
    assert client.post(f"/cycles/{world.cycle.id}/ranking/freeze").status_code == 302
    snapshot = db.scalars(select(RankingSnapshot)).one()
    assert snapshot.settings["counts"] == {"document": "consensus"}
    entry = next(e for e in snapshot.entries if e.application_id == agreed["spread"].id)
    assert str(entry.total) == "616.00" and entry.counted == {"document": "consensus"}
    assert entry.independent == {"total": "642.50", "ranges": {"document": ["600.00", "650.00"]}}
    page = client.get(f"/cycles/{world.cycle.id}/ranking/snapshot").get_data(as_text=True)
    assert "Document review: <strong>Panel consensus</strong>" in page
    assert "642.50<br><small>600.00–650.00</small>" in page


@pytest.mark.parametrize("mode", ["replace", "weighted"])
def test_the_sheets_are_counted_per_scored_round_on_the_page_and_in_the_export(client, login, make_user, world,
                                                                               office, mode):
    from award.ranking import services
    from award.rounds.models import RoundKind
    document = world.round(method="mean")
    onsite = world.round(kind=RoundKind.ONSITE, method="mean", required_sheets=3)
    application = world.application(name="两轮评审有限公司")
    world.panel(document, application, [60] * 5)
    world.panel(onsite, application, [80] * 3, first_expert=5)
    services.update_ranking_settings(world.db, actor=office, cycle=world.cycle, combine_mode=mode,
                                     onsite_weight=Decimal("0.5"), sector_limits={}, min_sheets_for_leniency=5)
    world.db.commit()
    (row,) = services.snapshot_rows(services.compute_ranking(world.db, world.cycle))
    assert row["sheet_counts"] == {"document": 5, "onsite": 3}
    login(make_user(Role.OFFICE))
    page = client.get(f"/cycles/{world.cycle.id}/ranking/").get_data(as_text=True)
    cells = page[page.index("两轮评审有限公司"):]
    cells = cells[:cells.index("</tr>")]
    assert "Document review 5" in cells and "On-site review 3" in cells
    exported = client.get(f"/cycles/{world.cycle.id}/ranking/export.csv").get_data(as_text=True)
    assert "Document review: 5; On-site review: 3" in exported
