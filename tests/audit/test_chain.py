"""The audit chain: records are chained by hash and any edit, deletion or reordering is found."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from award.audit.models import AuditRecord
from award.audit.services import GENESIS_HASH, record, verify_chain
from award.auth.models import Role


@pytest.fixture
def chain(db, make_user):
    office = make_user(Role.OFFICE)
    for number in range(5):
        record(db, actor=office, action="test.step", target_type="thing", target_id=number,
               before={"n": number}, after={"n": number + 1, "名称": "质量"}, cycle_id=7)
    db.commit()
    return office


def test_records_are_chained_from_genesis(db, chain):
    rows = db.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    assert rows[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert rows[-1].actor_id == chain.id and rows[-1].actor_role == "office"


def test_intact_chain_verifies(db, chain):
    verdict = verify_chain(db)
    assert verdict.ok and verdict.checked == 5


def test_edited_record_is_named(db, chain):
    db.execute(text("UPDATE audit_records SET action = 'test.forged' WHERE seq = 3"))
    verdict = verify_chain(db)
    assert not verdict.ok and verdict.first_bad_seq == 3 and "edited" in verdict.problem


def test_edited_json_payload_is_named(db, chain):
    db.execute(text("""UPDATE audit_records SET "after" = '{"n": 99}' WHERE seq = 2"""))
    verdict = verify_chain(db)
    assert not verdict.ok and verdict.first_bad_seq == 2


def test_deleted_record_is_named(db, chain):
    db.execute(text("DELETE FROM audit_records WHERE seq = 2"))
    verdict = verify_chain(db)
    assert not verdict.ok and verdict.first_bad_seq == 2 and "missing" in verdict.problem


def test_deleted_last_record_is_found_through_the_head(db, chain):
    db.execute(text("DELETE FROM audit_records WHERE seq = 5"))
    verdict = verify_chain(db)
    assert not verdict.ok and verdict.first_bad_seq == 5


def test_reordered_records_are_named(db, chain):
    # Swap the positions of records 2 and 3 (a temporary seq avoids the primary-key clash).
    db.execute(text("UPDATE audit_records SET seq = 1000 WHERE seq = 2"))
    db.execute(text("UPDATE audit_records SET seq = 2 WHERE seq = 3"))
    db.execute(text("UPDATE audit_records SET seq = 3 WHERE seq = 1000"))
    verdict = verify_chain(db)
    assert not verdict.ok and verdict.first_bad_seq == 2


def test_cli_verify_exit_codes(app, db, chain):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 5 records" in result.output
    db.execute(text("UPDATE audit_records SET target_id = '42' WHERE seq = 4"))
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "record 4" in result.output


def test_trail_page_filters_by_action(client, login, db, chain, make_user):
    record(db, actor=chain, action="other.thing", target_type="x", target_id=1)
    db.commit()
    login(make_user(Role.SUPERVISOR))
    page = client.get("/audit/?action=other.").get_data(as_text=True)
    assert "<td>other.thing</td>" in page  # an action without a label shows its code
    assert "<td>test.step</td>" not in page
    page = client.get("/audit/?cycle=7").get_data(as_text=True)
    assert "<td>test.step</td>" in page
    assert "<td>other.thing</td>" not in page


@pytest.mark.parametrize("query", ["endpoint=x", "_method=POST", "_external=1&_scheme=javascript", "_anchor=x"])
def test_the_pager_keeps_the_filters_and_no_argument_reshapes_its_link(db, client, login, make_user, query):
    """The pager encodes the query itself (web.page_url), so url_for's own parameters arriving as
    query arguments stay plain query arguments: same path, same site, no fragment."""
    office = make_user(Role.OFFICE)
    for number in range(60):
        record(db, actor=office, action="test.page", target_type="thing", target_id=number, cycle_id=7)
    db.commit()
    login(make_user(Role.SUPERVISOR))
    response = client.get(f"/audit/?action=test.page&cycle=7&{query}")
    assert response.status_code == 200
    link = response.get_data(as_text=True).split('class="pager"')[1].split('href="')[1].split('"')[0]
    assert link.startswith("/audit/?") and "page=2" in link and "action=test.page" in link and "cycle=7" in link
    assert "://" not in link and not link.startswith("javascript") and "#" not in link
