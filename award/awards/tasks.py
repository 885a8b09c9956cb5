"""Dashboard tasks: the office confirms the final list once the public notice has nothing open; a holder
sends its yearly follow-up reports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.awards.after import missing_years
from award.awards.models import Award, AwardStatus
from award.awards.reassessment import near_expiry
from award.cycles.models import Cycle, Stage
from award.cycles.tasks import Task, task_provider
from award.db import utcnow
from award.i18n import _, local_zone
from award.notice.services import award_problems


@task_provider(Role.OFFICE)
def _confirm_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for cycle in session.scalars(select(Cycle).where(Cycle.stage == Stage.NOTICE).order_by(Cycle.id)):
        if not award_problems(session, cycle, utcnow()):
            tasks.append(Task(_("Confirm the final list: %(cycle)s", cycle=f"{cycle.year} {cycle.title}"),
                              "awards.cycle_awards", {"cycle_id": cycle.id}))
    return tasks


@task_provider(Role.ENTERPRISE)
def _follow_up_tasks(session: Session, user: User) -> list[Task]:
    """The holder's follow-up reports still awaited (years already over)."""
    if user.organization_id is None:
        return []
    today = utcnow().astimezone(local_zone()).date()
    tasks = []
    for award in session.scalars(select(Award).where(Award.organization_id == user.organization_id,
                                                     Award.status == AwardStatus.VALID).order_by(Award.id)):
        for year in missing_years(session, award, today):
            tasks.append(Task(_("Send the follow-up report on %(year)s: %(title)s", year=year, title=award.title),
                              "awards.follow_up", {"award_id": award.id}))
    return tasks


@task_provider(Role.OFFICE)
def _reassessment_tasks(session: Session, user: User) -> list[Task]:
    """Titles ending within the year that no re-assessment covers yet."""
    count = len(near_expiry(session, today=utcnow().astimezone(local_zone()).date()))
    if not count:
        return []
    return [Task(_("%(count)s titles end within a year: open their re-assessment", count=count),
                 "awards.new_reassessment", {})]
