"""The review rounds through the web routes: a panel of five scores one application end to end on
both rubrics; every refusal is shown with a clear message; versions, pledge, conflicts, draws."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from award.auth.models import Role
from award.cycles.services import cycle_rubric
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.rounds.models import Assignment, AssignmentDraw, AssignmentStatus, ReviewRound, RoundStatus
from award.scoring.models import SheetStatus
from award.scoring.services import sheet_of
from tests.conftest import fresh_credit_code
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries, pledged_seat

RUBRICS = ["gbt19580-2012", "city-100"]


def switch(client, login, user):
    client.post("/logout")
    return login(user)


def sheet_form(cycle, *, version, action="submit", percent_of=lambda item: 50, **overrides) -> dict[str, str]:
    data = {"version": str(version), "action": action}
    for entry in full_entries(cycle, percent_of=percent_of):
        data[f"band-{entry.item_id}"] = entry.band_id
        data[f"percent-{entry.item_id}"] = str(entry.percent)
        data[f"strength-{entry.item_id}"] = entry.strength
        data[f"improvement-{entry.item_id}"] = entry.improvement
        data[f"justification-{entry.item_id}"] = entry.justification
    data.update(overrides)
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("rubric_key", RUBRICS)
def test_a_panel_of_five_scores_one_application_end_to_end(db, client, login, review_world, make_user, rubric_key):
    world = review_world(rubric_key=rubric_key, experts=5)
    cycle, application = world.cycle, world.applications[0]
    rubric = cycle_rubric(cycle)

    # The office sets up the round, forms the panel and opens scoring.
    login(world.office)
    assert client.post(f"/review/cycles/{cycle.id}/rounds").status_code == 302
    review_round = world.review_round = db.scalar(select(ReviewRound).where(ReviewRound.cycle_id == cycle.id))
    refused = client.post(f"/cycles/{cycle.id}/advance/document_review")
    assert refused.status_code == 409 and "has 0 of 5 experts" in text(refused)
    assert client.post(f"/review/rounds/{review_round.id}/assign", data={
        "mode": "randomized", "seed": "42", "max_pair_probability": "1"}).status_code == 302
    assert client.post(f"/cycles/{cycle.id}/advance/document_review").status_code == 302
    assert client.post(f"/review/rounds/{review_round.id}/open").status_code == 302
    db.expire_all()
    assert review_round.status is RoundStatus.OPEN
    panel = world.panel(db, application)
    assert len(panel) == 5

    # Each expert signs the pledge, opens the application and submits a full sheet.
    percents = [40, 50, 50, 55, 60]
    for seat, percent in zip(panel, percents, strict=True):
        switch(client, login, seat.expert)
        assert f"/review/assignments/{seat.id}/pledge" in text(client.get("/review/mine"))
        first = client.get(f"/review/assignments/{seat.id}/sheet")
        assert first.status_code == 302 and first.headers["Location"].endswith(f"/assignments/{seat.id}/pledge")
        assert client.post(f"/review/assignments/{seat.id}/pledge", data={"agree": "yes"}).status_code == 302
        page = client.get(f"/review/assignments/{seat.id}/sheet")
        assert page.status_code == 200 and "自评内容" in text(page)
        response = client.post(f"/review/assignments/{seat.id}/sheet",
                               data=sheet_form(cycle, version=1, percent_of=lambda item, p=percent: p))
        assert response.status_code == 302, text(response)[:2000]
        db.expire_all()
        assert sheet_of(seat).status is SheetStatus.SUBMITTED

    # The team leader sees the spread and proposes; the members confirm.
    leader = next(m for m in panel if m.is_leader)
    switch(client, login, leader.expert)
    consensus_url = f"/review/rounds/{review_round.id}/applications/{application.id}/consensus"
    page = client.get(consensus_url)
    assert page.status_code == 200 and "40, 50, 50, 55, 60" in text(page)
    proposal = {f"percent-{item.id}": "50" for item in rubric.items}
    first_item = rubric.items[0].id
    moved = {**proposal, f"percent-{first_item}": "55"}
    refused = client.post(consensus_url, data=moved)
    assert refused.status_code == 422 and "moved from the panel&#39;s median" in text(refused)
    assert client.post(consensus_url, data={**moved, f"reason-{first_item}": "现场核实"}).status_code == 302
    for seat in panel:
        if seat is not leader:
            switch(client, login, seat.expert)
            assert client.post(consensus_url + "/confirm").status_code == 302

    # The consensus is the panel's own sheet (its total, who proposed and who confirmed), and each
    # expert's sheet still shows what that expert submitted.
    page = text(client.get(consensus_url))
    agreed_total = sum(item.points * (55 if item.id == first_item else 50) for item in rubric.items) / 100
    assert "The panel's consensus sheet" in page and f"<strong>{agreed_total:.2f}</strong>" in page
    assert f"Proposed by</dt><dd>{leader.expert.full_name} (Team leader)" in page
    assert "Confirmed by</dt><dd>5 of 5 members confirmed" in page
    assert "the ranking counts: <strong>The independent sheets, by the aggregation method</strong>" in page
    switch(client, login, panel[0].expert)
    own = text(client.get(f"/review/assignments/{panel[0].id}/sheet"))
    assert f'<option value="{percents[0]}" selected>' in own and '<option value="55" selected>' not in own

    # The office sees no missing sheet, closes the round and the cycle moves on.
    switch(client, login, world.office)
    progress = client.get(f"/review/rounds/{review_round.id}/progress")
    assert "5 of 5 sheets submitted; 0 missing." in text(progress)
    assert client.post(f"/review/rounds/{review_round.id}/close").status_code == 302
    assert client.post(f"/cycles/{cycle.id}/advance/deliberation").status_code == 302


@pytest.mark.parametrize(("overrides", "message"), [
    ({"percent-4.1.2": "150"}, "4.1.2: 150% is outside 0–100%."),
    ({"percent-4.1.2": "-5"}, "4.1.2: -5% is outside 0–100%."),
    ({"percent-4.1.2": "52"}, "4.1.2: 52% is not a multiple of 5%."),
    ({"percent-4.1.2": "abc"}, "4.1.2: the percentage must be a number."),
    ({"band-4.1.2": "3"}, "4.1.2: 50% is outside band 3 (30–45%)"),
    ({"strength-4.1.2": ""}, "4.1.2: write a strength."),
    ({"improvement-4.7.2": "  "}, "4.7.2: write an improvement point."),
    ({"band-4.1.2": "6", "percent-4.1.2": "95", "justification-4.1.2": ""},
     "4.1.2: band 6 (90–100%) needs a written justification."),
    ({"band-4.2.2": "", "percent-4.2.2": ""}, "4.2.2: enter a percentage."),
])
def test_a_submission_with_a_broken_rule_is_refused_with_its_message(db, client, login, opened, overrides, message):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/sheet",
                           data=sheet_form(opened.cycle, version=1, **overrides))
    assert response.status_code == 422
    assert message in text(response).replace("&#39;", "'")
    db.expire_all()
    assert sheet_of(seat).status is SheetStatus.DRAFT


def test_a_locked_sheet_refuses_changes(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    assert client.post(f"/review/assignments/{seat.id}/sheet", data=sheet_form(opened.cycle, version=1)).status_code \
        == 302
    db.expire_all()
    version = sheet_of(seat).version
    response = client.post(f"/review/assignments/{seat.id}/sheet",
                           data=sheet_form(opened.cycle, version=version, action="save"))
    assert response.status_code == 409 and "submitted and locked" in text(response)


def test_the_office_reopens_a_sheet_with_a_reason(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    client.post(f"/review/assignments/{seat.id}/sheet", data=sheet_form(opened.cycle, version=1))
    switch(client, login, opened.office)
    sheet_id = sheet_of(seat).id
    assert client.post(f"/review/sheets/{sheet_id}/reopen", data={"reason": ""}).status_code == 422  # no reason
    assert client.post(f"/review/sheets/{sheet_id}/reopen", data={"reason": "数据录入有误"}).status_code == 302
    db.expire_all()
    assert sheet_of(seat).status is SheetStatus.DRAFT


def test_an_expert_cannot_reach_an_application_they_are_not_assigned_to(db, client, login, opened, make_user):
    seat = opened.panel(db, opened.applications[0])[0]
    stranger = make_user(Role.EXPERT)
    login(stranger)
    for method, url in [("GET", f"/review/assignments/{seat.id}/sheet"),
                        ("POST", f"/review/assignments/{seat.id}/sheet"),
                        ("POST", f"/review/assignments/{seat.id}/autosave"),
                        ("GET", f"/review/assignments/{seat.id}/pledge"),
                        ("GET", f"/applications/{opened.applications[0].id}")]:
        assert client.open(url, method=method, data={}).status_code == 404, url


def test_the_application_opens_to_an_assigned_expert_only_after_the_pledge(db, client, login, opened):
    seat = opened.panel(db, opened.applications[0])[0]
    login(seat.expert)
    url = f"/applications/{opened.applications[0].id}"
    assert client.get(url).status_code == 404
    client.post(f"/review/assignments/{seat.id}/pledge", data={"agree": "yes"})
    assert client.get(url).status_code == 200


def test_the_pledge_names_the_enterprise_its_group_and_the_experts_own_declarations(db, client, login, opened,
                                                                                  make_organization):
    application = opened.applications[0]
    seat = opened.panel(db, application)[0]
    code = application.organization.credit_code
    parent, sister = make_organization(name="苏州示例控股集团有限公司"), make_organization(name="苏州示例姊妹有限公司")
    db.add_all([GroupLink(parent_code=parent.credit_code, child_code=code, source="公示系统"),
                GroupLink(parent_code=parent.credit_code, child_code=sister.credit_code, source="公示系统")])
    profile = db.scalar(select(ExpertProfile).where(ExpertProfile.user_id == seat.expert_id))
    client_code = fresh_credit_code()
    profile.relations.append(ExpertRelation(kind=RelationKind.CLIENT, party_code=client_code, party_name="某培训客户",
                                            starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 6, 30)))
    db.commit()
    login(seat.expert)
    body = text(client.get(f"/review/assignments/{seat.id}/pledge"))
    assert application.org_name in body and code in body
    assert "#" not in body.split("No-conflict and confidentiality pledge")[-1].split("The applicant")[0]  # no bare id
    assert "苏州示例控股集团有限公司" in body and parent.credit_code in body
    assert "苏州示例姊妹有限公司" in body and sister.credit_code in body  # a sister company at depth two
    assert "某培训客户" in body and client_code in body and "2020-01-01" in body and "2020-06-30" in body


def test_the_pledge_says_when_no_group_and_no_declaration_are_recorded(db, client, login, opened):
    seat = opened.panel(db, opened.applications[0])[0]
    login(seat.expert)
    body = text(client.get(f"/review/assignments/{seat.id}/pledge"))
    assert "No group links are recorded for this enterprise." in body
    assert "You have declared no relations." in body


def test_two_tabs_saving_the_same_version_are_told_the_difference(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    url = f"/review/assignments/{seat.id}/sheet"
    first = {"version": "1", "action": "save", "band-4.1.2": "4", "percent-4.1.2": "60", "strength-4.1.2": "标签一"}
    second = {**first, "percent-4.1.2": "55", "strength-4.1.2": "标签二"}
    assert client.post(url, data=first).status_code == 302
    response = client.post(url, data=second)
    body = text(response)
    assert response.status_code == 409 and "Saved elsewhere meanwhile" in body
    assert "标签二" in body and "标签一" in body  # mine kept in the form, theirs in the difference
    assert 'name="version" value="2"' in body
    autosave = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"percent-4.1.2": "65", "band-4.1.2": "4"}})
    assert autosave.status_code == 409
    assert {"item": "4.1.2", "field": "percent", "mine": 65, "saved": 60} in autosave.get_json()["differences"]


def test_autosave_saves_a_partial_draft_and_returns_the_new_version(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"percent-4.1.2": "65", "strength-4.1.2": "有亮点"}})
    assert response.status_code == 200
    assert response.get_json()["version"] == 2 and response.get_json()["points"] == {"4.1.2": "32.50"}
    bad = client.post(f"/review/assignments/{seat.id}/autosave", json={"version": 2, "fields": {"percent-4.1.2": "7"}})
    assert bad.status_code == 422 and "not a multiple of 5%" in " ".join(bad.get_json()["problems"]["4.1.2"])


def test_declaring_a_conflict_removes_the_seat_and_the_replacement_keeps_the_panel(db, client, login, opened):
    application = opened.applications[0]
    seat = opened.panel(db, application)[0]
    rest = {m.expert_id for m in opened.panel(db, application)} - {seat.expert_id}
    login(seat.expert)
    url = f"/review/assignments/{seat.id}/conflict"
    assert client.post(url, data={"reason": ""}).status_code == 422
    assert client.post(url, data={"reason": "我去年为该企业做过培训"}).status_code == 302
    assert client.get(f"/review/assignments/{seat.id}/sheet").status_code == 404
    switch(client, login, opened.office)
    assert "1 replacements due" in text(client.get("/dashboard"))
    assert client.post(f"/review/assignments/{seat.id}/replace").status_code == 302
    db.expire_all()
    after = {m.expert_id for m in opened.panel(db, application)}
    assert rest < after and len(after) == 5 and seat.expert_id not in after
    assert seat.status is AssignmentStatus.CONFLICT_DECLARED


def test_independence_no_other_scores_before_submitting(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    url = f"/review/rounds/{opened.review_round.id}/applications/{opened.applications[0].id}/consensus"
    assert client.get(url).status_code == 403
    client.post(f"/review/assignments/{seat.id}/sheet", data=sheet_form(opened.cycle, version=1))
    assert client.get(url).status_code == 200


def test_the_supervisor_reruns_a_draw_and_gets_the_same_panels(db, client, login, review_world, make_user):
    world = review_world(applications=2, experts=12, panels_drawn=True)
    login(world.office)
    client.post(f"/review/rounds/{world.review_round.id}/assign",
                data={"mode": "randomized", "seed": "2026", "max_pair_probability": "0.9"})
    draw = db.scalar(select(AssignmentDraw).where(AssignmentDraw.seed == 2026))
    switch(client, login, make_user(Role.SUPERVISOR))
    assert "2026" in text(client.get(f"/review/draws/{draw.id}"))
    response = client.post(f"/review/draws/{draw.id}/replay")
    assert response.status_code == 200 and "exactly the same panels" in text(response)


def test_an_infeasible_run_says_which_application_and_why(db, client, login, review_world):
    world = review_world(applications=1, experts=4, panels_drawn=True)
    login(world.office)
    response = client.post(f"/review/rounds/{world.review_round.id}/assign", data={"mode": "optimal",
                                                                                   "max_pair_probability": "0.5"},
                           follow_redirects=True)
    body = text(response)
    assert "could not be covered" in body and "needs 5 experts free of conflicts, only 4 available" in body


def test_opening_is_refused_before_the_stage(db, client, login, review_world):
    world = review_world(panels_drawn=True)
    login(world.office)
    response = client.post(f"/review/rounds/{world.review_round.id}/open")
    assert response.status_code == 409 and "round&#39;s stage" in text(response)


def test_dashboard_tasks_for_experts(db, client, login, opened):
    seat = opened.panel(db, opened.applications[0])[0]
    login(seat.expert)
    assert "Sign the pledge for" in text(client.get("/dashboard"))
    client.post(f"/review/assignments/{seat.id}/pledge", data={"agree": "yes"})
    assert "Score " in text(client.get("/dashboard"))


def test_seats_of_removed_experts_are_not_listed(db, opened):
    seat = opened.panel(db, opened.applications[0])[0]
    seat.status = AssignmentStatus.REMOVED
    db.flush()
    from award.scoring.queries import expert_assignments

    assert expert_assignments(db, seat.expert) == []
    assert db.get(Assignment, seat.id) is not None
