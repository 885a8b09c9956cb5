"""State changes of the expert pool (专家库): profiles, declared relations, availability, groups, pins.

Every function checks the actor, raises a DomainError before changing anything, flushes and writes
the audit record. The office manages the pool; an expert may add declarations to their own
profile (never remove them: a removed declaration would hide a conflict, so only the office
removes one, and the audit keeps what it was).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.sectors import GBT4754_SECTIONS
from award.audit.services import record
from award.auth.models import Role, User
from award.auth.services import create_staff_user, credit_code_or_error, find_user_by_email, normalize_email
from award.cycles.models import Cycle
from award.db import utcnow
from award.errors import Invalid, NotAllowed
from award.i18n import _
from award.inputs import check_date_range, check_length, check_name, check_text
from award.pool.kinds import RelationKind
from award.pool.models import ExpertAvailability, ExpertProfile, ExpertRelation, GroupLink


@dataclass(frozen=True, kw_only=True)
class ExpertData:
    """What the office types about an expert; name, e-mail and phone live on the User account."""

    email: str
    full_name: str
    phone: str = ""
    title: str = ""
    organization_code: str
    organization_name: str
    sectors: tuple[str, ...] = ()
    in_pool: bool = True
    address: str = ""  # the expert's contact address: the same as an applicant's is a 回避 soft signal


@dataclass(frozen=True, kw_only=True)
class RelationData:
    """One dated declaration about a party, keyed by its credit code."""

    kind: RelationKind
    party_code: str
    party_name: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    note: str = ""

    def key(self) -> tuple[str, str, dt.date | None, dt.date | None]:
        """What makes two declarations the same (imports skip an existing one)."""
        return (RelationKind(self.kind).value, self.party_code, self.starts_on, self.ends_on)


@dataclass
class CreatedExpert:
    profile: ExpertProfile
    invited: bool = False  # a new account, e-mailed an invitation to set its password; False when one was reused
    notes: list[str] = field(default_factory=list)


# --- permissions ---------------------------------------------------------------------------


def require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can manage the expert pool."))


def can_declare(actor: User | None, profile: ExpertProfile) -> bool:
    """The office, or the expert about their own profile."""
    return actor is None or actor.role is Role.OFFICE or (actor.role is Role.EXPERT and actor.id == profile.user_id)


# --- validation (pure, so imports can check every row before changing anything) -------------


def clean_expert_data(data: ExpertData) -> ExpertData:
    """The data normalized, or Invalid naming the first problem."""
    email = normalize_email(data.email)
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise Invalid(_("“%(email)s” is not an e-mail address.", email=data.email), code="bad_email")
    if not data.full_name.strip():
        raise Invalid(_("The expert's name is missing."), code="name_missing")
    if not data.organization_name.strip():
        raise Invalid(_("The organization's name is missing."), code="organization_missing")
    for value, column, label, printed in (
            (data.email, User.email, _("The e-mail address"), False),
            (data.phone, User.phone, _("The phone number"), False),
            (data.full_name, User.full_name, _("The expert's name"), True),
            (data.title, ExpertProfile.title, _("The professional title"), True),
            (data.organization_name, ExpertProfile.organization_name, _("The organization's name"), True),
            (data.address, ExpertProfile.address, _("The address"), False)):
        (check_name if printed else check_text)(value, field=label)
        check_length(value.strip(), limit=column.type.length, field=label)
    code = credit_code_or_error(data.organization_code)
    sectors = tuple(dict.fromkeys(sector.strip().upper() for sector in data.sectors if sector.strip()))
    unknown = [sector for sector in sectors if sector not in GBT4754_SECTIONS]
    if unknown:
        raise Invalid(_("Unknown sector code: %(codes)s (use the GB/T 4754 letters A to T).",
                            codes=", ".join(unknown)), code="bad_sector")
    return ExpertData(email=email, full_name=data.full_name.strip(), phone=data.phone.strip(),
                      title=data.title.strip(), organization_code=code,
                      organization_name=data.organization_name.strip(), sectors=sectors, in_pool=data.in_pool,
                      address=data.address.strip())


def clean_relation_data(data: RelationData) -> RelationData:
    try:
        kind = RelationKind(data.kind)
    except ValueError:
        raise Invalid(_("Unknown relation kind “%(kind)s”.", kind=data.kind), code="bad_relation_kind") from None
    code = credit_code_or_error(data.party_code)
    check_name(data.party_name, field=_("The organization's name"))
    check_length(data.party_name.strip(), limit=ExpertRelation.party_name.type.length,
                 field=_("The organization's name"))
    check_text(data.note, multiline=True, field=_("The note"))
    check_length(data.note.strip(), limit=ExpertRelation.note.type.length, field=_("The note"))
    for day in (data.starts_on, data.ends_on):
        if day is not None:
            check_date_range(day, field=_("The relation's dates"))
    if data.starts_on is not None and data.ends_on is not None and data.ends_on < data.starts_on:
        raise Invalid(_("The relation ends before it starts."), code="dates_out_of_order")
    return RelationData(kind=kind, party_code=code, party_name=data.party_name.strip(),
                        starts_on=data.starts_on, ends_on=data.ends_on, note=data.note.strip())


# --- snapshots for the audit trail ---------------------------------------------------------


def profile_snapshot(profile: ExpertProfile) -> dict[str, object]:
    return {
        "user_id": profile.user_id,
        "email": profile.user.email,
        "full_name": profile.user.full_name,
        "phone": profile.user.phone,
        "title": profile.title,
        "organization_code": profile.organization_code,
        "organization_name": profile.organization_name,
        "sectors": list(profile.sectors or []),
        "in_pool": profile.in_pool,
        "address": profile.address or "",
    }


def relation_snapshot(relation: ExpertRelation) -> dict[str, object]:
    return {
        "id": relation.id,
        "expert_user_id": relation.expert.user_id,
        "kind": relation.kind.value,
        "party_code": relation.party_code,
        "party_name": relation.party_name,
        "starts_on": relation.starts_on.isoformat() if relation.starts_on else None,
        "ends_on": relation.ends_on.isoformat() if relation.ends_on else None,
        "note": relation.note,
    }


# --- profiles ------------------------------------------------------------------------------


def profile_of(session: Session, user: User) -> ExpertProfile | None:
    return session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))


def create_expert(
    session: Session,
    *,
    actor: User | None,
    data: ExpertData,
    password_min_length: int,
) -> CreatedExpert:
    """A pool profile for a new person (creating the expert account) or an existing expert account.

    A new account gets no password: its holder is e-mailed an invitation link to set one.
    """
    require_office(actor)
    data = clean_expert_data(data)
    user = find_user_by_email(session, data.email)
    invited = False
    if user is not None:
        if user.role is not Role.EXPERT:
            raise Invalid(_("The account %(email)s exists but is not an expert account.", email=data.email),
                              code="not_an_expert")
        if profile_of(session, user) is not None:
            raise Invalid(_("The expert %(email)s is already in the pool.", email=data.email),
                              code="profile_exists")
        before_user = {"full_name": user.full_name, "phone": user.phone}
        user.full_name, user.phone = data.full_name, data.phone
        if before_user != {"full_name": user.full_name, "phone": user.phone}:
            record(session, actor=actor, action="user.updated", target_type="user", target_id=user.id,
                   before=before_user, after={"full_name": user.full_name, "phone": user.phone})
    else:
        invited = True
        user = create_staff_user(session, actor=actor, role=Role.EXPERT, email=data.email,
                                 full_name=data.full_name, phone=data.phone, password_min_length=password_min_length)
    profile = ExpertProfile(user_id=user.id, title=data.title, organization_code=data.organization_code,
                            organization_name=data.organization_name, sectors=list(data.sectors),
                            in_pool=data.in_pool, address=data.address, updated_at=utcnow())
    profile.user = user
    session.add(profile)
    session.flush()
    record(session, actor=actor, action="pool.expert_created", target_type="expert_profile",
           target_id=profile.id, after=profile_snapshot(profile))
    return CreatedExpert(profile=profile, invited=invited)


def update_expert(session: Session, *, actor: User | None, profile: ExpertProfile, data: ExpertData) -> ExpertProfile:
    """Change the profile and the account's name and phone (the e-mail is the login: not here)."""
    require_office(actor)
    data = clean_expert_data(data)
    if data.email != profile.user.email:
        raise Invalid(_("The e-mail address is the expert's login and cannot be changed here."),
                          code="email_fixed")
    before = profile_snapshot(profile)
    profile.user.full_name, profile.user.phone = data.full_name, data.phone
    profile.title = data.title
    profile.organization_code, profile.organization_name = data.organization_code, data.organization_name
    profile.sectors = list(data.sectors)
    profile.in_pool = data.in_pool
    profile.address = data.address
    after = profile_snapshot(profile)
    if after == before:
        return profile
    profile.updated_at = utcnow()
    session.flush()
    record(session, actor=actor, action="pool.expert_updated", target_type="expert_profile",
           target_id=profile.id, before=before, after=after)
    return profile


