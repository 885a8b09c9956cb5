"""The public notice: public pages without login, the objection form, and the office's side."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from wtforms.fields import SelectChoice

from award.applications.evidence import EvidenceStore
from award.applications.routes import content_disposition
from award.auth.models import Role, User
from award.auth.permissions import actor, office_required, oversight_required
from award.cycles.models import Cycle, Stage
from award.db import get_session, utcnow
from award.errors import DomainError
from award.i18n import _
from award.inputs import arg_id
from award.limits import pdf_check_limits
from award.main.dashboard import Task, task_provider
from award.notice import services
from award.notice.forms import OUTCOME_LABELS, DecideForm, ObjectionForm, PublishForm
from award.notice.models import Objection, ObjectionOutcome, PublicNotice
from award.notice.periods import HOLIDAYS_FILE, load_calendar
from award.views import limiter

bp = Blueprint("notice", __name__, url_prefix="/notices")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _store() -> EvidenceStore:
    root = current_app.config.get("OBJECTION_EVIDENCE_ROOT") or str(Path(current_app.instance_path) / "objections")
    return EvidenceStore(root)


def _load_cycle(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


def _load_notice(notice_id: int) -> PublicNotice:
    return get_session().get(PublicNotice, notice_id) or abort(404)


def _load_objection(objection_id: int) -> Objection:
    return get_session().get(Objection, objection_id) or abort(404)


# --- public ------------------------------------------------------------------------------------


@bp.route("/")
def public_list():
    return render_template("notice/public_list.html", notices=services.published_notices(get_session()),
                           now=utcnow())


@bp.route("/<int:notice_id>")
def public_notice(notice_id: int):
    notice = _load_notice(notice_id)
    return render_template("notice/public_notice.html", notice=notice, now=utcnow())


def _objection_choices(form: ObjectionForm, notice: PublicNotice) -> None:
    form.candidate.choices = [SelectChoice(c.id, c.organization_name) for c in notice.listed]


def _objections_per_address() -> str:
    return current_app.config.get("OBJECTIONS_PER_ADDRESS", "10 per hour")


@bp.route("/<int:notice_id>/object", methods=["GET", "POST"])
@limiter.limit(_objections_per_address, key_func=get_remote_address, methods=["POST"], scope="objections")
def object_form(notice_id: int):
    notice = _load_notice(notice_id)
    form = ObjectionForm()
    _objection_choices(form, notice)
    if request.method == "GET":
        form.candidate.data = arg_id(request.args, "candidate", field=_("The candidate")) or form.candidate.data
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 422
        else:
            storage = form.evidence.data
            limit = int(current_app.config.get("OBJECTION_MAX_FILE_BYTES", services.DEFAULT_MAX_EVIDENCE_BYTES))
            data = storage.stream.read(limit + 1) if storage else b""
            try:
                services.file_objection(
                    get_session(), notice=notice, store=_store(), remote_addr=get_remote_address() or "",
                    max_evidence_bytes=limit, zone=_zone(), pdf_check=pdf_check_limits(current_app.config),
                    data=services.ObjectionInput(
                        candidate_id=form.candidate.data, name=form.name.data or "",
                        id_number=form.id_number.data or "", organization=form.organization.data or "",
                        phone=form.phone.data or "", text=form.text.data or "", evidence=data,
                        filename=storage.filename if storage else ""),
                )
            except DomainError as error:
                flash(error.message, "error")
                status = 409 if error.code in ("late", "early", "withdrawn") else 422
            else:
                return redirect(url_for("notice.objection_received", notice_id=notice.id))
    return render_template("notice/object.html", notice=notice, form=form, now=utcnow()), status


@bp.route("/<int:notice_id>/object/received")
def objection_received(notice_id: int):
    return render_template("notice/received.html", notice=_load_notice(notice_id))


# --- the office and the supervisor -------------------------------------------------------------


def _render_manage(cycle: Cycle, form: PublishForm | None = None, status: int = 200):
    session = get_session()
    notice = services.notice_of(session, cycle)
    if form is None:
        form = PublishForm(formdata=None)
        form.award_title.data = f"{cycle.year} {cycle.title}"
    return render_template(
        "notice/manage.html", cycle=cycle, notice=notice, form=form, outcome_labels=OUTCOME_LABELS,
        objections=services.objections_of(session, notice) if notice else [],
        problems=services.award_problems(session, cycle, utcnow(), _zone()) if notice else [],
    ), status


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def manage(cycle_id: int):
    return _render_manage(_load_cycle(cycle_id))


@bp.route("/cycles/<int:cycle_id>/publish", methods=["POST"])
@office_required
def publish(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    form = PublishForm()
    if not form.validate():
        return _render_manage(cycle, form, 422)
    try:
        notice = services.publish_notice(
            get_session(), actor=actor(), cycle=cycle, zone=_zone(),
            calendar=load_calendar(current_app.config.get("NOTICE_HOLIDAYS_FILE") or HOLIDAYS_FILE),
            text=services.NoticeText(award_title=form.award_title.data, benefits=form.benefits.data or "",
                                     contact=form.contact.data or ""),
        )
    except DomainError as error:
        flash(error.message, "error")
        return _render_manage(cycle, form, 409)
    withdrawn = [c for c in notice.candidates if c.withdrawn_at is not None]
    if withdrawn:
        flash(_("Found on the dishonesty list and withdrawn: %(names)s",
                names=", ".join(c.organization_name for c in withdrawn)), "error")
    flash(_("The public notice is published."), "success")
    return redirect(url_for("notice.manage", cycle_id=cycle.id))


def _render_objection(objection: Objection, form: DecideForm | None = None, status: int = 200):
    return render_template("notice/objection.html", objection=objection, form=form or DecideForm(formdata=None),
                           outcome_labels=OUTCOME_LABELS), status


@bp.route("/objections/<int:objection_id>")
@oversight_required
def objection(objection_id: int):
    return _render_objection(_load_objection(objection_id))


@bp.route("/objections/<int:objection_id>/decide", methods=["POST"])
@office_required
def decide(objection_id: int):
    found = _load_objection(objection_id)
    form = DecideForm()
    if not form.validate():
        return _render_objection(found, form, 422)
    try:
        services.decide_objection(get_session(), actor=actor(), objection=found,
                                  outcome=ObjectionOutcome(form.outcome.data), reason=form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
        return _render_objection(found, form, 409)
    flash(_("The outcome is recorded."), "success")
    return redirect(url_for("notice.manage", cycle_id=found.notice.cycle_id))


@bp.route("/objections/<int:objection_id>/evidence")
@oversight_required
def evidence(objection_id: int):
    found = _load_objection(objection_id)
    services.record_evidence_download(get_session(), actor=actor(), objection=found)
    try:
        data = _store().read(found.stored_name)
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = content_disposition(found.display_name)
    return response


# --- dashboard -------------------------------------------------------------------------------


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _notice_tasks(session, user: User) -> list[Task]:  # noqa: ANN001
    tasks = []
    for cycle in session.scalars(select(Cycle).where(Cycle.stage.in_([Stage.APPROVAL, Stage.NOTICE]))
                                 .order_by(Cycle.id)):
        name = f"{cycle.year} {cycle.title}"
        notice = services.notice_of(session, cycle)
        if notice is None:
            continue  # the vote's task leads to publishing
        pending = services.pending_count(session, notice)
        if pending:
            tasks.append(Task(_("Decide the objections: %(cycle)s", cycle=name),
                              url_for("notice.manage", cycle_id=cycle.id),
                              _("%(count)s objection(s) still need an outcome.", count=pending)))
        else:
            tasks.append(Task(_("Public notice: %(cycle)s", cycle=name), url_for("notice.manage", cycle_id=cycle.id),
                              _("Until %(end)s", end=notice.ends_at.astimezone(_zone()).strftime("%Y-%m-%d %H:%M"))))
    return tasks
