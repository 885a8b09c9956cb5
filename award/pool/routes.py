"""The expert pool and enterprise groups on the web: the office manages, the supervisor reads, an
expert keeps their own declarations."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from award.app_db import get_session
from award.applications.sectors import GBT4754_SECTIONS
from award.auth.access import actor, expert_required, office_required, oversight_required
from award.cycles.models import Cycle
from award.forms import filled
from award.i18n import _
from award.limits import IMPORT_MAX_BYTES
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
from award.pool.queries import filtered_profiles, relation_counts
from award.views import attachment, get_or_404, on_refusal, submitted, validated

bp = Blueprint("pool", __name__, url_prefix="/pool")


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"RELATION_LABELS": RELATION_LABELS, "SECTORS": GBT4754_SECTIONS}


def _download(data: bytes, fmt: str, stem: str) -> Response:
    return attachment(data, f"{stem}.{fmt}", pool_io.CONTENT_TYPES[fmt])


def _show(profile: ExpertProfile, *, relation_form: RelationForm | None = None,
          availability_form: AvailabilityForm | None = None) -> str:
    session = get_session()
    cycles = list(session.scalars(select(Cycle).order_by(Cycle.year.desc(), Cycle.id.desc())))
    availability_form = availability_form or AvailabilityForm()
    availability_form.cycle_id.choices = [(cycle.id, f"{cycle.year} {cycle.title}") for cycle in cycles]
    return render_template(
        "pool/detail.html", profile=profile, relation_form=relation_form or RelationForm(),
        availability_form=availability_form, remove_form=RemoveRelationForm(),
        availability=pool.availability_of(session, profile), cycles={cycle.id: cycle for cycle in cycles},
    )


def _groups_page(form: GroupLinkForm | None = None, problems: list[pool_io.RowProblem] | None = None) -> str:
    links = get_session().scalars(select(GroupLink).order_by(GroupLink.parent_code, GroupLink.child_code)).all()
    return render_template("pool/groups.html", links=links, form=form or GroupLinkForm(),
                           import_form=ImportForm(), problems=problems or [])


def _import_page(form: ImportForm, problems: list[pool_io.RowProblem] | None = None) -> str:
    return render_template("pool/import.html", form=form, problems=problems or [])


# --- the pool ------------------------------------------------------------------------------


@bp.route("/")
@oversight_required
def list_experts():
    filters = {name: request.args.get(name, "").strip() for name in ("sector", "organization", "in_pool")}
    session = get_session()
    return render_template("pool/list.html", profiles=filtered_profiles(session, **filters), filters=filters,
                           counts=relation_counts(session), import_form=ImportForm())


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new_expert():
    form = ExpertForm()
    on_refusal(lambda _: render_template("pool/form.html", form=form, profile=None))
    if not submitted(form):
        return render_template("pool/form.html", form=form, profile=None)
    created = pool.create_expert(get_session(), actor=actor(), data=form.to_data(),
                                 password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    return render_template("pool/created.html", profile=created.profile, invited=created.invited)


@bp.route("/<int:profile_id>")
@oversight_required
def show_expert(profile_id: int):
    return _show(get_or_404(ExpertProfile, profile_id))


@bp.route("/<int:profile_id>/edit", methods=["GET", "POST"])
@office_required
def edit_expert(profile_id: int):
    profile = get_or_404(ExpertProfile, profile_id)
    form = ExpertForm.for_profile(profile)
    on_refusal(lambda _: render_template("pool/form.html", form=form, profile=profile))
    if not submitted(form):
        return render_template("pool/form.html", form=form, profile=profile)
    pool.update_expert(get_session(), actor=actor(), profile=profile, data=form.to_data())
    flash(_("Profile saved."), "success")
    return redirect(url_for("pool.show_expert", profile_id=profile.id))


@bp.route("/<int:profile_id>/relations", methods=["POST"])
@office_required
def add_relation(profile_id: int):
    profile = get_or_404(ExpertProfile, profile_id)
    form = RelationForm()
    on_refusal(lambda _: _show(profile, relation_form=form))
    validated(form)
    pool.add_relation(get_session(), actor=actor(), profile=profile, data=form.to_data())
    flash(_("Declaration added."), "success")
    return redirect(url_for("pool.show_expert", profile_id=profile.id))


@bp.route("/<int:profile_id>/relations/<int:relation_id>/remove", methods=["POST"])
@office_required
def remove_relation(profile_id: int, relation_id: int):
    profile = get_or_404(ExpertProfile, profile_id)
    relation = get_or_404(ExpertRelation, relation_id, expert_id=profile.id)
    form = RemoveRelationForm()
    on_refusal(lambda _: _show(profile))
    validated(form, _("Say why the declaration is removed."))
    pool.remove_relation(get_session(), actor=actor(), relation=relation, reason=filled(form.reason.data))
    flash(_("Declaration removed; the audit trail keeps what it said."), "success")
    return redirect(url_for("pool.show_expert", profile_id=profile.id))


@bp.route("/<int:profile_id>/availability", methods=["POST"])
@office_required
def set_availability(profile_id: int):
    profile = get_or_404(ExpertProfile, profile_id)
    form = AvailabilityForm()
    form.cycle_id.choices = [(cycle_id, "") for cycle_id in get_session().scalars(select(Cycle.id))]
    on_refusal(lambda _: _show(profile, availability_form=form))
    validated(form)
    pool.set_availability(get_session(), actor=actor(), profile=profile, cycle=get_or_404(Cycle, form.cycle_id.data),
                          available=bool(form.available.data), max_load=form.max_load.data)
    flash(_("Availability saved."), "success")
    return redirect(url_for("pool.show_expert", profile_id=profile.id))


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
    on_refusal(lambda error: _import_page(form, getattr(error, "problems", None)))
    if not submitted(form):
        return _import_page(form)
    upload = form.file.data
    result = pool_io.import_pool(get_session(), actor=actor(), data=upload.read(IMPORT_MAX_BYTES + 1),
                                 fmt=pool_io.format_of(upload.filename),
                                 password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    return render_template("pool/import_done.html", result=result)


# --- the expert's own declarations ---------------------------------------------------------


@bp.route("/mine", methods=["GET", "POST"])
@expert_required
def my_declarations():
    profile = pool.profile_of(get_session(), actor())
    form = RelationForm()
    on_refusal(lambda _: render_template("pool/mine.html", profile=profile, form=form))
    if profile is None or not submitted(form):
        return render_template("pool/mine.html", profile=profile, form=form), 422 if form.is_submitted() else 200
    pool.add_relation(get_session(), actor=actor(), profile=profile, data=form.to_data())
    flash(_("Declaration added. Thank you."), "success")
    return redirect(url_for("pool.my_declarations"))


# --- enterprise groups ---------------------------------------------------------------------


@bp.route("/groups")
@oversight_required
def groups():
    return _groups_page()


@bp.route("/groups", methods=["POST"])
@office_required
def add_group_link():
    form = GroupLinkForm()
    on_refusal(lambda _: _groups_page(form))
    validated(form)
    pool.add_group_link(get_session(), actor=actor(), parent_code=filled(form.parent_code.data),
                        child_code=filled(form.child_code.data), source=form.source.data or "")
    flash(_("Group link added."), "success")
    return redirect(url_for("pool.groups"))


@bp.route("/groups/<int:link_id>/remove", methods=["POST"])
@office_required
def remove_group_link(link_id: int):
    pool.remove_group_link(get_session(), actor=actor(), link=get_or_404(GroupLink, link_id))
    flash(_("Group link removed."), "success")
    return redirect(url_for("pool.groups"))


@bp.route("/groups/import", methods=["POST"])
@office_required
def import_groups():
    form = ImportForm()
    on_refusal(lambda error: _groups_page(problems=getattr(error, "problems", None)))
    validated(form, _("Choose a file to import."))
    upload = form.file.data
    result = pool_io.import_groups(get_session(), actor=actor(), data=upload.read(IMPORT_MAX_BYTES + 1),
                                   fmt=pool_io.format_of(upload.filename))
    flash(_("%(added)d link(s) added, %(known)d already known.", added=result.added, known=result.already_known),
          "success")
    return redirect(url_for("pool.groups"))


@bp.route("/groups/export.<fmt>")
@oversight_required
def export_groups(fmt: str):
    if fmt not in pool_io.FORMATS:
        abort(404)
    return _download(pool_io.export_groups(get_session(), fmt), fmt, "group-links")


# --- the conflict matrix -------------------------------------------------------------------


# --- dashboard tasks -----------------------------------------------------------------------
