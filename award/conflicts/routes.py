"""Conflicts of interest (回避) on the web: the matrix of a cycle's applications and experts, one pair's
reasons, pinning a conflict by hand, and the cycle's 回避 windows."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.auth.models import Role, User
from award.auth.permissions import actor, office_required, oversight_required
from award.conflicts import services as conflicts
from award.conflicts.forms import CONFLICT_LABELS, CoiSettingsForm, PinForm
from award.conflicts.models import CycleCoiSettings
from award.conflicts.rules import ConflictType
from award.cycles.models import Cycle, Stage
from award.db import get_session
from award.errors import DomainError
from award.i18n import _
from award.inputs import arg_page
from award.main.dashboard import Task, active_cycles, task_provider
from award.pool import services as pool
from award.pool.queries import filtered_profiles

bp = Blueprint("conflicts", __name__, url_prefix="/pool")

PAGE_SIZE = 25  # applications per matrix page; all (filtered) experts are columns


def _load_cycle(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"CONFLICT_LABELS": CONFLICT_LABELS}


@bp.route("/cycles/<int:cycle_id>/conflicts")
@oversight_required
def matrix(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    session = get_session()
    filters = {name: request.args.get(name, "").strip() for name in ("q", "sector", "organization", "only")}
    page = arg_page(request.args)
    query = select(Application).where(Application.cycle_id == cycle.id)
    if filters["q"]:
        query = query.where(Application.org_name.like(f"%{filters['q']}%"))
    found = conflicts.conflicts_for_cycle(session, cycle)
    if filters["only"] == "conflicted":
        conflicted_ids = {application_id for application_id, _expert in found}
        query = query.where(Application.id.in_(conflicted_ids or {0}))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    applications = list(session.scalars(query.order_by(Application.id).limit(PAGE_SIZE)
                                        .offset((page - 1) * PAGE_SIZE)))
    profiles = filtered_profiles(session, sector=filters["sector"], organization=filters["organization"],
                                  in_pool="yes")
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("conflicts/matrix.html", cycle=cycle, applications=applications,
                           profiles=profiles, matrix=found, filters=filters, page=page, pages=pages, total=total,
                           conflicted=len(found), reference_date=conflicts.reference_date_for(session, cycle),
                           settings=conflicts.coi_settings_for(session, cycle))


def _load_cell(cycle_id: int, application_id: int, expert_id: int) -> tuple[Cycle, Application, User]:
    session = get_session()
    cycle = _load_cycle(cycle_id)
    application = session.get(Application, application_id)
    expert = session.get(User, expert_id)
    if application is None or application.cycle_id != cycle.id or expert is None or expert.role is not Role.EXPERT:
        abort(404)
    return cycle, application, expert


def _cell_page(cycle: Cycle, application: Application, expert: User, form: PinForm | None = None,
               status: int = 200):
    session = get_session()
    found = conflicts.conflicts_between(session, application, expert)
    return render_template("conflicts/cell.html", cycle=cycle, application=application, expert=expert,
                           profile=pool.profile_of(session, expert), found=found, form=form or PinForm(),
                           reference_date=conflicts.reference_date_for(session, cycle)), status


@bp.route("/cycles/<int:cycle_id>/conflicts/<int:application_id>/<int:expert_id>")
@oversight_required
def cell(cycle_id: int, application_id: int, expert_id: int):
    return _cell_page(*_load_cell(cycle_id, application_id, expert_id))


@bp.route("/cycles/<int:cycle_id>/conflicts/<int:application_id>/<int:expert_id>/pin", methods=["POST"])
@office_required
def pin(cycle_id: int, application_id: int, expert_id: int):
    cycle, application, expert = _load_cell(cycle_id, application_id, expert_id)
    form = PinForm()
    if form.validate():
        try:
            conflicts.pin_conflict(get_session(), actor=actor(), application=application, expert=expert,
                              conflict_type=ConflictType(form.type.data), reason=form.reason.data)
        except DomainError as error:
            flash(error.message, "error")
            return _cell_page(cycle, application, expert, form, status=409)
        flash(_("Conflict pinned. It can never be removed."), "success")
        return redirect(url_for("conflicts.cell", cycle_id=cycle.id, application_id=application.id,
                                expert_id=expert.id))
    return _cell_page(cycle, application, expert, form, status=422)


@bp.route("/cycles/<int:cycle_id>/coi-settings", methods=["GET", "POST"])
@office_required
def coi_settings(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    session = get_session()
    form = CoiSettingsForm()
    if not form.is_submitted():
        form.fill_from(session.get(CycleCoiSettings, cycle.id))
    elif form.validate():
        conflicts.set_coi_settings(session, actor=actor(), cycle=cycle, settings=form.to_settings(),
                              reference_date=form.reference_date.data)
        flash(_("Conflict-of-interest settings saved."), "success")
        return redirect(url_for("conflicts.matrix", cycle_id=cycle.id))
    status = 422 if form.is_submitted() else 200
    return render_template("conflicts/settings.html", cycle=cycle, form=form,
                           reference_date=conflicts.reference_date_for(session, cycle)), status


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _matrix_tasks(session: Session, user: User) -> list[Task]:
    return [Task(_("Conflict matrix: %(cycle)s", cycle=f"{cycle.year} {cycle.title}"),
                 url_for("conflicts.matrix", cycle_id=cycle.id))
            for cycle in active_cycles(session)
            if cycle.stage in (Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW)]
