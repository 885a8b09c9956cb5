"""The expert pool and enterprise groups on the web: the office manages, the supervisor reads, an
expert keeps their own declarations."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.applications.sectors import GBT4754_SECTIONS
from award.auth.models import Role, User
from award.auth.permissions import actor, expert_required, office_required, oversight_required
from award.cycles.models import Cycle
from award.db import get_session
from award.errors import DomainError
from award.i18n import _
from award.limits import IMPORT_MAX_BYTES
from award.main.dashboard import Task, task_provider
from award.pool import io as pool_io
from award.pool import services as pool
from award.pool.forms import (
    RELATION_LABELS,
    AvailabilityForm,
    ExpertForm,
    GroupLinkForm,
    ImportForm,
    RelationForm,
    RemoveRelationForm,
)
from award.pool.models import ExpertProfile, ExpertRelation, GroupLink
from award.pool.queries import filtered_profiles

bp = Blueprint("pool", __name__, url_prefix="/pool")


def _load_profile(profile_id: int) -> ExpertProfile:
    return get_session().get(ExpertProfile, profile_id) or abort(404)


def _load_cycle(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


def _file_format(filename: str | None) -> str:
    extension = (filename or "").rsplit(".", 1)[-1].lower()
    return extension if extension in pool_io.FORMATS else ""


def _download(data: bytes, fmt: str, stem: str) -> Response:
    return Response(data, content_type=pool_io.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"RELATION_LABELS": RELATION_LABELS, "SECTORS": GBT4754_SECTIONS}


# --- the pool ------------------------------------------------------------------------------


@bp.route("/")
@oversight_required
def list_experts():
    filters = {name: request.args.get(name, "").strip() for name in ("sector", "organization", "in_pool")}
    session = get_session()
    profiles = filtered_profiles(session, **filters)
    counts = dict(session.execute(select(ExpertRelation.expert_id, func.count(ExpertRelation.id))
                                  .group_by(ExpertRelation.expert_id)).all())
    return render_template("pool/list.html", profiles=profiles, filters=filters, counts=counts,
                           import_form=ImportForm())


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new_expert():
    form = ExpertForm()
    if form.validate_on_submit():
        try:
            created = pool.create_expert(get_session(), actor=actor(), data=form.to_data(),
                                         password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as error:
            flash(error.message, "error")
        else:
            # Shown once, on this page: the office hands the initial password over in person.
            return render_template("pool/created.html", profile=created.profile,
                                   password=created.initial_password)
    return render_template("pool/form.html", form=form, profile=None), 422 if form.is_submitted() else 200


def _show(profile: ExpertProfile, *, relation_form: RelationForm | None = None,
          availability_form: AvailabilityForm | None = None, status: int = 200):
    session = get_session()
    cycles = list(session.scalars(select(Cycle).order_by(Cycle.year.desc(), Cycle.id.desc())))
    availability_form = availability_form or AvailabilityForm()
    availability_form.cycle_id.choices = [(cycle.id, f"{cycle.year} {cycle.title}") for cycle in cycles]
    return render_template(
        "pool/detail.html", profile=profile, relation_form=relation_form or RelationForm(),
        availability_form=availability_form, remove_form=RemoveRelationForm(),
        availability=pool.availability_of(session, profile), cycles={cycle.id: cycle for cycle in cycles},
    ), status


@bp.route("/<int:profile_id>")
@oversight_required
def show_expert(profile_id: int):
    return _show(_load_profile(profile_id))


@bp.route("/<int:profile_id>/edit", methods=["GET", "POST"])
@office_required
def edit_expert(profile_id: int):
    profile = _load_profile(profile_id)
    form = ExpertForm()
    if not form.is_submitted():
        form.fill_from(profile)
    elif form.validate():
        try:
            pool.update_expert(get_session(), actor=actor(), profile=profile, data=form.to_data())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Profile saved."), "success")
            return redirect(url_for("pool.show_expert", profile_id=profile.id))
    return render_template("pool/form.html", form=form, profile=profile), 422 if form.is_submitted() else 200


@bp.route("/<int:profile_id>/relations", methods=["POST"])
@office_required
def add_relation(profile_id: int):
    profile = _load_profile(profile_id)
    form = RelationForm()
    if form.validate():
        try:
            pool.add_relation(get_session(), actor=actor(), profile=profile, data=form.to_data())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Declaration added."), "success")
            return redirect(url_for("pool.show_expert", profile_id=profile.id))
    return _show(profile, relation_form=form, status=422)


@bp.route("/<int:profile_id>/relations/<int:relation_id>/remove", methods=["POST"])
@office_required
def remove_relation(profile_id: int, relation_id: int):
    profile = _load_profile(profile_id)
    relation = get_session().get(ExpertRelation, relation_id)
    if relation is None or relation.expert_id != profile.id:
        abort(404)
    form = RemoveRelationForm()
    if form.validate():
        pool.remove_relation(get_session(), actor=actor(), relation=relation, reason=form.reason.data)
        flash(_("Declaration removed; the audit trail keeps what it said."), "success")
        return redirect(url_for("pool.show_expert", profile_id=profile.id))
    flash(_("Say why the declaration is removed."), "error")
    return _show(profile, status=422)


@bp.route("/<int:profile_id>/availability", methods=["POST"])
@office_required
def set_availability(profile_id: int):
    profile = _load_profile(profile_id)
    form = AvailabilityForm()
    form.cycle_id.choices = [(cycle_id, "") for cycle_id in get_session().scalars(select(Cycle.id))]
    if form.validate():
        try:
            pool.set_availability(get_session(), actor=actor(), profile=profile,
                                  cycle=_load_cycle(form.cycle_id.data), available=bool(form.available.data),
                                  max_load=form.max_load.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Availability saved."), "success")
            return redirect(url_for("pool.show_expert", profile_id=profile.id))
    return _show(profile, availability_form=form, status=422)


@bp.route("/export.<fmt>")
@oversight_required
def export_pool(fmt: str):
    if fmt not in pool_io.FORMATS:
        abort(404)
    return _download(pool_io.export_pool(get_session(), fmt), fmt, "expert-pool")


@bp.route("/import", methods=["GET", "POST"])
@office_required
def import_pool():
    form = ImportForm()
    problems: list[pool_io.RowProblem] = []
    if form.validate_on_submit():
        upload = form.file.data
        fmt = _file_format(upload.filename)
        try:
            if not fmt:
                raise DomainError(_("Unknown file format; use .xlsx or .csv."), code="bad_format")
            result = pool_io.import_pool(get_session(), actor=actor(), data=upload.read(IMPORT_MAX_BYTES + 1), fmt=fmt,
                                         password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except pool_io.ImportRejected as error:
            flash(error.message, "error")
            problems = error.problems
        except DomainError as error:
            flash(error.message, "error")
        else:
            return render_template("pool/import_done.html", result=result)
    status = 422 if form.is_submitted() else 200
    return render_template("pool/import.html", form=form, problems=problems), status


# --- the expert's own declarations ---------------------------------------------------------


@bp.route("/mine", methods=["GET", "POST"])
@expert_required
def my_declarations():
    session = get_session()
    profile = pool.profile_of(session, actor())
    form = RelationForm()
    if profile is not None and form.validate_on_submit():
        try:
            pool.add_relation(session, actor=actor(), profile=profile, data=form.to_data())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Declaration added. Thank you."), "success")
            return redirect(url_for("pool.my_declarations"))
    status = 422 if form.is_submitted() else 200
    return render_template("pool/mine.html", profile=profile, form=form), status


# --- enterprise groups ---------------------------------------------------------------------


def _groups_page(form: GroupLinkForm | None = None, problems: list[pool_io.RowProblem] | None = None,
                 status: int = 200):
    links = get_session().scalars(select(GroupLink).order_by(GroupLink.parent_code, GroupLink.child_code)).all()
    return render_template("pool/groups.html", links=links, form=form or GroupLinkForm(),
                           import_form=ImportForm(), problems=problems or []), status


@bp.route("/groups")
@oversight_required
def groups():
    return _groups_page()


@bp.route("/groups", methods=["POST"])
@office_required
def add_group_link():
    form = GroupLinkForm()
    if form.validate():
        try:
            pool.add_group_link(get_session(), actor=actor(), parent_code=form.parent_code.data,
                                child_code=form.child_code.data, source=form.source.data or "")
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Group link added."), "success")
            return redirect(url_for("pool.groups"))
    return _groups_page(form, status=422)


@bp.route("/groups/<int:link_id>/remove", methods=["POST"])
@office_required
def remove_group_link(link_id: int):
    link = get_session().get(GroupLink, link_id) or abort(404)
    pool.remove_group_link(get_session(), actor=actor(), link=link)
    flash(_("Group link removed."), "success")
    return redirect(url_for("pool.groups"))


@bp.route("/groups/import", methods=["POST"])
@office_required
def import_groups():
    form = ImportForm()
    problems: list[pool_io.RowProblem] = []
    if form.validate():
        upload = form.file.data
        fmt = _file_format(upload.filename)
        try:
            if not fmt:
                raise DomainError(_("Unknown file format; use .xlsx or .csv."), code="bad_format")
            result = pool_io.import_groups(get_session(), actor=actor(), data=upload.read(IMPORT_MAX_BYTES + 1),
                                           fmt=fmt)
        except pool_io.ImportRejected as error:
            flash(error.message, "error")
            problems = error.problems
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(added)d link(s) added, %(known)d already known.", added=result.added,
                    known=result.already_known), "success")
            return redirect(url_for("pool.groups"))
    else:
        flash(_("Choose a file to import."), "error")
    return _groups_page(problems=problems, status=422)


@bp.route("/groups/export.<fmt>")
@oversight_required
def export_groups(fmt: str):
    if fmt not in pool_io.FORMATS:
        abort(404)
    return _download(pool_io.export_groups(get_session(), fmt), fmt, "group-links")


# --- the conflict matrix -------------------------------------------------------------------


# --- dashboard tasks -----------------------------------------------------------------------


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _pool_tasks(session: Session, user: User) -> list[Task]:
    tasks = [Task(_("Expert pool"), url_for("pool.list_experts"),
                  _("%(count)d experts in the pool", count=session.scalar(
                      select(func.count(ExpertProfile.id)).where(ExpertProfile.in_pool.is_(True))) or 0))]
    return tasks


@task_provider(Role.EXPERT)
def _expert_declarations(session: Session, user: User) -> list[Task]:
    if pool.profile_of(session, user) is None:
        return []
    return [Task(_("Keep your declarations of interest up to date"), url_for("pool.my_declarations"))]

