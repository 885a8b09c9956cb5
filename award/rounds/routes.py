"""Rounds and panels on the web: the office sets up a round, draws its panels, changes seats and opens
scoring; the supervisor watches and re-runs draws."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from award.app_db import get_session
from award.applications.models import Application
from award.auth.access import actor, office_required, oversight_required
from award.cycles.models import Cycle
from award.forms import filled
from award.i18n import _, _l
from award.jobs.models import Job
from award.rounds import panels, presentation
from award.rounds import services as rounds
from award.rounds.forms import (
    ATTENDANCE_LABELS,
    COUNTS_LABELS,
    METHOD_LABELS,
    AddExpertForm,
    AssignForm,
    AttendanceForm,
    OpenRoundForm,
    PresentationDrawForm,
    ReplaceForm,
    RoundForm,
)
from award.rounds.models import (
    Assignment,
    AssignmentDraw,
    AssignmentSource,
    Attendance,
    PresentationDraw,
    PresentationSlot,
    ReviewRound,
    RoundKind,
    RoundStatus,
)
from award.rounds.services import KIND_LABELS
from award.views import form_errors, get_or_404, on_refusal, submitted, validated

bp = Blueprint("rounds", __name__, url_prefix="/review")


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"ROUND_KIND_LABELS": KIND_LABELS,
            "ROUND_STATUS_LABELS": {RoundStatus.SETUP: _l("In preparation"), RoundStatus.OPEN: _l("Scoring open"),
                                    RoundStatus.CLOSED: _l("Closed")},
            "METHOD_LABELS": METHOD_LABELS, "COUNTS_LABELS": COUNTS_LABELS,
            "SOURCE_LABELS": {AssignmentSource.OPTIMAL: _l("Optimal"),
                              AssignmentSource.RANDOMIZED: _l("Randomized draw"),
                              AssignmentSource.MANUAL: _l("Changed by hand")}}


def round_page(review_round: ReviewRound, *, assign_form: AssignForm | None = None,
               open_form: OpenRoundForm | None = None) -> str:
    session = get_session()
    draws = panels.draws_of(session, review_round)
    return render_template(
        "rounds/round.html", review_round=review_round, panels=panels.panels_of_round(session, review_round),
        draws=draws, latest_reasons=panels.draw_reasons(draws[0]) if draws else {},
        draw_job=panels.latest_draw_job(session, review_round),
        assign_form=assign_form or AssignForm(), replace_form=ReplaceForm(), add_form=AddExpertForm(),
        pool=panels.pool_experts(session, review_round.cycle),
        problems=panels.panel_problems_of_round(session, review_round),
        soft=panels.soft_signals_of_round(session, review_round), open_form=open_form or OpenRoundForm(),
    )


def _draw_page(draw: AssignmentDraw, replay: Any = None) -> str:
    return render_template("rounds/draw.html", draw=draw, review_round=get_session().get(ReviewRound, draw.round_id),
                           replay=replay, reasons=panels.unassignable_reasons(draw))


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_rounds(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    return render_template("rounds/rounds.html", cycle=cycle, rounds=rounds.rounds_of(get_session(), cycle))


@bp.route("/cycles/<int:cycle_id>/rounds", methods=["POST"])
@office_required
def create_rounds(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    rounds.ensure_rounds(get_session(), actor=actor(), cycle=cycle)
    flash(_("Review rounds are set up."), "success")
    return redirect(url_for("rounds.cycle_rounds", cycle_id=cycle.id))


@bp.route("/rounds/<int:round_id>/settings", methods=["GET", "POST"])
@office_required
def edit_round(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    form = RoundForm.for_round(review_round)
    on_refusal(lambda _: render_template("rounds/round_form.html", form=form, review_round=review_round))
    if not submitted(form):
        return render_template("rounds/round_form.html", form=form, review_round=review_round)
    rounds.configure_round(get_session(), actor=actor(), review_round=review_round, settings=form.to_settings(),
                           reason=form.date_change_reason.data or "")
    flash(_("Settings saved."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/rounds/<int:round_id>")
@oversight_required
def show_round(round_id: int):
    return round_page(get_or_404(ReviewRound, round_id))


@bp.route("/rounds/<int:round_id>/assign", methods=["POST"])
@office_required
def assign(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    form = AssignForm()
    on_refusal(lambda _: round_page(review_round, assign_form=form))
    validated(form)
    draw = panels.draw_panels(get_session(), actor=actor(), review_round=review_round, **form.to_draw(),
                              job_above=int(current_app.config["DRAW_JOB_ABOVE"]))
    if isinstance(draw, Job):  # a large pool: the worker draws; its page shows the progress, then the round
        return redirect(url_for("jobs.job_page", job_id=draw.id))
    if draw.result.get("unassignable"):
        flash(_("Some applications could not be covered; the reasons are listed below."), "error")
    else:
        flash(_("Every panel is formed."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/rounds/<int:round_id>/open", methods=["POST"])
@office_required
def open_round(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    form = OpenRoundForm()
    on_refusal(lambda _: round_page(review_round, open_form=form))
    validated(form)
    rounds.open_round(get_session(), actor=actor(), review_round=review_round,
                      acknowledgement=form.acknowledgement.data)
    flash(_("Scoring is open; the aggregation method is now locked."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/draws/<int:draw_id>")
@oversight_required
def show_draw(draw_id: int):
    return _draw_page(get_or_404(AssignmentDraw, draw_id))


@bp.route("/draws/<int:draw_id>/replay", methods=["POST"])
@oversight_required
def replay_draw(draw_id: int):
    draw = get_or_404(AssignmentDraw, draw_id)
    return _draw_page(draw, panels.replay_draw(get_session(), actor=actor(), draw=draw))


@bp.route("/assignments/<int:assignment_id>/replace", methods=["POST"])
@office_required
def replace(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    form = ReplaceForm()
    on_refusal(lambda _: round_page(assignment.round))
    validated(form, form_errors)
    panels.replace_expert(get_session(), actor=actor(), assignment=assignment, expert_id=form.chosen(),
                          reason=form.reason.data or "")
    flash(_("The seat is filled; the rest of the panel is unchanged."), "success")
    return redirect(url_for("rounds.show_round", round_id=assignment.round_id))


@bp.route("/assignments/<int:assignment_id>/leader", methods=["POST"])
@office_required
def make_leader(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    on_refusal(lambda _: round_page(assignment.round))
    panels.set_leader(get_session(), actor=actor(), assignment=assignment)
    flash(_("The team leader is changed."), "success")
    return redirect(url_for("rounds.show_round", round_id=assignment.round_id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/add", methods=["POST"])
@office_required
def add_member(round_id: int, application_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    application = get_or_404(Application, application_id)
    form = AddExpertForm()
    on_refusal(lambda _: round_page(review_round))
    validated(form, _("Choose an expert."))
    panels.add_expert(get_session(), actor=actor(), review_round=review_round, application=application,
                      expert_id=filled(form.chosen()), acknowledgement=form.acknowledgement.data or "")
    flash(_("The expert is added to the panel."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


# --- the presentation round's schedule (陈述答辩) ---------------------------------------------------


def _presentation_page(review_round: ReviewRound, form: PresentationDrawForm | None = None,
                       replay: Any = None) -> str:
    session = get_session()
    slots = presentation.slots_of(session, review_round)
    return render_template("rounds/presentation.html", review_round=review_round, slots=slots,
                           draw_open=presentation.draw_open(review_round, slots),
                           attendance_open=presentation.attendance_open(review_round),
                           draws=presentation.draws_of(session, review_round), replay=replay,
                           form=form or PresentationDrawForm(), attendance_form=AttendanceForm(),
                           attendance_labels=ATTENDANCE_LABELS)


@bp.route("/rounds/<int:round_id>/presentation")
@oversight_required
def presentation_schedule(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    if review_round.kind is not RoundKind.PRESENTATION:
        abort(404)
    return _presentation_page(review_round)


@bp.route("/rounds/<int:round_id>/presentation/draw", methods=["POST"])
@office_required
def draw_presentation(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    form = PresentationDrawForm()
    on_refusal(lambda _: _presentation_page(review_round, form))
    validated(form)
    presentation.draw_presentation_order(get_session(), actor=actor(), review_round=review_round,
                                         starts_at=form.local_start(), minutes=filled(form.minutes.data),
                                         rooms=form.room_list(), seed=form.seed.data)
    flash(_("The order is drawn and the schedule laid out."), "success")
    return redirect(url_for("rounds.presentation_schedule", round_id=review_round.id))


@bp.route("/presentation-draws/<int:draw_id>/replay", methods=["POST"])
@oversight_required
def replay_presentation(draw_id: int):
    draw = get_or_404(PresentationDraw, draw_id)
    replay = presentation.replay_presentation_draw(get_session(), actor=actor(), draw=draw)
    return _presentation_page(get_or_404(ReviewRound, draw.round_id), replay=replay)


@bp.route("/presentation-slots/<int:slot_id>/attendance", methods=["POST"])
@office_required
def record_attendance(slot_id: int):
    slot = get_or_404(PresentationSlot, slot_id)
    review_round = get_or_404(ReviewRound, slot.round_id)
    form = AttendanceForm()
    on_refusal(lambda _: _presentation_page(review_round))
    validated(form)
    presentation.record_attendance(get_session(), actor=actor(), slot=slot,
                                   attendance=Attendance(form.attendance.data), note=form.note.data or "")
    flash(_("Attendance recorded."), "success")
    return redirect(url_for("rounds.presentation_schedule", round_id=review_round.id) + f"#slot-{slot.position}")
