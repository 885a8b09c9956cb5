"""notify(): the one call every area makes when an event concerns someone.

It writes the in-app notice and, unless the recipient turned e-mail off for that kind, the outbox
row, both in the caller's transaction: they commit or roll back together with the event itself,
so no notice is ever sent for an event that did not happen, and none is lost for one that did.
The texts are rendered once, in the recipient's language (user.locale), not the actor's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import make_msgid
from functools import cache
from pathlib import Path
from typing import Any, Protocol, cast

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from award import runtime
from award.audit.services import record
from award.auth.models import Role, User
from award.db import utcnow
from award.errors import Invalid, NotAllowed
from award.i18n import LazyString, _, current_locale, force_locale, format_date, format_datetime, install_in_jinja
from award.notifications.kinds import SPECS, Kind, KindSpec, kinds_for
from award.notifications.models import Notification, NotificationPreference, OutboxMessage, OutboxStatus

DEDUPE_KEY_LENGTH = 250
EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "notifications" / "email"


@dataclass(frozen=True)
class RenderedNotice:
    title: str
    body: str
    action: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _localize(value: Any) -> Any:
    """A context value as text in the current (forced) locale: lazy strings, dates and times."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    return value


def render_notice(spec: KindSpec, context: Mapping[str, Any]) -> RenderedNotice:
    """The notice's texts in the current locale; a missing context key is the caller's bug (KeyError)."""
    missing = [key for key in spec.context if key not in context]
    if missing:
        raise KeyError(f"notify({spec.kind.value}): context lacks {', '.join(missing)}")
    values = {key: _localize(value) for key, value in context.items()}
    return RenderedNotice(title=str(spec.title) % values, body=str(spec.body) % values, action=str(spec.action))


def absolute_url(link: str) -> str:
    return runtime.settings()["PUBLIC_BASE_URL"].rstrip("/") + link


@cache
def email_templates() -> Environment:
    """The e-mails' own Jinja environment: the templates need nothing of a request, so neither does notify().
    HTML is escaped as the app's pages are; `_()` translates in the language in force."""
    environment = Environment(loader=FileSystemLoader(EMAIL_TEMPLATES), autoescape=select_autoescape(["html"]),
                              extensions=["jinja2.ext.i18n"])
    install_in_jinja(environment)
    return environment


class Addressee(Protocol):
    """Whom an e-mail greets: an account, or a person known by name and address only (an objector)."""

    @property
    def full_name(self) -> str: ...


def render_email(*, user: Addressee, spec: KindSpec, notice: RenderedNotice, link: str) -> RenderedEmail:
    """Subject, plain text and HTML in the current locale; a kind may have its own templates."""
    lang = "zh-CN" if str(current_locale()).startswith("zh") else "en"
    values = {"user": user, "notice": notice, "url": absolute_url(link), "mandatory": spec.mandatory,
              "about_account": spec.about_account, "lang": lang,
              "without_account": isinstance(user, Person)}  # an objector's address: no settings to point to
    templates = email_templates()
    text = templates.select_template([f"{spec.kind.value}.txt", "notice.txt"]).render(values)
    html = templates.select_template([f"{spec.kind.value}.html", "notice.html"]).render(values)
    brand = _("Mayor's Quality Award")
    subject = f"[{brand}] {notice.title}"
    return RenderedEmail(subject=subject, text=text, html=html)


def _check_link(link: str) -> None:
    # Notices redirect to their link: only paths inside the app, never another site.
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        raise ValueError(f"notification link must be a path inside the app, not {link!r}")


def email_enabled(session: Session, user: User, kind: Kind) -> bool:
    """Whether this user gets e-mail of this kind: always for mandatory kinds and those about the account,
    else their choice (default on)."""
    if SPECS[kind].mandatory or SPECS[kind].about_account:
        return True
    preference = session.get(NotificationPreference, (user.id, kind.value))
    return preference.email_enabled if preference is not None else True


def _message_id() -> str:
    sender = runtime.settings()["MAIL_FROM"]
    domain = sender.rpartition("@")[2].strip(">") or "award.localhost"
    return make_msgid(domain=domain)


def notify(
    session: Session,
    *,
    user: User,
    kind: Kind,
    context: Mapping[str, Any],
    link: str,
    dedupe_key: str | None = None,
    now: dt.datetime | None = None,
) -> Notification | None:
    """Tell `user` about an event: an in-app notice plus an e-mail in the outbox, in the caller's transaction.

    `context` fills the kind's texts (kinds.SPECS[kind].context lists the keys; lazy strings and
    datetimes are rendered in the recipient's language and time zone). `link` is the path of the
    thing to do. With `dedupe_key` the notice is created at most once per (kind, user, key): a
    repeated call returns None, so schedulers may run as often as they like. Also None for a
    disabled account. Flushes; never commits.
    """
    return notify_prepared(session, user=user, kind=kind, context=context, link=link, dedupe_key=dedupe_key,
                           now=now, email=None)


