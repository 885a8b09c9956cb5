"""The consensus discussion on the web: a member disagrees with a reason, the team leader sees it on
the consensus page and finalizes, acknowledging it; bad posts get a clear refusal, never a 500."""

from __future__ import annotations

import html

import pytest

from award.scoring import discussion
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.scoring.test_discussion import propose, submit_all


def switch(client, login, user):
    client.post("/logout")
    return login(user)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def panel_world(db, review_world):
    world = review_world(experts=5, opened=True)
    panel = submit_all(db, world)
    leader = propose(db, world, panel)
    db.commit()
    url = f"/review/rounds/{world.review_round.id}/applications/{world.applications[0].id}/consensus"
    return world, leader, [m for m in panel if not m.is_leader], url


def test_a_member_disagrees_and_the_leader_sees_it_and_finalizes(db, client, login, panel_world):
    world, leader, members, url = panel_world
    login(members[0].expert)
    answer = client.post(url + "/remarks", data={"kind": "disagree", "item": "4.7.2", "text": "缺少第三方数据来源"})
    assert answer.status_code == 302
    page = text(client.get(url))
    assert "缺少第三方数据来源" in page and "Open disagreements: 1" in page
    assert "Finalize the consensus" not in page  # only the leader finalizes

    switch(client, login, leader.expert)
    page = text(client.get(url))
    assert "Open disagreements: 1" in page and members[0].expert.full_name in page
    assert '<option value="comment">' in page and '<option value="agree">' not in page  # the leader comments only
    refused = client.post(url + "/remarks", data={"kind": "agree", "item": "overall", "text": ""})
    assert refused.status_code == 422  # not a choice the leader's form offers
    refused = client.post(url + "/finalize", data={"note": "维持"})
    assert refused.status_code == 409 and "1 disagreements are still open" in text(refused)
    refused = client.post(url + "/finalize", data={"acknowledge": "y", "note": " "})
    assert refused.status_code == 422 and "Say why you finalize" in text(refused)
    assert client.post(url + "/finalize", data={"acknowledge": "y", "note": "现场复核后维持"}).status_code == 302
    page = text(client.get(url))
    assert "the discussion is closed" in page and "现场复核后维持" in page
    assert discussion.finalization_of(db, world.review_round, world.applications[0].id) is not None


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"kind": "disagree", "item": "overall", "text": "  "}, 422, "Give the reason for your disagreement."),
    ({"kind": "shout", "item": "overall", "text": "x"}, 422, "Not a valid choice"),
    ({"kind": "comment", "item": "9.9.9", "text": "x"}, 422, "Not a valid choice"),
    ({"kind": "comment", "item": "overall", "text": "x" * 2001}, 422, "2000"),
    ({"item": "overall", "text": "x"}, 422, ""),
    ({"kind": "comment", "item": "overall", "text": "a\x00b"}, 400, ""),
])
def test_bad_posts_are_refused_with_a_message(db, client, login, panel_world, data, status, message):
    world, _leader, members, url = panel_world
    login(members[0].expert)
    answer = client.post(url + "/remarks", data=data)
    assert answer.status_code == status, text(answer)[:2000]
    assert message in text(answer)
    assert discussion.remarks_of(db, world.review_round, world.applications[0].id) == []


def test_the_refusal_speaks_chinese_to_a_chinese_reader(db, client, login, panel_world):
    _world, _leader, members, url = panel_world
    members[0].expert.locale = "zh_CN"
    db.commit()
    login(members[0].expert)
    client.post("/language/zh_CN")
    answer = client.post(url + "/remarks", data={"kind": "disagree", "item": "overall", "text": ""})
    assert answer.status_code == 422 and "请说明不同意的理由。" in text(answer)
