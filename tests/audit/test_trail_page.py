"""The trail page as a supervisor reads it: words for codes, objects by name, field changes, the chain verified."""

from __future__ import annotations

from sqlalchemy import text

from award.audit.services import record
from award.auth.models import Role


def _records(db, make_user, make_cycle):
    office = make_user(Role.OFFICE, name="林主任")
    cycle = make_cycle(title="市长质量奖")
    record(db, actor=office, action="cycle.stage_changed", target_type="cycle", target_id=cycle.id, cycle_id=cycle.id,
           before={"stage": "draft"}, after={"stage": "application", "reason": "按计划开放申报"})
    record(db, actor=office, action="user.disabled", target_type="user", target_id=office.id,
           before={"active": True}, after={"active": False})
    db.commit()
    return office, cycle


def test_codes_read_as_words_and_objects_by_name(client, login, db, make_user, make_cycle):
    office, cycle = _records(db, make_user, make_cycle)
    login(make_user(Role.SUPERVISOR))
    client.post("/language/zh_CN")
    page = client.get("/audit/").get_data(as_text=True)
    assert "推进评审阶段" in page and "停用账号" in page  # the actions in words
    assert f"评审周期 {cycle.year} 市长质量奖" in page and "账号 林主任" in page  # objects by name
    assert "林主任</a>（评审办公室）" in page  # the person, and the role in words
    assert "<strong>阶段</strong>：<del><code>draft</code></del> → <ins><code>application</code></ins>" in page
    assert "<strong>理由</strong>：<ins><code>按计划开放申报</code></ins>" in page  # a field added
    assert "<code>active</code>：" in page  # a field without words shows its stored name
    assert "cycle.stage_changed" not in page.split("<tbody>")[1]  # no code in the rows
    assert "\\u" not in page


def test_filters_choose_people_and_cycles_by_name(client, login, db, make_user, make_cycle):
    office, cycle = _records(db, make_user, make_cycle)
    login(make_user(Role.SUPERVISOR))
    page = client.get(f"/audit/?actor={office.id}").get_data(as_text=True)
    assert f'<option value="{office.id}" selected>林主任</option>' in page
    assert f'<option value="{cycle.id}">{cycle.year} 市长质量奖</option>' in page
    one_object = client.get(f"/audit/?target_type=cycle&target_id={cycle.id}").get_data(as_text=True)
    rows = one_object.split("<tbody>")[1]
    assert "Stage changed" in rows and "Account disabled" not in rows
    assert "Show all objects" in one_object


def test_the_verify_button_runs_the_chain_check(client, login, db, make_user, make_cycle):
    _records(db, make_user, make_cycle)
    login(make_user(Role.OFFICE))
    page = client.get("/audit/").get_data(as_text=True)
    assert 'action="/audit/verify"' in page
    intact = client.post("/audit/verify").get_data(as_text=True)
    assert "The audit chain is intact: 3 records checked" in intact
    db.execute(text("UPDATE audit_records SET target_id = '999' WHERE seq = 3"))
    db.commit()
    broken = client.post("/audit/verify").get_data(as_text=True)
    assert "The audit chain is broken at record 3" in broken and "2 records before it are intact" in broken
