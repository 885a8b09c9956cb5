"""Writing and verifying the audit chain. Every service that changes state calls record()."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from award.audit.anchors import Anchor
from award.audit.models import AuditChainHead, AuditRecord
from award.db import utcnow


class Actor(Protocol):
    """Who acts: an account (auth's User). The audit chain sits below auth, so it names only what it records."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> enum.Enum: ...


GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _canonical(value: Any) -> Any:
    """What JSON keeps of a value, so the stored and the hashed forms are identical."""
    return json.loads(json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))


def record_hash(
    *,
    seq: int,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor_role: str | None,
    action: str,
    target_type: str,
    target_id: str,
    cycle_id: int | None,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "cycle_id": cycle_id,
        "before": before,
        "after": after,
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _lock_head(session: Session) -> AuditChainHead:
    """Take the chain's write lock by touching the head row, creating it on first use."""
    touched = cast(CursorResult[Any], session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_seq=AuditChainHead.last_seq)
    )).rowcount
    if not touched:
        session.add(AuditChainHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        session.flush()
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    assert head is not None
    return head


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: int | str,
    before: Any = None,
    after: Any = None,
    cycle_id: int | None = None,
) -> AuditRecord:
    """Append one record to the chain, in the caller's transaction."""
    head = _lock_head(session)
    before, after = _canonical(before), _canonical(after)
    # Microseconds are all both databases keep; truncating first keeps the hash reproducible.
    occurred_at = utcnow()
    fields = {
        "seq": head.last_seq + 1,
        "occurred_at": occurred_at,
        "actor_id": actor.id if actor is not None else None,
        "actor_role": actor.role.value if actor is not None else "system",
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "cycle_id": cycle_id,
        "before": before,
        "after": after,
        "prev_hash": head.last_hash,
    }
    entry = AuditRecord(**fields, hash=record_hash(**fields))
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(session: Session) -> ChainVerdict:
    """Walk the chain in order; name the first record that was edited, deleted or reordered."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000))
    try:
        for row in rows:
            if row.seq != expected_seq:
                return ChainVerdict(False, checked, expected_prev, expected_seq,
                                    f"record {expected_seq} is missing (next present is {row.seq})")
            if row.prev_hash != expected_prev:
                return ChainVerdict(False, checked, expected_prev, row.seq,
                                    f"record {row.seq} does not follow record {row.seq - 1} (reordered or replaced)")
            recomputed = record_hash(
                seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id, actor_role=row.actor_role,
                action=row.action, target_type=row.target_type, target_id=row.target_id,
                cycle_id=row.cycle_id, before=row.before, after=row.after, prev_hash=row.prev_hash,
            )
            if recomputed != row.hash:
                return ChainVerdict(False, checked, expected_prev, row.seq,
                                    f"record {row.seq} was edited (its content no longer matches its hash)")
            expected_prev = row.hash
            expected_seq += 1
            checked += 1
    finally:
        rows.close()  # an early return must not leave PostgreSQL's server-side cursor open
    head = session.get(AuditChainHead, HEAD_ID)
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainVerdict(False, checked, expected_prev, checked + 1,
                            f"records after {checked} are missing (the chain head is at {head.last_seq})")
    return ChainVerdict(True, checked, expected_prev)


def chain_anchor(session: Session) -> Anchor:
    """The chain's head now: the record number and hash to print on what is being published."""
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    if head is None:
        raise ValueError("the audit chain is empty: there is nothing to anchor")
    return Anchor(head.last_seq, head.last_hash)


def verify_anchor(session: Session, anchor: Anchor) -> ChainVerdict:
    """The chain is intact and still holds the anchored record with the printed hash.

    A chain rewritten wholesale after the anchor was printed passes verify_chain, but the record at
    the anchor's number no longer has the printed hash (its own content or an earlier record's
    changed), so it fails here.
    """
    verdict = verify_chain(session)
    if not verdict.ok:
        return verdict
    row = session.get(AuditRecord, anchor.seq)
    if row is None:
        return ChainVerdict(False, verdict.checked, verdict.head_hash, anchor.seq,
                            f"the chain has no record {anchor.seq}: it was cut or replaced after the anchor")
    if row.hash != anchor.hash:
        return ChainVerdict(False, verdict.checked, verdict.head_hash, anchor.seq,
                            f"record {anchor.seq} has hash {row.hash}, not the anchored {anchor.hash}: "
                            "the chain was rewritten after the anchor was printed")
    return verdict

