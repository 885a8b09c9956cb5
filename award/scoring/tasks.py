"""The review's tasks on the dashboard: the experts' pledges, sheets and consensus, the office's rounds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Stage
from award.cycles.queries import active_cycles
from award.cycles.tasks import Task, task_provider
from award.i18n import _
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, RoundStatus
from award.rounds.services import KIND_LABELS
from award.scoring import progress, queries
from award.scoring import services as scoring
from award.scoring.models import SheetStatus


def _expert_seats(session: Session, user: User) -> list[Assignment]:
    return [a for a in queries.expert_assignments(session, user) if a.round.status is RoundStatus.OPEN]


@task_provider(Role.EXPERT)
def _expert_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for seat in _expert_seats(session, user):
        name = seat.application.org_name or f"#{seat.application_id}"
        own = scoring.sheet_of(seat)
        if seat.pledge_signed_at is None:
            tasks.append(Task(_("Sign the pledge for %(name)s", name=name), "scoring.pledge",
                              {"assignment_id": seat.id}))
        elif own is not None and own.status is SheetStatus.DRAFT:
            tasks.append(Task(_("Score %(name)s", name=name), "scoring.sheet", {"assignment_id": seat.id}))
        elif scoring.sheets_complete(session, seat.round, seat.application_id):
            consensus = {"round_id": seat.round_id, "application_id": seat.application_id}
            agreed = scoring.consensus_scores(session, seat.round, seat.application_id)
            if seat.is_leader and not agreed:
                tasks.append(Task(_("Propose the consensus for %(name)s", name=name), "scoring.consensus", consensus))
            elif agreed and user.id not in scoring.confirmed_by(session, seat.round, seat.application_id):
                tasks.append(Task(_("Confirm the consensus for %(name)s", name=name), "scoring.consensus", consensus))
    return tasks


@task_provider(Role.OFFICE)
def _office_review_tasks(session: Session, user: User) -> list[Task]:
    tasks = []
    for cycle in active_cycles(session):
        if cycle.stage not in (Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.PRESENTATION, Stage.ONSITE_REVIEW):
            continue
        for review_round in rounds.rounds_of(session, cycle):
            label = f"{cycle.year} {cycle.title} · {KIND_LABELS[review_round.kind]}"
            round_page = {"round_id": review_round.id}
            views = panels.panels_of_round(session, review_round)
            due = sum(p.replacements_due for p in views)
            if review_round.status is RoundStatus.SETUP and panels.panel_problems_of_round(session, review_round):
                tasks.append(Task(_("Form the panels: %(round)s", round=label), "rounds.show_round", round_page))
            if due:
                tasks.append(Task(_("%(count)s replacements due: %(round)s", count=due, round=label),
                                  "rounds.show_round", round_page))
            if review_round.status is RoundStatus.OPEN:
                missing = len(progress.missing_sheets(session, review_round))
                tasks.append(Task(_("Follow the progress: %(round)s", round=label),
                                  "scoring.round_progress", round_page,
                                  _("%(count)s sheets missing", count=missing)))
    return tasks
