"""Registration does not reveal who exists: one answer for new and known details, the holder is told."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from award.audit.models import AuditRecord
from award.auth import services
from award.auth.models import Role, User
from award.notifications.kinds import Kind
from award.notifications.models import OutboxMessage
from tests.auth.test_accounts import registration
from tests.conftest import fresh_credit_code

THANKS = "Thank you. We have sent an e-mail to the address you gave: it tells you how to continue."


def register(app, address="10.1.1.1", **overrides):
    """A registration from a fresh browser, followed to the page it lands on."""
    browser = app.test_client()
    with app.app_context():  # its own `g`: the `db` fixture keeps an app context open
        first = browser.post("/register", data=registration(**overrides), environ_base={"REMOTE_ADDR": address})
        landed = browser.get(first.headers["Location"]) if first.status_code == 302 else first
    return first, landed


def visible(response) -> str:
    """The page as its reader gets it; only the per-browser CSRF token (a random value) is masked."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', response.get_data(as_text=True))


def outbox(db, user, kind):
    return db.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                  OutboxMessage.kind == kind.value)).all()


def test_new_known_email_and_known_credit_code_get_the_same_answer(app, db, make_user):
    holder = make_user(Role.ENTERPRISE, email="owner@hengrun.cn")
    new = register(app, email="new@hengrun.cn")
    known_email = register(app, email="OWNER@hengrun.cn")
    known_code = register(app, email="other@hengrun.cn", credit_code=holder.organization.credit_code)
    answers = [(first.status_code, first.headers.get("Location"), landed.status_code, visible(landed))
               for first, landed in (new, known_email, known_code)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:3] == (302, "/login", 200) and THANKS in answers[0][3]
    # Only the new details made an account; the known ones made none.
    assert db.scalar(select(User).where(User.email == "new@hengrun.cn")) is not None
    assert db.scalar(select(User).where(User.email == "other@hengrun.cn")) is None
    assert db.scalar(select(func.count(User.id)).where(User.organization_id == holder.organization_id)) == 1


def test_the_new_account_is_welcomed_by_email_and_can_sign_in(app, db):
    first, _landed = register(app, email="new@hengrun.cn")
    user = db.scalar(select(User).where(User.email == "new@hengrun.cn"))
    [welcome] = outbox(db, user, Kind.ACCOUNT_REGISTERED)
    assert welcome.recipient == "new@hengrun.cn" and "/login" in welcome.text
    browser = app.test_client()
    with app.app_context():
        response = browser.post("/login", data={"email": "new@hengrun.cn", "password": "a-long-password"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")


@pytest.mark.parametrize("details", ["email", "credit_code"])
def test_the_holder_is_told_instead_in_their_language(app, db, make_user, details):
    holder = make_user(Role.ENTERPRISE, email="owner@hengrun.cn")
    holder.locale = "zh_CN"
    db.commit()
    given = {"email": holder.email} if details == "email" else {"credit_code": holder.organization.credit_code}
    register(app, **given)
    [message] = outbox(db, holder, Kind.REGISTRATION_ATTEMPT)
    assert message.recipient == "owner@hengrun.cn"
    assert "有人尝试" in message.subject and "/login" in message.text
    refused = db.scalar(select(AuditRecord).where(AuditRecord.action == "user.registration_refused"))
    assert refused.target_id == str(holder.id) and refused.after[f"{details}_taken"] is True


def test_a_staff_member_holding_the_email_is_told_too(app, db, make_user):
    expert = make_user(Role.EXPERT)
    register(app, email=expert.email)
    assert len(outbox(db, expert, Kind.REGISTRATION_ATTEMPT)) == 1
    assert db.scalar(select(User).where(User.email == expert.email)).role is Role.EXPERT


def test_repeated_attempts_tell_the_holder_once_a_day(app, db, make_user):
    holder = make_user(Role.ENTERPRISE)
    for n in range(3):
        register(app, address=f"10.1.1.{n}", email=holder.email)
    assert len(outbox(db, holder, Kind.REGISTRATION_ATTEMPT)) == 1
    assert db.scalar(select(func.count(AuditRecord.seq)).where(
        AuditRecord.action == "user.registration_refused")) == 3


def test_account_notices_are_not_on_the_preferences_page(app, db, make_user, login):
    page = login(make_user(Role.ENTERPRISE)).get("/notifications/preferences").get_data(as_text=True)
    assert Kind.REGISTRATION_ATTEMPT.value not in page and Kind.ACCOUNT_REGISTERED.value not in page


def test_a_registration_racing_another_one_gets_the_same_answer(db, make_user, monkeypatch):
    """The details are free when checked, taken when written: the unique constraint decides, no error."""
    holder = make_user(Role.ENTERPRISE, email="owner@hengrun.cn")
    found = services._holders
    calls = []

    def first_sees_nothing(session, **details):
        calls.append(details)
        return () if len(calls) == 1 else found(session, **details)

    monkeypatch.setattr(services, "_holders", first_sees_nothing)
    data = registration(email=holder.email)
    outcome = services.submit_registration(
        db, credit_code=fresh_credit_code(), organization_name=data["organization_name"],
        contact_name=data["contact_name"], phone=data["phone"], email=holder.email, password=data["password"],
        password_min_length=10)
    assert outcome.account is None and outcome.holders == (holder,)


@pytest.mark.parametrize("app_config", [{"REGISTRATIONS_PER_ADDRESS": "2 per hour", "BABEL_DEFAULT_LOCALE": "zh_CN"}])
def test_registrations_are_limited_per_address(app, db, app_config):
    for n in range(2):
        first, _landed = register(app, email=f"new{n}@hengrun.cn", credit_code=fresh_credit_code())
        assert first.status_code == 302
    refused, _page = register(app, email="new9@hengrun.cn", credit_code=fresh_credit_code())
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "来自您网络的注册次数过多，请在" in page and "后再试。" in page
    assert "苏州恒润精密机械有限公司" in page and 'value="new9@hengrun.cn"' in page  # what was typed is kept
    assert "a-long-password" not in page
    assert db.scalar(select(User).where(User.email == "new9@hengrun.cn")) is None
    # Another address still registers.
    assert register(app, address="10.1.1.99", email="new8@hengrun.cn")[0].status_code == 302


@pytest.mark.parametrize("app_config", [{"REGISTRATIONS_PER_ADDRESS": "1 per hour"}])
def test_refused_input_does_not_count_against_the_limit(app, app_config):
    for _ in range(3):
        assert register(app, password="short", confirm="short")[0].status_code == 422
    assert register(app)[0].status_code == 302
