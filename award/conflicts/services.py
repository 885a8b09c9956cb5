"""The bridge from the database to the pure 回避 detection in coi.py.

Every area that must respect conflicts asks here: assignment refuses conflicted pairs (automatic
and manual) and the opening of an application, ranking leaves conflicted sheets out, the office
reads the matrix. Detected and pinned conflicts are always merged, so a conflict the office
recorded by hand counts everywhere a detected one does.

Only hard conflicts refuse a pair. Soft signals (需关注) come back when a caller asks for them
(`include_soft=True`: the matrix, the pair page, the archive) and through `soft_pairs` (the
solver's penalty, the acknowledgement asked before a round opens).

Loading is done in a fixed number of queries per call, one per kind of fact (applications with
their organization's credit code, enterprise accounts, expert profiles with their account and
relations, the cycle's settings, group links, pinned rows), never one query per pair. A cycle's
rows are read in one pass over the cycle (a join on it, filtered here), not through IN lists of
thousands of ids; a few ids (one pair) are asked for directly. One pair check: six queries.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from award import errors, runtime
from award.applications.models import Application
from award.audit.services import record
from award.auth.models import Organization, Role, User
from award.conflicts import data_version
from award.conflicts import rules as coi
from award.conflicts.models import CycleCoiSettings, PinnedConflict
from award.conflicts.rules import ApplicantFacts, CoiSettings, Conflict, ConflictType, GroupIndex
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.i18n import _, local_zone
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.pool.services import require_office


class ApplicationKey(NamedTuple):
    """What conflict detection needs of an application."""

    id: int
    organization_id: int


__all__ = [
    "PairKey",
    "avoid_soft_pairs",
    "coi_settings_for",
    "conflicted_pairs",
    "conflicts_between",
    "conflicts_for_cycle",
    "has_conflict",
    "load_groups",
    "reference_date_for",
    "soft_pairs",
]

PairKey = tuple[int, int]  # (application_id, expert user id)


# --- cycle settings ------------------------------------------------------------------------


def coi_settings_for(session: Session, cycle: Cycle) -> CoiSettings:
    """The cycle's window lengths; the defaults of coi.CoiSettings until the office sets them."""
    return _settings_from(session.get(CycleCoiSettings, cycle.id))


def _settings_from(row: CycleCoiSettings | None) -> CoiSettings:
    if row is None:
        return CoiSettings()
    return CoiSettings(**{name: getattr(row, name) for name in CoiSettings.__dataclass_fields__})


def avoid_soft_pairs(session: Session, cycle: Cycle) -> bool:
    """True when the cycle tells the solver never to pair a soft signal (else only a penalty)."""
    row = session.get(CycleCoiSettings, cycle.id)
    return bool(row is not None and row.avoid_soft_pairs)


def reference_date_for(session: Session, cycle: Cycle) -> dt.date:
    """The review date windows are measured from: set by the office, else from the cycle's dates.

    Never today's clock, so that the matrix computed today and replayed next month agree.
    Fallbacks in order: document-review deadline, application deadline, the cycle's creation day.
    """
    return _reference_date_from(session.get(CycleCoiSettings, cycle.id), cycle)


def _reference_date_from(row: CycleCoiSettings | None, cycle: Cycle) -> dt.date:
    if row is not None and row.reference_date is not None:
        return row.reference_date
    for stage in (Stage.DOCUMENT_REVIEW, Stage.APPLICATION):
        due = cycle.deadline(stage)
        if due is not None:
            return due.astimezone(local_zone()).date()  # a deadline at 23:59 Beijing time is that day
    return cycle.created_at.astimezone(local_zone()).date()


def load_groups(session: Session) -> GroupIndex:
    """Every enterprise-group link, as coi's index (one query)."""
    links = session.execute(select(GroupLink.parent_code, GroupLink.child_code)).all()
    return GroupIndex.from_links((parent, child) for parent, child in links)


# --- loading facts -------------------------------------------------------------------------

# Up to this many ids are asked for by an IN list; more, and the cycle's (or the pool's) rows are
# read whole in one pass and filtered here: 2,000-id IN lists cost more than they save.
_IN_LIST_LIMIT = 64