def send_account_email(session: Session, *, user: User, kind: Kind, context: Mapping[str, Any], link: str,
                       now: dt.datetime | None = None) -> OutboxMessage | None:
    """An e-mail about the account itself and nothing in-app: its link carries a secret (an invitation, a
    password reset) that only the mailbox's holder may see. None for a disabled account."""
    spec = SPECS[Kind(kind)]
    _check_link(link)
    if not user.is_enabled:
        return None
    now = now or utcnow()
    with force_locale(user.locale or runtime.settings()["BABEL_DEFAULT_LOCALE"]):
        rendered = render_email(user=user, spec=spec, notice=render_notice(spec, context), link=link)
    message = OutboxMessage(
        user_id=user.id, recipient=user.email, subject=rendered.subject[:300], text=rendered.text,
        html=rendered.html, kind=spec.kind.value, message_id=_message_id(), status=OutboxStatus.PENDING,
        attempts=0, next_attempt_at=now, created_at=now)
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class Person:
    """Someone without an account who left an address (an objector)."""

    full_name: str
    email: str


def send_address_email(session: Session, *, person: Person, kind: Kind, context: Mapping[str, Any], link: str,
                       locale: str | None = None, now: dt.datetime | None = None) -> OutboxMessage | None:
    """An e-mail through the outbox to someone who has no account (nothing in-app); None without an address."""
    spec = SPECS[Kind(kind)]
    _check_link(link)
    if not person.email.strip():
        return None
    now = now or utcnow()
    with force_locale(locale or runtime.settings()["BABEL_DEFAULT_LOCALE"]):
        rendered = render_email(user=person, spec=spec, notice=render_notice(spec, context), link=link)
    message = OutboxMessage(
        user_id=None, recipient=person.email.strip()[:254], subject=rendered.subject[:300], text=rendered.text,
        html=rendered.html, kind=spec.kind.value, message_id=_message_id(), status=OutboxStatus.PENDING,
        attempts=0, next_attempt_at=now, created_at=now)
    session.add(message)
    session.flush()
    return message


def full_dedupe_key(kind: Kind, user: User, dedupe_key: str) -> str:
    """The stored key: unique per kind, user and the caller's key."""
    full_key = f"{Kind(kind).value}:{user.id}:{dedupe_key}"
    if len(full_key) > DEDUPE_KEY_LENGTH:
        raise ValueError(f"dedupe key too long: {full_key!r}")
    return full_key


def existing_dedupe_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these stored keys already have their notice (a query per 500 keys, not one per key)."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(select(Notification.dedupe_key).where(
            Notification.dedupe_key.in_(wanted[start:start + 500]))))
    return found


def notify_prepared(session: Session, *, user: User, kind: Kind, context: Mapping[str, Any], link: str,
                    dedupe_key: str | None, now: dt.datetime | None, email: bool | None,
                    known_new: bool = False) -> Notification | None:
    """notify() for callers that read in bulk (notify_users, the reminder scheduler): the user's e-mail
    choice already known (`email`; looked up when None), and with `known_new` the dedupe key already
    checked unused (the unique constraint still refuses a concurrent duplicate)."""
    spec = SPECS[Kind(kind)]
    _check_link(link)
    if not user.is_enabled:
        return None
    full_key = None
    if dedupe_key is not None:
        full_key = full_dedupe_key(spec.kind, user, dedupe_key)
        if not known_new and session.scalar(
                select(Notification.id).where(Notification.dedupe_key == full_key)) is not None:
            return None
    now = now or utcnow()
    with force_locale(user.locale or runtime.settings()["BABEL_DEFAULT_LOCALE"]):
        notice = render_notice(spec, context)
        if email is None:
            email = email_enabled(session, user, spec.kind)
        rendered = render_email(user=user, spec=spec, notice=notice, link=link) if email else None
    rows: list[Notification | OutboxMessage] = [Notification(
        user_id=user.id, kind=spec.kind.value, title=notice.title[:300], body=notice.body, link=link,
        created_at=now, dedupe_key=full_key,
    )]
    if rendered is not None:
        rows.append(OutboxMessage(
            user_id=user.id, recipient=user.email, subject=rendered.subject[:300], text=rendered.text,
            html=rendered.html,
            kind=spec.kind.value, message_id=_message_id(), status=OutboxStatus.PENDING, attempts=0,
            next_attempt_at=now, created_at=now, dedupe_key=full_key,
        ))
    if full_key is None:
        session.add_all(rows)
        session.flush()
        return rows[0]  # type: ignore[return-value]
    # A concurrent run may insert the same key between our check and our insert: the unique
    # constraint decides, and the savepoint keeps the caller's transaction usable.
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:
        return None
    return rows[0]  # type: ignore[return-value]


