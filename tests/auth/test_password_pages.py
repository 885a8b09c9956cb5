"""The account pages: change password, forgotten password, the links' pages, must-change at first sign-in."""

from __future__ import annotations

from sqlalchemy import func, select

from award.auth import services
from award.auth.models import Role, User
from award.notifications.models import OutboxMessage
from tests.auth.test_password_links import NEW, link_in
from tests.auth.test_sessions import replay, signed_in_cookie
from tests.conftest import PASSWORD


def test_change_password_page_keeps_this_session_and_ends_the_others(app, client, login, make_user):
    user = make_user(Role.EXPERT)
    other = signed_in_cookie(app, user)
    login(user)
    assert client.get("/account/password").status_code == 200
    wrong = client.post("/account/password", data={"current_password": "nope-nope", "password": NEW, "confirm": NEW})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.get_data(as_text=True)
    done = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert client.get("/dashboard").status_code == 200  # this browser goes on
    assert replay(app, other).status_code == 302  # the other session has ended


def test_a_password_set_by_someone_else_is_changed_first(db, client, login):
    user = services.create_staff_user(db, actor=None, role=Role.OFFICE, email="first@office.cn", full_name="林主任",
                                      password=PASSWORD, password_min_length=10)
    db.commit()
    login(user)
    for path in ("/dashboard", "/office/users", "/cycles/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    client.post("/account/password", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    assert client.get("/dashboard").status_code == 200


def test_the_forgotten_password_page_answers_the_same_for_any_address(client, db, make_user):
    user = make_user(Role.LEADER)
    known = client.post("/account/password/forgot", data={"email": user.email})
    unknown = client.post("/account/password/forgot", data={"email": "nobody@nowhere.cn"})
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert client.get(unknown.headers["Location"]).status_code == 200
    path = link_in(db, user, "password_reset")
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302 and client.get("/dashboard").status_code == 200  # signed in
    db.expire_all()
    assert services.authenticate(db, email=user.email, password=NEW) == user
    assert client.get(path).status_code == 409  # used


def test_reset_requests_are_throttled(app, client, db, make_user):
    app.config["RATELIMIT_ENABLED"] = True
    user = make_user(Role.EXPERT)
    statuses = [client.post("/account/password/forgot", data={"email": user.email}).status_code for _ in range(7)]
    assert statuses[:5] == [302] * 5 and statuses[-1] == 429
    assert db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id)) <= 6


def test_the_invitation_link_signs_the_new_user_in(client, db, login, make_user):
    office = make_user(Role.OFFICE)
    login(office)
    created = client.post("/office/users", data={"role": "expert", "full_name": "周静", "email": "zhou@sipi.cn"})
    assert created.status_code == 302
    user = db.scalar(select(User).where(User.email == "zhou@sipi.cn"))
    assert not user.must_change_password
    assert client.post(f"/office/users/{user.id}/invite").status_code == 302
    client.post("/logout")
    path = link_in(db, user, "account_invitation")
    assert "Set your password" in client.get(path).get_data(as_text=True)
    assert client.post(path, data={"password": "short", "confirm": "short"}).status_code == 422
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_dead_link_is_refused(client):
    assert client.get("/account/password/set/not-a-token").status_code == 409
    assert client.get("/account/confirm/not-a-token").status_code == 409


def test_an_unconfirmed_enterprise_confirms_through_the_link(client, db, make_user):
    user = make_user(Role.ENTERPRISE)
    user.email_confirmed = False
    db.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.post("/account/confirm/resend").status_code == 302
    path = link_in(db, user, "email_confirmation")
    assert client.get(path).status_code == 200
    db.refresh(user)
    assert not user.email_confirmed  # opening the link (a mail program looking at it) confirms nothing
    assert client.post(path).status_code == 302
    db.refresh(user)
    assert user.email_confirmed


def test_the_submit_page_says_why_and_offers_the_confirmation_again(client, db, make_user, make_cycle):
    from award.applications.models import Application, ApplicationStatus
    from award.cycles.models import Stage

    user = make_user(Role.ENTERPRISE)
    user.email_confirmed = False
    cycle = make_cycle(stage=Stage.APPLICATION)
    application = Application(cycle_id=cycle.id, organization_id=user.organization_id,
                              status=ApplicationStatus.DRAFT, org_name=user.organization.name)
    db.add(application)
    db.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    path = f"/applications/{application.id}/submit"
    refused = client.post(path)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "confirm your e-mail address" in page
    assert "/account/confirm/resend?next=" in page
    resent = client.post(f"/account/confirm/resend?next={path}")
    assert resent.status_code == 302 and resent.headers["Location"] == path
