"""The social evaluation, called directly: lists imported in the dishonesty list's way and matched by credit code,
the public comment window, one finding per candidate, a veto shown in the ranking and the archive, and the
problems the stage guard reads."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from award.applications.blacklist import BlacklistImportError
from award.applications.models import ApplicationStatus
from award.archive.sections import ArchiveContext, social_evaluation
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Stage
from award.errors import Conflict, Invalid, NotAllowed
from award.inputs import InvalidInput
from award.ranking import services as ranking
from award.social import services
from award.social.models import FindingLevel, ListKind, PublicComment, SocialRecord
from award.social.services import CommentInput
from tests.conftest import fresh_credit_code
from tests.ranking.conftest import ReviewWorld

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def world(db, make_user, make_organization, make_cycle) -> ReviewWorld:
    return ReviewWorld(db, make_user, make_organization, make_cycle(stage=Stage.DELIBERATION))


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


def csv_of(*rows: tuple[str, str, str]) -> bytes:
    return ("统一社会信用代码,来源,列入日期\n" + "".join(f"{c},{s},{d}\n" for c, s, d in rows)).encode()


def scored(world: ReviewWorld, percents: list[int]):
    review_round = world.round(method="mean", required_sheets=1)
    applications = []
    for index, percent in enumerate(percents):
        application = world.application(name=f"候选企业{index}")
        world.sheet(review_round, application, world.expert(0), percent)
        applications.append(application)
    return applications


def test_a_list_is_imported_all_or_nothing_and_matched_by_credit_code(db, world, office):
    first, second = scored(world, [80, 70])
    code = first.organization.credit_code
    added = services.import_records(db, actor=office, kind=ListKind.PENALTY, today=TODAY,
                                    data=csv_of((code, "市市场监管局行政处罚", "2026-03-02"),
                                                (fresh_credit_code(), "区市场监管局", "2025-01-01")))
    assert added == 2
    again = services.import_records(db, actor=office, kind=ListKind.PENALTY, today=TODAY,
                                    data=csv_of((code, "市市场监管局行政处罚", "2026-03-02")))
    assert again == 0  # already there
    found = services.matches(db, [first, second], as_of=TODAY)
    assert [r.source for r in found[first.id]] == ["市市场监管局行政处罚"] and second.id not in found
    assert services.matches(db, [first], as_of=dt.date(2026, 3, 1)) == {}  # not yet listed on that date
    with pytest.raises(BlacklistImportError) as refused:
        services.import_records(db, actor=office, kind=ListKind.COMPLAINT, today=TODAY,
                                data=csv_of((code, "12315 投诉", "2026-01-01"), ("not-a-code", "x", "2026-13-01")))
    assert [p.row for p in refused.value.problems] == [3]
    assert db.scalar(select(func.count()).select_from(SocialRecord).where(
        SocialRecord.kind == ListKind.COMPLAINT)) == 0
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "social.list_imported")).all()
    assert [r.after["added"] for r in audit] == [2, 0]


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.EXPERT, Role.LEADER, Role.SUPERVISOR])
def test_only_the_office_imports_and_records_findings(db, world, make_user, role):
    (candidate,) = scored(world, [80])
    someone = make_user(role)
    with pytest.raises(NotAllowed):
        services.import_records(db, actor=someone, kind=ListKind.CREDIT, data=csv_of(), today=TODAY)
    with pytest.raises(NotAllowed):
        services.record_finding(db, actor=someone, application=candidate, level=FindingLevel.NONE, reason="")
    with pytest.raises(NotAllowed):
        services.open_comment_window(db, actor=someone, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=3),
                                     now=NOW)


def test_a_veto_leaves_the_candidate_unranked_with_the_reason_shown(db, world, office):
    vetoed, kept = scored(world, [90, 80])
    services.record_finding(db, actor=office, application=vetoed, level=FindingLevel.VETO,
                            reason="三年内发生重大质量事故", evidence="市市场监管局行政处罚 2026-03-02")
    services.record_finding(db, actor=office, application=kept, level=FindingLevel.NOTED, reason="一起已办结投诉")
    result = ranking.compute_ranking(db, world.cycle)
    entries = {e.application_id: e for e in result.entries}
    assert entries[vetoed.id].rank is None and entries[vetoed.id].reason == "social_veto"
    assert entries[kept.id].rank == 1 and entries[kept.id].in_shortlist
    assert str(ranking.REASONS["social_veto"]) == "Vetoed by the social evaluation (一票否决)"
    snapshot = ranking.freeze_shortlist(db, actor=office, cycle=world.cycle)
    frozen = {e.application_id: e for e in snapshot.entries}
    assert frozen[vetoed.id].status == "social_veto" and not frozen[vetoed.id].in_shortlist
    assert frozen[vetoed.id].flags["social_veto"] == "三年内发生重大质量事故"  # archived with the snapshot
    assert "social_veto" not in frozen[kept.id].flags
    assert [e.application_id for e in snapshot.shortlist] == [kept.id]


def test_the_dishonesty_list_says_more_than_a_veto(db, world, office):
    from award.applications.models import BlacklistEntry

    (both,) = scored(world, [90])
    db.add(BlacklistEntry(credit_code=both.organization.credit_code, source="失信名单", listed_on=TODAY))
    services.record_finding(db, actor=office, application=both, level=FindingLevel.VETO, reason="失信", evidence="名单")
    assert ranking.compute_ranking(db, world.cycle).entries[0].reason == "blacklisted"


@pytest.mark.parametrize(("level", "reason", "evidence", "field"), [
    (FindingLevel.NOTED, "  ", "", "reason"),
    (FindingLevel.VETO, "重大事故", "", "evidence"),
    (FindingLevel.VETO, "", "名单", "reason"),
])
def test_a_finding_needs_its_reason_and_a_veto_its_evidence(db, world, office, level, reason, evidence, field):
    (candidate,) = scored(world, [80])
    with pytest.raises(Invalid) as refused:
        services.record_finding(db, actor=office, application=candidate, level=level, reason=reason,
                                evidence=evidence)
    assert refused.value.field == field
    assert services.finding_of(db, candidate) is None


@pytest.mark.parametrize("text", ["原因\x00", "原因\x07", "长" * 2001])
def test_worst_text_in_a_finding_is_refused(db, world, office, text):
    (candidate,) = scored(world, [80])
    with pytest.raises((Invalid, InvalidInput)):
        services.record_finding(db, actor=office, application=candidate, level=FindingLevel.NOTED, reason=text)
    assert services.finding_of(db, candidate) is None


def test_a_commenter_s_name_with_direction_controls_is_refused(db, world, office):
    (candidate,) = scored(world, [80])
    services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW)
    with pytest.raises(InvalidInput):
        services.file_comment(db, cycle=world.cycle, now=NOW,
                              data=CommentInput(candidate.id, "张\u202e三", "13812345678", "意见"))


def test_a_finding_is_refused_outside_the_stages_before_the_decision(db, world, office):
    (candidate,) = scored(world, [80])
    world.cycle.stage = Stage.NOTICE
    with pytest.raises(Conflict):
        services.record_finding(db, actor=office, application=candidate, level=FindingLevel.NONE, reason="")
    world.cycle.stage = Stage.DELIBERATION
    candidate.status = ApplicationStatus.WITHDRAWN
    with pytest.raises(Conflict):
        services.record_finding(db, actor=office, application=candidate, level=FindingLevel.NONE, reason="")


def test_changing_a_finding_is_audited_with_before_and_after(db, world, office):
    (candidate,) = scored(world, [80])
    services.record_finding(db, actor=office, application=candidate, level=FindingLevel.NONE, reason="")
    services.record_finding(db, actor=office, application=candidate, level=FindingLevel.VETO, reason="重大事故",
                            evidence="处罚决定书")
    last = db.scalars(select(AuditRecord).where(AuditRecord.action == "social.finding_recorded")
                      .order_by(AuditRecord.seq.desc())).first()
    assert last.before["level"] == "none" and last.after == {"level": "veto", "reason": "重大事故",
                                                            "evidence": "处罚决定书"}
    assert services.vetoes(db, world.cycle) == {candidate.id: "重大事故"}


def test_the_comment_window_takes_real_name_comments_while_open(db, world, office):
    first, _second = scored(world, [80, 70])
    services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=5), now=NOW)
    with pytest.raises(Conflict):
        services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=6),
                                     now=NOW)
    comment = services.file_comment(db, cycle=world.cycle, now=NOW + dt.timedelta(hours=1),
                                    data=CommentInput(first.id, "张三", "138 1234 5678", "该企业产品曾被抽检不合格"))
    assert comment.phone == "13812345678"
    for bad in (CommentInput(first.id, "", "13812345678", "匿名"), CommentInput(first.id, "张三", "123", "电话不对"),
                CommentInput(None, "张三", "13812345678", "无对象"), CommentInput(999999, "张三", "13812345678", "x")):
        with pytest.raises(Invalid):
            services.file_comment(db, cycle=world.cycle, data=bad, now=NOW + dt.timedelta(hours=1))
    with pytest.raises(Conflict):
        services.file_comment(db, cycle=world.cycle, now=NOW + dt.timedelta(days=5, seconds=1),
                              data=CommentInput(first.id, "李四", "13812345678", "太晚了"))
    assert db.scalar(select(func.count()).select_from(PublicComment)) == 1
    filed = db.scalars(select(AuditRecord).where(AuditRecord.action == "social.comment_filed")).one()
    assert "张三" not in json.dumps(filed.after, ensure_ascii=False)  # personal data stays out of the chain


@pytest.mark.parametrize("stage", [Stage.COMMITTEE, Stage.APPROVAL, Stage.NOTICE, Stage.AWARDED, Stage.CLOSED])
def test_no_comment_is_taken_once_the_cycle_has_gone_on_to_the_decision(db, world, office, stage):
    """A window opened in the ranking stage (a procedure without its own social evaluation stage) may still
    run when the cycle moves on: comments on candidates already decided are refused, and the page says so."""
    (candidate,) = scored(world, [80])
    services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=5), now=NOW)
    world.cycle.stage = stage
    later = NOW + dt.timedelta(hours=1)
    assert not services.accepting_comments(db, world.cycle, later)
    with pytest.raises(Conflict) as refused:
        services.file_comment(db, cycle=world.cycle, now=later,
                              data=CommentInput(candidate.id, "张三", "13812345678", "决定之后的意见"))
    assert refused.value.code == "window_closed"
    assert db.scalar(select(func.count()).select_from(PublicComment)) == 0


@pytest.mark.parametrize(("closes_in", "code"), [(dt.timedelta(0), "window_past"),
                                                 (dt.timedelta(days=61), "window_long")])
def test_the_window_must_close_in_the_future_and_not_too_late(db, world, office, closes_in, code):
    with pytest.raises(Invalid) as refused:
        services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + closes_in, now=NOW)
    assert refused.value.code == code


def test_evaluation_problems_name_what_is_missing(db, world, office):
    first, second = scored(world, [80, 70])
    problems = services.evaluation_problems(db, world.cycle, now=NOW)
    assert len(problems) == 1 and "2" in problems[0] and "候选企业0" in problems[0]
    services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW)
    for candidate in (first, second):
        services.record_finding(db, actor=office, application=candidate, level=FindingLevel.NONE, reason="",
                                now=NOW)
    assert len(services.evaluation_problems(db, world.cycle, now=NOW + dt.timedelta(hours=1))) == 1  # window open
    services.file_comment(db, cycle=world.cycle, now=NOW + dt.timedelta(hours=2),
                          data=CommentInput(first.id, "张三", "13812345678", "投诉"))
    later = NOW + dt.timedelta(days=3)
    assert len(services.evaluation_problems(db, world.cycle, now=later)) == 1  # a comment after the finding
    services.record_finding(db, actor=office, application=first, level=FindingLevel.NOTED, reason="已核实投诉",
                            now=later)
    assert services.evaluation_problems(db, world.cycle, now=later) == []


def test_the_archive_keeps_findings_matches_and_comments(db, world, office):
    first, second = scored(world, [80, 70])
    services.import_records(db, actor=office, kind=ListKind.INSPECTION, today=TODAY,
                            data=csv_of((first.organization.credit_code, "省质量抽查", "2026-05-01")))
    services.open_comment_window(db, actor=office, cycle=world.cycle, closes_at=NOW + dt.timedelta(days=2), now=NOW)
    services.file_comment(db, cycle=world.cycle, now=NOW, data=CommentInput(first.id, "张三", "13812345678", "意见"))
    services.record_finding(db, actor=office, application=first, level=FindingLevel.VETO, reason="抽查不合格",
                            evidence="省质量抽查 2026-05-01")
    files = {path: b"".join([content] if isinstance(content, bytes) else content)
             for path, content in social_evaluation(ArchiveContext(session=db, cycle=world.cycle))}
    findings = json.loads(files["findings.json"])
    assert findings == [{"application_id": first.id, "level": "veto", "vetoed": True, "reason": "抽查不合格",
                         "evidence": "省质量抽查 2026-05-01", "decided_by_id": office.id,
                         "decided_at": findings[0]["decided_at"]}]
    matches = json.loads(files["matches.json"])
    assert [m["application_id"] for m in matches] == [first.id] and matches[0]["records"][0]["kind"] == "inspection"
    comments = json.loads(files["comments.json"])
    assert comments["comments"][0]["phone"] == "138****5678" and comments["window"]["closes_at"]


def test_the_stage_machine_keeps_the_cycle_in_social_evaluation_until_every_candidate_has_a_finding(
        db, world, office):
    """The guard on leaving the stage is the service's own list of problems, wherever the procedure goes."""
    from award.cycles.procedure import build as build_procedure
    from award.cycles.stages import transition_problems

    first, second = scored(world, [80, 70])
    world.cycle.procedure = build_procedure(
        ["screening", "document_review", "social_evaluation", "leading_group", "notice", "award"],
        {"document_review": "1"}, "weighted").as_dict()
    world.cycle.stage = Stage.SOCIAL_EVALUATION
    db.flush()
    problems = transition_problems(db, world.cycle, Stage.DELIBERATION, NOW)
    assert problems == services.evaluation_problems(db, world.cycle, now=NOW) and len(problems) == 1
    for candidate in (first, second):
        services.record_finding(db, actor=office, application=candidate, level=FindingLevel.NONE, reason="",
                                now=NOW)
    assert transition_problems(db, world.cycle, Stage.DELIBERATION, NOW) == []


def test_a_list_dated_today_in_beijing_is_not_in_the_future_early_in_the_morning(db, world, office, monkeypatch):
    """At 01:00 Beijing time the server's own calendar (UTC) still says yesterday: a list dated today was
    refused as dated in the future. The day is Beijing's, as everywhere else."""
    import award.social.services as social_services

    monkeypatch.setattr(social_services, "utcnow", lambda: dt.datetime(2030, 1, 1, 17, 0, tzinfo=dt.UTC))
    code = fresh_credit_code()
    added = services.import_records(db, actor=office, kind=ListKind.COMPLAINT,
                                    data=csv_of((code, "12345热线", "2030-01-02")))
    assert added == 1
