"""Passwords: the holder changes it, resets it by e-mail, or sets the first one through an invitation;
a password set by someone else is changed at the first sign-in; enterprises confirm their address."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from award.audit.models import AuditRecord
from award.auth import accounts, services
from award.auth.models import AccountToken, Role, TokenPurpose, User
from award.auth.passwords import password_matches
from award.auth.tokens import digest
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.notifications.models import Notification, OutboxMessage
from tests.conftest import PASSWORD, fresh_credit_code

NEW = "a-brand-new-password"


def link_in(db, user: User, kind: str) -> str:
    """The path of the newest link e-mailed to the user, as the outbox holds it."""
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id, OutboxMessage.kind == kind)
                        .order_by(OutboxMessage.id.desc()))
    assert message is not None, f"no {kind} e-mail"
    return re.search(r"https?://[^/\s]+(/account/\S+)", message.text).group(1)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def actions(db) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


# --- changing one's own password ---------------------------------------------------------------

def test_change_own_password_needs_the_current_one(db, make_user):
    user = make_user(Role.EXPERT)
    with pytest.raises(Invalid, match="current password is wrong"):
        accounts.change_own_password(db, actor=user, current_password="not-it", new_password=NEW,
                                     password_min_length=10)
    assert password_matches(user.password_hash, PASSWORD)


def test_change_own_password_keeps_to_the_minimum_length(db, make_user):
    user = make_user(Role.EXPERT)
    with pytest.raises(Invalid, match="at least 12"):
        accounts.change_own_password(db, actor=user, current_password=PASSWORD, new_password="short-pw",
                                     password_min_length=12)


def test_change_own_password_ends_sessions_and_is_audited(db, make_user):
    user = make_user(Role.LEADER)
    generation = user.session_generation
    accounts.change_own_password(db, actor=user, current_password=PASSWORD, new_password=NEW, password_min_length=10)
    assert password_matches(user.password_hash, NEW) and user.session_generation == generation + 1
    assert not user.must_change_password and actions(db)[-1] == "user.password_changed"


def test_the_office_setting_a_password_makes_its_holder_change_it(db, make_user):
    office, expert = make_user(Role.OFFICE), make_user(Role.EXPERT)
    services.change_password(db, actor=office, user=expert, new_password=NEW, password_min_length=10)
    assert expert.must_change_password
    services.change_password(db, actor=expert, user=expert, new_password=NEW + "2", password_min_length=10)
    assert not expert.must_change_password


def test_a_password_given_at_creation_must_be_changed_but_the_demos_need_not(db):
    given = services.create_staff_user(db, actor=None, role=Role.OFFICE, email="first@office.cn", full_name="林主任",
                                       password=NEW, password_min_length=10)
    demo = services.create_staff_user(db, actor=None, role=Role.EXPERT, email="demo@office.cn", full_name="演示专家",
                                      password=NEW, password_min_length=10, must_change_password=False)
    assert given.must_change_password and not demo.must_change_password


# --- invitations -------------------------------------------------------------------------------

def test_an_account_made_without_password_is_invited_by_email_only(db, make_user):
    office = make_user(Role.OFFICE)
    user = services.create_staff_user(db, actor=office, role=Role.SUPERVISOR, email="zheng@jw.gov.cn",
                                      full_name="郑科长", password_min_length=10)
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert message.kind == "account_invitation" and "/account/password/set/" in message.text
    assert db.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id)) == 0
    token = token_of(link_in(db, user, "account_invitation"))
    stored = db.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert stored.token_hash == digest(token) and token not in stored.token_hash  # only the digest is kept
    assert services.authenticate(db, email=user.email, password="") is None


@pytest.mark.parametrize("guess", ["", "!", "not-a-real-password", "scrypt:32768:8:1$$"])
def test_an_invited_account_has_a_password_no_guess_matches(db, make_user, guess):
    office = make_user(Role.OFFICE)
    user = services.create_staff_user(db, actor=office, role=Role.EXPERT, email="wu@suda.edu.cn",
                                      full_name="吴教授", password_min_length=10)
    assert user.password_hash.startswith("!")  # no key derivation spent on a password nobody knows
    assert not password_matches(user.password_hash, guess)
    assert not password_matches(user.password_hash, user.password_hash)
    assert services.authenticate(db, email=user.email, password=guess) is None


def test_an_invitation_sets_the_password_once(db, make_user):
    office = make_user(Role.OFFICE)
    user = services.create_staff_user(db, actor=office, role=Role.EXPERT, email="wang@suda.edu.cn",
                                      full_name="王建国", password_min_length=10)
    token = token_of(link_in(db, user, "account_invitation"))
    assert accounts.link_purpose(db, token=token) is TokenPurpose.INVITATION
    accounts.set_password_with_link(db, token=token, new_password=NEW, password_min_length=10)
    assert services.authenticate(db, email="wang@suda.edu.cn", password=NEW) == user
    assert actions(db)[-1] == "user.invitation_accepted"
    with pytest.raises(Conflict, match="no longer valid"):
        accounts.set_password_with_link(db, token=token, new_password="another-password", password_min_length=10)
    assert services.authenticate(db, email="wang@suda.edu.cn", password=NEW) == user


def test_a_password_too_short_leaves_the_link_usable(db, make_user):
    office = make_user(Role.OFFICE)
    user = services.create_staff_user(db, actor=office, role=Role.EXPERT, email="li@suda.edu.cn",
                                      full_name="李华", password_min_length=10)
    token = token_of(link_in(db, user, "account_invitation"))
    with pytest.raises(Invalid, match="at least 10"):
        accounts.set_password_with_link(db, token=token, new_password="short", password_min_length=10)
    accounts.set_password_with_link(db, token=token, new_password=NEW, password_min_length=10)


def test_an_invitation_expires(db, make_user):
    office = make_user(Role.OFFICE)
    user = services.create_staff_user(db, actor=office, role=Role.EXPERT, email="zhao@suda.edu.cn",
                                      full_name="赵敏", password_min_length=10)
    token = token_of(link_in(db, user, "account_invitation"))
    later = utcnow() + dt.timedelta(days=8)
    with pytest.raises(Conflict, match="no longer valid"):
        accounts.set_password_with_link(db, token=token, new_password=NEW, password_min_length=10, now=later)


def test_the_office_resends_an_invitation_and_it_is_audited(db, make_user):
    office, expert = make_user(Role.OFFICE), make_user(Role.EXPERT)
    accounts.resend_invitation(db, actor=office, user=expert)
    assert actions(db)[-1] == "user.invitation_sent"
    first = token_of(link_in(db, expert, "account_invitation"))
    accounts.resend_invitation(db, actor=office, user=expert)
    second = token_of(link_in(db, expert, "account_invitation"))
    accounts.set_password_with_link(db, token=second, new_password=NEW, password_min_length=10)
    with pytest.raises(Conflict):  # using one link voids the others
        accounts.set_password_with_link(db, token=first, new_password=NEW + "x", password_min_length=10)


@pytest.mark.parametrize("role", [Role.EXPERT, Role.LEADER, Role.SUPERVISOR, Role.ENTERPRISE])
def test_only_the_office_resends_invitations(db, make_user, role):
    with pytest.raises(NotAllowed):
        accounts.resend_invitation(db, actor=make_user(role), user=make_user(Role.EXPERT))


def test_enterprises_are_not_invited(db, make_user):
    with pytest.raises(Invalid):
        accounts.resend_invitation(db, actor=make_user(Role.OFFICE), user=make_user(Role.ENTERPRISE))


# --- reset by e-mail ---------------------------------------------------------------------------

def test_a_reset_link_goes_to_a_known_address_only(db, make_user):
    user = make_user(Role.EXPERT)
    before = db.scalar(select(func.count(OutboxMessage.id)))
    accounts.request_password_reset(db, email="nobody@nowhere.cn")
    assert db.scalar(select(func.count(OutboxMessage.id))) == before
    accounts.request_password_reset(db, email=user.email.upper())
    token = token_of(link_in(db, user, "password_reset"))
    accounts.set_password_with_link(db, token=token, new_password=NEW, password_min_length=10)
    assert services.authenticate(db, email=user.email, password=NEW) == user
    assert actions(db)[-1] == "user.password_reset"


def test_a_reset_link_works_once_even_when_replayed(db, make_user):
    user = make_user(Role.LEADER)
    accounts.request_password_reset(db, email=user.email)
    token = token_of(link_in(db, user, "password_reset"))
    accounts.set_password_with_link(db, token=token, new_password=NEW, password_min_length=10)
    with pytest.raises(Conflict):
        accounts.set_password_with_link(db, token=token, new_password="attacker-password", password_min_length=10)
    assert services.authenticate(db, email=user.email, password="attacker-password") is None


def test_a_reset_link_expires_within_the_hour(db, make_user):
    user = make_user(Role.EXPERT)
    accounts.request_password_reset(db, email=user.email)
    token = token_of(link_in(db, user, "password_reset"))
    with pytest.raises(Conflict):
        accounts.link_purpose(db, token=token, now=utcnow() + dt.timedelta(minutes=61))


def test_a_new_password_voids_pending_reset_links(db, make_user):
    user = make_user(Role.EXPERT)
    accounts.request_password_reset(db, email=user.email)
    token = token_of(link_in(db, user, "password_reset"))
    accounts.change_own_password(db, actor=user, current_password=PASSWORD, new_password=NEW, password_min_length=10)
    with pytest.raises(Conflict):
        accounts.set_password_with_link(db, token=token, new_password=NEW + "x", password_min_length=10)


def test_a_disabled_account_gets_no_reset_link(db, make_user):
    office, user = make_user(Role.OFFICE), make_user(Role.EXPERT)
    services.set_user_enabled(db, actor=office, user=user, enabled=False)
    accounts.request_password_reset(db, email=user.email)
    assert db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id)) == 0


def test_a_link_of_another_purpose_is_refused(db, make_user):
    user = make_user(Role.ENTERPRISE)
    user.email_confirmed = False
    accounts.resend_confirmation(db, actor=user)
    token = token_of(link_in(db, user, "email_confirmation"))
    with pytest.raises(Conflict):
        accounts.set_password_with_link(db, token=token, new_password=NEW, password_min_length=10)


# --- e-mail confirmation -----------------------------------------------------------------------

def test_registration_sends_a_confirmation_link(db):
    outcome = services.submit_registration(
        db, credit_code=fresh_credit_code(), organization_name="苏州恒润精密机械有限公司", contact_name="张三",
        phone="0512-65220000", email="zhang@hengrun.cn", password=NEW, password_min_length=10)
    user = outcome.account
    assert user is not None and not user.email_confirmed
    token = token_of(link_in(db, user, "email_confirmation"))
    assert accounts.confirm_email(db, token=token) == user and user.email_confirmed
    assert actions(db)[-1] == "user.email_confirmed"
    with pytest.raises(Conflict):
        accounts.confirm_email(db, token=token)


def test_resending_the_confirmation(db, make_user):
    user = make_user(Role.ENTERPRISE)
    with pytest.raises(Conflict, match="already confirmed"):
        accounts.resend_confirmation(db, actor=user)
    user.email_confirmed = False
    accounts.resend_confirmation(db, actor=user)
    assert actions(db)[-1] == "user.confirmation_sent"
    with pytest.raises(NotAllowed):
        accounts.resend_confirmation(db, actor=make_user(Role.EXPERT))


def test_an_unconfirmed_enterprise_cannot_submit(db, make_user, make_cycle):
    from award.applications import services as applications
    from award.applications.models import Application, ApplicationStatus
    from award.cycles.models import Stage

    user = make_user(Role.ENTERPRISE)
    user.email_confirmed = False
    cycle = make_cycle(stage=Stage.APPLICATION)
    application = Application(cycle_id=cycle.id, organization_id=user.organization_id,
                              status=ApplicationStatus.DRAFT, org_name=user.organization.name)
    db.add(application)
    db.flush()
    with pytest.raises(Conflict, match="confirm your e-mail address"):
        applications.submit_application(db, actor=user, application=application)
    assert application.status is ApplicationStatus.DRAFT


def test_the_invitation_is_in_chinese_by_default(db, make_user):
    user = services.create_staff_user(db, actor=make_user(Role.OFFICE), role=Role.LEADER, email="qian@gov.cn",
                                      full_name="钱副市长", password_min_length=10)
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert "请设置密码" in message.subject and "领导小组成员" in message.text and "只能使用一次" in message.text


def test_two_uses_of_one_link_at_the_same_moment_let_one_through(db, make_user):
    """Both requests found the link open; the conditional UPDATE lets only the first use it."""
    from award.auth.tokens import use_token, valid_token

    user = make_user(Role.EXPERT)
    accounts.request_password_reset(db, email=user.email)
    token = token_of(link_in(db, user, "password_reset"))
    first = valid_token(db, token=token, purposes=accounts.SET_PASSWORD_PURPOSES)
    second = valid_token(db, token=token, purposes=accounts.SET_PASSWORD_PURPOSES)
    use_token(db, row=first)
    with pytest.raises(Conflict):
        use_token(db, row=second)
