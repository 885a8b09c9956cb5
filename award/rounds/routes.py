"""Rounds and panels on the web: the office sets up a round, draws its panels, changes seats and opens
scoring; the supervisor watches and re-runs draws."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from award.applications.models import Application
from award.auth.permissions import (
    actor,
    office_required,
    oversight_required,
)
from award.cycles.models import Cycle
from award.db import get_session
from award.errors import DomainError
from award.i18n import _, _l
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.forms import (
    KIND_LABELS,
    METHOD_LABELS,
    AddExpertForm,
    AssignForm,
    ReplaceForm,
    RoundForm,
)
from award.rounds.models import (
    Assignment,
    AssignmentDraw,
    AssignmentSource,
    ReviewRound,
    RoundStatus,
)

bp = Blueprint("rounds", __name__, url_prefix="/review")




@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"ROUND_KIND_LABELS": KIND_LABELS,
            "ROUND_STATUS_LABELS": {RoundStatus.SETUP: _l("In preparation"), RoundStatus.OPEN: _l("Scoring open"),
                                    RoundStatus.CLOSED: _l("Closed")},
            "METHOD_LABELS": METHOD_LABELS}


def _load(model: type, object_id: int) -> Any:
    return get_session().get(model, object_id) or abort(404)


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_rounds(cycle_id: int):
    cycle = _load(Cycle, cycle_id)
    return render_template("rounds/rounds.html", cycle=cycle, rounds=rounds.rounds_of(get_session(), cycle))


@bp.route("/cycles/<int:cycle_id>/rounds", methods=["POST"])
@office_required
def create_rounds(cycle_id: int):
    cycle = _load(Cycle, cycle_id)
    rounds.ensure_rounds(get_session(), actor=actor(), cycle=cycle)
    flash(_("Review rounds are set up."), "success")
    return redirect(url_for("rounds.cycle_rounds", cycle_id=cycle.id))


@bp.route("/rounds/<int:round_id>/settings", methods=["GET", "POST"])
@office_required
def edit_round(round_id: int):
    review_round = _load(ReviewRound, round_id)
    form = RoundForm()
    if not form.is_submitted():
        form.fill_from(review_round)
    elif form.validate():
        try:
            rounds.configure_round(get_session(), actor=actor(), review_round=review_round,
                                   settings=form.to_settings())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("rounds.show_round", round_id=review_round.id))
    status = 422 if form.is_submitted() else 200
    return render_template("rounds/round_form.html", form=form, review_round=review_round), status


def round_page(review_round: ReviewRound, *, status: int = 200, assign_form: AssignForm | None = None):
    session = get_session()
    draws = panels.draws_of(session, review_round)
    return render_template(
        "rounds/round.html", review_round=review_round, panels=panels.panels_of_round(session, review_round),
        draws=draws, latest_reasons=panels.draw_reasons(draws[0]) if draws else {},
        assign_form=assign_form or AssignForm(), replace_form=ReplaceForm(), add_form=AddExpertForm(),
        pool=panels.pool_experts(session, review_round.cycle),
        problems=panels.panel_problems_of_round(session, review_round),
    ), status


@bp.route("/rounds/<int:round_id>")
@oversight_required
def show_round(round_id: int):
    return round_page(_load(ReviewRound, round_id))


@bp.route("/rounds/<int:round_id>/assign", methods=["POST"])
@office_required
def assign(round_id: int):
    review_round = _load(ReviewRound, round_id)
    form = AssignForm()
    if not form.validate():
        return round_page(review_round, status=422, assign_form=form)
    try:
        draw = panels.run_assignment(get_session(), actor=actor(), review_round=review_round,
                                     mode=AssignmentSource(form.mode.data), seed=form.seed.data,
                                     max_pair_probability=float(form.max_pair_probability.data))
    except DomainError as error:
        flash(error.message, "error")
        return round_page(review_round, status=409, assign_form=form)
    if draw.result.get("unassignable"):
        flash(_("Some applications could not be covered; the reasons are listed below."), "error")
    else:
        flash(_("Every panel is formed."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/rounds/<int:round_id>/open", methods=["POST"])
@office_required
def open_round(round_id: int):
    review_round = _load(ReviewRound, round_id)
    try:
        rounds.open_round(get_session(), actor=actor(), review_round=review_round)
    except DomainError as error:
        flash(error.message, "error")
        return round_page(review_round, status=409)
    flash(_("Scoring is open; the aggregation method is now locked."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/draws/<int:draw_id>")
@oversight_required
def show_draw(draw_id: int):
    draw = _load(AssignmentDraw, draw_id)
    return render_template("rounds/draw.html", draw=draw, review_round=get_session().get(ReviewRound, draw.round_id),
                           replay=None, reasons=panels.unassignable_reasons(draw))


@bp.route("/draws/<int:draw_id>/replay", methods=["POST"])
@oversight_required
def replay_draw(draw_id: int):
    draw = _load(AssignmentDraw, draw_id)
    replay = panels.replay_draw(get_session(), actor=actor(), draw=draw)
    return render_template("rounds/draw.html", draw=draw, review_round=get_session().get(ReviewRound, draw.round_id),
                           replay=replay, reasons=panels.unassignable_reasons(draw))


@bp.route("/assignments/<int:assignment_id>/replace", methods=["POST"])
@office_required
def replace(assignment_id: int):
    assignment = _load(Assignment, assignment_id)
    form = ReplaceForm()
    if not form.validate():
        for message in (message for errors in form.errors.values() for message in errors):
            flash(message, "error")
        return round_page(assignment.round, status=422)
    try:
        panels.replace_expert(get_session(), actor=actor(), assignment=assignment, expert_id=form.chosen(),
                              reason=form.reason.data or "")
    except DomainError as error:
        flash(error.message, "error")
        return round_page(assignment.round, status=409)
    flash(_("The seat is filled; the rest of the panel is unchanged."), "success")
    return redirect(url_for("rounds.show_round", round_id=assignment.round_id))


@bp.route("/assignments/<int:assignment_id>/leader", methods=["POST"])
@office_required
def make_leader(assignment_id: int):
    assignment = _load(Assignment, assignment_id)
    try:
        panels.set_leader(get_session(), actor=actor(), assignment=assignment)
    except DomainError as error:
        flash(error.message, "error")
        return round_page(assignment.round, status=409)
    flash(_("The team leader is changed."), "success")
    return redirect(url_for("rounds.show_round", round_id=assignment.round_id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/add", methods=["POST"])
@office_required
def add_member(round_id: int, application_id: int):
    review_round = _load(ReviewRound, round_id)
    application = _load(Application, application_id)
    form = AddExpertForm()
    if not form.validate() or form.chosen() is None:
        flash(_("Choose an expert."), "error")
        return round_page(review_round, status=422)
    try:
        panels.add_expert(get_session(), actor=actor(), review_round=review_round, application=application,
                          expert_id=form.chosen())
    except DomainError as error:
        flash(error.message, "error")
        return round_page(review_round, status=409)
    flash(_("The expert is added to the panel."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))
