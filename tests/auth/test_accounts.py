"""Registration, login, logout, cookies, CSRF and the office's accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from award.audit.models import AuditRecord
from award.auth.models import Organization, Role, User
from award.credit_code import make_credit_code
from tests.conftest import FAST_HASH_METHOD, PASSWORD, fresh_credit_code


def registration(**overrides):
    data = {
        "credit_code": fresh_credit_code(), "organization_name": "苏州恒润精密机械有限公司",
        "contact_name": "张三", "phone": "0512-65220000", "email": "zhang@hengrun.cn",
        "password": "a-long-password", "confirm": "a-long-password",
    }
    data.update(overrides)
    return data


def test_enterprise_registers_signs_in_and_lands_on_dashboard(client, db):
    data = registration()
    response = client.post("/register", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "/login" in client.get("/dashboard").headers["Location"]  # not signed in yet
    user = db.scalar(select(User).where(User.email == "zhang@hengrun.cn"))
    assert user.role is Role.ENTERPRISE and user.organization.credit_code == data["credit_code"]
    assert user.password_hash.startswith(FAST_HASH_METHOD + "$")  # hashed, never kept as typed
    assert db.scalar(select(AuditRecord).where(AuditRecord.action == "user.registered")) is not None
    signed_in = client.post("/login", data={"email": "zhang@hengrun.cn", "password": "a-long-password"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/dashboard")


@pytest.mark.parametrize(("credit_code", "message"), [
    ("91320500MA1X0000", "Exactly 18 characters."),
    ("91320500MA1XO0000A", "not allowed"),
    (make_credit_code("91320500MA1X00001")[:-1] + ("0" if make_credit_code("91320500MA1X00001")[-1] != "0" else "1"),
     "check character does not match"),
])
def test_bad_credit_code_is_refused_and_typed_values_kept(client, db, credit_code, message):
    response = client.post("/register", data=registration(credit_code=credit_code))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "苏州恒润精密机械有限公司" in page  # nothing typed is lost
    assert db.scalar(select(User).where(User.email == "zhang@hengrun.cn")) is None


def test_credit_code_registers_once(client, db, make_user):
    existing = make_user(Role.ENTERPRISE)
    response = client.post("/register", data=registration(credit_code=existing.organization.credit_code))
    # The same answer as for new details (tests/auth/test_registration.py), but no second account.
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert db.scalar(select(User).where(User.email == "zhang@hengrun.cn")) is None
    assert db.scalar(select(func.count(User.id)).where(User.organization_id == existing.organization_id)) == 1


def test_email_registers_once(client, db, make_user):
    existing = make_user(Role.ENTERPRISE)
    response = client.post("/register", data=registration(email=existing.email.upper()))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert db.scalar(select(func.count(User.id)).where(User.email == existing.email)) == 1
    assert db.scalar(select(Organization).where(Organization.name == "苏州恒润精密机械有限公司")) is None


def test_short_password_is_refused(client, db):
    response = client.post("/register", data=registration(password="short", confirm="short"))
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert db.scalar(select(Organization).where(Organization.name == "苏州恒润精密机械有限公司")) is None


def test_login_and_logout(client, make_user):
    user = make_user(Role.EXPERT)
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    user = make_user(Role.EXPERT)
    wrong = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    unknown = client.post("/login", data={"email": "nobody@example.cn", "password": "wrong-password"})
    assert wrong.status_code == unknown.status_code == 401
    message = "E-mail or password is wrong."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(client, db, make_user):
    user = make_user(Role.EXPERT)
    user.is_enabled = False
    db.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401


def test_session_cookie_is_httponly_and_lax(client, make_user):
    user = make_user(Role.EXPERT)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_changes_at_login(client, make_user):
    user = make_user(Role.EXPERT)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "before-login"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_is_required_on_forms(client, db, app_config):
    response = client.post("/register", data=registration())
    assert response.status_code == 400
    assert db.scalar(select(User).where(User.email == "zhang@hengrun.cn")) is None


def test_office_creates_an_expert_account(client, db, login, make_user):
    login(make_user(Role.OFFICE))
    response = client.post("/office/users", data={
        "role": "expert", "full_name": "王建国", "email": "wang@expert.cn", "phone": "",
        "password": "expert-password-1",
    })
    assert response.status_code == 302
    expert = db.scalar(select(User).where(User.email == "wang@expert.cn"))
    assert expert.role is Role.EXPERT


def test_office_cannot_create_an_enterprise_account(client, db, login, make_user):
    login(make_user(Role.OFFICE))
    response = client.post("/office/users", data={
        "role": "enterprise", "full_name": "x", "email": "x@x.cn", "password": "expert-password-1"})
    assert response.status_code == 422
    assert db.scalar(select(User).where(User.email == "x@x.cn")) is None


def test_office_disables_an_account(client, db, login, make_user):
    login(make_user(Role.OFFICE))
    expert = make_user(Role.EXPERT)
    assert client.post(f"/office/users/{expert.id}/toggle").status_code == 302
    db.refresh(expert)
    assert expert.is_enabled is False


def test_users_create_cli(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "leader", "--email", "Leader@Gov.cn", "--name", "钱副市长",
        "--password", "leader-password-1"])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(User).where(User.email == "leader@gov.cn")).role is Role.LEADER
    again = app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "leader", "--email", "leader@gov.cn", "--name", "x",
        "--password", "leader-password-1"])
    assert again.exit_code != 0 and "already exists" in again.output
