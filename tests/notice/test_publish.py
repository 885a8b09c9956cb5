"""Publishing the notice: only after the closed vote, the approved list re-checked against the dishonesty list."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from award.applications.models import BlacklistEntry
from award.approval import services as approval
from award.approval.models import Choice
from award.audit.anchors import Anchor
from award.audit.models import AuditRecord
from award.audit.services import verify_anchor
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import advance_cycle
from award.cycles.settings import AwardSettings
from award.errors import DomainError
from award.notice import services
from award.notice.periods import load_calendar, parse_calendar
from tests.approval.access_world import applications_of, frozen_snapshot

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # Monday 09:30 in Shanghai
TEXT = services.NoticeText(award_title="2026年度市长质量奖", benefits="证书、奖牌", contact="0512-12345678")


@pytest.fixture
def voted(db, make_cycle, make_organization, make_user):
    office, leader = make_user(Role.OFFICE), make_user(Role.LEADER)
    cycle = make_cycle(stage=Stage.APPROVAL)
    applications = applications_of(db, cycle, make_organization, 2)
    frozen_snapshot(db, cycle, applications)
    vote = approval.open_vote(db, actor=office, cycle=cycle, closes_at=NOW - dt.timedelta(hours=1),
                              now=NOW - dt.timedelta(days=2))
    for application in applications:
        approval.cast_ballot(db, actor=leader, vote=vote, application_id=application.id, choice=Choice.APPROVE,
                             now=NOW - dt.timedelta(days=1))
    return cycle, applications, vote, office


def publish(db, cycle, office, **kwargs):
    return services.publish_notice(db, actor=office, cycle=cycle, text=kwargs.pop("text", TEXT),
                                   calendar=kwargs.pop("calendar", load_calendar()), zone=ZONE, now=NOW, **kwargs)


def test_publishing_needs_the_closed_vote(db, voted):
    cycle, _applications, _vote, office = voted
    with pytest.raises(DomainError, match="Close the leading group's vote first"):
        publish(db, cycle, office)


def test_the_stage_button_alone_cannot_publish(db, voted):
    cycle, _applications, vote, office = voted
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    with pytest.raises(DomainError, match="Publish the public notice from its page"):
        advance_cycle(db, actor=office, cycle=cycle, target=Stage.NOTICE, now=NOW)


def test_published_with_the_period_and_the_cycle_moves_on(db, voted):
    cycle, applications, vote, office = voted
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    notice = publish(db, cycle, office)
    assert cycle.stage is Stage.NOTICE
    assert [c.application_id for c in notice.listed] == [a.id for a in applications]
    assert notice.ends_at == dt.datetime(2026, 3, 10, 0, 0, tzinfo=ZONE)  # 5 working days, Tue to Mon
    with pytest.raises(DomainError):
        publish(db, cycle, office)


def test_a_candidate_now_on_the_dishonesty_list_is_withdrawn_with_the_reason(db, voted):
    cycle, (first, second), vote, office = voted
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    db.add(BlacklistEntry(credit_code=second.organization.credit_code, source="市场监管失信名单",
                          listed_on=dt.date(2026, 2, 20)))
    db.flush()
    notice = publish(db, cycle, office)
    assert [c.application_id for c in notice.listed] == [first.id]
    withdrawn = next(c for c in notice.candidates if c.application_id == second.id)
    assert "市场监管失信名单" in withdrawn.withdrawn_reason
    assert db.scalar(select(AuditRecord.seq).where(AuditRecord.action == "notice.candidate_withdrawn")) is not None


@pytest.mark.parametrize(("case", "message"), [
    ("no title", "Give the title"),
    ("no holiday data", "not in the holiday list"),
    ("a contact without its city", "without the city"),
])
def test_publishing_refused(db, voted, case, message):
    cycle, _applications, vote, office = voted
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    kwargs = {}
    if case == "no title":
        kwargs["text"] = services.NoticeText(award_title=" ", benefits="", contact="")
    elif case == "a contact without its city":
        kwargs["text"] = services.NoticeText(award_title="2026年度市长质量奖", benefits="",
                                             contact="市市场监督管理局质量发展处 0512-12345678")
    else:
        kwargs["calendar"] = parse_calendar("[2025]\nholidays = []\n")
    with pytest.raises(DomainError, match=message):
        publish(db, cycle, office, **kwargs)
    assert cycle.stage is Stage.APPROVAL


def test_calendar_days_from_the_cycle_settings(db, voted):
    cycle, _applications, vote, office = voted
    cycle.award_settings = AwardSettings(notice_kind="calendar", notice_length=7).as_dict()
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    assert publish(db, cycle, office).ends_at == dt.datetime(2026, 3, 10, 0, 0, tzinfo=ZONE)


def test_publication_anchors_the_audit_chain_and_the_public_page_shows_the_anchor(db, voted, client):
    cycle, _applications, vote, office = voted
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    notice = publish(db, cycle, office)
    last = db.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
    # The anchor is the chain's head after the publication's own records, the stage change included.
    assert notice.published_anchor == Anchor(last.seq, last.hash)
    assert last.cycle_id == cycle.id
    assert verify_anchor(db, notice.published_anchor).ok
    db.commit()
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert str(notice.published_anchor) in page and "Record of this notice" in page