def add_relation(session: Session, *, actor: User | None, profile: ExpertProfile, data: RelationData) -> ExpertRelation:
    """Declare a relation (the office, or the expert on their own profile)."""
    if not can_declare(actor, profile):
        raise NotAllowed(_("You can only add declarations to your own profile."))
    data = clean_relation_data(data)
    relation = ExpertRelation(kind=data.kind, party_code=data.party_code, party_name=data.party_name,
                              starts_on=data.starts_on, ends_on=data.ends_on, note=data.note)
    profile.relations.append(relation)
    profile.updated_at = utcnow()
    session.flush()
    record(session, actor=actor, action="pool.relation_added", target_type="expert_relation",
           target_id=relation.id, after=relation_snapshot(relation))
    return relation


def remove_relation(session: Session, *, actor: User | None, relation: ExpertRelation, reason: str) -> None:
    """Remove a declared relation (office only, with a reason); the audit keeps the full row."""
    require_office(actor)
    if not reason.strip():
        raise Invalid(_("Say why the declaration is removed."), code="reason_missing")
    before = relation_snapshot(relation)
    profile = relation.expert
    profile.relations.remove(relation)
    profile.updated_at = utcnow()
    session.flush()
    record(session, actor=actor, action="pool.relation_removed", target_type="expert_relation",
           target_id=before["id"], before=before, after={"removed": True, "reason": reason.strip()})  # type: ignore[arg-type]


