"""The notices page, the unread count on every page, marking read, and the e-mail settings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from award.auth.models import Role
from award.errors import DomainError
from award.notifications.kinds import MANDATORY, SPECS, Kind, kinds_for
from award.notifications.models import Notification, NotificationPreference, OutboxMessage
from award.notifications.services import email_enabled, notify, set_email_preferences


def _objection(db, user, link="/dashboard"):
    return notify(db, user=user, kind=Kind.OBJECTION_RECEIVED, context={"organization": "苏州恒润"}, link=link)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_its_unread_count_on_every_page(db, make_user, login, role):
    user = make_user(role)
    for _n in range(3):
        notify(db, user=user, kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"}, link="/dashboard")
    db.commit()
    client = login(user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<span class="badge" title="Unread: 3">3</span>' in page


def test_the_list_shows_only_ones_own_notices(db, make_user, login):
    office, other = make_user(Role.OFFICE), make_user(Role.OFFICE)
    _objection(db, office)
    notify(db, user=other, kind=Kind.CONFLICT_DECLARED, context={"organization": "Y", "expert": "王建国"},
           link="/dashboard")
    db.commit()
    page = login(office).get("/notifications/").get_data(as_text=True)
    assert "An objection was filed: 苏州恒润" in page and "Examine the objection" in page
    assert "王建国" not in page
    assert "Unread: 1" in page


def test_opening_a_notice_marks_it_read_and_leads_to_the_thing_to_do(db, make_user, login):
    office = make_user(Role.OFFICE)
    notice = _objection(db, office, link="/cycles/")
    db.commit()
    response = login(office).post(f"/notifications/{notice.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/cycles/"
    db.expire_all()
    assert db.get(Notification, notice.id).read_at is not None


def test_mark_read_and_mark_all_read(db, make_user, login):
    office = make_user(Role.OFFICE)
    first, *rest = [_objection(db, office) for _n in range(3)]
    db.commit()
    client = login(office)
    client.post(f"/notifications/{first.id}/read")
    assert "Unread: 2" in client.get("/notifications/").get_data(as_text=True)
    client.post("/notifications/read-all")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Unread: 0" in page and 'class="badge"' not in page


def test_preferences_turn_email_off_but_keep_the_notice(db, make_user, login):
    expert = make_user(Role.EXPERT)
    optional = [spec.kind.value for spec in kinds_for(Role.EXPERT) if not spec.mandatory]
    keep = [kind for kind in optional if kind != Kind.SHEET_REOPENED.value]
    response = login(expert).post("/notifications/preferences", data={kind: "y" for kind in keep})
    assert response.status_code == 302
    assert not email_enabled(db, expert, Kind.SHEET_REOPENED)
    assert email_enabled(db, expert, Kind.REVIEW_DEADLINE)
    notify(db, user=expert, kind=Kind.SHEET_REOPENED, context={"organization": "X", "reason": "R"}, link="/")
    notify(db, user=expert, kind=Kind.REVIEW_DEADLINE, link="/",
           context={"cycle": "C", "open_sheets": 1, "deadline": "2026-12-01"})
    kinds = db.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == expert.id)).all()
    assert kinds == [Kind.REVIEW_DEADLINE.value]
    assert db.scalar(select(func.count(Notification.id)).where(Notification.user_id == expert.id)) == 2


def test_preferences_page_shows_mandatory_kinds_fixed(db, make_user, login):
    page = login(make_user(Role.EXPERT)).get("/notifications/preferences").get_data(as_text=True)
    assert "Required by the award rules: always sent by e-mail." in page
    assert f'name="{Kind.EXPERT_ASSIGNED.value}"' not in page
    assert f'name="{Kind.SHEET_REOPENED.value}"' in page


@pytest.mark.parametrize("kind", sorted(MANDATORY))
def test_mandatory_kinds_cannot_be_turned_off(db, make_user, login, kind):
    user = make_user(SPECS[kind].role)
    with pytest.raises(DomainError) as caught:
        set_email_preferences(db, actor=user, choices={kind: False})
    assert caught.value.code == "mandatory_kind"
    # Nor through the form: the posted value is not a field, and no row is written.
    login(user).post("/notifications/preferences", data={kind.value: ""})
    assert db.scalar(select(func.count()).select_from(NotificationPreference)
                     .where(NotificationPreference.kind == kind.value)) == 0
    assert email_enabled(db, user, kind)
    notify(db, user=user, kind=kind, link="/", context={"cycle": "C", "organization": "O", "deadline": "D",
                                                        "before": "B", "after": "A", "reason": "R", "round": "N"})
    assert db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id)) == 1


def test_a_kind_of_another_role_is_refused(db, make_user):
    with pytest.raises(DomainError):
        set_email_preferences(db, actor=make_user(Role.ENTERPRISE), choices={Kind.VOTE_CLOSING: False})


def test_changing_preferences_is_audited(db, make_user):
    from award.audit.models import AuditRecord

    leader = make_user(Role.LEADER)
    set_email_preferences(db, actor=leader, choices={Kind.VOTE_CLOSING: False})
    record = db.scalars(select(AuditRecord).where(AuditRecord.action == "notification.preferences_changed")
                        .order_by(AuditRecord.seq.desc())).first()
    assert record.after == {Kind.VOTE_CLOSING.value: False} and record.actor_id == leader.id