def _experts(session: Session, expert_ids: Collection[int] | None) -> list[coi.ExpertProfile]:
    """The profiles (with their account's e-mail and phone) and relations of the given experts (all
    with a profile when None), by user id, relations in declaration order: one query."""
    query = (select(ExpertProfile.id, ExpertProfile.user_id, ExpertProfile.organization_code,
                    ExpertProfile.address, User.email, User.phone, ExpertRelation.kind,
                    ExpertRelation.party_code, ExpertRelation.starts_on, ExpertRelation.ends_on,
                    ExpertRelation.note)
             .join(User, User.id == ExpertProfile.user_id)
             .outerjoin(ExpertRelation, ExpertRelation.expert_id == ExpertProfile.id)
             .order_by(ExpertProfile.user_id, ExpertRelation.id))
    wanted = None if expert_ids is None else set(expert_ids)
    if wanted is not None and len(wanted) == 1:
        query = query.where(ExpertProfile.user_id == next(iter(wanted)))
    elif wanted is not None and len(wanted) <= _IN_LIST_LIMIT:
        query = query.where(ExpertProfile.user_id.in_(sorted(wanted)))
    heads: dict[int, tuple[str, str | None, str | None, str]] = {}
    relations: dict[int, list[coi.Relation]] = defaultdict(list)
    for (_id, user_id, organization_code, address, email, phone, kind, party_code, starts_on, ends_on,
         note) in session.execute(query):
        if wanted is not None and user_id not in wanted:
            continue
        heads.setdefault(user_id, (organization_code, email, phone, address))
        if kind is not None:
            relations[user_id].append(coi.Relation(kind=kind, party_code=party_code, start=starts_on,
                                                   end=ends_on, note=note))
    return [
        coi.ExpertProfile(expert_id=user_id, organization_code=organization_code, email=email,
                          relations=tuple(relations[user_id]), phone=phone, address=address)
        for user_id, (organization_code, email, phone, address) in heads.items()
    ]


def _owned_contacts(session: Session) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """The e-mail domains and phones each organization's enterprise accounts alone use (one query).

    A domain or phone that enterprise accounts of several organizations use is a shared host (an
    industry portal's mail, a business centre's switchboard, a demo), not any organization's own:
    it never counts, as a public mail domain never does."""
    domains: dict[int, set[str]] = defaultdict(set)
    phones: dict[int, set[str]] = defaultdict(set)
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
    return domains, phones


class _Applicant(NamedTuple):
    id: int
    organization_id: int
    credit_code: str
    address: str | None


def _facts_of(session: Session, applicants: Sequence[_Applicant]) -> list[ApplicantFacts]:
    if not applicants:
        return []
    domains, phones = _owned_contacts(session)
    none: frozenset[str] = frozenset()
    return [
        _applicant_facts(applicant.id, applicant.credit_code, frozenset(domains.get(applicant.organization_id, none)),
                         applicant.address or "", frozenset(phones.get(applicant.organization_id, none)))
        for applicant in applicants
    ]


@functools.lru_cache(maxsize=8192)
def _applicant_facts(application_id: int, credit_code: str, email_domains: frozenset[str], address: str,
                     phones: frozenset[str]) -> ApplicantFacts:
    # Kept by the raw facts (the facts are frozen): a ranking checks a cycle's 2,000 applicants on
    # every computation, and normalizing them each time was a tenth of it (docs/performance.md).
    return ApplicantFacts(application_id=application_id, credit_code=credit_code, email_domains=email_domains,
                          addresses=frozenset({address}), phones=phones)


def _applicants(session: Session, cycle_id: int, application_ids: Collection[int] | None) -> list[_Applicant]:
    """The cycle's applications (or those of them given) with their organization's credit code and
    declared address, in id order: one query over the cycle, an IN list only for a few ids."""
    query = (select(Application.id, Application.organization_id, Organization.credit_code, Application.address)
             .join(Organization, Organization.id == Application.organization_id)
             .where(Application.cycle_id == cycle_id).order_by(Application.id))
    wanted = None if application_ids is None else set(application_ids)
    if wanted is not None and len(wanted) == 1:
        query = query.where(Application.id == next(iter(wanted)))
    elif wanted is not None and len(wanted) <= _IN_LIST_LIMIT:
        query = query.where(Application.id.in_(sorted(wanted)))
    return [_Applicant(*row) for row in session.execute(query) if wanted is None or row[0] in wanted]


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
    ids = [application.id for application in applications]
    addresses = dict(session.execute(
        select(Application.id, Application.address).where(Application.id.in_(ids))).all()) if ids else {}
    return _facts_of(session, [
        _Applicant(application.id, application.organization_id, codes[application.organization_id],
                   addresses.get(application.id))
        for application in applications
    ])


