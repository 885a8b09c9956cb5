"""The applicant's timeline: every stage its application passed and the one it is in, from records that exist.

`build_timeline(facts)` is pure: it turns what happened to one application into steps. `applicant_timeline()`
reads those facts: the application's status history, the review rounds it sat in, the shortlist submitted to
the leading group, the vote's outcome, the public notice, the award and the feedback report. It lives here,
in certificates, because that is the lowest area that sees all of them (the feedback report is this area's).

Only what the applicant may know reaches a step: never an expert's name, a score of anyone, or a vote count.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.approval.models import VoteBody, VoteOutcome
from award.approval.services import decision_body, vote_of
from award.awards.models import Award
from award.certificates.services import feedback_entry
from award.cycles.procedure import Step as ProcedureStep
from award.cycles.stages import procedure_of
from award.i18n import LazyString, _l
from award.notice.models import NoticeCandidate
from award.notice.services import notice_of
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound, RoundKind

S = ApplicationStatus


class StepState(enum.StrEnum):
    DONE = "done"  # passed
    NEGATIVE = "negative"  # an outcome against the applicant (ineligible, not shortlisted, ...)
    UPCOMING = "upcoming"  # not reached yet


@dataclass(frozen=True, kw_only=True)
class Step:
    key: str
    label: LazyString
    state: StepState
    at: dt.datetime | None = None
    note: str = ""  # a reason the office gave the applicant, as given
    until: dt.datetime | None = None  # a period's end (the notice) or a round's deadline
    current: bool = False  # the stage the application is in now


@dataclass(frozen=True, kw_only=True)
class Timeline:
    steps: tuple[Step, ...]

    @property
    def current(self) -> Step | None:
        return next((step for step in self.steps if step.current), None)


@dataclass(frozen=True, kw_only=True)
class RoundFact:
    opened_at: dt.datetime
    deadline: dt.datetime | None
    seated: bool  # the application has a panel in this round


@dataclass(frozen=True, kw_only=True)
class NoticeFact:
    published_at: dt.datetime
    ends_at: dt.datetime
    listed: bool  # named in the notice (else it was not approved: no row)
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What happened to one application, as plain values (the input of build_timeline)."""

    status: ApplicationStatus
    created_at: dt.datetime
    events: tuple[tuple[ApplicationStatus, dt.datetime, str], ...]  # (to status, when, reason), oldest first
    onsite_planned: bool = False
    presentation_planned: bool = False
    rounds_order: tuple[str, ...] = ("presentation", "onsite")  # the procedure's order of the two
    document_round: RoundFact | None = None
    presentation_round: RoundFact | None = None
    onsite_round: RoundFact | None = None
    shortlist: tuple[dt.datetime, bool] | None = None  # (submitted to the first vote, on it)
    committee_first: bool = False  # the review committee votes before the leading group decides
    committee: tuple[dt.datetime, bool] | None = None  # (its vote closed, approved), when it votes first
    decided_by_committee: bool = False  # the procedure's last vote is the committee's
    decision: tuple[dt.datetime, bool] | None = None  # (the last vote closed, approved)
    notice: NoticeFact | None = None
    result: tuple[dt.datetime, bool] | None = None  # (final list confirmed, awarded)
    award_title: str = ""  # the title awarded, with its level where the cycle has levels
    feedback_published: dt.datetime | None = None


