"""Dates with reasons: a stage's deadline moved after the stage opened, the next step offered only when
the guards allow it, and every moment shown in Beijing time in one format."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from award.applications import services as applications
from award.applications.models import ApplicationStatus
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import update_cycle
from award.cycles.settings import EligibilitySettings
from award.db import utcnow
from award.errors import Conflict, Invalid
from award.i18n import DATETIME_PATTERN
from award.notifications.kinds import Kind
from award.notifications.models import Notification

from .test_cycles import settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
AWARD = Path(__file__).resolve().parents[2] / "award"


def settings_of(cycle, **deadlines):
    """The cycle's settings as they are, with the given deadlines changed."""
    due = {d.stage: d.due_at for d in cycle.deadlines}
    due.update({Stage(stage): value for stage, value in deadlines.items()})
    return replace(settings(title=cycle.title, year=cycle.year), deadlines=due,
                   eligibility=EligibilitySettings.from_dict(cycle.eligibility))


@pytest.fixture
def applying(db, make_cycle, make_user):
    """A cycle taking applications, with one draft, one withdrawn application and the office."""
    cycle = make_cycle(stage=Stage.APPLICATION)
    writer, leaver = make_user(Role.ENTERPRISE), make_user(Role.ENTERPRISE)
    applications.start_application(db, actor=writer, cycle=cycle)
    withdrawn = applications.start_application(db, actor=leaver, cycle=cycle)
    withdrawn.status = ApplicationStatus.WITHDRAWN
    db.commit()
    return cycle, writer, leaver, make_user(Role.OFFICE)


def _moved_notices(db, user):
    return db.scalars(select(Notification).where(Notification.user_id == user.id,
                                                 Notification.kind == Kind.APPLICATION_DEADLINE_MOVED.value)).all()


def test_moving_an_open_stage_s_deadline_needs_a_reason(db, applying):
    cycle, writer, _, office = applying
    was = cycle.deadline(Stage.APPLICATION)
    later = was + dt.timedelta(days=7)
    with pytest.raises(Invalid, match="write why its deadline moves") as refused:
        update_cycle(db, actor=office, cycle=cycle, settings=settings_of(cycle, application=later), reason="  ")
    assert refused.value.field == "date_change_reason"
    assert cycle.deadline(Stage.APPLICATION) == was and _moved_notices(db, writer) == []


def test_a_moved_deadline_is_audited_and_the_applicants_are_told(db, applying):
    cycle, writer, leaver, office = applying
    was = cycle.deadline(Stage.APPLICATION)
    later = was + dt.timedelta(days=7)
    update_cycle(db, actor=office, cycle=cycle, settings=settings_of(cycle, application=later),
                 reason="因系统维护顺延一周")
    assert cycle.deadline(Stage.APPLICATION) == later
    entry = db.scalars(select(AuditRecord).where(AuditRecord.action == "cycle.deadline_moved")).one()
    assert entry.before["stage"] == "application" and entry.after["reason"] == "因系统维护顺延一周"
    assert entry.actor_id == office.id
    [notice] = _moved_notices(db, writer)
    assert "因系统维护顺延一周" in notice.body
    shown = (later.astimezone(dt.timezone(dt.timedelta(hours=8)))).strftime("%Y-%m-%d %H:%M")
    assert shown in notice.body  # Beijing time, the one format
    assert _moved_notices(db, leaver) == []  # a withdrawn application is not concerned


def test_an_unopened_stage_s_deadline_moves_freely(db, make_cycle, make_user):
    cycle = make_cycle()  # in preparation: applications have not opened
    later = cycle.deadline(Stage.APPLICATION) + dt.timedelta(days=3)
    update_cycle(db, actor=make_user(Role.OFFICE), cycle=cycle, settings=settings_of(cycle, application=later))
    assert cycle.deadline(Stage.APPLICATION) == later
    assert db.scalars(select(AuditRecord).where(AuditRecord.action == "cycle.deadline_moved")).all() == []


def test_the_deadline_of_the_stage_in_progress_cannot_go_into_the_past_or_away(db, applying):
    cycle, writer, _, office = applying
    past = utcnow() - dt.timedelta(hours=1)
    with pytest.raises(Conflict, match=r"cannot be moved into the past \(now: \d{4}-\d\d-\d\d \d\d:\d\d\)"):
        update_cycle(db, actor=office, cycle=cycle, settings=settings_of(cycle, application=past), reason="提前截止")
    bare = replace(settings_of(cycle), deadlines={})
    with pytest.raises(Conflict, match="not removed"):
        update_cycle(db, actor=office, cycle=cycle, settings=bare, reason="取消截止")
    assert _moved_notices(db, writer) == []