def _pinned(
    session: Session, cycle_id: int, application_ids: Collection[int], expert_ids: Collection[int] | None,
    codes: dict[int, str],
) -> dict[PairKey, list[Conflict]]:
    query = (select(PinnedConflict).join(Application, Application.id == PinnedConflict.application_id)
             .where(Application.cycle_id == cycle_id))
    if len(application_ids) == 1:
        query = query.where(PinnedConflict.application_id == next(iter(application_ids)))
    elif len(application_ids) <= _IN_LIST_LIMIT:
        query = query.where(PinnedConflict.application_id.in_(sorted(application_ids)))
    experts = None if expert_ids is None else set(expert_ids)
    if experts is not None and len(experts) == 1:
        query = query.where(PinnedConflict.expert_id == next(iter(experts)))
    elif experts is not None and len(experts) <= _IN_LIST_LIMIT:
        query = query.where(PinnedConflict.expert_id.in_(sorted(experts)))
    pinned: dict[PairKey, list[Conflict]] = defaultdict(list)
    for row in session.scalars(query.order_by(PinnedConflict.id)):
        if row.application_id not in codes or (experts is not None and row.expert_id not in experts):
            continue
        pinned[(row.application_id, row.expert_id)].append(coi.pin_conflict(
            conflict_type=ConflictType(row.type),
            party_credit_code=codes[row.application_id],
            reason=row.reason,
            evidence=(f"pinned_id={row.id}", f"pinned_by={row.created_by_id}",
                      f"pinned_at={row.created_at.isoformat(timespec='seconds')}"),
        ))
    return pinned


# The last few conflict matrices, keyed by everything `coi.conflict_matrix` was given and the language its
# reasons are written in: a ranking shown again with nothing changed checks the same 2,000 applicants against
# the same experts (a third of its time, docs/performance.md). The facts are read from the database every
# time, so any change to them (a relation, a profile, an address, a group link, a setting) is another key.
_MATRICES_KEPT = 2
_REUSED_FROM_PAIRS = 1_000
_matrices: OrderedDict[tuple[object, ...], dict[PairKey, list[Conflict]]] = OrderedDict()
_matrices_lock = threading.Lock()


def _conflict_matrix(
    experts: Sequence[coi.ExpertProfile], applicants: Sequence[ApplicantFacts], *, settings: CoiSettings,
    groups: GroupIndex, reference_date: dt.date,
) -> dict[PairKey, list[Conflict]]:
    """`coi.conflict_matrix`, reused while its inputs are equal; callers get their own lists. Only for a
    large matrix (a cycle's, a round's): one pair's check is cheap and must not push those out."""
    if len(experts) * len(applicants) < _REUSED_FROM_PAIRS:
        return cast(dict[PairKey, list[Conflict]], coi.conflict_matrix(
            experts, applicants, settings=settings, groups=groups, reference_date=reference_date))
    key = (tuple(experts), tuple(applicants), settings, groups.links, reference_date,
           runtime.current().translations())
    with _matrices_lock:
        found = _matrices.get(key)
        if found is not None:
            _matrices.move_to_end(key)
    if found is None:
        found = cast(dict[PairKey, list[Conflict]], coi.conflict_matrix(
            experts, applicants, settings=settings, groups=groups, reference_date=reference_date))
        with _matrices_lock:
            _matrices[key] = found
            while len(_matrices) > _MATRICES_KEPT:
                _matrices.popitem(last=False)
    return {pair: list(conflicts) for pair, conflicts in found.items()}  # Conflict itself is frozen


def forget_reused_matrices() -> None:
    """Drop the kept conflict matrices (benchmarks time the cold path with this)."""
    with _matrices_lock:
        _matrices.clear()


def _conflicts(
    session: Session, cycle: Cycle, application_ids: Collection[int] | None,
    expert_ids: Collection[int] | None, reference_date: dt.date | None, include_soft: bool,
) -> dict[PairKey, list[Conflict]]:
    applicants = _facts_of(session, _applicants(session, cycle.id, application_ids))
    if not applicants:
        return {}
    experts = _experts(session, expert_ids)
    settings_row = session.get(CycleCoiSettings, cycle.id)  # read once for the windows and the date
    # coi keys the pairs by the ids it was given: the database ids here.
    detected = _conflict_matrix(experts, applicants, settings=_settings_from(settings_row), groups=load_groups(session),
                                reference_date=reference_date or _reference_date_from(settings_row, cycle))
    codes = {cast(int, facts.application_id): facts.credit_code for facts in applicants}
    pinned = _pinned(session, cycle.id, codes.keys(), expert_ids, codes)
    result: dict[PairKey, list[Conflict]] = {}
    for key in [*detected, *(key for key in pinned if key not in detected)]:
        found = coi.merge_conflicts(detected.get(key, ()), pinned.get(key, ()))
        if not include_soft:
            found = [conflict for conflict in found if conflict.is_hard]
        if found:
            result[key] = found
    return result


# --- the public questions ------------------------------------------------------------------


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
    applications = None if application_ids is None else set(application_ids)
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
    found = _conflicts(session, cycle, {application.id}, {expert_user.id}, reference_date, include_soft)
    return found.get((application.id, expert_user.id), [])


