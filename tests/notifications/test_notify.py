"""notify(): the in-app notice and the outbox row are written in the caller's transaction, in the
recipient's language, at most once per dedupe key."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from award.auth.models import Role
from award.notifications.kinds import MANDATORY, SPECS, Kind
from award.notifications.models import Notification, OutboxMessage, OutboxStatus
from award.notifications.services import notify, set_email_preferences

CONTEXTS = {
    "cycle": "2026 市长质量奖", "reason": "自评报告缺少4.7结果部分", "organization": "苏州恒润精密机械有限公司",
    "deadline": dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), "open_sheets": 2, "expert": "王建国",
    "before": dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), "after": dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC),
    "round": "材料评审", "role": "评审专家", "expires": dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC),
    "subject": "关于现场评审安排", "message": "请于 12 月 20 日前确认联系人。", "reference": "YY2026-ACDEFG",
    "outcome": "异议不成立", "answer": "经核查，异议不成立。", "filed": dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC),
    "submitted_at": dt.datetime(2026, 11, 20, 2, 15, tzinfo=dt.UTC), "files": 3, "digest": "ab" * 32,
    "ends_at": dt.datetime(2026, 12, 15, 9, 0, tzinfo=dt.UTC), "author": "李明", "item": "4.7.2",
    "date": dt.date(2026, 12, 15), "itinerary": "9:00 质量部座谈；10:30 生产现场",
    "title": "市长质量奖", "valid_until": "2029-01-14", "year": "2025", "due": "2026-03-31",
    "starts_at": dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC), "room": "第一会议室", "minutes": 30, "position": 2,
}


def _count(db, model) -> int:
    return db.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_renders_in_both_languages_with_its_context(db, make_user, kind):
    spec = SPECS[kind]
    for locale, marker in (("en", None), ("zh_CN", None)):
        user = make_user(spec.role)
        user.locale = locale
        db.flush()
        context = {key: CONTEXTS[key] for key in spec.context}
        notice = notify(db, user=user, kind=kind, context=context, link="/dashboard")
        assert notice is not None and notice.title and notice.body
        assert "%(" not in notice.title + notice.body, marker
        message = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
        assert message is not None and message.status is OutboxStatus.PENDING
        assert notice.title in message.subject and "http://127.0.0.1:5000/dashboard" in message.text


def test_the_recipients_language_not_the_actors(db, make_user):
    user = make_user(Role.ENTERPRISE)
    user.locale = "zh_CN"
    notice = notify(db, user=user, kind=Kind.APPLICATION_RETURNED, link="/dashboard",
                    context={"cycle": "2026 市长质量奖", "reason": "缺少证明材料。"})
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert "退回" in notice.title, notice.title
    assert "市长质量奖" in message.subject and "尊敬的" in message.text and 'lang="zh-CN"' in message.html


def test_deadline_is_shown_in_the_recipients_time_zone(db, make_user):
    user = make_user(Role.ENTERPRISE)
    notice = notify(db, user=user, kind=Kind.APPLICATION_DEADLINE, link="/dashboard",
                    context={"cycle": "C", "deadline": dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)})
    assert "9:30" in notice.body  # Asia/Shanghai is UTC+8


def test_a_missing_context_key_is_the_callers_bug(db, make_user):
    with pytest.raises(KeyError, match="reason"):
        notify(db, user=make_user(Role.ENTERPRISE), kind=Kind.APPLICATION_RETURNED, context={"cycle": "C"},
               link="/dashboard")


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "dashboard", "/\\evil"])
def test_links_stay_inside_the_app(db, make_user, link):
    with pytest.raises(ValueError):
        notify(db, user=make_user(Role.OFFICE), kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"},
               link=link)


def test_rolled_back_event_leaves_no_notice_and_no_mail(db, make_user):
    user = make_user(Role.OFFICE)
    before = (_count(db, Notification), _count(db, OutboxMessage))
    savepoint = db.begin_nested()
    notify(db, user=user, kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"}, link="/dashboard")
    savepoint.rollback()
    assert (_count(db, Notification), _count(db, OutboxMessage)) == before


def test_dedupe_key_makes_a_second_call_a_no_op(db, make_user):
    user = make_user(Role.LEADER)
    context = {"cycle": "C", "deadline": CONTEXTS["deadline"]}
    first = notify(db, user=user, kind=Kind.VOTE_CLOSING, context=context, link="/dashboard", dedupe_key="vote:1")
    second = notify(db, user=user, kind=Kind.VOTE_CLOSING, context=context, link="/dashboard", dedupe_key="vote:1")
    assert first is not None and second is None
    assert db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id)) == 1
    # The key is scoped by kind and user: the same key for another leader is another notice.
    other = make_user(Role.LEADER)
    assert notify(db, user=other, kind=Kind.VOTE_CLOSING, context=context, link="/d", dedupe_key="vote:1")


def test_disabled_accounts_are_not_notified(db, make_user):
    user = make_user(Role.OFFICE)
    user.is_enabled = False
    assert notify(db, user=user, kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"}, link="/") is None


def test_email_off_keeps_the_in_app_notice(db, make_user):
    user = make_user(Role.EXPERT)
    set_email_preferences(db, actor=user, choices={Kind.SHEET_REOPENED: False})
    notice = notify(db, user=user, kind=Kind.SHEET_REOPENED, context={"organization": "X", "reason": "R"}, link="/")
    assert notice is not None
    assert db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id)) == 0


def test_mandatory_kinds_are_the_rules_ones():
    # A deadline moved after its stage opened is told to everyone it affects: no one may opt out.
    # The review committee's vote opens as the leading group's does (issue 24): its members cannot opt out.
    assert {Kind.EXPERT_ASSIGNED, Kind.VOTE_OPENED, Kind.COMMITTEE_VOTE_OPENED, Kind.APPLICATION_DEADLINE_MOVED,
            Kind.REVIEW_DEADLINE_MOVED} == MANDATORY
