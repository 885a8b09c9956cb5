"""The score sheet, its autosave and the consensus under hostile input: a refusal with a message,
never a 500, never minutes of CPU, and nothing saved."""

from __future__ import annotations

import pytest

from award import inputs
from award.scoring.forms import _percent
from award.scoring.rules import BAD_TEXT
from award.scoring.services import ItemEntry, SheetInvalid, save_draft, sheet_of
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import pledged_seat

EXPONENTS = ["1e600000", "1E600000", "9e999999999", "1e-600000", "-1e600000", "Infinity", "NaN", "sNaN"]


@pytest.mark.parametrize("text", EXPONENTS + ["9" * 100_000, "５０", "²"])
def test_a_hostile_percentage_is_refused_before_any_number_is_built(monkeypatch, text):
    built = []
    real = inputs.Decimal
    monkeypatch.setattr(inputs, "Decimal", lambda value: built.append(value) or real(value))
    assert _percent(text) == (None, False)
    assert built == []  # refused by the ASCII pattern, before Decimal (or int) ever saw it


@pytest.mark.parametrize("percent", EXPONENTS)
def test_the_autosave_refuses_an_exponent_with_the_item_named(db, client, login, opened, percent):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"percent-4.1.2": percent}})
    assert response.status_code == 422
    assert "4.1.2" in response.get_json()["problems"]
    db.expire_all()
    assert sheet_of(seat).version == 1


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None, {"fields": [1]}, {"fields": "x"},
                                  {"version": {"a": 1}, "fields": {}}, {"version": 1, "fields": {"percent-4.1.2": [1]}},
                                  {"version": 1, "fields": {"strength-4.1.2": {"x": 1}}}])
def test_the_autosave_answers_400_with_a_message_to_a_body_of_the_wrong_shape(db, client, login, opened, body):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave", json=body)
    assert response.status_code == 400
    assert response.get_json()["ok"] is False and response.get_json()["message"]
    db.expire_all()
    assert sheet_of(seat).version == 1


def test_the_autosave_refuses_a_body_that_is_not_json(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave", data=b"\xff\xfe{",
                           content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.get_json()["message"]


def test_the_autosave_refuses_deep_nesting(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    deep = "[" * 50_000 + "]" * 50_000
    response = client.post(f"/review/assignments/{seat.id}/autosave", data='{"fields": ' + deep + "}",
                           content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("version", ["²", "１", "9" * 25, "-1", "1e3"])
def test_a_hostile_sheet_version_is_refused_with_a_message(db, client, login, opened, version):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/sheet",
                           data={"version": version, "action": "save", "percent-4.1.2": "50", "band-4.1.2": "4"})
    assert response.status_code == 422
    assert "The form is incomplete; reload the page." in response.get_data(as_text=True)  # the expert reads English
    db.expire_all()
    assert sheet_of(seat).version == 1


@pytest.mark.parametrize("strength", ["优势\x00", "优势\x07", "优势\u2028"])
def test_a_control_character_in_a_comment_is_refused_by_the_service(db, client, login, opened, strength):
    seat = pledged_seat(db, client, login, opened)
    db.expire_all()
    with pytest.raises(SheetInvalid) as refused:
        save_draft(db, actor=seat.expert, assignment=seat,
                   entries=[ItemEntry(item_id="4.1.2", strength=strength)], expected_version=1)
    assert [problem.code for problem in refused.value.problems["4.1.2"]] == [BAD_TEXT]
    assert f"U+{ord(strength[-1]):04X}" in str(refused.value.problems["4.1.2"][0])


def test_a_multi_line_comment_with_tabs_is_kept(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"strength-4.1.2": "第一点\r\n\t第二点"}})
    assert response.status_code == 200


def test_a_comment_over_the_cap_is_refused(db, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave",
                           json={"version": 1, "fields": {"strength-4.1.2": "优" * 10_001}})
    assert response.status_code == 422 and "10000" in " ".join(response.get_json()["problems"]["4.1.2"])


def test_a_json_body_over_the_ceiling_is_refused_before_parsing(db, app, client, login, opened):
    seat = pledged_seat(db, client, login, opened)
    app.config["MAX_BODY_WITHOUT_FILES"] = 1024 * 1024
    response = client.post(f"/review/assignments/{seat.id}/autosave", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           content_type="application/json")
    assert response.status_code == 413 and response.get_json()["ok"] is False


@pytest.mark.parametrize("body", ['{"version": 1, "fields": {"strength-4.1.2": "\\ud800"}}',
                                  '{"version": 1, "fields": {"\\udfff": "x"}}'])
def test_the_autosave_refuses_a_lone_surrogate(db, client, login, opened, body):
    seat = pledged_seat(db, client, login, opened)
    response = client.post(f"/review/assignments/{seat.id}/autosave", data=body, content_type="application/json")
    assert response.status_code == 400
    db.expire_all()
    assert sheet_of(seat).version == 1


@pytest.mark.parametrize("expert_id", ["99999999999999", "١", "abc", "-3"])
def test_a_replacement_with_an_unreadable_expert_is_refused_not_drawn(db, client, login, opened, expert_id):
    seat = opened.panel(db, opened.applications[0])[0]
    panel_before = {m.expert_id for m in opened.panel(db, opened.applications[0])}
    login(opened.office)
    response = client.post(f"/review/assignments/{seat.id}/replace", data={"expert_id": expert_id, "reason": "测试"})
    assert response.status_code == 422
    assert "Choose an expert from the list" in response.get_data(as_text=True)
    db.expire_all()
    assert {m.expert_id for m in opened.panel(db, opened.applications[0])} == panel_before