def notify_users(
    session: Session, *, users: Iterable[User], kind: Kind, context: Mapping[str, Any], link: str,
    dedupe_key: str | None = None, now: dt.datetime | None = None,
) -> list[Notification]:
    """notify() each user (each in their own language); returns the notices actually created.

    The users' e-mail choices and the dedupe keys already used are read in bulk, not per user."""
    users = list(users)
    if dedupe_key is not None:
        done = existing_dedupe_keys(session, (full_dedupe_key(kind, user, dedupe_key) for user in users))
        users = [user for user in users if full_dedupe_key(kind, user, dedupe_key) not in done]
    choices = email_choices(session, users, kind)
    created = [notify_prepared(session, user=user, kind=kind, context=context, link=link, dedupe_key=dedupe_key,
                               now=now, email=choices[user.id], known_new=True) for user in users]
    return [notice for notice in created if notice is not None]


def email_choices(session: Session, users: Iterable[User], kind: Kind) -> dict[int, bool]:
    """email_enabled() for many users at once, by user id (one query, none for a mandatory kind)."""
    ids = [user.id for user in users]
    if SPECS[kind].mandatory or SPECS[kind].about_account or not ids:
        return dict.fromkeys(ids, True)
    chosen = dict(session.execute(select(NotificationPreference.user_id, NotificationPreference.email_enabled).where(
        NotificationPreference.kind == Kind(kind).value, NotificationPreference.user_id.in_(ids))).all())
    return {user_id: chosen.get(user_id, True) for user_id in ids}


def users_with_role(session: Session, role: Role) -> list[User]:
    """Enabled accounts of one role (for example the office, told of objections and conflicts)."""
    return list(session.scalars(select(User).where(User.role == role, User.is_enabled.is_(True)).order_by(User.id)))


def organization_users(session: Session, organization_id: int) -> list[User]:
    """The enabled enterprise accounts of one organization: who hears of its application."""
    return list(session.scalars(
        select(User).where(User.organization_id == organization_id, User.role == Role.ENTERPRISE,
                           User.is_enabled.is_(True)).order_by(User.id)
    ))


# ------------------------------------------------------------------------------ reading

def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def notification_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id)) or 0


def notifications_for(session: Session, user: User, *, limit: int = 50, offset: int = 0) -> list[Notification]:
    """The user's notices, newest first (the query itself keeps everyone to their own)."""
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit).offset(offset)
    ))


def notification_of(session: Session, user: User, notification_id: int) -> Notification | None:
    """One notice if it is the user's; None otherwise, so a guessed id looks like a missing one."""
    return session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )


# Read marks are the reader's own view state (like the chosen language), not a step of the award
# process, so they are not written to the audit trail.

def mark_read(session: Session, *, actor: User, notification: Notification, now: dt.datetime | None = None) -> None:
    if notification.user_id != actor.id:
        raise NotAllowed(_("This notice is not yours."))
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        session.flush()


def mark_all_read(session: Session, *, actor: User, now: dt.datetime | None = None) -> int:
    result = cast(CursorResult[Any], session.execute(
        update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session="fetch")
    ))
    return result.rowcount or 0


# --------------------------------------------------------------------------- preferences

@dataclass(frozen=True)
class Preference:
    spec: KindSpec
    email_enabled: bool


def preferences_for(session: Session, user: User) -> list[Preference]:
    """Every kind the user's role can receive, with the e-mail choice in force."""
    return [Preference(spec, email_enabled(session, user, spec.kind)) for spec in kinds_for(user.role)]


def set_email_preferences(session: Session, *, actor: User, choices: Mapping[Kind, bool]) -> None:
    """Turn e-mail on or off per kind for the actor; the kinds the rules make mandatory stay on."""
    own = {spec.kind: spec for spec in kinds_for(actor.role)}
    for kind, enabled in choices.items():
        if kind not in own:
            raise Invalid(_("This kind of notice does not concern your role."), code="foreign_kind")
        if own[kind].mandatory and not enabled:
            raise Invalid(_("“%(kind)s” must be sent by e-mail under the award rules; it cannot be turned off.",
                                kind=own[kind].label), code="mandatory_kind")
    before: dict[str, bool] = {}
    after: dict[str, bool] = {}
    for kind, enabled in choices.items():
        current = email_enabled(session, actor, kind)
        if current == enabled or own[kind].mandatory:
            continue
        preference = session.get(NotificationPreference, (actor.id, kind.value))
        if preference is None:
            preference = NotificationPreference(user_id=actor.id, kind=kind.value)
            session.add(preference)
        preference.email_enabled = enabled
        before[kind.value], after[kind.value] = current, enabled
    if not after:
        return
    session.flush()
    record(session, actor=actor, action="notification.preferences_changed", target_type="user",
           target_id=actor.id, before=before, after=after)
