"""The leading-group vote: open it on the frozen shortlist, cast ballots, close it and record the outcome.

Secrecy: while the vote is open nobody but the voter sees a choice. The audit record of a ballot
names the candidate, not the choice; closing the vote writes one record with every ballot and
the outcome, so the whole vote is in the tamper-evident chain from then on.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from award.applications import notices as application_notices
from award.applications.models import Application
from award.applications.queries import register_view_rule
from award.approval.models import Ballot, Choice, VoteBody, VoteCandidate, VoteMember, VoteOutcome, VoteSession
from award.approval.rules import Tally, VoteRule, decide, rule_from_settings
from award.audit.services import record
from award.auth.models import Role, User
from award.auth.permissions import is_leader
from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Step
from award.cycles.settings import AwardSettings
from award.cycles.stages import guard, guard_leaving, procedure_of
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed
from award.i18n import _
from award.notifications import events
from award.notifications.kinds import Kind
from award.notifications.reminders import Reminder, deadline_window, reminder_source
from award.ranking.services import current_snapshot
from award.runtime import path_for

COMMENT_MAX = 2000


# The stage each body votes in, and the procedure's step that has it.
BODY_STAGE = {VoteBody.COMMITTEE: Stage.COMMITTEE, VoteBody.LEADING_GROUP: Stage.APPROVAL}
BODY_STEP = {VoteBody.COMMITTEE: Step.COMMITTEE, VoteBody.LEADING_GROUP: Step.LEADING_GROUP}
BALLOT_ENDPOINT = {VoteBody.COMMITTEE: "approval.committee_ballot", VoteBody.LEADING_GROUP: "approval.ballot"}


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.OFFICE:
        raise NotAllowed(_("Only the award office can run the vote."))


def vote_of(session: Session, cycle: Cycle, body: VoteBody = VoteBody.LEADING_GROUP) -> VoteSession | None:
    return session.scalars(select(VoteSession).where(VoteSession.cycle_id == cycle.id,
                                                     VoteSession.body == body)).first()


def _body_audit(vote: VoteSession) -> dict[str, str]:
    """The body in a vote's audit records: named for the committee (the leading group's records stay as they were)."""
    return {"body": vote.body.value} if vote.body is VoteBody.COMMITTEE else {}


def passed_before(session: Session, cycle: Cycle, body: VoteBody) -> set[int] | None:
    """The applications that passed the vote before this body's in the cycle's procedure (the committee's,
    before the leading group's); None when no vote comes before it."""
    chosen = procedure_of(cycle)
    earlier = [b for b in VoteBody if chosen.has(BODY_STEP[b]) and chosen.vote_after(BODY_STEP[b]) == BODY_STEP[body]]
    if not earlier:
        return None
    return set(approved_by(session, cycle, earlier[0]))


def is_member(session: Session, vote: VoteSession, user: User) -> bool:
    return session.scalar(select(VoteMember.id).where(VoteMember.session_id == vote.id,
                                                      VoteMember.leader_id == user.id)) is not None


def is_accepting(vote: VoteSession, now: dt.datetime) -> bool:
    """Ballots are taken until the office closes the vote or its deadline passes, whichever is first."""
    return vote.closed_at is None and now < vote.closes_at


def open_vote(
    session: Session, *, actor: User | None, cycle: Cycle, closes_at: dt.datetime, blinded: bool | None = None,
    now: dt.datetime | None = None, body: VoteBody = VoteBody.LEADING_GROUP,
) -> VoteSession:
    """Submit the latest frozen shortlist to the body (the leading group, or the review committee): fix members
    and candidates, tell the members. After a committee, the leading group votes on those the committee passed.

    The members are the enabled accounts of the decision bodies (role leader) when the vote opens."""
    _require_office(actor)
    now = now or utcnow()
    if cycle.stage is not BODY_STAGE[body]:
        if body is VoteBody.COMMITTEE:
            raise Conflict(_("The committee's vote can be opened only in the review committee stage."),
                           code="wrong_stage")
        raise Conflict(_("The vote can be opened only in the leading-group approval stage."), code="wrong_stage")
    if vote_of(session, cycle, body) is not None:
        raise Conflict(_("The vote of this cycle has already been opened."), code="vote_exists")
    if closes_at <= now:
        raise Invalid(_("The vote must close in the future."), code="closes_in_past")
    snapshot = current_snapshot(session, cycle)
    shortlist = snapshot.shortlist if snapshot is not None else []
    earlier = passed_before(session, cycle, body)
    if earlier is not None:
        shortlist = [entry for entry in shortlist if entry.application_id in earlier]
    if snapshot is None or not shortlist:
        raise Conflict(_("There is no frozen shortlist to vote on."), code="no_shortlist")
    leaders = list(session.scalars(select(User).where(User.role == Role.LEADER, User.is_enabled.is_(True))
                                   .order_by(User.id)))
    if not leaders:
        raise Conflict(_("The leading group has no members with an account yet."), code="no_leaders")
    settings = AwardSettings.from_dict(cycle.award_settings)
    rule = rule_from_settings(settings)
    vote = VoteSession(cycle_id=cycle.id, snapshot_id=snapshot.id, opened_at=now,
                       opened_by_id=actor.id if actor else None, closes_at=closes_at,
                       blinded=settings.blinded if blinded is None else blinded, rule=rule.as_dict(), body=body)
    # Codes in an order unrelated to the rank, so a code tells nothing in the blinded mode.
    codes = [f"C{n:02d}" for n in range(1, len(shortlist) + 1)]
    random.Random(secrets.randbits(64)).shuffle(codes)
    for position, (entry, code) in enumerate(zip(shortlist, codes, strict=True), start=1):
        vote.candidates.append(VoteCandidate(application_id=entry.application_id, entry_id=entry.id,
                                             position=position, code=code))
    for leader in leaders:
        vote.members.append(VoteMember(leader_id=leader.id))
    session.add(vote)
    session.flush()
    record(session, actor=actor, action="approval.vote_opened", target_type="vote_session", target_id=vote.id,
           cycle_id=cycle.id,
           after={"snapshot": snapshot.id, "snapshot_version": snapshot.version,
                  "content_hash": snapshot.content_hash, "closes_at": closes_at.isoformat(),
                  "blinded": vote.blinded, "rule": vote.rule, "members": [leader.id for leader in leaders],
                  "candidates": {c.application_id: c.code for c in vote.candidates}, **_body_audit(vote)})
    events.vote_opened(session, cycle=cycle, closes_at=closes_at, vote_id=vote.id, now=now,
                       link=path_for(BALLOT_ENDPOINT[body], cycle_id=cycle.id),
                       kind=Kind.COMMITTEE_VOTE_OPENED if body is VoteBody.COMMITTEE else Kind.VOTE_OPENED)
    if earlier is not None:
        return vote  # the applicants heard whether they were shortlisted when the first vote opened
    shortlisted = {c.application_id for c in vote.candidates}
    for application in session.scalars(select(Application).where(
            Application.id.in_([e.application_id for e in snapshot.entries])).order_by(Application.id)):
        if application.id in shortlisted:
            application_notices.application_shortlisted(session, application=application, now=now)
        else:
            application_notices.application_not_shortlisted(session, application=application, now=now)
    return vote


def cast_ballot(
    session: Session, *, actor: User, vote: VoteSession, application_id: int, choice: Choice, comment: str = "",
    now: dt.datetime | None = None,
) -> Ballot:
    """One member's vote on one candidate, once, while the vote is open."""
    now = now or utcnow()
    if actor.role is not Role.LEADER or not is_member(session, vote, actor):
        if vote.body is VoteBody.COMMITTEE:
            raise NotAllowed(_("Only members of the review committee may vote."))
        raise NotAllowed(_("Only members of the leading group may vote."))
    if not is_accepting(vote, now):
        raise Conflict(_("The vote is closed; no more ballots are taken."), code="vote_closed")
    if application_id not in {c.application_id for c in vote.candidates}:
        raise Conflict(_("This application is not on the ballot."), code="not_a_candidate")
    already = session.scalar(select(Ballot.id).where(Ballot.session_id == vote.id, Ballot.leader_id == actor.id,
                                                     Ballot.application_id == application_id))
    if already is not None:
        raise Conflict(_("You have already voted on this candidate; a vote cannot be changed."),
                          code="already_voted")
    ballot = Ballot(session_id=vote.id, leader_id=actor.id, application_id=application_id, choice=Choice(choice),
                    comment=comment.strip()[:COMMENT_MAX], cast_at=now)
    session.add(ballot)
    session.flush()
    # The choice stays out of the chain until the close (see the module docstring).
    record(session, actor=actor, action="approval.ballot_cast", target_type="vote_session", target_id=vote.id,
           cycle_id=vote.cycle_id, after={"application": application_id, "ballot": ballot.id})
    return ballot


def tallies(session: Session, vote: VoteSession) -> dict[int, Tally]:
    """Counts per candidate, by the database (candidates without ballots count zero)."""
    members = session.scalar(select(func.count(VoteMember.id)).where(VoteMember.session_id == vote.id)) or 0
    counts: dict[int, dict[Choice, int]] = {c.application_id: {} for c in vote.candidates}
    rows = session.execute(select(Ballot.application_id, Ballot.choice, func.count(Ballot.id))
                           .where(Ballot.session_id == vote.id).group_by(Ballot.application_id, Ballot.choice))
    for application_id, choice, count in rows:
        counts[application_id][Choice(choice)] = count
    return {app_id: Tally(members=members, approve=c.get(Choice.APPROVE, 0), reject=c.get(Choice.REJECT, 0),
                          abstain=c.get(Choice.ABSTAIN, 0)) for app_id, c in counts.items()}


def close_vote(session: Session, *, actor: User | None, vote: VoteSession,
               now: dt.datetime | None = None) -> list[VoteOutcome]:
    """Close the vote, compute and record each candidate's outcome under the rule frozen at opening."""
    _require_office(actor)
    now = now or utcnow()
    if vote.closed_at is not None:
        raise Conflict(_("The vote is already closed."), code="vote_closed")
    rule = VoteRule.from_dict(vote.rule)
    counted = tallies(session, vote)
    outcomes = []
    for candidate in vote.candidates:
        tally = counted[candidate.application_id]
        verdict = decide(tally, rule)
        outcomes.append(VoteOutcome(session_id=vote.id, application_id=candidate.application_id,
                                    members=tally.members, approve=tally.approve, reject=tally.reject,
                                    abstain=tally.abstain, quorum_met=verdict.quorum_met, passed=verdict.passed))
    session.add_all(outcomes)
    vote.closed_at = max(now, vote.opened_at)
    vote.closed_by_id = actor.id if actor else None
    session.flush()
    ballots = session.scalars(select(Ballot).where(Ballot.session_id == vote.id).order_by(Ballot.id))
    record(session, actor=actor, action="approval.vote_closed", target_type="vote_session", target_id=vote.id,
           cycle_id=vote.cycle_id,
           after={"rule": vote.rule,
                  "outcomes": {o.application_id: {"approve": o.approve, "reject": o.reject, "abstain": o.abstain,
                                                  "members": o.members, "quorum_met": o.quorum_met,
                                                  "passed": o.passed} for o in outcomes},
                  "ballots": [{"leader": b.leader_id, "application": b.application_id, "choice": b.choice.value,
                               "comment": b.comment, "cast_at": b.cast_at.isoformat()} for b in ballots],
                  **_body_audit(vote)})
    if procedure_of(vote.cycle).decision is not BODY_STEP[vote.body]:
        return outcomes  # not the last vote: the applicants hear the decision from the one that is
    passed = {o.application_id: o.passed for o in outcomes}
    for application in session.scalars(select(Application).where(Application.id.in_(passed))
                                       .order_by(Application.id)):
        application_notices.application_decided(session, application=application,
                                                approved=passed[application.id], now=now)
    return outcomes


# --- reading -------------------------------------------------------------------------------


def outcomes_of(session: Session, vote: VoteSession) -> dict[int, VoteOutcome]:
    rows = session.scalars(select(VoteOutcome).where(VoteOutcome.session_id == vote.id))
    return {row.application_id: row for row in rows}


def decision_body(cycle: Cycle) -> VoteBody:
    """The body whose vote decides (the last of the procedure): its result goes to the public notice."""
    decision = procedure_of(cycle).decision
    return next(b for b, step in BODY_STEP.items() if step is decision)


def approved_application_ids(session: Session, cycle: Cycle) -> list[int]:
    """The candidates that passed the decision, the last vote of the cycle's procedure (the leading group's,
    or the committee's when it votes alone), in shortlist order; empty while that vote is not closed."""
    return approved_by(session, cycle, decision_body(cycle))


def approved_by(session: Session, cycle: Cycle, body: VoteBody) -> list[int]:
    """The candidates that passed the body's closed vote, in shortlist order; empty while it is not closed."""
    vote = vote_of(session, cycle, body)
    if vote is None or vote.closed_at is None:
        return []
    passed = set(session.scalars(select(VoteOutcome.application_id)
                                 .where(VoteOutcome.session_id == vote.id, VoteOutcome.passed.is_(True))))
    return [c.application_id for c in vote.candidates if c.application_id in passed]


def ballots_of(session: Session, vote: VoteSession, leader: User) -> dict[int, Ballot]:
    """One leader's own ballots by application: what the ballot page shows them."""
    rows = session.scalars(select(Ballot).where(Ballot.session_id == vote.id, Ballot.leader_id == leader.id))
    return {row.application_id: row for row in rows}


def all_ballots(session: Session, vote: VoteSession) -> list[Ballot]:
    return list(session.scalars(select(Ballot).where(Ballot.session_id == vote.id)
                                .order_by(Ballot.application_id, Ballot.leader_id)))


@dataclass(frozen=True)
class Turnout:
    leader: User
    cast: int
    of: int


def turnout(session: Session, vote: VoteSession) -> list[Turnout]:
    """How many ballots each member has cast (never which way): the office watches progress."""
    counts = dict(session.execute(select(Ballot.leader_id, func.count(Ballot.id))
                                  .where(Ballot.session_id == vote.id).group_by(Ballot.leader_id)).all())
    return [Turnout(m.leader, counts.get(m.leader_id, 0), len(vote.candidates)) for m in vote.members]


def open_votes_for(session: Session, leader: User, now: dt.datetime) -> list[tuple[VoteSession, int]]:
    """Votes the leader may still cast ballots in, with how many candidates they have not voted on."""
    votes = session.scalars(select(VoteSession).join(VoteMember, VoteMember.session_id == VoteSession.id)
                            .where(VoteMember.leader_id == leader.id, VoteSession.closed_at.is_(None),
                                   VoteSession.closes_at > now).order_by(VoteSession.closes_at))
    out = []
    for vote in votes:
        cast = session.scalar(select(func.count(Ballot.id)).where(Ballot.session_id == vote.id,
                                                                  Ballot.leader_id == leader.id)) or 0
        out.append((vote, len(vote.candidates) - cast))
    return out


# --- stage guard and reminders -----------------------------------------------------------------


@guard_leaving(Stage.COMMITTEE)
def _committee_vote_closed(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    vote = vote_of(session, cycle, VoteBody.COMMITTEE)
    if vote is None:
        return [_("Open the review committee's vote first.")]
    if vote.closed_at is None:
        return [_("Close the review committee's vote first.")]
    if not approved_by(session, cycle, VoteBody.COMMITTEE):
        return [_("The review committee passed no candidate.")]
    return []


@guard(Stage.APPROVAL, Stage.NOTICE)
def _vote_closed(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    vote = vote_of(session, cycle)
    if vote is None:
        return [_("Open the leading group's vote first.")]
    if vote.closed_at is None:
        return [_("Close the leading group's vote first.")]
    return []


@reminder_source
def vote_closing(session: Session, now: dt.datetime) -> Iterable[Reminder]:
    """Members who still have candidates to vote on, a day before the vote closes."""
    votes = session.scalars(select(VoteSession).where(VoteSession.closed_at.is_(None), VoteSession.closes_at > now,
                                                      VoteSession.closes_at <= now + dt.timedelta(days=1)))
    for vote in votes:
        if deadline_window(vote.closes_at, now) != "1d":
            continue
        cycle = vote.cycle
        cast = dict(session.execute(select(Ballot.leader_id, func.count(Ballot.id))
                                    .where(Ballot.session_id == vote.id).group_by(Ballot.leader_id)).all())
        for member in vote.members:
            if cast.get(member.leader_id, 0) < len(vote.candidates) and member.leader.is_enabled:
                yield Reminder(member.leader, Kind.VOTE_CLOSING,
                               {"cycle": events.cycle_name(cycle), "deadline": vote.closes_at},
                               path_for("approval.ballot", cycle_id=cycle.id),
                               f"vote{vote.id}:closing:{vote.closes_at.isoformat()}")


@register_view_rule
def voting_leader_may_view(user: Any, application: Application) -> bool:
    """A member of a vote may read (never edit) an application on its ballot, unless the vote is
    blinded and still open: then the ballot shows only the candidate's code."""
    session = object_session(application)
    if session is None or not is_leader(user):
        return False
    found = session.scalar(
        select(VoteSession.id)
        .join(VoteCandidate, VoteCandidate.session_id == VoteSession.id)
        .join(VoteMember, VoteMember.session_id == VoteSession.id)
        .where(VoteCandidate.application_id == application.id, VoteMember.leader_id == user.id,
               VoteSession.blinded.is_(False) | VoteSession.closed_at.is_not(None))
        .limit(1))
    return found is not None