_HISTORY_LABELS = {
    S.RETURNED: _l("Returned for correction"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.DRAFT: _l("Reopened as a draft"),
}


def _history(facts: Facts) -> list[Step]:
    """The application's own moves: submitted, returned, resubmitted, withdrawn; the screening's last word."""
    steps = [Step(key="started", label=_l("Draft started"), state=StepState.DONE, at=facts.created_at)]
    submitted = 0
    for status, at, reason in facts.events:
        if status is S.SUBMITTED:
            submitted += 1
            label = _l("Submitted") if submitted == 1 else _l("Submitted again")
            steps.append(Step(key=f"submitted-{submitted}", label=label, state=StepState.DONE, at=at))
        elif status in _HISTORY_LABELS:
            steps.append(Step(key=f"{status.value}-{len(steps)}", label=_HISTORY_LABELS[status], state=StepState.DONE,
                              at=at, note=reason))
    screening = [(status, at, reason) for status, at, reason in facts.events if status in (S.ELIGIBLE, S.INELIGIBLE)]
    if screening:  # the office may revise its decision while screening lasts: the last one counts
        status, at, reason = screening[-1]
        if status is S.ELIGIBLE:
            steps.append(Step(key="screening", label=_l("Passed eligibility screening"), state=StepState.DONE, at=at))
        else:
            steps.append(Step(key="screening", label=_l("Did not pass eligibility screening"),
                              state=StepState.NEGATIVE, at=at, note=reason))
    elif facts.status is S.SUBMITTED:
        steps.append(Step(key="screening", label=_l("Eligibility screening"), state=StepState.UPCOMING))
    return steps


def _review(facts: Facts) -> list[Step]:
    """From the expert review to the feedback report, for an application that passed screening."""
    steps: list[Step] = []
    doc = facts.document_round
    if doc is not None and doc.seated:
        steps.append(Step(key="review", label=_l("Under expert review"), state=StepState.DONE, at=doc.opened_at))
    else:
        steps.append(Step(key="review", label=_l("Expert review"), state=StepState.UPCOMING))
    later = {"presentation": (facts.presentation_round, facts.presentation_planned,
                              _l("Presentation and defence scheduled"), _l("Presentation and defence")),
             "onsite": (facts.onsite_round, facts.onsite_planned,
                        _l("On-site review scheduled"), _l("On-site review"))}
    for key in facts.rounds_order:
        fact, planned, scheduled, ahead = later[key]
        if fact is not None and fact.seated:
            steps.append(Step(key=key, label=scheduled, state=StepState.DONE, at=fact.opened_at,
                              until=fact.deadline))
        elif planned and fact is None:
            steps.append(Step(key=key, label=ahead, state=StepState.UPCOMING))
    out = False  # an outcome against the applicant ends the path to the award; the result still comes
    if facts.shortlist is not None:
        at, on_it = facts.shortlist
        steps.append(Step(key="shortlist", label=_l("Shortlisted") if on_it else _l("Not shortlisted"),
                          state=StepState.DONE if on_it else StepState.NEGATIVE, at=at))
        out = not on_it
    else:
        steps.append(Step(key="shortlist", label=_l("Shortlist"), state=StepState.UPCOMING))
    if not out and facts.committee_first:
        if facts.committee is not None:
            at, approved = facts.committee
            steps.append(Step(key="committee",
                              label=_l("Approved by the review committee") if approved
                              else _l("Not approved by the review committee"),
                              state=StepState.DONE if approved else StepState.NEGATIVE, at=at))
            out = not approved
        else:
            steps.append(Step(key="committee", label=_l("Review committee deliberation"),
                              state=StepState.UPCOMING))
    if not out:
        if facts.decision is not None:
            at, approved = facts.decision
            if facts.decided_by_committee:
                label = _l("Approved by the review committee") if approved \
                    else _l("Not approved by the review committee")
            else:
                label = _l("Approved by the leading group") if approved else _l("Not approved by the leading group")
            steps.append(Step(key="decision", label=label,
                              state=StepState.DONE if approved else StepState.NEGATIVE, at=at))
            out = not approved
        else:
            steps.append(Step(key="decision", label=_l("Review committee deliberation") if facts.decided_by_committee
                              else _l("Leading-group decision"), state=StepState.UPCOMING))
    if not out:
        notice = facts.notice
        if notice is not None and notice.withdrawn_at is not None:
            steps.append(Step(key="notice", label=_l("Withdrawn from the public notice"), state=StepState.NEGATIVE,
                              at=notice.withdrawn_at, note=notice.withdrawn_reason))
        elif notice is not None and notice.listed:
            steps.append(Step(key="notice", label=_l("In the public notice"), state=StepState.DONE,
                              at=notice.published_at, until=notice.ends_at))
        else:
            steps.append(Step(key="notice", label=_l("Public notice"), state=StepState.UPCOMING))
    if facts.result is not None:
        at, awarded = facts.result
        steps.append(Step(key="result", label=_l("Awarded") if awarded else _l("Not awarded"),
                          state=StepState.DONE if awarded else StepState.NEGATIVE, at=at,
                          note=facts.award_title if awarded else ""))
    else:
        steps.append(Step(key="result", label=_l("Final result"), state=StepState.UPCOMING))
    if facts.feedback_published is not None:
        steps.append(Step(key="feedback", label=_l("Feedback report published"), state=StepState.DONE,
                          at=facts.feedback_published))
    else:
        steps.append(Step(key="feedback", label=_l("Feedback report"), state=StepState.UPCOMING))
    return steps


def build_timeline(facts: Facts) -> Timeline:
    """Steps in order, the latest reached one marked current; the steps still ahead follow it."""
    steps = _history(facts)
    if facts.status is S.ELIGIBLE:
        steps += _review(facts)
    last = max(i for i, step in enumerate(steps) if step.state is not StepState.UPCOMING)
    # A stage the records never show, once a later one is reached, was not part of this application's path
    # (no on-site round for it, say): it is left out rather than shown as still to come.
    passed = [step for step in steps[:last] if step.state is not StepState.UPCOMING]
    return Timeline(steps=(*passed, replace(steps[last], current=True), *steps[last + 1:]))


# --- the facts, from the database ----------------------------------------------------------------------


def _round_fact(session: Session, application: Application, kind: RoundKind) -> RoundFact | None:
    review_round = session.scalars(select(ReviewRound).where(ReviewRound.cycle_id == application.cycle_id,
                                                             ReviewRound.kind == kind)).first()
    if review_round is None or review_round.opened_at is None:
        return None
    seated = session.scalar(select(Assignment.id).where(
        Assignment.round_id == review_round.id, Assignment.application_id == application.id,
        Assignment.status == AssignmentStatus.ACTIVE).limit(1)) is not None
    return RoundFact(opened_at=review_round.opened_at, deadline=review_round.deadline, seated=seated)


_LATER_ROUNDS = {ProcedureStep.PRESENTATION: "presentation", ProcedureStep.ONSITE_REVIEW: "onsite"}


def applicant_facts(session: Session, application: Application) -> Facts:
    """Read what happened to the application; nothing confidential is read into the facts."""
    cycle = application.cycle
    procedure = procedure_of(cycle)
    decided_by = decision_body(cycle)
    facts = Facts(status=application.status, created_at=application.created_at,
                  events=tuple((e.to_status, e.occurred_at, e.reason) for e in application.events),
                  onsite_planned=procedure.has(ProcedureStep.ONSITE_REVIEW),
                  presentation_planned=procedure.has(ProcedureStep.PRESENTATION),
                  rounds_order=tuple(_LATER_ROUNDS[step] for step in procedure.steps if step in _LATER_ROUNDS),
                  committee_first=decided_by is not VoteBody.COMMITTEE and procedure.has(ProcedureStep.COMMITTEE),
                  decided_by_committee=decided_by is VoteBody.COMMITTEE)
    if application.status is not S.ELIGIBLE:
        return facts
    values: dict[str, object] = {
        "document_round": _round_fact(session, application, RoundKind.DOCUMENT),
        "presentation_round": _round_fact(session, application, RoundKind.PRESENTATION),
        "onsite_round": _round_fact(session, application, RoundKind.ONSITE),
    }
    # The shortlist went out with the first vote (the committee's, when the procedure has one); the decision
    # is the last vote's.
    first = vote_of(session, cycle, VoteBody.COMMITTEE) or vote_of(session, cycle)
    if first is not None:
        values["shortlist"] = (first.opened_at, any(c.application_id == application.id for c in first.candidates))
    bodies = [("committee", VoteBody.COMMITTEE)] if facts.committee_first else []
    for key, body in [*bodies, ("decision", decided_by)]:
        vote = vote_of(session, cycle, body)
        if vote is None:
            continue
        passed = session.scalar(select(VoteOutcome.passed).where(VoteOutcome.session_id == vote.id,
                                                                 VoteOutcome.application_id == application.id))
        if vote.closed_at is not None and passed is not None:
            values[key] = (vote.closed_at, bool(passed))
    notice = notice_of(session, cycle)
    if notice is not None:
        candidate = session.scalar(select(NoticeCandidate).where(NoticeCandidate.notice_id == notice.id,
                                                                 NoticeCandidate.application_id == application.id))
        values["notice"] = NoticeFact(
            published_at=notice.published_at, ends_at=notice.ends_at, listed=candidate is not None,
            withdrawn_at=candidate.withdrawn_at if candidate is not None else None,
            withdrawn_reason=candidate.withdrawn_reason if candidate is not None else "")
        if notice.confirmed_at is not None:
            title = session.scalar(select(Award.title).where(Award.application_id == application.id))
            values["result"] = (notice.confirmed_at, title is not None)
            values["award_title"] = title or ""
            if feedback_entry(session, application) is not None:
                values["feedback_published"] = notice.confirmed_at
    return replace(facts, **values)  # type: ignore[arg-type]


def applicant_timeline(session: Session, application: Application) -> Timeline:
    return build_timeline(applicant_facts(session, application))
