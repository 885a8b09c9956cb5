"""Award cycles for the office (manage) and the supervisor (read)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from wtforms.fields import SelectChoice

from award.auth.permissions import actor, office_required, oversight_required
from award.cycles import services
from award.cycles.forms import CycleForm
from award.cycles.models import Cycle, Stage
from award.cycles.stages import transitions_from
from award.db import get_session
from award.errors import DomainError
from award.i18n import _

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


def _load(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


@bp.route("/")
@oversight_required
def list_cycles():
    cycles = get_session().scalars(select(Cycle).order_by(Cycle.year.desc(), Cycle.id.desc())).all()
    return render_template("cycles/list.html", cycles=cycles)


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new_cycle():
    form = CycleForm()
    if form.validate_on_submit():
        try:
            cycle = services.create_cycle(get_session(), actor=actor(), settings=form.to_settings(),
                                          rubric_key=form.rubric_key.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Cycle created."), "success")
            return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))
    status = 422 if form.is_submitted() else 200
    return render_template("cycles/form.html", form=form, cycle=None), status


@bp.route("/<int:cycle_id>")
@oversight_required
def show_cycle(cycle_id: int):
    cycle = _load(cycle_id)
    return render_template("cycles/show.html", cycle=cycle, rubric=services.cycle_rubric(cycle),
                           transitions=transitions_from(cycle))


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@office_required
def edit_cycle(cycle_id: int):
    cycle = _load(cycle_id)
    form = CycleForm()
    form.rubric_key.choices = [SelectChoice(cycle.rubric_key, cycle.rubric_key)]  # frozen with the cycle
    if not form.is_submitted():
        form.fill_from(cycle)
    elif form.validate():
        try:
            services.update_cycle(get_session(), actor=actor(), cycle=cycle, settings=form.to_settings())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))
    status = 422 if form.is_submitted() else 200
    return render_template("cycles/form.html", form=form, cycle=cycle), status


@bp.route("/<int:cycle_id>/advance/<target>", methods=["POST"])
@office_required
def advance(cycle_id: int, target: str):
    cycle = _load(cycle_id)
    try:
        stage = Stage(target)
    except ValueError:
        abort(404)
    try:
        services.advance_cycle(get_session(), actor=actor(), cycle=cycle, target=stage)
    except DomainError as error:
        flash(error.message, "error")
        return render_template("cycles/show.html", cycle=cycle, rubric=services.cycle_rubric(cycle),
                               transitions=transitions_from(cycle)), 409
    flash(_("The cycle moved to the next stage."), "success")
    return redirect(url_for("cycles.show_cycle", cycle_id=cycle.id))
