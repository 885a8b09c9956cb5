"""The feedback report from a real review: the ranking snapshot's figures, the sheets' words, no expert named."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from award.auth.models import Role
from award.certificates import services
from award.certificates.render import render_feedback_pdf
from award.cycles.models import Stage
from award.errors import DomainError
from award.ranking.services import freeze_shortlist
from award.rounds.models import Assignment, AssignmentSource, AssignmentStatus, CountedRecord
from award.scoring.models import ConsensusRemark, ItemScore, RemarkKind, ScoreSheet, SheetStatus
from tests.approval.world import shortlisted_cycle
from tests.ranking.conftest import ReviewWorld

STRENGTH = "高层领导亲自推动质量战略"
IMPROVEMENT = "产品结果缺少与行业标杆的对比"
VOIDED = "此意见来自被撤下的专家"


@pytest.fixture
def awarded(db, make_user, make_organization, make_cycle):
    built = shortlisted_cycle(db, make_user=make_user, make_organization=make_organization, make_cycle=make_cycle,
                              stage=Stage.AWARDED)
    application = built.applications[0]
    sheets = db.scalars(select(ScoreSheet).join(Assignment).where(Assignment.application_id == application.id)
                        .order_by(Assignment.expert_id)).all()
    for sheet in sheets[:2]:  # two experts wrote the same strength: printed once
        item = next(i for i in sheet.items if i.item_id == "4.1.2")
        item.strength = STRENGTH
    next(i for i in sheets[2].items if i.item_id == "4.7.2").improvement = IMPROVEMENT
    # A panel member taken off later: the sheet stays in the database, its words stay out of the report.
    removed = Assignment(round_id=sheets[0].assignment.round_id, application_id=application.id,
                         expert_id=make_user(Role.EXPERT, name="回避专家赵某").id,
                         status=AssignmentStatus.REMOVED, source=AssignmentSource.MANUAL, status_reason="回避")
    db.add(removed)
    db.flush()
    voided = ScoreSheet(assignment_id=removed.id, status=SheetStatus.SUBMITTED)
    voided.items.append(ItemScore(item_id="4.1.2", percent=50, points=25, band_id="b", strength=VOIDED,
                                  improvement=VOIDED))
    db.add(voided)
    db.commit()
    return built, [sheet.assignment.expert for sheet in sheets]


def report_text(report) -> str:  # noqa: ANN001
    reader = PdfReader(io.BytesIO(render_feedback_pdf(report)))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_report_carries_the_sheets_words_without_naming_experts(db, awarded):
    built, experts = awarded
    report = services.feedback_report(db, built.applications[0], today=dt.date(2026, 12, 6))
    leadership = next(c for c in report.categories if c.id == "4.1")
    assert leadership.strengths.count(STRENGTH) == 1
    results = next(c for c in report.categories if c.id == "4.7")
    assert IMPROVEMENT in results.improvements
    text = report_text(report)
    assert STRENGTH in text and IMPROVEMENT in text
    assert VOIDED not in text and "回避专家赵某" not in text
    assert all("".join(expert.full_name.split()) not in text for expert in experts)


def test_report_profiles_every_category_from_the_frozen_ranking(db, awarded):
    built, _experts = awarded
    entry = built.snapshot.entries[0]
    report = services.feedback_report(db, built.applications[0], today=dt.date(2026, 12, 6))
    assert [c.id for c in report.categories] == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"]
    assert {c.id: c.scored for c in report.categories} == {k: float(v) for k, v in entry.categories.items()}
    assert report.total == float(entry.total) and report.cutoff == 600.0 and report.shortlisted


def test_no_report_while_the_cycle_is_not_awarded(db, awarded):
    built, _experts = awarded
    built.cycle.stage = Stage.NOTICE
    with pytest.raises(DomainError):
        services.feedback_report(db, built.applications[0], today=dt.date(2026, 12, 6))


def test_report_of_a_sheets_round_says_it_aggregates_the_independent_sheets(db, awarded):
    built, _experts = awarded
    report = services.feedback_report(db, built.applications[0], today=dt.date(2026, 12, 6))
    assert (report.counted, report.method, report.sheet_ranges) == (("independent",), "trimmed_mean",
                                                                     (("document", 800.0, 900.0),))
    text = report_text(report)
    assert "计分依据各位评审专家的独立评分，取去掉一个最高分和一个最低分后的平均值" in text
    assert "专家独立评分800–900分" in text and "汇总为" not in text


@pytest.fixture
def awarded_by_consensus(db, make_user, make_organization, make_cycle):
    """A round counting the panel consensus: sheets 600 and four of 650 (trimmed mean 650), the panel
    agreed 616; and a panel
    of five identical sheets that agreed their own figure."""
    cycle = make_cycle(stage=Stage.DELIBERATION)
    world = ReviewWorld(db, make_user, make_organization, cycle)
    review_round = world.round(method="trimmed_mean", counts=CountedRecord.CONSENSUS)
    spread, same = world.application(name="甲精密制造有限公司"), world.application(name="乙电子有限公司")
    world.panel(review_round, spread, [60, 65, 65, 65, 65])
    world.panel(review_round, same, [70] * 5, first_expert=5)
    world.consensus_sheet(review_round, spread, 60, per_item={"4.7.2": 80})
    world.consensus_sheet(review_round, same, 70)
    db.commit()
    freeze_shortlist(db, actor=make_user(Role.OFFICE), cycle=cycle)
    cycle.stage = Stage.AWARDED
    db.commit()
    return spread, same


def test_report_of_a_consensus_round_gives_the_consensus_and_the_independent_sheets_beside_it(db,
                                                                                            awarded_by_consensus):
    spread, same = awarded_by_consensus
    report = services.feedback_report(db, spread, today=dt.date(2026, 12, 6))
    assert report.total == 616.0 and report.counted == ("consensus",) and report.independent_total == 650.0
    text = report_text(report)
    assert "总分616/1000分" in text
    assert "计分依据评审专家组合议形成的共识评分（专家组共识表）" in text
    assert "专家独立评分600–650分；按去掉一个最高分和一个最低分后的平均值汇总为650分" in text

    identical = report_text(services.feedback_report(db, same, today=dt.date(2026, 12, 6)))
    assert "专家独立评分均为700分" in identical
    assert "去掉一个最高分" not in identical  # identical sheets: nothing is said to be trimmed


def test_report_gives_the_panels_comments_by_letter_but_no_disagreement_reason(db, awarded):
    built, experts = awarded
    application = built.applications[0]
    seat = db.scalars(select(Assignment).where(Assignment.application_id == application.id,
                                               Assignment.status == AssignmentStatus.ACTIVE)).first()
    removed = db.scalars(select(Assignment).where(Assignment.application_id == application.id,
                                                  Assignment.status == AssignmentStatus.REMOVED)).one()

    def say(author, kind, item_id, text):
        db.add(ConsensusRemark(round_id=seat.round_id, application_id=application.id, author_id=author.id,
                               item_id=item_id, kind=kind, text=text))
        db.flush()

    say(experts[1], RemarkKind.DISAGREE, "4.7.2", "理由不应出现在报告中")
    say(experts[0], RemarkKind.COMMENT, "4.1.2", "高层领导的作用证据充分")
    say(experts[1], RemarkKind.COMMENT, None, "建议补充行业对比数据")
    say(experts[0], RemarkKind.AGREE, None, "同意的附言也不出现")
    say(removed.expert, RemarkKind.COMMENT, None, VOIDED)
    db.commit()
    report = services.feedback_report(db, application, today=dt.date(2026, 12, 6))
    assert [(n.author, n.item, n.text) for n in report.discussion] == [
        ("专家 B", "4.1.2 高层领导的作用", "高层领导的作用证据充分"),
        ("专家 A", "总体意见", "建议补充行业对比数据"),
    ]
    text = report_text(report)
    assert "专家组合议意见" in text
    assert "专家B（4.1.2高层领导的作用）：高层领导的作用证据充分" in text
    assert "专家A（总体意见）：建议补充行业对比数据" in text
    assert "理由不应出现在报告中" not in text and "同意的附言也不出现" not in text and VOIDED not in text
    assert all("".join(expert.full_name.split()) not in text for expert in [*experts, removed.expert])
