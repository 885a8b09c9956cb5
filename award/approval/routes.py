"""The vote in the browser: the office opens and closes it, leaders vote on their phones, all read the result."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from award.app_db import get_session
from award.approval import services
from award.approval.forms import CHOICE_LABELS, BallotForm, EmptyForm, OpenVoteForm
from award.approval.models import Choice, VoteBody, VoteSession
from award.auth.access import actor, leader_required, login_required, office_required, oversight_required
from award.auth.models import Role
from award.auth.permissions import has_role, is_leader
from award.cycles.models import Cycle
from award.cycles.services import cycle_rubric
from award.db import utcnow
from award.forms import filled
from award.i18n import _, _l, local_zone
from award.ranking.services import VERDICT_LABELS, frozen_levels
from award.views import get_or_404, on_refusal, rubric_language, validated

bp = Blueprint("approval", __name__, url_prefix="/approval")


# The pages of each body's vote: the leading group's at their old addresses, the committee's beside them.
ENDPOINTS = {
    VoteBody.LEADING_GROUP: {"manage": "approval.manage", "open": "approval.open_vote", "close": "approval.close_vote",
                             "ballot": "approval.ballot", "cast": "approval.cast", "results": "approval.results"},
    VoteBody.COMMITTEE: {"manage": "approval.committee", "open": "approval.committee_open",
                         "close": "approval.committee_close", "ballot": "approval.committee_ballot",
                         "cast": "approval.committee_cast", "results": "approval.committee_results"},
}
BODY_TITLES = {VoteBody.LEADING_GROUP: _l("Leading-group vote"), VoteBody.COMMITTEE: _l("Review committee vote")}
SUBMIT_TITLES = {VoteBody.LEADING_GROUP: _l("Submit the shortlist to the leading group"),
                 VoteBody.COMMITTEE: _l("Submit the shortlist to the review committee")}


def _vote(cycle: Cycle, body: VoteBody = VoteBody.LEADING_GROUP) -> VoteSession:
    return services.vote_of(get_session(), cycle, body) or abort(404)


def _member_vote(cycle_id: int, body: VoteBody = VoteBody.LEADING_GROUP) -> VoteSession:
    """The vote, if the leader is one of its members; 404 otherwise (nothing to find by guessing)."""
    vote = _vote(get_or_404(Cycle, cycle_id), body)
    if not services.is_member(get_session(), vote, actor()):
        abort(404)
    return vote


def _common(cycle: Cycle, vote: VoteSession | None, body: VoteBody = VoteBody.LEADING_GROUP) -> dict[str, object]:
    return {"cycle": cycle, "vote": vote, "choice_labels": CHOICE_LABELS, "verdicts": VERDICT_LABELS,
            "categories": {c.id: c.display_name(rubric_language()) for c in cycle_rubric(cycle).categories},
            "ep": ENDPOINTS[body], "body_title": BODY_TITLES[body], "submit_title": SUBMIT_TITLES[body],
            "vote_stage": services.BODY_STAGE[body].value,
            "decides": services.decision_body(cycle) is body,
            "level_names": [level.name for level in frozen_levels(get_session(), cycle).levels]}


def _manage_page(cycle: Cycle, form: OpenVoteForm | None = None, body: VoteBody = VoteBody.LEADING_GROUP) -> str:
    session = get_session()
    vote = services.vote_of(session, cycle, body)
    context = _common(cycle, vote, body)
    if vote is not None:
        context.update(turnout=services.turnout(session, vote), outcomes=services.outcomes_of(session, vote),
                       ballots=services.all_ballots(session, vote) if vote.is_closed else [],
                       leaders={m.leader_id: m.leader for m in vote.members})
    form = form or OpenVoteForm.proposed(cycle, now=utcnow(), zone=local_zone())
    return render_template("approval/manage.html", form=form, close_form=EmptyForm(), **context)


def _open(cycle_id: int, body: VoteBody) -> Response:
    cycle = get_or_404(Cycle, cycle_id)
    form = OpenVoteForm()
    on_refusal(lambda _: _manage_page(cycle, form, body))
    validated(form)
    services.open_vote(get_session(), actor=actor(), cycle=cycle, body=body,
                       closes_at=filled(form.closes_at.data).replace(tzinfo=local_zone()), blinded=form.blinded.data)
    flash(_("The vote is open; its members have been notified."), "success")
    return redirect(url_for(ENDPOINTS[body]["manage"], cycle_id=cycle.id))


def _close(cycle_id: int, body: VoteBody) -> Response:
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _manage_page(cycle, body=body))
    services.close_vote(get_session(), actor=actor(), vote=_vote(cycle, body))
    flash(_("The vote is closed and the outcome recorded."), "success")
    return redirect(url_for(ENDPOINTS[body]["manage"], cycle_id=cycle.id))


def _ballot_page(vote: VoteSession, errors: dict[int, str] | None = None,
                 refused: tuple[int, BallotForm] | None = None) -> str:
    """The ballot page; ``refused`` is the candidate whose posted form failed validation, with that form."""
    return render_template(
        "approval/ballot.html", mine=services.ballots_of(get_session(), vote, actor()), errors=errors or {},
        accepting=services.is_accepting(vote, utcnow()), refused=dict([refused]) if refused else {},
        choices=list(Choice), **_common(vote.cycle, vote, vote.body),
    )


def _cast(cycle_id: int, application_id: int, body: VoteBody) -> Response:
    vote = _member_vote(cycle_id, body)
    candidate = next((c for c in vote.candidates if c.application_id == application_id), None) or abort(404)
    form = BallotForm()
    on_refusal(lambda error: _ballot_page(vote, {application_id: error.message}, (application_id, form)),
               flashed=False)
    validated(form)
    services.cast_ballot(get_session(), actor=actor(), vote=vote, application_id=application_id,
                         choice=Choice(form.choice.data), comment=form.comment.data or "")
    return redirect(url_for(ENDPOINTS[body]["ballot"], cycle_id=vote.cycle_id) + f"#candidate-{candidate.position}")


def _results(cycle_id: int, body: VoteBody) -> str:
    if not has_role(current_user, Role.OFFICE, Role.SUPERVISOR, Role.LEADER):
        abort(403)
    vote = _member_vote(cycle_id, body) if is_leader(current_user) else _vote(get_or_404(Cycle, cycle_id), body)
    if not vote.is_closed and is_leader(current_user):
        abort(403)  # leaders see results only after the vote closes
    return render_template("approval/results.html", outcomes=services.outcomes_of(get_session(), vote),
                           **_common(vote.cycle, vote, body))


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def manage(cycle_id: int):
    return _manage_page(get_or_404(Cycle, cycle_id))


@bp.route("/cycles/<int:cycle_id>/open", methods=["POST"])
@office_required
def open_vote(cycle_id: int):
    return _open(cycle_id, VoteBody.LEADING_GROUP)


@bp.route("/cycles/<int:cycle_id>/close", methods=["POST"])
@office_required
def close_vote(cycle_id: int):
    return _close(cycle_id, VoteBody.LEADING_GROUP)


@bp.route("/cycles/<int:cycle_id>/ballot")
@leader_required
def ballot(cycle_id: int):
    return _ballot_page(_member_vote(cycle_id))


@bp.route("/cycles/<int:cycle_id>/ballot/<int:application_id>", methods=["POST"])
@leader_required
def cast(cycle_id: int, application_id: int):
    return _cast(cycle_id, application_id, VoteBody.LEADING_GROUP)


@bp.route("/cycles/<int:cycle_id>/results")
@login_required
def results(cycle_id: int):
    return _results(cycle_id, VoteBody.LEADING_GROUP)


# --- the review committee's vote (评委会审议): the same machinery, its own pages ----------------


@bp.route("/cycles/<int:cycle_id>/committee")
@oversight_required
def committee(cycle_id: int):
    return _manage_page(get_or_404(Cycle, cycle_id), body=VoteBody.COMMITTEE)


@bp.route("/cycles/<int:cycle_id>/committee/open", methods=["POST"])
@office_required
def committee_open(cycle_id: int):
    return _open(cycle_id, VoteBody.COMMITTEE)


@bp.route("/cycles/<int:cycle_id>/committee/close", methods=["POST"])
@office_required
def committee_close(cycle_id: int):
    return _close(cycle_id, VoteBody.COMMITTEE)


@bp.route("/cycles/<int:cycle_id>/committee/ballot")
@leader_required
def committee_ballot(cycle_id: int):
    return _ballot_page(_member_vote(cycle_id, VoteBody.COMMITTEE))


@bp.route("/cycles/<int:cycle_id>/committee/ballot/<int:application_id>", methods=["POST"])
@leader_required
def committee_cast(cycle_id: int, application_id: int):
    return _cast(cycle_id, application_id, VoteBody.COMMITTEE)


@bp.route("/cycles/<int:cycle_id>/committee/results")
@login_required
def committee_results(cycle_id: int):
    return _results(cycle_id, VoteBody.COMMITTEE)


# --- dashboard -------------------------------------------------------------------------------
