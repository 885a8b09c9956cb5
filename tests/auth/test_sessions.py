"""Sessions end for real: logout, a new password and a new role end every session of the account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.audit.models import AuditRecord
from award.auth import services
from award.auth.models import Role
from award.errors import DomainError, NotAllowed
from tests.conftest import PASSWORD

# Each request runs in its own app context: the `db` fixture keeps one open, and Flask-Login caches
# the user in its `g`, which would otherwise carry one browser's user into the next browser's request.

def signed_in_cookie(app, user) -> str:
    """Sign in with a fresh client and return its session cookie, as a thief would copy it."""
    browser = app.test_client()
    with app.app_context():
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser.get_cookie("session").value


def replay(app, cookie: str, method: str = "GET", path: str = "/dashboard"):
    """A new browser that presents the copied cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    with app.app_context():
        return thief.open(path, method=method)


def is_anonymous(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copied_cookie_works_until_the_sessions_end(app, make_user):
    cookie = signed_in_cookie(app, make_user(Role.EXPERT))
    assert replay(app, cookie).status_code == 200


def test_logout_ends_every_session_of_the_account(app, db, make_user):
    user = make_user(Role.EXPERT)
    copied = signed_in_cookie(app, user)
    other_device = signed_in_cookie(app, user)
    assert replay(app, copied, "POST", "/logout").status_code == 302
    assert is_anonymous(replay(app, copied))
    assert is_anonymous(replay(app, other_device))
    assert db.scalar(select(AuditRecord).where(AuditRecord.action == "user.signed_out",
                                               AuditRecord.target_id == str(user.id))) is not None
    # Signing in again gives a working session.
    assert replay(app, signed_in_cookie(app, user)).status_code == 200


def test_a_password_change_ends_every_session(app, db, make_user):
    user = make_user(Role.ENTERPRISE)
    cookie = signed_in_cookie(app, user)
    services.change_password(db, actor=user, user=user, new_password="a-brand-new-password",
                             password_min_length=10)
    db.commit()
    assert is_anonymous(replay(app, cookie))
    assert db.scalar(select(AuditRecord).where(AuditRecord.action == "user.password_changed")) is not None
    browser = app.test_client()
    with app.app_context():
        assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    with app.app_context():
        assert browser.post("/login", data={"email": user.email, "password": "a-brand-new-password"}
                            ).status_code == 302


def test_a_role_change_ends_every_session(app, db, make_user):
    office, expert = make_user(Role.OFFICE), make_user(Role.EXPERT)
    cookie = signed_in_cookie(app, expert)
    services.change_role(db, actor=office, user=expert, role=Role.LEADER)
    db.commit()
    assert is_anonymous(replay(app, cookie))
    change = db.scalar(select(AuditRecord).where(AuditRecord.action == "user.role_changed"))
    assert change.before["role"] == "expert" and change.after["role"] == "leader"


def test_disabling_an_account_ends_its_sessions_for_good(app, db, make_user):
    office, expert = make_user(Role.OFFICE), make_user(Role.EXPERT)
    cookie = signed_in_cookie(app, expert)
    services.set_user_enabled(db, actor=office, user=expert, enabled=False)
    services.set_user_enabled(db, actor=office, user=expert, enabled=True)
    db.commit()
    assert is_anonymous(replay(app, cookie))


def test_other_accounts_keep_their_sessions(app, db, make_user):
    office, expert, other = make_user(Role.OFFICE), make_user(Role.EXPERT), make_user(Role.EXPERT)
    cookie = signed_in_cookie(app, other)
    services.change_role(db, actor=office, user=expert, role=Role.LEADER)
    db.commit()
    assert replay(app, cookie).status_code == 200


@pytest.mark.parametrize("session_id", ["1", "1:", ":0", "1:x", "x:0", "１:0", "1:0:0", "9" * 40 + ":0", ""])
def test_a_malformed_session_id_is_anonymous(db, session_id):
    assert services.user_for_session(db, session_id) is None


def test_only_the_office_changes_roles(db, make_user):
    expert, other = make_user(Role.EXPERT), make_user(Role.EXPERT)
    with pytest.raises(NotAllowed):
        services.change_role(db, actor=expert, user=other, role=Role.LEADER)


@pytest.mark.parametrize(("old", "new"), [(Role.ENTERPRISE, Role.EXPERT), (Role.EXPERT, Role.ENTERPRISE)])
def test_enterprise_accounts_keep_their_role(db, make_user, old, new):
    office, user = make_user(Role.OFFICE), make_user(old)
    with pytest.raises(DomainError):
        services.change_role(db, actor=office, user=user, role=new)


def test_nobody_changes_another_persons_password_but_the_office(db, make_user):
    expert, other = make_user(Role.EXPERT), make_user(Role.EXPERT)
    with pytest.raises(NotAllowed):
        services.change_password(db, actor=expert, user=other, new_password="a-brand-new-password",
                                 password_min_length=10)
    services.change_password(db, actor=make_user(Role.OFFICE), user=other, new_password="a-brand-new-password",
                             password_min_length=10)
