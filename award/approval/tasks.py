"""The vote's tasks on the dashboard: the leaders' ballots, the office's vote to open, watch and close."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.approval import services
from award.approval.models import VoteBody
from award.auth.models import Role, User
from award.cycles.models import Cycle, Stage
from award.cycles.tasks import Task, task_provider
from award.db import utcnow
from award.i18n import _


@task_provider(Role.LEADER)
def _leader_tasks(session: Session, user: User) -> list[Task]:
    now = utcnow()
    return [
        Task(_("Vote on the shortlist: %(cycle)s", cycle=f"{vote.cycle.year} {vote.cycle.title}"),
             services.BALLOT_ENDPOINT[vote.body], {"cycle_id": vote.cycle_id},
             _("%(count)s candidate(s) still to vote on", count=remaining))
        for vote, remaining in services.open_votes_for(session, user, now) if remaining
    ]


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _vote_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for cycle in session.scalars(select(Cycle).where(Cycle.stage.in_([Stage.COMMITTEE, Stage.APPROVAL]))
                                 .order_by(Cycle.id)):
        name = f"{cycle.year} {cycle.title}"
        if cycle.stage is Stage.COMMITTEE:
            tasks += _committee_task(session, user, cycle, name)
            continue
        vote = services.vote_of(session, cycle)
        if vote is None:
            title = _("Open the leading group's vote: %(cycle)s", cycle=name)
        elif not vote.is_closed:
            title = _("Watch and close the leading group's vote: %(cycle)s", cycle=name)
        else:
            title = _("Read the vote's outcome: %(cycle)s", cycle=name)
        if user.role is Role.OFFICE or vote is not None:
            tasks.append(Task(title, "approval.manage", {"cycle_id": cycle.id}))
    return tasks


def _committee_task(session: Session, user: User, cycle: Cycle, name: str) -> list[Task]:
    vote = services.vote_of(session, cycle, VoteBody.COMMITTEE)
    if vote is None:
        title = _("Open the review committee's vote: %(cycle)s", cycle=name)
    elif not vote.is_closed:
        title = _("Watch and close the review committee's vote: %(cycle)s", cycle=name)
    else:
        title = _("Read the vote's outcome: %(cycle)s", cycle=name)
    if user.role is Role.OFFICE or vote is not None:
        return [Task(title, "approval.committee", {"cycle_id": cycle.id})]
    return []
