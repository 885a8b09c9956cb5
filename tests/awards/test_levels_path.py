"""Award levels from the frozen shortlist to the notice, the awards, the certificates and the official lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from award.approval import services as approval
from award.approval.models import Choice
from award.auth.models import Role, User
from award.awards import services
from award.certificates import services as certificates
from award.certificates.render import render_certificate_pdf
from award.certificates.seals import SealStore
from award.cycles.models import Stage
from award.cycles.settings import AwardLevel, AwardLevels, IssuerSettings
from award.documents import services as documents
from award.documents.official import render_official_pdf
from award.notice import services as notice_services
from award.notice.periods import load_calendar
from tests.approval.access_world import applications_of, frozen_snapshot
from tests.documents.pdfs import embedded_fonts, page_texts, squeeze

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # Monday 09:30 in Shanghai
LEVELS = AwardLevels((
    AwardLevel(name="市长质量奖", quota=1, cutoff=Decimal("880.00"), certificate_title="苏州市市长质量奖",
               notice_text="授予以下单位“市长质量奖”称号。"),
    AwardLevel(name="市长质量奖提名奖", quota=2, cutoff=Decimal("800.00"),
               notice_text="授予以下单位“市长质量奖提名奖”。"),
))
TEXT = notice_services.NoticeText(award_title="2026年度市长质量奖", benefits="证书、奖牌", contact="0512-12345678")


@pytest.fixture
def awarded(db, make_cycle, make_organization, make_user):
    """Three candidates frozen with levels 2, 1, 2 (the second ranked takes the first level here), voted,
    published and confirmed."""
    office, leader = make_user(Role.OFFICE), make_user(Role.LEADER)
    cycle = make_cycle(stage=Stage.APPROVAL, year=2026)
    cycle.award_settings = IssuerSettings(city="苏州市").stored_in(cycle.award_settings)
    applications = applications_of(db, cycle, make_organization, 3)
    snapshot = frozen_snapshot(db, cycle, applications)
    snapshot.settings = {"levels": LEVELS.as_list()}
    for entry, level in zip(snapshot.entries, (2, 1, 2), strict=True):
        entry.level = level
    vote = approval.open_vote(db, actor=office, cycle=cycle, closes_at=NOW - dt.timedelta(hours=1),
                              now=NOW - dt.timedelta(days=2))
    for application in applications:
        approval.cast_ballot(db, actor=leader, vote=vote, application_id=application.id, choice=Choice.APPROVE,
                             now=NOW - dt.timedelta(days=1))
    approval.close_vote(db, actor=office, vote=vote, now=NOW)
    notice = notice_services.publish_notice(db, actor=office, cycle=cycle, text=TEXT, calendar=load_calendar(),
                                            zone=ZONE, now=NOW)
    awards = services.confirm_awards(db, actor=office, cycle=cycle, zone=ZONE, now=notice.ends_at)
    return cycle, applications, notice, awards


def test_the_notice_lists_level_by_level_and_the_awards_carry_the_level_and_its_name(awarded):
    _cycle, (second, first, third), notice, awards = awarded
    assert [(c.application_id, c.level) for c in notice.candidates] == [(first.id, 1), (second.id, 2), (third.id, 2)]
    assert [(a.application_id, a.level, a.title) for a in awards] == [
        (first.id, 1, "市长质量奖"), (second.id, 2, "市长质量奖提名奖"), (third.id, 2, "市长质量奖提名奖")]


def test_the_decision_lists_each_level_under_its_heading(db, awarded):
    cycle, (second, first, third), _notice, awards = awarded
    document = documents.decision_document(db, cycle, zone=ZONE)
    assert document.filled().title == "关于授予市长质量奖和市长质量奖提名奖的决定"
    assert [(s.name, [row[0] for row in s.rows]) for s in document.sections] == [
        ("市长质量奖", [first.org_name]), ("市长质量奖提名奖", [second.org_name, third.org_name])]
    pdf = render_official_pdf(document)
    text = squeeze("".join(page_texts(pdf)))
    assert "一、市长质量奖（1家）" in text and "二、市长质量奖提名奖（2家）" in text
    assert "授予以下单位“市长质量奖提名奖”。" in text
    assert text.index(first.org_name) < text.index("二、市长质量奖提名奖") < text.index(second.org_name)
    assert any("CJK" in name or "Han" in name for name in embedded_fonts(pdf))


def test_the_notice_list_has_the_levels_too(db, awarded):
    cycle, _applications, _notice, _awards = awarded
    text = squeeze("".join(page_texts(render_official_pdf(documents.notice_document(db, cycle, zone=ZONE)))))
    assert "关于市长质量奖和市长质量奖提名奖拟授奖单位名单的公示" in text
    assert "一、市长质量奖（1家）" in text and "授予以下单位“市长质量奖”称号。" in text


def test_each_level_prints_its_own_certificate_title(db, awarded, tmp_path):
    _cycle, _applications, _notice, (top, nominated, _third) = awarded
    printed = {}
    for award in (top, nominated):
        data = certificates.certificate_data(db, award, verify_url=lambda n: f"https://example.org/verify/{n}",
                                             seal_store=SealStore(tmp_path))
        printed[award.level] = data.award_title
        assert data.award_title in squeeze("".join(page_texts(render_certificate_pdf(data))))
    assert printed == {1: "苏州市市长质量奖", 2: "市长质量奖提名奖"}
    check = certificates.check_certificate(db, nominated.certificate_number, today=dt.date(2026, 6, 1))
    assert check is not None and check.award_title == "2026年度市长质量奖提名奖"


def test_a_cycle_without_levels_prints_one_list_as_before(db, awarded, make_cycle):
    from tests.conftest import organization_factory
    from tests.documents.world import awarded_cycle
    plain = awarded_cycle(db, make_cycle=make_cycle, make_organization=organization_factory(db), names=["甲公司"])
    document = documents.decision_document(db, plain.cycle, zone=ZONE)
    assert document.sections == [] and document.filled().title == "关于授予2026年度市长质量奖的决定"


def test_the_public_notice_page_lists_each_level_under_its_heading(db, awarded, client):
    _cycle, (second, first, third), notice, _awards = awarded
    groups = notice_services.candidates_by_level(db, notice)
    assert [(g.level.name if g.level else None, [c.application_id for c in g.candidates]) for g in groups] == [
        ("市长质量奖", [first.id]), ("市长质量奖提名奖", [second.id, third.id])]
    db.commit()
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    heading = page.index("<h3>市长质量奖提名奖</h3>")
    assert page.index("<h3>市长质量奖</h3>") < page.index(first.org_name) < heading < page.index(second.org_name)
    assert "授予以下单位“市长质量奖提名奖”。" in page
    title = page[page.index("<title>"):page.index("</title>")]
    assert "<a" not in title and "&lt;" not in title  # the page's title is text only


def test_the_ballot_names_its_body_and_each_candidate_s_level(db, awarded, login, app):
    from award.approval.models import VoteSession

    cycle, _applications, _notice, _awards = awarded
    leader = db.scalar(select(User).where(User.role == Role.LEADER))
    vote = db.scalar(select(VoteSession).where(VoteSession.cycle_id == cycle.id))
    assert vote is not None and leader is not None
    db.commit()
    page = login(leader).get(f"/approval/cycles/{cycle.id}/ballot").get_data(as_text=True)
    assert "Leading-group vote" in page
    marks = [part.split("</mark>")[0] for part in page.split('<mark class="ballot-level">')[1:]]
    assert marks == ["市长质量奖提名奖", "市长质量奖", "市长质量奖提名奖"]  # in rank order, each with its level


@pytest.mark.parametrize(("votes", "on_page", "printed"), [
    (["committee"], "Approved by the review committee;", "专家评审、评委会审议"),
    (["committee", "leading_group"], "Deliberated by the review committee and approved by the leading group;",
     "专家评审、评委会审议、领导小组审定"),
    (["leading_group"], "Approved by the leading group;", "专家评审、领导小组审定"),
])
def test_the_notice_and_the_printed_lists_name_the_bodies_that_decided(db, awarded, client, votes, on_page, printed):
    from award.cycles.procedure import build as build_procedure
    cycle, _applications, notice, _awards = awarded
    cycle.procedure = build_procedure(["screening", "document_review", *votes, "notice", "award"],
                                      {"document_review": "1"}, "weighted").as_dict()
    db.commit()
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert on_page in page
    if "leading_group" not in votes:
        assert "leading group" not in page
    for document in (documents.notice_document(db, cycle, zone=ZONE),
                     documents.decision_document(db, cycle, zone=ZONE)):
        text = squeeze("".join(page_texts(render_official_pdf(document))))
        assert printed in text
        assert ("领导小组" in text) == ("leading_group" in votes)


def test_the_public_notice_names_the_title_of_each_level(db, awarded, client):
    _cycle, _applications, notice, _awards = awarded
    db.commit()
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    receives = page[page.index("What each awardee receives"):page.index("How to object")]
    assert "“市长质量奖”" in receives and "“市长质量奖提名奖”" in receives
    assert "“2026年度市长质量奖”" not in receives
