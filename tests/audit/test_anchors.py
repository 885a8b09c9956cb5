"""Anchors of the audit chain: the head printed at publication still matches, unless the chain was
rewritten afterwards, even wholesale with every hash recomputed so that the chain itself verifies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.audit.anchors import Anchor, parse_anchor
from award.audit.models import AuditChainHead, AuditRecord
from award.audit.services import GENESIS_HASH, HEAD_ID, chain_anchor, record, record_hash, verify_anchor, verify_chain
from award.auth.models import Role
from award.cli import audit_cli


@pytest.fixture
def office(db, make_user):
    return make_user(Role.OFFICE)


def steps(db, office, count: int, *, start: int = 0) -> None:
    for number in range(start, start + count):
        record(db, actor=office, action="test.step", target_type="thing", target_id=number, after={"n": number})
    db.flush()


def rewrite_wholesale(db, *, seq: int, after: dict) -> None:
    """What a database holder could do: change one record, then recompute every hash after it."""
    previous = GENESIS_HASH
    for row in db.scalars(select(AuditRecord).order_by(AuditRecord.seq)):
        if row.seq == seq:
            row.after = after
        row.prev_hash = previous
        row.hash = record_hash(seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id,
                               actor_role=row.actor_role, action=row.action, target_type=row.target_type,
                               target_id=row.target_id, cycle_id=row.cycle_id, before=row.before, after=row.after,
                               prev_hash=row.prev_hash)
        previous = row.hash
        db.flush()  # one row at a time: the hash column is unique
    head = db.get(AuditChainHead, HEAD_ID)
    head.last_hash = previous
    db.flush()


@pytest.mark.parametrize(("text", "expected"), [
    ("12:" + "a" * 64, Anchor(12, "a" * 64)),
    (" 7:" + "AB" * 32 + " ", Anchor(7, "ab" * 32)),  # as copied from a page: spaces, upper case
])
def test_an_anchor_is_read_as_printed(text, expected):
    assert parse_anchor(text) == expected
    assert str(expected) == f"{expected.seq}:{expected.hash}"


@pytest.mark.parametrize("text", ["", "12", "12:", ":" + "a" * 64, "0:" + "a" * 64, "-1:" + "a" * 64,
                                  "12:" + "a" * 63, "12:" + "g" * 64, "１２:" + "a" * 64, "12:" + "a" * 64 + "\x00",
                                  "99999999999:" + "a" * 64])
def test_anything_else_is_not_an_anchor(text):
    with pytest.raises(ValueError, match="not an anchor"):
        parse_anchor(text)


def test_the_anchor_is_the_head_and_holds_while_the_chain_grows(db, office):
    steps(db, office, 3)
    anchor = chain_anchor(db)
    assert anchor == Anchor(3, db.scalar(select(AuditRecord.hash).where(AuditRecord.seq == 3)))
    steps(db, office, 4, start=3)
    verdict = verify_anchor(db, anchor)
    assert verdict.ok and verdict.checked == 7


def test_a_wholesale_rewrite_verifies_as_a_chain_but_fails_against_an_earlier_anchor(db, office):
    steps(db, office, 5)
    anchor = chain_anchor(db)
    steps(db, office, 2, start=5)
    rewrite_wholesale(db, seq=2, after={"n": 999})
    assert verify_chain(db).ok  # the rewrite is self-consistent: the chain alone cannot tell
    verdict = verify_anchor(db, anchor)
    assert not verdict.ok and verdict.first_bad_seq == 5 and "rewritten after the anchor" in verdict.problem


def test_a_rewrite_of_a_later_record_leaves_an_earlier_anchor_valid(db, office):
    # An anchor vouches for the chain up to its record; later records need a later anchor.
    steps(db, office, 5)
    anchor = chain_anchor(db)
    steps(db, office, 2, start=5)
    rewrite_wholesale(db, seq=6, after={"n": 999})
    assert verify_anchor(db, anchor).ok


def test_a_chain_cut_before_the_anchor_fails(db, office):
    steps(db, office, 3)
    anchor = Anchor(9, "a" * 64)
    verdict = verify_anchor(db, anchor)
    assert not verdict.ok and "has no record 9" in verdict.problem


def test_the_command_checks_printed_anchors(db, office, app):
    steps(db, office, 3)
    anchor = chain_anchor(db)
    db.commit()
    runner = app.test_cli_runner()
    held = runner.invoke(audit_cli, ["verify", "--anchor", str(anchor)])
    assert held.exit_code == 0 and "holding 1 anchor(s)" in held.output
    wrong = runner.invoke(audit_cli, ["verify", "--anchor", f"{anchor.seq}:{'0' * 64}"])
    assert wrong.exit_code == 1 and f"BROKEN at record {anchor.seq}" in wrong.output
    malformed = runner.invoke(audit_cli, ["verify", "--anchor", "3:xyz"])
    assert malformed.exit_code == 2 and "not an anchor" in malformed.output