def has_conflict(
    session: Session, application: Application, expert_user: User, *, reference_date: dt.date | None = None
) -> bool:
    """True when the expert must not review (or open) the application.

    Without a `reference_date`, the verdict is kept in this process per pair and data token
    (`data_version`): one query instead of six while nothing a check reads has changed."""
    token = data_version.current_token(session) if reference_date is None else None
    key = (application.id, expert_user.id, token)
    if token is not None and (kept := _VERDICTS.get(key)) is not None:
        return kept
    verdict = bool(conflicts_between(session, application, expert_user, reference_date=reference_date))
    if token is not None:
        if len(_VERDICTS) >= _VERDICTS_KEPT:  # a bound, not a policy: old tokens' verdicts are dead
            _VERDICTS.clear()
        _VERDICTS[key] = verdict
    return verdict


_VERDICTS: dict[tuple[int, int, int | None], bool] = {}
_VERDICTS_KEPT = 20_000


def conflicted_pairs(session: Session, cycle: Cycle, *, reference_date: dt.date | None = None) -> set[PairKey]:
    """The (application_id, expert user id) pairs that must never be assigned: for the solver."""
    return set(conflicts_for_cycle(session, cycle, reference_date=reference_date))


def soft_pairs(
    session: Session, cycle: Cycle, *, reference_date: dt.date | None = None,
    application_ids: Iterable[int] | None = None,
) -> dict[PairKey, list[Conflict]]:
    """The pairs with soft signals (需关注) and no hard conflict, with those signals."""
    found = conflicts_for_cycle(session, cycle, reference_date=reference_date, application_ids=application_ids,
                                include_soft=True)
    return {key: conflicts for key, conflicts in found.items()
            if not any(conflict.is_hard for conflict in conflicts)}


def set_coi_settings(
    session: Session, *, actor: User | None, cycle: Cycle, settings: CoiSettings, reference_date: dt.date | None,
    avoid_soft_pairs: bool = False,
) -> CycleCoiSettings:
    """The cycle's window lengths, group depth, soft-pair policy and review date (defaults apply
    until this is called)."""
    require_office(actor)
    row = session.get(CycleCoiSettings, cycle.id)
    before = None if row is None else _coi_snapshot(row)
    if row is None:
        row = CycleCoiSettings(cycle_id=cycle.id)
        session.add(row)
    for name in CoiSettings.__dataclass_fields__:
        setattr(row, name, getattr(settings, name))
    row.reference_date = reference_date
    row.avoid_soft_pairs = avoid_soft_pairs
    session.flush()
    record(session, actor=actor, action="pool.coi_settings_set", target_type="cycle", target_id=cycle.id,
           cycle_id=cycle.id, before=before, after=_coi_snapshot(row))
    return row


def _coi_snapshot(row: CycleCoiSettings) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(row, name) for name in CoiSettings.__dataclass_fields__}
    values["reference_date"] = row.reference_date.isoformat() if row.reference_date else None
    values["avoid_soft_pairs"] = bool(row.avoid_soft_pairs)
    return values


def pin_conflict(
    session: Session, *, actor: User | None, application: Application, expert: User,
    conflict_type: ConflictType, reason: str,
) -> PinnedConflict:
    """Record a conflict by hand. It is never removed: there is no function to delete one."""
    require_office(actor)
    if expert.role is not Role.EXPERT:
        raise errors.Invalid(_("Conflicts are recorded for expert accounts only."), code="not_an_expert")
    if ConflictType(conflict_type) not in coi.PINNABLE_TYPES:
        raise errors.Invalid(_("A soft signal is detected, never pinned; pin the rule it points to."),
                             code="soft_not_pinnable")
    if not reason.strip():
        raise errors.Invalid(_("A pinned conflict needs a written reason."), code="reason_missing")
    exists = session.scalar(select(PinnedConflict.id).where(PinnedConflict.application_id == application.id,
                                                            PinnedConflict.expert_id == expert.id))
    if exists is not None:
        raise errors.Conflict(_("A conflict is already pinned for this expert and application."),
                          code="already_pinned")
    row = PinnedConflict(application_id=application.id, expert_id=expert.id, type=coi.PinnableType(conflict_type),
                         reason=reason.strip(), created_by_id=actor.id if actor else None, created_at=utcnow())
    session.add(row)
    session.flush()
    record(session, actor=actor, action="pool.conflict_pinned", target_type="pinned_conflict", target_id=row.id,
           cycle_id=application.cycle_id,
           after={"application_id": application.id, "expert_id": expert.id, "type": row.type.value,
                  "reason": row.reason})
    return row