def set_availability(
    session: Session, *, actor: User | None, profile: ExpertProfile, cycle: Cycle, available: bool,
    max_load: int | None,
) -> ExpertAvailability:
    """Whether the expert takes part in a cycle, with an optional personal load cap."""
    require_office(actor)
    if max_load is not None and max_load < 0:
        raise Invalid(_("The load cap cannot be negative."), code="bad_load")
    row = session.scalar(select(ExpertAvailability).where(ExpertAvailability.expert_id == profile.id,
                                                          ExpertAvailability.cycle_id == cycle.id))
    before = None if row is None else {"available": row.available, "max_load": row.max_load}
    if row is None:
        row = ExpertAvailability(expert_id=profile.id, cycle_id=cycle.id)
        session.add(row)
    row.available, row.max_load = available, max_load
    session.flush()
    record(session, actor=actor, action="pool.availability_set", target_type="expert_profile",
           target_id=profile.id, cycle_id=cycle.id, before=before,
           after={"available": available, "max_load": max_load})
    return row


def availability_of(session: Session, profile: ExpertProfile) -> dict[int, ExpertAvailability]:
    rows = session.scalars(select(ExpertAvailability).where(ExpertAvailability.expert_id == profile.id))
    return {row.cycle_id: row for row in rows}


def available_experts(session: Session, cycle: Cycle) -> list[tuple[ExpertProfile, int | None]]:
    """Profiles in the pool that did not opt out of the cycle, with their personal load cap."""
    rows: Sequence[tuple[ExpertProfile, ExpertAvailability | None]] = session.execute(  # an outer join
        select(ExpertProfile, ExpertAvailability)
        .outerjoin(ExpertAvailability, (ExpertAvailability.expert_id == ExpertProfile.id)
                   & (ExpertAvailability.cycle_id == cycle.id))
        .where(ExpertProfile.in_pool.is_(True))
        .order_by(ExpertProfile.user_id)
    ).all()
    return [(profile, row.max_load if row else None) for profile, row in rows if row is None or row.available]


# --- enterprise groups ---------------------------------------------------------------------


def add_group_link(
    session: Session, *, actor: User | None, parent_code: str, child_code: str, source: str = ""
) -> GroupLink:
    require_office(actor)
    parent, child = credit_code_or_error(parent_code), credit_code_or_error(child_code)
    if parent == child:
        raise Invalid(_("An organization cannot be its own parent."), code="self_link")
    exists = session.scalar(select(GroupLink).where(GroupLink.parent_code == parent, GroupLink.child_code == child))
    if exists is not None:
        raise Invalid(_("This link is already recorded."), code="link_exists")
    check_name(source, field=_("The source"))
    link = GroupLink(parent_code=parent, child_code=child, source=source.strip())
    session.add(link)
    session.flush()
    record(session, actor=actor, action="pool.group_link_added", target_type="group_link", target_id=link.id,
           after={"parent_code": parent, "child_code": child, "source": link.source})
    return link


def remove_group_link(session: Session, *, actor: User | None, link: GroupLink) -> None:
    require_office(actor)
    before = {"parent_code": link.parent_code, "child_code": link.child_code, "source": link.source}
    link_id = link.id
    session.delete(link)
    session.flush()
    record(session, actor=actor, action="pool.group_link_removed", target_type="group_link", target_id=link_id,
           before=before)


# --- per-cycle 回避 settings and pinned conflicts -------------------------------------------






