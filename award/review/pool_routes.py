"""The expert pool, enterprise groups and the 回避 matrix: the office manages, the supervisor reads,
an expert keeps their own declarations."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.applications.sectors import GBT4754_SECTIONS
from award.auth.models import Role, User
from award.auth.permissions import actor, expert_required, office_required, oversight_required
from award.cycles.models import Cycle, Stage
from award.db import get_session
from award.errors import DomainError
from award.i18n import _
from award.inputs import arg_page
from award.limits import IMPORT_MAX_BYTES
from award.main.dashboard import Task, active_cycles, task_provider
from award.review import conflicts, pool, pool_io
from award.review.coi import ConflictType
from award.review.models import CycleCoiSettings, ExpertProfile, ExpertRelation, GroupLink
from award.review.pool_forms import (
    CONFLICT_LABELS,
    RELATION_LABELS,
    AvailabilityForm,
    CoiSettingsForm,
    ExpertForm,
    GroupLinkForm,
    ImportForm,
    PinForm,
    RelationForm,
    RemoveRelationForm,
)

bp = Blueprint("pool", __name__, url_prefix="/pool", cli_group="pool")

PAGE_SIZE = 25  # applications per matrix page; all (filtered) experts are columns


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
    return {"RELATION_LABELS": RELATION_LABELS, "CONFLICT_LABELS": CONFLICT_LABELS, "SECTORS": GBT4754_SECTIONS}


# --- the pool ------------------------------------------------------------------------------


def _filtered_profiles(session: Session, *, sector: str, organization: str, in_pool: str) -> list[ExpertProfile]:
    query = select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
    if sector in GBT4754_SECTIONS:
        # Both databases render a JSON list of letters as text like ["C", "M"].
        query = query.where(cast(ExpertProfile.sectors, String).like(f'%"{sector}"%'))
    if organization:
        pattern = f"%{organization}%"
        query = query.where(or_(ExpertProfile.organization_name.like(pattern),
                                ExpertProfile.organization_code == organization.upper()))
    if in_pool in ("yes", "no"):
        query = query.where(ExpertProfile.in_pool.is_(in_pool == "yes"))
    return list(session.scalars(query.order_by(User.full_name, User.id)))


@bp.route("/")
@oversight_required
def list_experts():
    filters = {name: request.args.get(name, "").strip() for name in ("sector", "organization", "in_pool")}
    session = get_session()
    profiles = _filtered_profiles(session, **filters)
    counts = dict(session.execute(select(ExpertRelation.expert_id, func.count(ExpertRelation.id))
                                  .group_by(ExpertRelation.expert_id)).all())
    return render_template("review/pool_list.html", profiles=profiles, filters=filters, counts=counts,
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
            return render_template("review/pool_created.html", profile=created.profile,
                                   password=created.initial_password)
    return render_template("review/pool_form.html", form=form, profile=None), 422 if form.is_submitted() else 200


def _show(profile: ExpertProfile, *, relation_form: RelationForm | None = None,
          availability_form: AvailabilityForm | None = None, status: int = 200):
    session = get_session()
    cycles = list(session.scalars(select(Cycle).order_by(Cycle.year.desc(), Cycle.id.desc())))
    availability_form = availability_form or AvailabilityForm()
    availability_form.cycle_id.choices = [(cycle.id, f"{cycle.year} {cycle.title}") for cycle in cycles]
    return render_template(
        "review/pool_detail.html", profile=profile, relation_form=relation_form or RelationForm(),
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
    return render_template("review/pool_form.html", form=form, profile=profile), 422 if form.is_submitted() else 200


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
            return render_template("review/pool_import_done.html", result=result)
    status = 422 if form.is_submitted() else 200
    return render_template("review/pool_import.html", form=form, problems=problems), status


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
    return render_template("review/pool_mine.html", profile=profile, form=form), status


# --- enterprise groups ---------------------------------------------------------------------


def _groups_page(form: GroupLinkForm | None = None, problems: list[pool_io.RowProblem] | None = None,
                 status: int = 200):
    links = get_session().scalars(select(GroupLink).order_by(GroupLink.parent_code, GroupLink.child_code)).all()
    return render_template("review/pool_groups.html", links=links, form=form or GroupLinkForm(),
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
    profiles = _filtered_profiles(session, sector=filters["sector"], organization=filters["organization"],
                                  in_pool="yes")
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("review/conflicts_matrix.html", cycle=cycle, applications=applications,
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
    return render_template("review/conflicts_cell.html", cycle=cycle, application=application, expert=expert,
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
            pool.pin_conflict(get_session(), actor=actor(), application=application, expert=expert,
                              conflict_type=ConflictType(form.type.data), reason=form.reason.data)
        except DomainError as error:
            flash(error.message, "error")
            return _cell_page(cycle, application, expert, form, status=409)
        flash(_("Conflict pinned. It can never be removed."), "success")
        return redirect(url_for("pool.cell", cycle_id=cycle.id, application_id=application.id, expert_id=expert.id))
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
        pool.set_coi_settings(session, actor=actor(), cycle=cycle, settings=form.to_settings(),
                              reference_date=form.reference_date.data)
        flash(_("Conflict-of-interest settings saved."), "success")
        return redirect(url_for("pool.matrix", cycle_id=cycle.id))
    status = 422 if form.is_submitted() else 200
    return render_template("review/conflicts_settings.html", cycle=cycle, form=form,
                           reference_date=conflicts.reference_date_for(session, cycle)), status


# --- dashboard tasks -----------------------------------------------------------------------


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _pool_tasks(session: Session, user: User) -> list[Task]:
    tasks = [Task(_("Expert pool"), url_for("pool.list_experts"),
                  _("%(count)d experts in the pool", count=session.scalar(
                      select(func.count(ExpertProfile.id)).where(ExpertProfile.in_pool.is_(True))) or 0))]
    for cycle in active_cycles(session):
        if cycle.stage in (Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW):
            tasks.append(Task(_("Conflict matrix: %(cycle)s", cycle=f"{cycle.year} {cycle.title}"),
                              url_for("pool.matrix", cycle_id=cycle.id)))
    return tasks


@task_provider(Role.EXPERT)
def _expert_declarations(session: Session, user: User) -> list[Task]:
    if pool.profile_of(session, user) is None:
        return []
    return [Task(_("Keep your declarations of interest up to date"), url_for("pool.my_declarations"))]


from award.review import pool_cli  # noqa: E402, F401  (registers `flask pool …` on this blueprint)
