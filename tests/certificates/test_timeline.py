"""The applicant's timeline: derived from the records at each stage, and a notice to the applicant at each change.

The rules of build_timeline() first (plain facts in, steps out); then one cycle walked through the real services
from the vote to the awards, with a winner, an applicant rejected by the leading group and one not shortlisted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from award.applications.models import Application, ApplicationStatus
from award.approval import services as approval
from award.approval.models import Choice
from award.auth.models import Role
from award.awards.services import confirm_awards
from award.certificates.timeline import Facts, NoticeFact, RoundFact, StepState, applicant_timeline, build_timeline
from award.cycles.models import Stage
from award.notice import services as notice_services
from award.notice.periods import load_calendar
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage
from award.ranking.models import RankingSnapshot, ShortlistEntry
from award.rounds.models import Assignment, AssignmentSource, ReviewRound, RoundKind, RoundStatus
from award.rounds.notices import tell_applicants_round_opened

S = ApplicationStatus
ZONE = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)


def at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def keys(timeline) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(step.key, step.state.value) for step in timeline.steps]


def current(timeline) -> str:  # noqa: ANN001
    assert timeline.current is not None
    return timeline.current.key


# --- the rules, from plain facts -----------------------------------------------------------------------------


def test_a_draft_is_where_it_started():
    timeline = build_timeline(Facts(status=S.DRAFT, created_at=T0, events=()))
    assert keys(timeline) == [("started", "done")] and current(timeline) == "started"


def test_submitted_waits_for_screening():
    timeline = build_timeline(Facts(status=S.SUBMITTED, created_at=T0, events=((S.SUBMITTED, at(1), ""),)))
    assert keys(timeline)[1:] == [("submitted-1", "done"), ("screening", "upcoming")]
    assert current(timeline) == "submitted-1"


def test_a_return_and_a_resubmission_are_both_on_the_timeline():
    events = ((S.SUBMITTED, at(1), ""), (S.RETURNED, at(2), "缺少营业执照。"), (S.SUBMITTED, at(3), ""))
    timeline = build_timeline(Facts(status=S.SUBMITTED, created_at=T0, events=events))
    assert [step.key for step in timeline.steps][1:4] == ["submitted-1", "returned-2", "submitted-2"]
    assert timeline.steps[2].note == "缺少营业执照。" and str(timeline.steps[3].label) == "Submitted again"
    returned = build_timeline(Facts(status=S.RETURNED, created_at=T0, events=events[:2]))
    assert current(returned) == "returned-2"


def test_ineligible_ends_the_timeline_with_the_reason():
    events = ((S.SUBMITTED, at(1), ""), (S.INELIGIBLE, at(5), "成立未满三年。"))
    timeline = build_timeline(Facts(status=S.INELIGIBLE, created_at=T0, events=events))
    assert keys(timeline)[-1] == ("screening", "negative") and timeline.steps[-1].note == "成立未满三年。"
    assert current(timeline) == "screening"


ELIGIBLE = ((S.SUBMITTED, at(1), ""), (S.ELIGIBLE, at(5), ""))


def test_eligible_shows_the_road_ahead():
    timeline = build_timeline(Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, onsite_planned=True))
    assert keys(timeline)[3:] == [("review", "upcoming"), ("onsite", "upcoming"), ("shortlist", "upcoming"),
                                  ("decision", "upcoming"), ("notice", "upcoming"), ("result", "upcoming"),
                                  ("feedback", "upcoming")]
    assert current(timeline) == "screening"


def test_under_review_then_on_site_review_scheduled():
    reviewing = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, onsite_planned=True,
                      document_round=RoundFact(opened_at=at(10), deadline=at(30), seated=True))
    assert current(build_timeline(reviewing)) == "review"
    onsite = Facts(**{**reviewing.__dict__, "onsite_round": RoundFact(opened_at=at(40), deadline=at(50), seated=True)})
    timeline = build_timeline(onsite)
    assert current(timeline) == "onsite" and timeline.current.until == at(50)


def test_not_shortlisted_skips_the_decision_and_the_notice_but_gets_its_result_and_report():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE,
                  document_round=RoundFact(opened_at=at(10), deadline=None, seated=True),
                  shortlist=(at(60), False))
    timeline = build_timeline(facts)
    assert keys(timeline)[-3:] == [("shortlist", "negative"), ("result", "upcoming"), ("feedback", "upcoming")]
    assert current(timeline) == "shortlist"
    done = build_timeline(Facts(**{**facts.__dict__, "result": (at(90), False), "feedback_published": at(90)}))
    assert keys(done)[-2:] == [("result", "negative"), ("feedback", "done")] and current(done) == "feedback"


def test_a_stage_the_records_never_show_is_left_out_once_a_later_one_is_reached():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, onsite_planned=True, shortlist=(at(60), True))
    steps = [step.key for step in build_timeline(facts).steps]
    assert "review" not in steps and "onsite" not in steps and steps[-5:] == ["shortlist", "decision", "notice",
                                                                              "result", "feedback"]


def test_withdrawn_from_the_notice_is_said_with_the_reason():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, shortlist=(at(60), True),
                  decision=(at(62), True),
                  notice=NoticeFact(published_at=at(63), ends_at=at(70), listed=True, withdrawn_at=at(65),
                                    withdrawn_reason="Objection upheld: 数据不实"))
    timeline = build_timeline(facts)
    notice = next(step for step in timeline.steps if step.key == "notice")
    assert notice.state is StepState.NEGATIVE and notice.note == "Objection upheld: 数据不实"


def test_the_timeline_follows_the_procedure_order_of_presentation_and_on_site_review():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, onsite_planned=True, presentation_planned=True,
                  rounds_order=("onsite", "presentation"),
                  document_round=RoundFact(opened_at=at(10), deadline=None, seated=True))
    assert [key for key, _state in keys(build_timeline(facts))][3:6] == ["review", "onsite", "presentation"]
    presenting = Facts(**{**facts.__dict__, "rounds_order": ("presentation", "onsite"),
                          "presentation_round": RoundFact(opened_at=at(20), deadline=at(25), seated=True)})
    timeline = build_timeline(presenting)
    assert current(timeline) == "presentation" and str(timeline.current.label) == "Presentation and defence scheduled"
    assert keys(timeline)[5] == ("onsite", "upcoming")
    without = build_timeline(Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE))
    assert "presentation" not in [step.key for step in without.steps]


def test_the_committee_votes_before_the_leading_group_where_the_procedure_has_both():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, shortlist=(at(60), True), committee_first=True)
    assert keys(build_timeline(facts))[4:6] == [("committee", "upcoming"), ("decision", "upcoming")]
    rejected = build_timeline(Facts(**{**facts.__dict__, "committee": (at(61), False)}))
    assert keys(rejected)[4:] == [("committee", "negative"), ("result", "upcoming"), ("feedback", "upcoming")]
    assert str(rejected.current.label) == "Not approved by the review committee"
    passed = build_timeline(Facts(**{**facts.__dict__, "committee": (at(61), True), "decision": (at(62), True)}))
    assert keys(passed)[4:6] == [("committee", "done"), ("decision", "done")]
    assert str(passed.steps[5].label) == "Approved by the leading group"


def test_a_committee_that_decides_alone_is_named_as_the_decision():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, shortlist=(at(60), True),
                  decided_by_committee=True)
    assert str(build_timeline(facts).steps[-4].label) == "Review committee deliberation"
    approved = build_timeline(Facts(**{**facts.__dict__, "decision": (at(62), True)}))
    assert current(approved) == "decision" and str(approved.current.label) == "Approved by the review committee"
    assert "committee" not in [step.key for step in approved.steps]


def test_the_award_step_names_the_title_and_level_awarded():
    facts = Facts(status=S.ELIGIBLE, created_at=T0, events=ELIGIBLE, shortlist=(at(60), True), decision=(at(62), True),
                  notice=NoticeFact(published_at=at(63), ends_at=at(70), listed=True),
                  result=(at(71), True), award_title="2026年度市长质量奖提名奖")
    result = next(step for step in build_timeline(facts).steps if step.key == "result")
    assert result.state is StepState.DONE and result.note == "2026年度市长质量奖提名奖"


# --- one cycle through the real services ---------------------------------------------------------------------


@pytest.fixture
def ranked(db, make_cycle, make_organization, make_user):
    """A cycle in approval: winner and rejected on the frozen shortlist, the third below the cut-off; each
    applicant has an enterprise user; one leader."""
    office, leader = make_user(Role.OFFICE), make_user(Role.LEADER)
    cycle = make_cycle(stage=Stage.APPROVAL)
    applications, users = [], []
    for name in ("甲精密制造有限公司", "乙电子有限公司", "丙新材料有限公司"):
        organization = make_organization()
        users.append(make_user(Role.ENTERPRISE, organization=organization))
        application = Application(cycle_id=cycle.id, organization_id=organization.id, status=S.ELIGIBLE,
                                  org_name=name, sector="C", created_at=at(0), submitted_at=at(1))
        db.add(application)
        applications.append(application)
    db.flush()
    snapshot = RankingSnapshot(cycle_id=cycle.id, version=1, method="trimmed_mean", cutoff_score=Decimal(600),
                               awards_count=2, settings={}, content_hash="0" * 64)
    for position, (application, total) in enumerate(zip(applications, (900, 850, 500), strict=True), start=1):
        on_it = total >= 600
        snapshot.entries.append(ShortlistEntry(
            application_id=application.id, position=position, rank=position, organization_name=application.org_name,
            sector="C", status="ok", sheet_count=5, total=Decimal(total),
            categories={"4.1": str(Decimal(total) / 10)}, method_totals={}, in_shortlist=on_it,
            reason=None if on_it else "below_cutoff", robustness="stable"))
    db.add(snapshot)
    db.flush()
    return cycle, applications, users, office, leader


def _notices(db, user) -> list[Kind]:  # noqa: ANN001
    return [Kind(kind) for kind in db.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                              .order_by(Notification.id))]


def _mails(db, user) -> list[Kind]:  # noqa: ANN001
    return [Kind(kind) for kind in db.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == user.id)
                                              .order_by(OutboxMessage.id))]


def test_a_winner_a_rejected_and_a_non_shortlisted_applicant_from_the_vote_to_the_feedback_report(db, ranked):
    cycle, (winner, rejected, below), (winner_user, rejected_user, below_user), office, leader = ranked
    vote = approval.open_vote(db, actor=office, cycle=cycle, closes_at=at(62), now=at(60))

    assert current(applicant_timeline(db, winner)) == "shortlist"
    assert keys(applicant_timeline(db, below))[-3:] == [("shortlist", "negative"), ("result", "upcoming"),
                                                        ("feedback", "upcoming")]
    assert _notices(db, winner_user) == [Kind.APPLICATION_SHORTLISTED]
    assert _notices(db, below_user) == _mails(db, below_user) == [Kind.APPLICATION_NOT_SHORTLISTED]

    approval.cast_ballot(db, actor=leader, vote=vote, application_id=winner.id, choice=Choice.APPROVE, now=at(61))
    approval.cast_ballot(db, actor=leader, vote=vote, application_id=rejected.id, choice=Choice.REJECT, now=at(61))
    approval.close_vote(db, actor=office, vote=vote, now=at(62))
    assert keys(applicant_timeline(db, rejected))[-4:] == [("shortlist", "done"), ("decision", "negative"),
                                                           ("result", "upcoming"), ("feedback", "upcoming")]
    assert current(applicant_timeline(db, rejected)) == "decision"
    assert current(applicant_timeline(db, winner)) == "decision"
    # The rejected applicant is told, in-app and by e-mail: "shortlisted" is no longer the last word.
    assert _notices(db, rejected_user) == _mails(db, rejected_user) == [Kind.APPLICATION_SHORTLISTED,
                                                                         Kind.APPLICATION_NOT_APPROVED]
    assert _notices(db, winner_user)[-1] is Kind.APPLICATION_APPROVED

    published = at(63)
    notice = notice_services.publish_notice(
        db, actor=office, cycle=cycle, calendar=load_calendar(), zone=ZONE, now=published,
        text=notice_services.NoticeText(award_title="2026年度市长质量奖", benefits="证书", contact="0512-1"))
    timeline = applicant_timeline(db, winner)
    assert current(timeline) == "notice" and timeline.current.until == notice.ends_at
    assert _notices(db, winner_user)[-1] is Kind.APPLICATION_ON_NOTICE
    assert "notice" not in [step.key for step in applicant_timeline(db, rejected).steps]
    assert _notices(db, rejected_user)[-1] is Kind.APPLICATION_NOT_APPROVED  # the notice does not name it

    confirm_awards(db, actor=office, cycle=cycle, zone=ZONE, now=notice.ends_at + dt.timedelta(hours=1))
    assert keys(applicant_timeline(db, winner))[-4:] == [("decision", "done"), ("notice", "done"),
                                                         ("result", "done"), ("feedback", "done")]
    for application, user in ((rejected, rejected_user), (below, below_user)):
        timeline = applicant_timeline(db, application)
        assert keys(timeline)[-2:] == [("result", "negative"), ("feedback", "done")]
        assert current(timeline) == "feedback"
        assert _notices(db, user)[-1] is Kind.APPLICATION_NOT_AWARDED  # with the feedback report's link
    assert _notices(db, winner_user)[-1] is Kind.APPLICATION_AWARDED


def test_the_enterprise_sees_the_decision_but_never_the_counts_or_the_leaders(db, client, login, ranked):
    cycle, (winner, rejected, _below), (_w, rejected_user, _b), office, leader = ranked
    vote = approval.open_vote(db, actor=office, cycle=cycle, closes_at=at(62), now=at(60))
    approval.cast_ballot(db, actor=leader, vote=vote, application_id=rejected.id, choice=Choice.REJECT,
                         comment="材料不够充分", now=at(61))
    approval.close_vote(db, actor=office, vote=vote, now=at(62))
    db.commit()
    login(rejected_user)
    html = client.get(f"/applications/{rejected.id}").get_data(as_text=True)
    assert 'id="standing"' in html and "Not approved by the leading group" in html
    assert leader.full_name not in html and "材料不够充分" not in html and "0512" not in html
    assert "Eligible</span>" not in html  # the status no longer stands in for where it is


def test_the_review_round_opening_tells_each_seated_applicant(db, make_cycle, make_organization, make_user):
    cycle = make_cycle(stage=Stage.ONSITE_REVIEW, onsite_review=True)
    organization = make_organization()
    user = make_user(Role.ENTERPRISE, organization=organization)
    application = Application(cycle_id=cycle.id, organization_id=organization.id, status=S.ELIGIBLE,
                              org_name="甲公司", sector="C", created_at=at(0))
    db.add(application)
    expert = make_user(Role.EXPERT)
    rounds = {}
    for kind, opened in ((RoundKind.DOCUMENT, at(10)), (RoundKind.ONSITE, at(40))):
        review_round = ReviewRound(cycle_id=cycle.id, kind=kind, status=RoundStatus.OPEN, opened_at=opened,
                                   deadline=opened + dt.timedelta(days=10))
        db.add(review_round)
        db.flush()
        db.add(Assignment(round_id=review_round.id, application_id=application.id, expert_id=expert.id,
                          source=AssignmentSource.MANUAL))
        db.flush()
        rounds[kind] = review_round
        tell_applicants_round_opened(db, review_round, now=opened)
    assert _notices(db, user) == _mails(db, user) == [Kind.APPLICATION_UNDER_REVIEW,
                                                       Kind.APPLICATION_ONSITE_SCHEDULED]
    tell_applicants_round_opened(db, rounds[RoundKind.ONSITE], now=at(41))  # told once per round
    assert len(_notices(db, user)) == 2
    timeline = applicant_timeline(db, application)
    assert current(timeline) == "onsite" and timeline.current.until == at(50)
    assert expert.full_name not in str([step.note for step in timeline.steps])