def test_the_page_asks_for_the_reason_in_chinese_and_keeps_the_form(db, client, login, applying):
    cycle, _, _, office = applying
    office.locale = "zh_CN"
    db.commit()
    login(office)
    page = client.get(f"/cycles/{cycle.id}/edit").get_data(as_text=True)
    data = {name: value for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page)}
    data.update({"rubric_key": cycle.rubric_key, "application_deadline": "2099-06-30T17:00", "quorum": "2/3",
                 "pass_rule": "majority_of_voters", "notice_kind": "working"})
    response = client.post(f"/cycles/{cycle.id}/edit", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "调整其截止时间须写明理由" in text and "2099-06-30T17:00" in text
    data["date_change_reason"] = "因系统维护顺延"
    assert client.post(f"/cycles/{cycle.id}/edit", data=data).status_code == 302


# ---------------------------------------------------------------------------------- the next step


def test_the_next_step_panel_offers_only_what_the_guards_allow(db, client, login, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.APPLICATION)  # the deadline is 30 days ahead: screening must wait
    login(make_user(Role.OFFICE))
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert f"/cycles/{cycle.id}/advance/screening" not in page
    assert "Close applications and start screening" in page and "open until the deadline" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "waiting before “Close applications and start screening”" in dashboard
    cycle.deadlines[0].due_at = utcnow() - dt.timedelta(minutes=1)
    db.commit()
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert f"/cycles/{cycle.id}/advance/screening" in page


# --------------------------------------------------------------------------------- one time format


def test_templates_show_moments_only_through_the_one_filter():
    """No template formats a moment itself: no isoformat/strftime, no format argument to the filter."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text("utf-8")
        for pattern in (r"\.isoformat\(", r"strftime\(", r"\|\s*datetime\s*\(", r"format_datetime\("):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []


def test_the_code_writes_no_moment_of_its_own_format():
    """Moments shown to people go through award.i18n.format_datetime; no strftime with hours elsewhere."""
    offenders = [str(path.relative_to(AWARD)) for path in AWARD.rglob("*.py")
                 if re.search(r"strftime\([^)]*%H", path.read_text("utf-8"))]
    assert offenders == []
    assert DATETIME_PATTERN == "yyyy-MM-dd HH:mm"


def test_a_page_shows_a_deadline_in_beijing_time(db, client, login, make_cycle, make_user):
    due = dt.datetime(2099, 6, 30, 9, 0, tzinfo=dt.UTC)
    cycle = make_cycle(deadlines={Stage.APPLICATION: due})
    login(make_user(Role.OFFICE))
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert "2099-06-30 17:00" in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\+00:00|UTC", page)


def test_the_demo_s_pages_show_every_moment_in_the_one_format(demo_db, demo_client):
    """Crawl the office's pages of the demo: no ISO or UTC moment, and every clock time is "YYYY-MM-DD HH:MM"."""
    from award.cycles.models import Cycle
    from award.demo import DEMO_PASSWORD

    assert demo_client.post("/login", data={"email": "office@demo.award", "password": DEMO_PASSWORD}).status_code == 302
    paths = ["/dashboard", "/cycles/", "/notifications/"]
    shown = 0
    for cycle_id in demo_db.scalars(select(Cycle.id)).all():
        paths += [f"/cycles/{cycle_id}", f"/applications/cycle/{cycle_id}", f"/review/cycles/{cycle_id}"]
    for path in paths:
        response = demo_client.get(path)
        assert response.status_code == 200, path
        main = re.search(r"<main.*?</main>", response.get_data(as_text=True), re.S).group(0)
        main = re.sub(r"<(input|pre)[^>]*>", "", main)  # typed values (datetime-local) are not shown times
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\+00:00|\bUTC\b|\bGMT\b", main), path
        clock_times = re.findall(r"(.{0,11})\b\d{1,2}:\d\d\b", main)
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d ", before[-11:]) for before in clock_times), (path, clock_times)
        shown += len(clock_times)
    assert shown  # the crawl saw moments (the deadlines at least)
