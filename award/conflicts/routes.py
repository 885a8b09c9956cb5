"""Conflicts of interest (回避) on the web: the matrix of a cycle's applications and experts, one pair's
reasons, pinning a conflict by hand, and the cycle's 回避 windows."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from award.app_db import get_session
from award.applications.models import Application
from award.auth.access import actor, office_required, oversight_required
from award.auth.models import Role, User
from award.conflicts import services as conflicts
from award.conflicts.forms import CONFLICT_LABELS, CoiSettingsForm, PinForm
from award.conflicts.models import CycleCoiSettings
from award.conflicts.presenters import MATRIX_FILTERS, matrix_page
from award.conflicts.rules import ConflictType
from award.cycles.models import Cycle
from award.forms import filled
from award.i18n import _
from award.inputs import arg_page
from award.pool import services as pool
from award.views import get_or_404, on_refusal, submitted, validated

bp = Blueprint("conflicts", __name__, url_prefix="/pool")

PAGE_SIZE = 25  # applications per matrix page; all (filtered) experts are columns


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"CONFLICT_LABELS": CONFLICT_LABELS}


def _load_cell(cycle_id: int, application_id: int, expert_id: int) -> tuple[Cycle, Application, User]:
    cycle = get_or_404(Cycle, cycle_id)
    application = get_or_404(Application, application_id, cycle_id=cycle.id)
    expert = get_or_404(User, expert_id, role=Role.EXPERT)
    return cycle, application, expert


def _cell_page(cycle: Cycle, application: Application, expert: User, form: PinForm | None = None) -> str:
    session = get_session()
    return render_template("conflicts/cell.html", cycle=cycle, application=application, expert=expert,
                           profile=pool.profile_of(session, expert), form=form or PinForm(),
                           found=conflicts.conflicts_between(session, application, expert, include_soft=True),
                           reference_date=conflicts.reference_date_for(session, cycle))


def _settings_page(cycle: Cycle, form: CoiSettingsForm) -> str:
    return render_template("conflicts/settings.html", cycle=cycle, form=form,
                           reference_date=conflicts.reference_date_for(get_session(), cycle))


@bp.route("/cycles/<int:cycle_id>/conflicts")
@oversight_required
def matrix(cycle_id: int):
    filters = {name: request.args.get(name, "").strip() for name in MATRIX_FILTERS}
    page = matrix_page(get_session(), get_or_404(Cycle, cycle_id), filters, arg_page(request.args), PAGE_SIZE)
    return render_template("conflicts/matrix.html", **page)


@bp.route("/cycles/<int:cycle_id>/conflicts/<int:application_id>/<int:expert_id>")
@oversight_required
def cell(cycle_id: int, application_id: int, expert_id: int):
    return _cell_page(*_load_cell(cycle_id, application_id, expert_id))


@bp.route("/cycles/<int:cycle_id>/conflicts/<int:application_id>/<int:expert_id>/pin", methods=["POST"])
@office_required
def pin(cycle_id: int, application_id: int, expert_id: int):
    cycle, application, expert = _load_cell(cycle_id, application_id, expert_id)
    form = PinForm()
    on_refusal(lambda _: _cell_page(cycle, application, expert, form))
    validated(form)
    conflicts.pin_conflict(get_session(), actor=actor(), application=application, expert=expert,
                           conflict_type=ConflictType(form.type.data), reason=filled(form.reason.data))
    flash(_("Conflict pinned. It can never be removed."), "success")
    return redirect(url_for("conflicts.cell", cycle_id=cycle.id, application_id=application.id, expert_id=expert.id))


@bp.route("/cycles/<int:cycle_id>/coi-settings", methods=["GET", "POST"])
@office_required
def coi_settings(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = CoiSettingsForm.for_settings(get_session().get(CycleCoiSettings, cycle.id))
    on_refusal(lambda _: _settings_page(cycle, form))
    if not submitted(form):
        return _settings_page(cycle, form)
    conflicts.set_coi_settings(get_session(), actor=actor(), cycle=cycle, settings=form.to_settings(),
                               reference_date=form.reference_date.data,
                               avoid_soft_pairs=bool(form.avoid_soft_pairs.data))
    flash(_("Conflict-of-interest settings saved."), "success")
    return redirect(url_for("conflicts.matrix", cycle_id=cycle.id))
