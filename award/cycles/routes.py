"""Award cycles for the office (manage) and the supervisor (read)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select

from award.app_db import get_session
from award.auth.access import actor, office_required, oversight_required
from award.cycles import services
from award.cycles.forms import CycleForm, NewCycleForm, ProcedureForm
from award.cycles.models import Cycle, Stage
from award.cycles.stages import STEP_LABELS, next_steps, procedure_of, stage_sequence
from award.db import utcnow
from award.i18n import _
from award.views import enum_or_404, get_or_404, on_refusal, submitted

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


def _form_page(form: CycleForm, cycle: Cycle | None) -> str:
    return render_template("cycles/form.html", form=form, cycle=cycle)


def _cycle_page(cycle: Cycle) -> str:
    return render_template("cycles/show.html", cycle=cycle, rubric=services.cycle_rubric(cycle),
                           steps=next_steps(get_session(), cycle, utcnow()), stages=stage_sequence(cycle),
                           procedure=procedure_of(cycle), STEP_LABELS=STEP_LABELS)


def _procedure_page(cycle: Cycle, form: ProcedureForm) -> str:
    return render_template("cycles/procedure.html", cycle=cycle, form=form, procedure=procedure_of(cycle),
                           stages=stage_sequence(cycle), STEP_LABELS=STEP_LABELS)


@bp.route("/")
@oversight_required
def list_cycles():
    cycles = get_session().scalars(select(Cycle).order_by(Cycle.year.desc(), Cycle.id.desc())).all()
    return render_template("cycles/list.html", cycles=cycles)


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new_cycle():
    form = NewCycleForm()
    on_refusal(lambda _: _form_page(form, None))
    if not submitted(form):
        return _form_page(form, None)
    cycle = services.create_cycle(get_session(), actor=actor(), settings=form.to_settings(),
                                  rubric_key=form.rubric_key.data)
    flash(_("Cycle created."), "success")
    return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))


@bp.route("/<int:cycle_id>")
@oversight_required
def show_cycle(cycle_id: int):
    return _cycle_page(get_or_404(Cycle, cycle_id))


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@office_required
def edit_cycle(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = CycleForm.for_cycle(cycle)
    on_refusal(lambda _: _form_page(form, cycle))
    if not submitted(form):
        return _form_page(form, cycle)
    services.update_cycle(get_session(), actor=actor(), cycle=cycle, settings=form.to_settings(),
                          reason=form.date_change_reason.data or "")
    flash(_("Settings saved."), "success")
    return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))


@bp.route("/<int:cycle_id>/procedure", methods=["GET", "POST"])
@office_required
def procedure(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = ProcedureForm.for_procedure(procedure_of(cycle))
    on_refusal(lambda _: _procedure_page(cycle, form))
    if not submitted(form):
        return _procedure_page(cycle, form)
    services.set_procedure(get_session(), actor=actor(), cycle=cycle, steps=form.steps(), weights=form.weights(),
                           combine=form.combine.data or "weighted")
    flash(_("Procedure saved."), "success")
    return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))


@bp.route("/<int:cycle_id>/advance/<target>", methods=["POST"])
@office_required
def advance(cycle_id: int, target: str):
    cycle = get_or_404(Cycle, cycle_id)
    stage = enum_or_404(Stage, target)
    on_refusal(lambda _: _cycle_page(cycle))
    services.advance_cycle(get_session(), actor=actor(), cycle=cycle, target=stage)
    flash(_("The cycle moved to the next stage."), "success")
    return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))
