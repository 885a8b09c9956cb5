"""What the audit trail page shows: codes in words, objects by name, changes field by field."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.audit.changes import field_changes
from award.audit.labels import FIELD_LABELS, action_label, field_label, target_label
from award.audit.models import AuditRecord
from award.auth.models import Role, User
from award.auth.queries import users_by_id
from award.auth.roles import ROLE_LABELS
from award.cycles.models import Cycle

__all__ = ["filter_choices", "readable_records"]

_ROLE_VALUES = {role.value for role in Role}
_ID = re.compile(r"[0-9]{1,18}")  # stored target ids are text; those of accounts, applications, cycles are numbers


def _names(session: Session, records: Sequence[AuditRecord]) -> dict[tuple[str, str], str]:
    """The names of the accounts, applications and cycles the records are about."""
    wanted: dict[str, set[int]] = {"user": set(), "application": set(), "cycle": set()}
    for record in records:
        if record.target_type in wanted and _ID.fullmatch(record.target_id):
            wanted[record.target_type].add(int(record.target_id))
    names: dict[tuple[str, str], str] = {}
    for user_id, full_name in session.execute(select(User.id, User.full_name).where(User.id.in_(wanted["user"]))):
        names["user", str(user_id)] = full_name
    for application_id, org_name in session.execute(
            select(Application.id, Application.org_name).where(Application.id.in_(wanted["application"]))):
        names["application", str(application_id)] = org_name
    for cycle_id, year, title in session.execute(
            select(Cycle.id, Cycle.year, Cycle.title).where(Cycle.id.in_(wanted["cycle"]))):
        names["cycle", str(cycle_id)] = f"{year} {title}"
    return names


def readable_records(session: Session, records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    """Each record as the page shows it: who (name and role), what, to which object, and the changes."""
    actors = users_by_id(session, (record.actor_id for record in records))
    names = _names(session, records)
    shown = []
    for record in records:
        actor = actors.get(record.actor_id) if record.actor_id is not None else None
        role = ROLE_LABELS.get(Role(record.actor_role)) if record.actor_role in _ROLE_VALUES else None
        shown.append({
            "record": record,
            "actor_name": actor.full_name if actor else None,
            "actor_role": str(role) if role else None,
            "action": action_label(record.action),
            "target": target_label(record.target_type),
            "target_name": names.get((record.target_type, record.target_id)),
            # A field without a label shows its stored name, as code: the values are shown as stored.
            "changes": [(field_label(change.field), change.field in FIELD_LABELS, change)
                        for change in field_changes(record.before, record.after)],
        })
    return shown


def filter_choices(session: Session, actions: Sequence[str]) -> dict[str, Any]:
    """The filters' choices by name: the people who acted, the cycles, actions and object kinds."""
    people = session.execute(
        select(User.id, User.full_name, User.email)
        .where(User.id.in_(select(AuditRecord.actor_id).where(AuditRecord.actor_id.is_not(None)).distinct()))
        .order_by(User.full_name, User.id)).all()
    cycles = session.execute(select(Cycle.id, Cycle.year, Cycle.title).order_by(Cycle.year.desc(), Cycle.id)).all()
    targets = session.scalars(select(AuditRecord.target_type).distinct()).all()
    shared_names = {name for name, count in Counter(person.full_name for person in people).items() if count > 1}
    return {  # a name that two people share is told apart by the e-mail address
        "people": [(person.id, f"{person.full_name}（{person.email}）" if person.full_name in shared_names
                    else person.full_name) for person in people],
        "cycles": [(cycle.id, f"{cycle.year} {cycle.title}") for cycle in cycles],
        "actions": sorted(((code, action_label(code)) for code in actions), key=lambda pair: pair[1]),
        "targets": sorted(((code, target_label(code)) for code in targets), key=lambda pair: pair[1]),
    }
