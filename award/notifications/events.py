"""Events whose notices need nothing of the areas above notifications: a vote opened, a registration.

Each function is a thin, typed wrapper over notify(); call it in the service function right after
the state change and its audit record, in the same session, so the notice commits or rolls back
with the event. The events about an application live with the area that owns them
(applications.notices, rounds.notices, scoring.notices, notice.services): this area is below them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from award.auth.models import Role, TokenPurpose
from award.auth.roles import ROLE_LABELS
from award.auth.services import Registration, registration_listener
from award.auth.tokens import AccountMail, account_mail_listener
from award.cycles.models import Cycle
from award.db import utcnow
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage
from award.notifications.services import notify, notify_users, send_account_email, users_with_role
from award.runtime import path_for

# Each link's page and the e-mail that carries it.
_ACCOUNT_LINKS = {
    TokenPurpose.INVITATION: ("auth.set_password", Kind.ACCOUNT_INVITATION),
    TokenPurpose.PASSWORD_RESET: ("auth.set_password", Kind.PASSWORD_RESET),
    TokenPurpose.EMAIL_CONFIRMATION: ("auth.confirm_email", Kind.EMAIL_CONFIRMATION),
}


def cycle_name(cycle: Cycle) -> str:
    return f"{cycle.year} {cycle.title}"


def vote_opened(session: Session, *, cycle: Cycle, closes_at: dt.datetime, link: str, vote_id: int,
                now: dt.datetime | None = None, kind: Kind = Kind.VOTE_OPENED) -> list[Notification]:
    """Mandatory: every member of the voting body (the leading group, or the review committee with
    `Kind.COMMITTEE_VOTE_OPENED`) is told that the vote is open and until when."""
    return notify_users(session, users=users_with_role(session, Role.LEADER), kind=kind, link=link,
                        context={"cycle": cycle_name(cycle), "deadline": closes_at}, now=now,
                        dedupe_key=f"vote{vote_id}:opened")


@registration_listener
def registration_submitted(session: Session, outcome: Registration) -> list[Notification]:
    """A registration from the web: the new account's holder is welcomed, or the holders of the e-mail
    address or credit code hear that someone tried (at most once a day each, so a stranger cannot
    flood their mailbox); the visitor sees the same page either way."""
    link = path_for("auth.login")
    if outcome.account is not None:
        organization = outcome.account.organization
        assert organization is not None  # a registration makes an enterprise account (enterprise_has_organization)
        notice = notify(session, user=outcome.account, kind=Kind.ACCOUNT_REGISTERED, link=link,
                        context={"organization": organization.name})
        return [notice] if notice is not None else []
    return notify_users(session, users=outcome.holders, kind=Kind.REGISTRATION_ATTEMPT, link=link, context={},
                        dedupe_key=f"registration-attempt:{utcnow().date().isoformat()}")


@account_mail_listener
def account_link_mailed(session: Session, mail: AccountMail) -> OutboxMessage | None:
    """An invitation, reset or confirmation link: e-mailed to the account's holder, in their language."""
    endpoint, kind = _ACCOUNT_LINKS[mail.purpose]
    return send_account_email(session, user=mail.user, kind=kind, link=path_for(endpoint, token=mail.token),
                              context={"role": ROLE_LABELS[mail.user.role], "expires": mail.expires_at})
