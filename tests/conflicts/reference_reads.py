"""The 回避 reads as they were before issue 23 (one IN list per table): the reference that the
faster reads of award/conflicts/services.py are compared with, pair by pair."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from award.applications.models import Application
from award.auth.models import Organization, Role, User
from award.conflicts import rules as coi
from award.conflicts.models import PinnedConflict
from award.conflicts.rules import ApplicantFacts, Conflict, ConflictType
from award.conflicts.services import ApplicationKey, PairKey, coi_settings_for, load_groups, reference_date_for
from award.cycles.models import Cycle
from award.pool.models import ExpertProfile


def _expert_facts(profile: ExpertProfile) -> coi.ExpertProfile:
    relations = tuple(
        coi.Relation(kind=relation.kind, party_code=relation.party_code, start=relation.starts_on,
                     end=relation.ends_on, note=relation.note)
        for relation in profile.relations
    )
    return coi.ExpertProfile(expert_id=profile.user_id, organization_code=profile.organization_code,
                             email=profile.user.email, relations=relations, phone=profile.user.phone,
                             address=profile.address)


def _profiles(session: Session, expert_ids: Collection[int] | None) -> list[ExpertProfile]:
    query = select(ExpertProfile).options(selectinload(ExpertProfile.relations)).order_by(ExpertProfile.user_id)
    if expert_ids is not None:
        query = query.where(ExpertProfile.user_id.in_(list(expert_ids)))
    return list(session.scalars(query))


def applicant_facts(session: Session, applications: Sequence[ApplicationKey | Application]) -> list[ApplicantFacts]:
    """Credit codes, e-mail domains and phones (of the organization's enterprise accounts) and the
    address each application declared, three queries.

    A domain or phone that enterprise accounts of several organizations use is a shared host (an
    industry portal's mail, a business centre's switchboard, a demo), not any organization's own:
    it never counts, as a public mail domain never does."""
    organization_ids = {application.organization_id for application in applications}
    codes = dict(session.execute(
        select(Organization.id, Organization.credit_code).where(Organization.id.in_(organization_ids))
    ).all()) if organization_ids else {}
    domains: dict[int, set[str]] = defaultdict(set)
    phones: dict[int, set[str]] = defaultdict(set)
    if organization_ids:
        hosts: dict[str, set[int]] = defaultdict(set)  # domain -> organizations whose accounts use it
        lines: dict[str, set[int]] = defaultdict(set)  # phone -> the same
        rows = session.execute(select(User.organization_id, User.email, User.phone).where(
            User.organization_id.is_not(None), User.role == Role.ENTERPRISE))
        for organization_id, email, phone in rows:
            if organization_id is None:  # the query leaves none out; for the type checker
                continue
            domain = coi.email_domain(email)
            if domain is not None and not coi.is_public_mail_domain(domain):
                hosts[domain].add(organization_id)
            number = coi.normalize_phone(phone)
            if number is not None:
                lines[number].add(organization_id)
        for owned, found in ((hosts, domains), (lines, phones)):
            for value, owners in owned.items():
                if len(owners) == 1:
                    found[next(iter(owners))].add(value)
    ids = [application.id for application in applications]
    addresses = dict(session.execute(
        select(Application.id, Application.address).where(Application.id.in_(ids))).all()) if ids else {}
    return [
        ApplicantFacts(application_id=application.id, credit_code=codes[application.organization_id],
                       email_domains=frozenset(domains[application.organization_id]),
                       addresses=frozenset({addresses.get(application.id) or ""}),
                       phones=frozenset(phones[application.organization_id]))
        for application in applications
    ]


def _pinned(
    session: Session, application_ids: Collection[int], expert_ids: Collection[int] | None,
    codes: dict[int, str],
) -> dict[PairKey, list[Conflict]]:
    query = select(PinnedConflict).where(PinnedConflict.application_id.in_(list(application_ids)))
    if expert_ids is not None:
        query = query.where(PinnedConflict.expert_id.in_(list(expert_ids)))
    pinned: dict[PairKey, list[Conflict]] = defaultdict(list)
    for row in session.scalars(query.order_by(PinnedConflict.id)):
        pinned[(row.application_id, row.expert_id)].append(coi.pin_conflict(
            conflict_type=ConflictType(row.type),
            party_credit_code=codes[row.application_id],
            reason=row.reason,
            evidence=(f"pinned_id={row.id}", f"pinned_by={row.created_by_id}",
                      f"pinned_at={row.created_at.isoformat(timespec='seconds')}"),
        ))
    return pinned


def _conflicts(
    session: Session, cycle: Cycle, applications: Sequence[ApplicationKey | Application],
    expert_ids: Collection[int] | None, reference_date: dt.date | None, include_soft: bool,
) -> dict[PairKey, list[Conflict]]:
    if not applications:
        return {}
    applicants = applicant_facts(session, applications)
    experts = [_expert_facts(profile) for profile in _profiles(session, expert_ids)]
    # coi keys the pairs by the ids it was given: the database ids here.
    detected = cast(dict[PairKey, list[Conflict]], coi.conflict_matrix(
        experts, applicants,
        settings=coi_settings_for(session, cycle),
        groups=load_groups(session),
        reference_date=reference_date or reference_date_for(session, cycle),
    ))
    codes = {cast(int, facts.application_id): facts.credit_code for facts in applicants}
    pinned = _pinned(session, codes.keys(), expert_ids, codes)
    result: dict[PairKey, list[Conflict]] = {}
    for key in [*detected, *(key for key in pinned if key not in detected)]:
        found = coi.merge_conflicts(detected.get(key, ()), pinned.get(key, ()))
        if not include_soft:
            found = [conflict for conflict in found if conflict.is_hard]
        if found:
            result[key] = found
    return result


def conflicts_for_cycle(
    session: Session,
    cycle: Cycle,
    *,
    reference_date: dt.date | None = None,
    application_ids: Iterable[int] | None = None,
    expert_ids: Iterable[int] | None = None,
    include_soft: bool = False,
) -> dict[PairKey, list[Conflict]]:
    """Every conflicted (application_id, expert user id) pair of a cycle, detected and pinned merged.

    All applications of the cycle (any status) against every expert with a profile; pass
    application_ids / expert_ids to narrow it. Pairs without a conflict are absent. Each list
    holds the detected conflicts in coi's order, then the pinned ones. Hard conflicts only,
    unless `include_soft` (then a pair with only soft signals is present too).
    """
    # Only the keys: whole Application rows would decode every self-assessment for nothing.
    query = (select(Application.id, Application.organization_id)
             .where(Application.cycle_id == cycle.id).order_by(Application.id))
    if application_ids is not None:
        query = query.where(Application.id.in_(list(application_ids)))
    applications = [ApplicationKey(id, organization_id) for id, organization_id in session.execute(query)]
    experts = None if expert_ids is None else set(expert_ids)
    return _conflicts(session, cycle, applications, experts, reference_date, include_soft)


def conflicts_between(
    session: Session, application: Application, expert_user: User, *, reference_date: dt.date | None = None,
    include_soft: bool = False,
) -> list[Conflict]:
    """Every hard conflict (detected, then pinned) between one application and one expert user;
    with `include_soft`, its soft signals too."""
    cycle = session.get(Cycle, application.cycle_id)
    assert cycle is not None
    found = _conflicts(session, cycle, [application], {expert_user.id}, reference_date, include_soft)
    return found.get((application.id, expert_user.id), [])


def has_conflict(
    session: Session, application: Application, expert_user: User, *, reference_date: dt.date | None = None
) -> bool:
    """True when the expert must not review (or open) the application."""
    return bool(conflicts_between(session, application, expert_user, reference_date=reference_date))


