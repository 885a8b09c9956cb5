"""The social evaluation through HTTP: the office imports a list, sees the match, records a veto; the ranking page
shows the vetoed candidate with its reason; the public comments while the window is open."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from award.auth.models import Role
from award.cycles.models import Stage
from award.db import utcnow
from award.social.models import PublicComment, SocialFinding
from tests.ranking.conftest import ReviewWorld


@pytest.fixture
def world(db, make_user, make_organization, make_cycle) -> ReviewWorld:
    world = ReviewWorld(db, make_user, make_organization, make_cycle(stage=Stage.DELIBERATION))
    review_round = world.round(method="mean", required_sheets=1)
    world.vetoed, world.kept = world.application(name="否决企业"), world.application(name="保留企业")
    world.sheet(review_round, world.vetoed, world.expert(0), 90)
    world.sheet(review_round, world.kept, world.expert(0), 80)
    db.commit()
    return world


@pytest.fixture
def office(db, make_user):
    user = make_user(Role.OFFICE)
    user.locale = "zh_CN"
    db.commit()
    return user


def test_import_match_veto_and_the_ranking_shows_it(db, client, login, world, office):
    login(office)
    code = world.vetoed.organization.credit_code
    data = f"统一社会信用代码,来源,列入日期\n{code},市市场监管局质量抽查,2026-05-01\n".encode()
    imported = client.post(f"/social/cycles/{world.cycle.id}/import", data={
        "kind": "inspection", "file": (io.BytesIO(data), "抽查.csv")}, content_type="multipart/form-data")
    assert imported.status_code == 302
    page = client.get(f"/social/cycles/{world.cycle.id}").get_data(as_text=True)
    assert "质量抽查不合格：市市场监管局质量抽查" in page and "尚有 2 家候选单位未记录结论" in page
    assert "市市场监管局质量抽查（2026-05-01）" in page  # Chinese brackets in the Chinese page
    refused = client.post(f"/social/applications/{world.vetoed.id}", data={"level": "veto", "reason": "抽查不合格"})
    assert refused.status_code == 422 and "一票否决须附依据" in refused.get_data(as_text=True)
    recorded = client.post(f"/social/applications/{world.vetoed.id}", data={
        "level": "veto", "reason": "产品质量抽查不合格", "evidence": "市市场监管局质量抽查 2026-05-01"})
    assert recorded.status_code == 302 and db.query(SocialFinding).count() == 1
    ranking = client.get(f"/cycles/{world.cycle.id}/ranking/").get_data(as_text=True)
    assert "社会评价一票否决" in ranking and "否决企业" in ranking
    row = ranking[ranking.index("否决企业"):]
    row = row[:row.index("</tr>")]
    assert "社会评价一票否决" in row and "产品质量抽查不合格" in row  # the veto's reason on the candidate's row


def test_a_bad_import_names_its_rows_in_chinese(db, client, login, world, office):
    login(office)
    data = "统一社会信用代码,来源,列入日期\nNOT-A-CODE,来源,2026-01-01\n".encode()
    answer = client.post(f"/social/cycles/{world.cycle.id}/import", data={
        "kind": "penalty", "file": (io.BytesIO(data), "x.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 422
    shown = answer.get_data(as_text=True)
    assert "NOT-A-CODE" in shown and "统一社会信用代码" in shown


@pytest.mark.parametrize("kind", ["", "veto", "x" * 5000, "credit\x00"])
def test_a_wrong_list_kind_is_a_refusal_not_a_500(db, client, login, world, office, kind):
    login(office)
    answer = client.post(f"/social/cycles/{world.cycle.id}/import", data={
        "kind": kind, "file": (io.BytesIO(b"a,b,c\n"), "x.csv")}, content_type="multipart/form-data")
    assert answer.status_code in (400, 422)


def test_the_public_comments_while_the_window_is_open(db, client, login, world, office):
    login(office)
    closes = (utcnow() + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    opened = client.post(f"/social/cycles/{world.cycle.id}/window",
                         data={"closes_at": closes.strftime("%Y-%m-%dT%H:%M")})
    assert opened.status_code == 302
    client.post("/logout")
    form = client.get(f"/social/cycles/{world.cycle.id}/comment")
    assert form.status_code == 200 and "否决企业" in form.get_data(as_text=True)
    anonymous = client.post(f"/social/cycles/{world.cycle.id}/comment", data={
        "application_id": str(world.kept.id), "name": " ", "phone": "13812345678", "text": "意见"})
    assert anonymous.status_code == 422 and db.query(PublicComment).count() == 0
    for hostile in ("１", "-1", "1e9", "99999999999999999999", "\u202e1"):
        answer = client.post(f"/social/cycles/{world.cycle.id}/comment", data={
            "application_id": hostile, "name": "张三", "phone": "13812345678", "text": "意见"})
        assert answer.status_code in (400, 422), hostile
    filed = client.post(f"/social/cycles/{world.cycle.id}/comment", data={
        "application_id": str(world.kept.id), "name": "张三", "phone": "138-1234-5678", "text": "该企业服务很好"})
    assert filed.status_code == 302 and db.query(PublicComment).one().phone == "13812345678"


def test_the_public_page_stops_taking_comments_once_the_cycle_goes_on_to_the_decision(db, client, login, world,
                                                                                       office):
    login(office)
    closes = (utcnow() + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    client.post(f"/social/cycles/{world.cycle.id}/window", data={"closes_at": closes.strftime("%Y-%m-%dT%H:%M")})
    world.cycle.stage = Stage.APPROVAL
    db.commit()
    office_page = client.get(f"/social/cycles/{world.cycle.id}").get_data(as_text=True)
    finding_page = client.get(f"/social/applications/{world.kept.id}").get_data(as_text=True)
    assert 'name="level"' not in finding_page  # no form for a finding the service would refuse
    assert "公开页面" in office_page
    client.post("/logout")
    page = client.get(f"/social/cycles/{world.cycle.id}/comment").get_data(as_text=True)
    assert "The public comment window is not open." in page and 'name="text"' not in page
    late = client.post(f"/social/cycles/{world.cycle.id}/comment", data={
        "application_id": str(world.kept.id), "name": "张三", "phone": "13812345678", "text": "审定之后的意见"})
    assert late.status_code == 409 and db.query(PublicComment).count() == 0


def test_a_public_comment_s_author_is_not_called_an_objector(db, client, login, world, office):
    db.add(PublicComment(cycle_id=world.cycle.id, application_id=world.kept.id, name="张三", phone="13812345678",
                         text="服务很好", submitted_at=utcnow()))
    db.commit()
    login(office)
    page = client.get(f"/social/cycles/{world.cycle.id}").get_data(as_text=True)
    assert "张三" in page and "意见提出人" in page and "异议人" not in page  # a comment is not an objection


def test_a_finding_saved_at_the_same_moment_by_another_request_is_a_409_not_a_500(db, client, login, world, office,
                                                                                  monkeypatch):
    from award.social import services
    from award.social.models import FindingLevel
    services.record_finding(db, actor=office, application=world.kept, level=FindingLevel.NOTED, reason="先保存的结论")
    db.commit()
    # This request's check ran before the other request's finding was committed: it sees none and inserts.
    monkeypatch.setattr(services, "finding_of", lambda session, application: None)
    login(office)
    answer = client.post(f"/social/applications/{world.kept.id}", data={"level": "none", "reason": ""})
    assert answer.status_code == 409 and "同一时刻" in answer.get_data(as_text=True)
    db.expire_all()
    (finding,) = db.query(SocialFinding).all()
    assert finding.reason == "先保存的结论"
