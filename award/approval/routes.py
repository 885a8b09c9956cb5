"""The vote in the browser: the office opens and closes it, leaders vote on their phones, all read the result."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from award.approval import services
from award.approval.forms import CHOICE_LABELS, BallotForm, EmptyForm, OpenVoteForm
from award.approval.models import Choice, VoteSession
from award.auth.models import Role, User
from award.auth.permissions import (
    actor,
    has_role,
    is_leader,
    leader_required,
    login_required,
    office_required,
    oversight_required,
)
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.cycles.settings import AwardSettings
from award.db import get_session, utcnow
from award.errors import DomainError
from award.i18n import _
from award.main.dashboard import Task, task_provider
from award.ranking.services import VERDICT_LABELS
from award.views import current_locale

bp = Blueprint("approval", __name__, url_prefix="/approval")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _load(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


def _vote(cycle: Cycle) -> VoteSession:
    return services.vote_of(get_session(), cycle) or abort(404)


def _member_vote(cycle_id: int) -> VoteSession:
    """The vote, if the leader is one of its members; 404 otherwise (nothing to find by guessing)."""
    vote = _vote(_load(cycle_id))
    if not services.is_member(get_session(), vote, actor()):
        abort(404)
    return vote


def _category_names(cycle: Cycle) -> dict[str, str]:
    lang = "en" if current_locale() == "en" else "zh"
    return {c.id: c.display_name(lang) for c in cycle_rubric(cycle).categories}


def _common(cycle: Cycle, vote: VoteSession | None) -> dict[str, object]:
    return {"cycle": cycle, "vote": vote, "choice_labels": CHOICE_LABELS, "verdicts": VERDICT_LABELS,
            "categories": _category_names(cycle)}


def _render_manage(cycle: Cycle, form: OpenVoteForm | None = None, status: int = 200):
    session = get_session()
    vote = services.vote_of(session, cycle)
    if form is None:
        form = OpenVoteForm()
        due = cycle.deadline(Stage.APPROVAL)
        if due is not None and due > utcnow():
            form.closes_at.data = due.astimezone(_zone()).replace(tzinfo=None)
        form.blinded.data = AwardSettings.from_dict(cycle.award_settings).blinded
    context = _common(cycle, vote)
    if vote is not None:
        context.update(turnout=services.turnout(session, vote), outcomes=services.outcomes_of(session, vote),
                       ballots=services.all_ballots(session, vote) if vote.is_closed else [],
                       leaders={m.leader_id: m.leader for m in vote.members})
    return render_template("approval/manage.html", form=form, close_form=EmptyForm(), **context), status


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def manage(cycle_id: int):
    return _render_manage(_load(cycle_id))


@bp.route("/cycles/<int:cycle_id>/open", methods=["POST"])
@office_required
def open_vote(cycle_id: int):
    cycle = _load(cycle_id)
    form = OpenVoteForm()
    if not form.validate():
        return _render_manage(cycle, form, 422)
    try:
        services.open_vote(get_session(), actor=actor(), cycle=cycle,
                           closes_at=form.closes_at.data.replace(tzinfo=_zone()), blinded=form.blinded.data)
    except DomainError as error:
        flash(error.message, "error")
        return _render_manage(cycle, form, 409)
    flash(_("The vote is open; the leading group has been notified."), "success")
    return redirect(url_for("approval.manage", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/close", methods=["POST"])
@office_required
def close_vote(cycle_id: int):
    cycle = _load(cycle_id)
    vote = _vote(cycle)
    try:
        services.close_vote(get_session(), actor=actor(), vote=vote)
    except DomainError as error:
        flash(error.message, "error")
        return _render_manage(cycle, status=409)
    flash(_("The vote is closed and the outcome recorded."), "success")
    return redirect(url_for("approval.manage", cycle_id=cycle.id))


def _render_ballot(vote: VoteSession, status: int = 200, errors: dict[int, str] | None = None,
                   refused: tuple[int, BallotForm] | None = None):
    """The ballot page; ``refused`` is the candidate whose posted form failed validation, with that form."""
    session = get_session()
    return render_template(
        "approval/ballot.html", mine=services.ballots_of(session, vote, actor()), errors=errors or {},
        accepting=services.is_accepting(vote, utcnow()), refused=dict([refused]) if refused else {},
        choices=list(Choice), **_common(vote.cycle, vote),
    ), status


@bp.route("/cycles/<int:cycle_id>/ballot")
@leader_required
def ballot(cycle_id: int):
    return _render_ballot(_member_vote(cycle_id))


@bp.route("/cycles/<int:cycle_id>/ballot/<int:application_id>", methods=["POST"])
@leader_required
def cast(cycle_id: int, application_id: int):
    vote = _member_vote(cycle_id)
    if application_id not in {c.application_id for c in vote.candidates}:
        abort(404)
    form = BallotForm()
    if not form.validate():
        return _render_ballot(vote, 422, refused=(application_id, form))
    try:
        services.cast_ballot(get_session(), actor=actor(), vote=vote, application_id=application_id,
                             choice=Choice(form.choice.data), comment=form.comment.data or "")
    except DomainError as error:
        return _render_ballot(vote, 409, {application_id: error.message})
    position = next(c.position for c in vote.candidates if c.application_id == application_id)
    return redirect(url_for("approval.ballot", cycle_id=vote.cycle_id) + f"#candidate-{position}")


@bp.route("/cycles/<int:cycle_id>/results")
@login_required
def results(cycle_id: int):
    if not has_role(current_user, Role.OFFICE, Role.SUPERVISOR, Role.LEADER):
        abort(403)
    vote = _member_vote(cycle_id) if is_leader(current_user) else _vote(_load(cycle_id))
    if not vote.is_closed and is_leader(current_user):
        abort(403)  # leaders see results only after the vote closes
    session = get_session()
    return render_template("approval/results.html", outcomes=services.outcomes_of(session, vote),
                           **_common(vote.cycle, vote))


# --- dashboard -------------------------------------------------------------------------------


@task_provider(Role.LEADER)
def _leader_tasks(session, user: User) -> list[Task]:  # noqa: ANN001
    now = utcnow()
    tasks = [
        Task(_("Vote on the shortlist: %(cycle)s", cycle=f"{vote.cycle.year} {vote.cycle.title}"),
             url_for("approval.ballot", cycle_id=vote.cycle_id),
             _("%(count)s candidate(s) still to vote on", count=remaining))
        for vote, remaining in services.open_votes_for(session, user, now) if remaining
    ]
    return tasks


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _vote_tasks(session, user: User) -> list[Task]:  # noqa: ANN001
    tasks = []
    for cycle in session.scalars(select(Cycle).where(Cycle.stage == Stage.APPROVAL).order_by(Cycle.id)):
        vote = services.vote_of(session, cycle)
        name = f"{cycle.year} {cycle.title}"
        if vote is None:
            title = _("Open the leading group's vote: %(cycle)s", cycle=name)
        elif not vote.is_closed:
            title = _("Watch and close the leading group's vote: %(cycle)s", cycle=name)
        else:
            title = _("Read the vote's outcome: %(cycle)s", cycle=name)
        if user.role is Role.OFFICE or vote is not None:
            tasks.append(Task(title, url_for("approval.manage", cycle_id=cycle.id)))
    return tasks

