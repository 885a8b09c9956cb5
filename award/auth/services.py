"""Account changes: registration, accounts made by the office, authentication, ending sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from award.audit.services import record
from award.auth.models import Organization, Role, TokenPurpose, User
from award.auth.passwords import new_password_hash, password_matches, spend_a_check, unusable_password_hash
from award.auth.tokens import issue_token, void_tokens
from award.credit_code import InvalidCreditCode, normalize_credit_code
from award.errors import Invalid, NotAllowed
from award.i18n import _
from award.inputs import ID_MAX, InvalidInput, check_name, parse_id, parse_int

STAFF_ROLES = (Role.EXPERT, Role.LEADER, Role.SUPERVISOR, Role.OFFICE)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str, *, min_length: int) -> str:
    if len(password) < min_length:
        raise Invalid(_("The password needs at least %(n)d characters.", n=min_length),
                          code="password_too_short", field="password")
    return new_password_hash(password)


def credit_code_or_error(raw: str) -> str:
    try:
        return normalize_credit_code(raw)
    except InvalidCreditCode as error:
        messages = {
            "length": _("A unified social credit code has 18 characters."),
            "character": _("The credit code contains a character that is not allowed "
                           "(I, O, S, V and Z are never used)."),
            "check": _("The credit code's check character does not match; please check the code."),
        }
        raise Invalid(messages[error.reason], code=f"credit_code_{error.reason}", field="credit_code") from None


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def _ensure_email_free(session: Session, email: str) -> None:
    if find_user_by_email(session, email) is not None:
        raise Invalid(_("An account with this e-mail address already exists."), code="email_taken", field="email")


def get_or_create_organization(session: Session, *, credit_code: str, name: str) -> Organization:
    organization = session.scalar(select(Organization).where(Organization.credit_code == credit_code))
    if organization is None:
        check_name(name, field=_("The organization name"))
        organization = Organization(credit_code=credit_code, name=name.strip())
        session.add(organization)
        session.flush()
    return organization


@dataclass(frozen=True)
class Registration:
    """What a registration from the web did: a new account, or none because the details have holders."""

    account: User | None
    holders: tuple[User, ...] = ()  # who already holds the e-mail address or the credit code


RegistrationListener = Callable[[Session, Registration], object]  # what it returns is not used
# Told of every registration in the registering transaction. Notifications sits above auth and
# registers here the e-mails to the new account or to the holders (notifications/events.py).
_REGISTRATION_LISTENERS: list[RegistrationListener] = []


def registration_listener(listener: RegistrationListener) -> RegistrationListener:
    _REGISTRATION_LISTENERS.append(listener)
    return listener


def _enterprise_holders(session: Session, credit_code: str) -> list[User]:
    return list(session.scalars(
        select(User).join(Organization).where(Organization.credit_code == credit_code, User.role == Role.ENTERPRISE)
        .order_by(User.id)
    ))


def _holders(session: Session, *, email: str, credit_code: str) -> tuple[User, ...]:
    found = [user for user in (find_user_by_email(session, email),) if user is not None]
    found += [user for user in _enterprise_holders(session, credit_code) if user not in found]
    return tuple(found)


def _create_enterprise(session: Session, *, credit_code: str, organization_name: str, contact_name: str,
                       phone: str, email: str, password_hash: str, locale: str) -> User:
    organization = get_or_create_organization(session, credit_code=credit_code, name=organization_name)
    user = User(
        email=normalize_email(email),
        password_hash=password_hash,
        role=Role.ENTERPRISE,
        full_name=contact_name.strip(),
        phone=phone.strip(),
        organization=organization,
        locale=locale,
    )
    session.add(user)
    session.flush()
    record(session, actor=user, action="user.registered", target_type="user", target_id=user.id,
           after=_user_snapshot(user))
    return user


def _check_registration_names(*, organization_name: str, contact_name: str) -> None:
    """Faults of the input itself, refused the same whether or not the details are taken."""
    check_name(organization_name, field=_("The organization name"))
    check_name(contact_name, field=_("The name"))


def register_enterprise(
    session: Session,
    *,
    credit_code: str,
    organization_name: str,
    contact_name: str,
    phone: str,
    email: str,
    password: str,
    password_min_length: int,
    locale: str = "zh_CN",
) -> User:
    """An enterprise account made for the demo or a test, refused when the details are taken.

    The web uses submit_registration(), which never tells a visitor whether an account exists."""
    code = credit_code_or_error(credit_code)
    _check_registration_names(organization_name=organization_name, contact_name=contact_name)
    password_hash = hash_password(password, min_length=password_min_length)
    _ensure_email_free(session, email)
    if _enterprise_holders(session, code):
        raise Invalid(_("This credit code is already registered. Please sign in, or ask the "
                            "award office to help."), code="credit_code_taken", field="credit_code")
    return _create_enterprise(session, credit_code=code, organization_name=organization_name,
                              contact_name=contact_name, phone=phone, email=email, password_hash=password_hash,
                              locale=locale)


def submit_registration(
    session: Session,
    *,
    credit_code: str,
    organization_name: str,
    contact_name: str,
    phone: str,
    email: str,
    password: str,
    password_min_length: int,
    locale: str = "zh_CN",
) -> Registration:
    """An enterprise registers itself from the web, one account per e-mail and per credit code.

    The visitor learns nothing about existing accounts: only faults of the input itself are refused.
    When the e-mail address or the credit code already has an account, no account is made and the
    holders are told by e-mail instead; a new account's holder is told by e-mail too, with a link that
    confirms the address (needed before it can submit an application). The password is
    hashed on both paths, so that the answer takes as long either way.
    """
    code = credit_code_or_error(credit_code)
    _check_registration_names(organization_name=organization_name, contact_name=contact_name)
    password_hash = hash_password(password, min_length=password_min_length)
    holders = _holders(session, email=email, credit_code=code)
    account = None
    if not holders:
        try:
            with session.begin_nested():
                account = _create_enterprise(
                    session, credit_code=code, organization_name=organization_name, contact_name=contact_name,
                    phone=phone, email=email, password_hash=password_hash, locale=locale)
        except IntegrityError:  # a registration running at the same time took the e-mail or the code first
            account, holders = None, _holders(session, email=email, credit_code=code)
    if account is not None:  # it may submit an application once it opened the link in this e-mail
        account.email_confirmed = False
        session.flush()
        issue_token(session, user=account, purpose=TokenPurpose.EMAIL_CONFIRMATION)
    for holder in holders:
        holds_code = (holder.role is Role.ENTERPRISE and holder.organization is not None
                      and holder.organization.credit_code == code)
        record(session, actor=None, action="user.registration_refused", target_type="user", target_id=holder.id,
               after={"email_taken": holder.email == normalize_email(email), "credit_code_taken": holds_code})
    outcome = Registration(account=account, holders=holders)
    for listener in _REGISTRATION_LISTENERS:
        listener(session, outcome)
    return outcome


def create_staff_user(
    session: Session,
    *,
    actor: User | None,
    role: Role,
    email: str,
    full_name: str,
    password_min_length: int,
    password: str | None = None,
    must_change_password: bool = True,
    phone: str = "",
    organization: Organization | None = None,
) -> User:
    """The office (or the CLI, actor None) creates an expert, leader, supervisor or office account.

    Without a password the holder is e-mailed an invitation link to set one. A password given here was
    set by someone else: its holder must change it at the first sign-in (`must_change_password`),
    except for the demo's accounts, which everyone knows anyway.
    """
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can create accounts."))
    if role not in STAFF_ROLES:
        raise Invalid(_("Enterprises register themselves."), code="bad_role", field="role")
    check_name(full_name, field=_("The name"))
    _ensure_email_free(session, email)
    invited = password is None
    user = User(
        email=normalize_email(email),
        # An invited account has a password nobody knows until its holder sets one through the link.
        password_hash=unusable_password_hash() if invited else hash_password(
            password or "", min_length=password_min_length),
        must_change_password=must_change_password and not invited,
        role=role,
        full_name=full_name.strip(),
        phone=phone.strip(),
        organization=organization,
    )
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.created", target_type="user", target_id=user.id,
           after={**_user_snapshot(user), "invited": invited})
    if invited:
        issue_token(session, user=user, purpose=TokenPurpose.INVITATION)
    return user


def set_user_enabled(session: Session, *, actor: User, user: User, enabled: bool) -> None:
    if actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can change accounts."))
    if user.id == actor.id and not enabled:
        raise Invalid(_("You cannot disable your own account."), code="self_disable")
    before = _user_snapshot(user)
    user.is_enabled = enabled
    if not enabled:
        _end_sessions(user)  # enabling the account again must not bring old sessions back
    session.flush()
    record(session, actor=actor, action="user.enabled" if enabled else "user.disabled",
           target_type="user", target_id=user.id, before=before, after=_user_snapshot(user))


def change_password(session: Session, *, actor: User, user: User, new_password: str,
                    password_min_length: int) -> None:
    """A new password set by the office for someone (who must change it at the next sign-in), or by its
    owner (accounts.change_own_password also asks for the current one); every session of the account ends."""
    if actor.id != user.id and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can change another person's password."))
    set_password_hash(session, user=user, password_hash=hash_password(new_password, min_length=password_min_length),
                      chosen_by_holder=actor.id == user.id)
    record(session, actor=actor, action="user.password_changed", target_type="user", target_id=user.id,
           after={"must_change_password": user.must_change_password})


def set_password_hash(session: Session, *, user: User, password_hash: str, chosen_by_holder: bool) -> None:
    """The one way a password changes: every session ends, and pending invitation and reset links die."""
    user.password_hash = password_hash
    user.must_change_password = not chosen_by_holder
    _end_sessions(user)
    void_tokens(session, user=user, purposes=(TokenPurpose.INVITATION, TokenPurpose.PASSWORD_RESET))
    session.flush()


def change_role(session: Session, *, actor: User, user: User, role: Role) -> None:
    """The office moves a staff account to another staff role; every session of the account ends."""
    if actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can change accounts."))
    if user.id == actor.id:
        raise Invalid(_("You cannot change your own role."), code="self_role")
    if user.role not in STAFF_ROLES or role not in STAFF_ROLES:
        raise Invalid(_("Enterprise accounts keep their role."), code="bad_role", field="role")
    before = _user_snapshot(user)
    user.role = role
    _end_sessions(user)
    session.flush()
    record(session, actor=actor, action="user.role_changed", target_type="user", target_id=user.id,
           before=before, after=_user_snapshot(user))


def sign_out(session: Session, *, user: User) -> None:
    """Logout ends every session of the account, not only this browser's: a copied cookie dies too."""
    _end_sessions(user)
    session.flush()
    record(session, actor=user, action="user.signed_out", target_type="user", target_id=user.id)


def _end_sessions(user: User) -> None:
    user.session_generation = (user.session_generation or 0) + 1


def user_for_session(session: Session, session_id: str) -> User | None:
    """The user a session's id ("<user id>:<generation>") names, or None when malformed or ended."""
    user_part, separator, generation_part = session_id.partition(":")
    user_id = parse_id(user_part)
    try:
        generation = parse_int(generation_part, minimum=0, maximum=ID_MAX)
    except InvalidInput:
        return None
    if not separator or user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.session_generation != generation:
        return None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The user for these credentials, or None; the same work is done for unknown e-mails."""
    user = find_user_by_email(session, email)
    if user is None:
        spend_a_check(password)
        return None
    if not password_matches(user.password_hash, password) or not user.is_enabled:
        return None
    return user


def set_locale(session: Session, *, user: User, locale: str) -> None:
    user.locale = locale
    session.flush()


def _user_snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "role": user.role.value,
        "full_name": user.full_name,
        "organization": user.organization.credit_code if user.organization else None,
        "enabled": user.is_enabled,
    }
