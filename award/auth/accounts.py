"""A holder's own account: changing the password, a reset by e-mail, accepting an invitation,
confirming an enterprise's e-mail address; and the office re-sending an invitation.

Every rule is here, below the web: the pages only call these functions. Each change of password
goes through services.set_password_hash, which ends every session of the account (the page then
begins a fresh one for the browser that made the change) and voids pending links.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import Role, TokenPurpose, User
from award.auth.passwords import password_matches
from award.auth.services import STAFF_ROLES, find_user_by_email, hash_password, set_password_hash
from award.auth.tokens import digest, issue_token, new_secret, use_token, valid_token
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _

SET_PASSWORD_PURPOSES = (TokenPurpose.INVITATION, TokenPurpose.PASSWORD_RESET)


def change_own_password(session: Session, *, actor: User, current_password: str, new_password: str,
                        password_min_length: int) -> None:
    """The signed-in holder chooses a new password, giving the current one; every other session ends."""
    if not password_matches(actor.password_hash, current_password):
        raise Invalid(_("The current password is wrong."), code="wrong_password", field="current_password")
    if new_password == current_password:
        raise Invalid(_("Choose a password different from the current one."), code="same_password",
                      field="password")
    set_password_hash(session, user=actor, password_hash=hash_password(new_password, min_length=password_min_length),
                      chosen_by_holder=True)
    record(session, actor=actor, action="user.password_changed", target_type="user", target_id=actor.id,
           after={"must_change_password": False})


def request_password_reset(session: Session, *, email: str, now: dt.datetime | None = None) -> None:
    """Send a reset link to the address if an enabled account has it; otherwise do the same work and send
    nothing. The caller answers the same either way, so no one learns whether an address has an account."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_enabled:
        digest(new_secret())  # the work of a link, thrown away
        record(session, actor=None, action="user.password_reset_requested", target_type="user", target_id="",
               after={"known": False})
        return
    record(session, actor=None, action="user.password_reset_requested", target_type="user", target_id=user.id,
           after={"known": True})
    issue_token(session, user=user, purpose=TokenPurpose.PASSWORD_RESET, now=now)


def link_purpose(session: Session, *, token: str, purposes: tuple[TokenPurpose, ...] = SET_PASSWORD_PURPOSES,
                 now: dt.datetime | None = None) -> TokenPurpose:
    """What an open link is for (to title its page), or the refusal of a dead link; nothing is used up."""
    return valid_token(session, token=token, purposes=purposes, now=now).purpose


def set_password_with_link(session: Session, *, token: str, new_password: str, password_min_length: int,
                           now: dt.datetime | None = None) -> User:
    """The holder of an invitation or reset link chooses a password; the link is used up.

    A password that breaks the rules leaves the link unused. Opening the link proves the address, so an
    unconfirmed e-mail address counts as confirmed."""
    row = valid_token(session, token=token, purposes=SET_PASSWORD_PURPOSES, now=now)
    password_hash = hash_password(new_password, min_length=password_min_length)
    use_token(session, row=row, now=now)
    user = row.user
    user.email_confirmed = True
    set_password_hash(session, user=user, password_hash=password_hash, chosen_by_holder=True)
    action = "user.invitation_accepted" if row.purpose is TokenPurpose.INVITATION else "user.password_reset"
    record(session, actor=user, action=action, target_type="user", target_id=user.id)
    return user


def resend_invitation(session: Session, *, actor: User | None, user: User, now: dt.datetime | None = None) -> None:
    """The office e-mails a staff account a new invitation link (the earlier ones stay valid until one is used)."""
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can send invitations."))
    if user.role not in STAFF_ROLES:
        raise Invalid(_("Enterprises register themselves; they reset a forgotten password by e-mail."),
                      code="bad_role")
    if not user.is_enabled:
        raise Conflict(_("The account is disabled; enable it before inviting its holder."), code="disabled")
    mail = issue_token(session, user=user, purpose=TokenPurpose.INVITATION, now=now)
    record(session, actor=actor, action="user.invitation_sent", target_type="user", target_id=user.id,
           after={"expires_at": mail.expires_at.isoformat()})


def confirm_email(session: Session, *, token: str, now: dt.datetime | None = None) -> User:
    """An enterprise opened the link in its registration e-mail: its address is confirmed."""
    row = valid_token(session, token=token, purposes=(TokenPurpose.EMAIL_CONFIRMATION,), now=now)
    use_token(session, row=row, now=now)
    user = row.user
    user.email_confirmed = True
    session.flush()
    record(session, actor=user, action="user.email_confirmed", target_type="user", target_id=user.id)
    return user


def resend_confirmation(session: Session, *, actor: User, now: dt.datetime | None = None) -> None:
    """A signed-in enterprise whose address is not confirmed yet asks for the confirmation e-mail again."""
    if actor.role is not Role.ENTERPRISE:
        raise NotAllowed(_("Only enterprise accounts confirm their e-mail address."))
    if actor.email_confirmed:
        raise Conflict(_("Your e-mail address is already confirmed."), code="already_confirmed")
    issue_token(session, user=actor, purpose=TokenPurpose.EMAIL_CONFIRMATION, now=now or utcnow())
    record(session, actor=actor, action="user.confirmation_sent", target_type="user", target_id=actor.id)
