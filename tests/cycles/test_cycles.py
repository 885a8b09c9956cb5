"""Award cycles: creation with a frozen rubric, settings, and the guarded stage machine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Cycle, Stage
from award.cycles.services import (
    CycleSettings,
    advance_cycle,
    create_cycle,
    cycle_rubric,
    issuers_of,
    update_cycle,
)
from award.cycles.settings import EligibilitySettings
from award.cycles.stages import TRANSITIONS, transitions_from
from award.db import utcnow
from award.errors import DomainError, NotAllowed
from award.rubrics import RUBRICS_DIR


def settings(**overrides) -> CycleSettings:
    values = dict(year=2026, title="市长质量奖", awards_count=5, cutoff_score=Decimal("600"),
                  experts_per_application=5, onsite_review=False,
                  deadlines={Stage.APPLICATION: utcnow() + dt.timedelta(days=10)},
                  eligibility=EligibilitySettings())
    values.update(overrides)
    return CycleSettings(**values)


def test_create_freezes_the_rubric_text(db, tmp_path, make_user):
    source = tmp_path / "city.toml"
    original = (RUBRICS_DIR / "city-100.toml").read_text("utf-8")
    source.write_text(original, "utf-8")
    office = make_user(Role.OFFICE)
    cycle = create_cycle(db, actor=office, settings=settings(cutoff_score=Decimal("60")), rubric_key="city",
                         rubrics_dir=tmp_path)
    source.write_text(original.replace("100", "999"), "utf-8")  # someone edits the file later
    assert cycle.rubric_text == original
    assert cycle_rubric(cycle).total == 100


def test_cutoff_above_rubric_total_is_refused(db, make_user):
    with pytest.raises(DomainError, match="above the rubric's total"):
        create_cycle(db, actor=make_user(Role.OFFICE), settings=settings(cutoff_score=Decimal("101")),
                     rubric_key="city-100")


def test_unknown_rubric_and_path_tricks_are_refused(db, make_user):
    for key in ("nope", "../pyproject"):
        with pytest.raises(DomainError, match="Unknown rubric"):
            create_cycle(db, actor=make_user(Role.OFFICE), settings=settings(), rubric_key=key)


def test_only_the_office_manages_cycles(db, make_user):
    with pytest.raises(NotAllowed):
        create_cycle(db, actor=make_user(Role.EXPERT), settings=settings(), rubric_key="gbt19580-2012")


def test_deadlines_must_follow_the_stages(db, make_user):
    now = utcnow()
    bad = {Stage.APPLICATION: now + dt.timedelta(days=10), Stage.DOCUMENT_REVIEW: now + dt.timedelta(days=5)}
    with pytest.raises(DomainError, match="order of the stages"):
        create_cycle(db, actor=make_user(Role.OFFICE), settings=settings(deadlines=bad), rubric_key="gbt19580-2012")


def test_every_transition_is_from_one_table():
    sources = {(t.source, t.target) for t in TRANSITIONS}
    assert (Stage.DRAFT, Stage.APPLICATION) in sources
    assert (Stage.AWARDED, Stage.DRAFT) not in sources
    assert len(sources) == len(TRANSITIONS)


def test_onsite_round_decides_the_path(make_cycle):
    with_onsite = make_cycle(stage=Stage.DOCUMENT_REVIEW, onsite_review=True)
    without = make_cycle(stage=Stage.DOCUMENT_REVIEW, onsite_review=False)
    assert [t.target for t in transitions_from(with_onsite)] == [Stage.ONSITE_REVIEW]
    assert [t.target for t in transitions_from(without)] == [Stage.DELIBERATION]


def test_open_applications_and_audit(db, make_cycle, make_user):
    office = make_user(Role.OFFICE)
    cycle = make_cycle()
    advance_cycle(db, actor=office, cycle=cycle, target=Stage.APPLICATION)
    assert cycle.stage is Stage.APPLICATION
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "cycle.stage_changed")).one()
    assert entry.before == {"stage": "draft"} and entry.after == {"stage": "application"}
    assert entry.actor_id == office.id and entry.cycle_id == cycle.id


@pytest.mark.parametrize(("deadline_days", "message"), [
    (None, "Set the application deadline first."),
    (-1, "already passed"),
])
def test_opening_applications_needs_a_future_deadline(db, make_cycle, make_user, deadline_days, message):
    deadlines = {} if deadline_days is None else {Stage.APPLICATION: utcnow() + dt.timedelta(days=deadline_days)}
    cycle = make_cycle(deadlines=deadlines)
    with pytest.raises(DomainError, match=message):
        advance_cycle(db, actor=make_user(Role.OFFICE), cycle=cycle, target=Stage.APPLICATION)
    assert cycle.stage is Stage.DRAFT


def test_screening_waits_for_the_application_deadline(db, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.APPLICATION)
    office = make_user(Role.OFFICE)
    with pytest.raises(DomainError, match="open until the deadline"):
        advance_cycle(db, actor=office, cycle=cycle, target=Stage.SCREENING)
    advance_cycle(db, actor=office, cycle=cycle, target=Stage.SCREENING, now=utcnow() + dt.timedelta(days=31))
    assert cycle.stage is Stage.SCREENING


def test_illegal_transition_is_refused_with_a_clear_message(db, make_cycle, make_user):
    cycle = make_cycle()
    with pytest.raises(DomainError, match="cannot move to"):
        advance_cycle(db, actor=make_user(Role.OFFICE), cycle=cycle, target=Stage.AWARDED)
    assert cycle.stage is Stage.DRAFT


def test_settings_lock_once_review_starts(db, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.DOCUMENT_REVIEW)
    with pytest.raises(DomainError, match="fixed once the review"):
        update_cycle(db, actor=make_user(Role.OFFICE), cycle=cycle, settings=settings(title=cycle.title))


def test_office_creates_a_cycle_in_the_browser(client, db, login, make_user):
    login(make_user(Role.OFFICE))
    response = client.post("/cycles/new", data={
        "year": "2027", "title": "第三届市长质量奖", "rubric_key": "gbt19580-2012", "awards_count": "5",
        "cutoff_score": "600", "experts_per_application": "5", "application_deadline": "2099-06-30T17:00",
        "min_years_in_operation": "5", "min_qms_years": "3", "accident_window_years": "3",
        "penalty_window_years": "1", "award_cooldown_cycles": "3", "revocation_ban_years": "3",
        "city": "苏州市",
    })
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第三届市长质量奖" in page and "Publish the call and open applications" in page
    advance = client.post(response.headers["Location"] + "/advance/application")
    assert advance.status_code == 302


def test_refused_transition_in_the_browser_shows_why(client, login, make_user, make_cycle):
    cycle = make_cycle(deadlines={})
    login(make_user(Role.OFFICE))
    response = client.post(f"/cycles/{cycle.id}/advance/application")
    assert response.status_code == 409
    assert "Set the application deadline first." in response.get_data(as_text=True)


def test_invalid_cycle_form_keeps_what_was_typed(client, login, make_user):
    login(make_user(Role.OFFICE))
    response = client.post("/cycles/new", data={"year": "2027", "title": "保留我", "awards_count": "0"})
    assert response.status_code == 422
    assert "保留我" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SUPERVISOR])
def test_the_cycle_page_leads_to_every_stage_of_its_work(client, login, make_user, make_cycle, role):
    cycle = make_cycle()
    login(make_user(role=role))
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    for path in (f"/applications/cycle/{cycle.id}", f"/review/cycles/{cycle.id}", f"/cycles/{cycle.id}/ranking/",
                 f"/approval/cycles/{cycle.id}", f"/notices/cycles/{cycle.id}", f"/awards/cycles/{cycle.id}"):
        assert f'href="{path}"' in page
        assert client.get(path).status_code == 200, path


def test_the_landing_page_points_the_public_to_the_notices(client):
    assert 'href="/notices/"' in client.get("/").get_data(as_text=True)


def test_a_new_cycle_names_its_city_and_its_documents_are_headed_with_it(client, db, login, make_user):
    login(make_user(Role.OFFICE))
    form = {"year": "2027", "title": "第三届市长质量奖", "rubric_key": "gbt19580-2012", "awards_count": "5",
            "cutoff_score": "600", "experts_per_application": "5", "min_years_in_operation": "5",
            "min_qms_years": "3", "accident_window_years": "3", "penalty_window_years": "1",
            "award_cooldown_cycles": "3", "revocation_ban_years": "3"}
    refused = client.post("/cycles/new", data=form)
    assert refused.status_code == 422 and refused.get_data(as_text=True).count('class="field-error"') == 1
    assert "Name the city that issues the cycle's documents." in refused.get_data(as_text=True)
    created = client.post("/cycles/new", data={**form, "city": " 无锡市 "})
    assert created.status_code == 302
    cycle = db.scalar(select(Cycle).where(Cycle.title == "第三届市长质量奖"))
    assert issuers_of(cycle).city == "无锡市"
    assert issuers_of(cycle).government_name == "无锡市人民政府"
