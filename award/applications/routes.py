"""Applications in the browser: the enterprise's form, files and status; the office's list and screening."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from award.app_db import get_session
from award.applications import services, stash
from award.applications.blacklist import import_blacklist
from award.applications.configured import configured_sectors, evidence_limits, evidence_store, stashes_per_address
from award.applications.eligibility import RULE_LABELS, describe
from award.applications.exports import applications_workbook
from award.applications.forms import (
    ApplicationForm,
    BlacklistForm,
    ItemUploadForm,
    ListFilters,
    ReasonForm,
    ScreeningForm,
    SettingsForm,
    UploadForm,
    autosave_fields,
    build_application_form,
    fill_form,
    screening_form,
)
from award.applications.models import Application, ApplicationStatus, BlacklistEntry, EvidenceFile
from award.applications.presenters import application_page, files_by_item, form_progress, progress_labels
from award.applications.queries import (
    applications_of_organization,
    can_view_application,
    count_by_status,
    districts_of_cycle,
    filtered_applications,
    owns_application,
)
from award.applications.services import STATUS_LABELS
from award.auth.access import actor, enterprise_required, office_required, oversight_required
from award.auth.permissions import is_office
from award.cycles.models import Cycle, Stage
from award.cycles.queries import active_cycles
from award.cycles.services import cycle_rubric
from award.db import utcnow
from award.errors import DomainError
from award.forms import filled
from award.i18n import _, format_datetime, local_zone
from award.inputs import InvalidInput
from award.limits import IMPORT_MAX_BYTES
from award.views import (
    attachment,
    body_limit,
    csrf,
    current_locale,
    get_or_404,
    inline_file,
    json_errors,
    limiter,
    login_manager,
    on_refusal,
    submitted,
    validated,
    wants_json,
)

bp = Blueprint("applications", __name__, url_prefix="/applications")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------------------------ helpers


def _viewable(application_id: int) -> Application:
    """The application, if the user may see it; others get 404 so ids cannot be probed."""
    application = get_or_404(Application, application_id)
    if not can_view_application(current_user, application):
        abort(404)
    return application


def _own(application_id: int) -> Application:
    application = get_or_404(Application, application_id)
    if not owns_application(current_user, application):
        abort(404)
    return application


def _show_page(application: Application, *, upload_form: UploadForm | None = None,
               reason_form: ReasonForm | None = None) -> str:
    page = application_page(application, viewer=current_user, limits=evidence_limits(), sectors=configured_sectors(),
                            now=utcnow())
    return render_template("applications/show.html", upload_form=upload_form or UploadForm(),
                           reason_form=reason_form or ReasonForm(), **page)


def _edit_page(application: Application, form: ApplicationForm, **extra: object) -> str:
    stash_token = services.stash_form_token(secret_key=current_app.config["SECRET_KEY"], application=application,
                                            user=actor())
    rubric = cycle_rubric(application.cycle)
    return render_template("applications/edit.html", application=application, form=form, rubric=rubric,
                           limit=services.max_self_assessment_chars(get_session(), application.cycle),
                           deadline=application.cycle.deadline(Stage.APPLICATION), lang=current_locale(),
                           stash_token=stash_token, progress=form_progress(rubric, form.texts(), application.files),
                           files_by_item=files_by_item(application.files), limits=evidence_limits(),
                           state_labels=progress_labels(), **extra)


def _application_form(application: Application, **kwargs: object) -> ApplicationForm:
    return build_application_form(cycle_rubric(application.cycle), configured_sectors(), **kwargs)


def _posted_form(application: Application) -> ApplicationForm:
    """The posted form. The edit view checks its CSRF token itself: a stale one is refused (400) with
    the typed text shown again and a fresh token, where any other form gets the error page."""
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
    except CSRFError:
        form = _application_form(application, meta={"csrf": False})
        form.validate()
        on_refusal(lambda _: _edit_page(application, form))
        raise InvalidInput(_("The form had expired. Your text is shown again: please save once more.")) from None
    return _application_form(application)


def upload_answer(application: Application, outcomes: list[services.UploadOutcome]) -> Any:
    """What an upload of several files answers: one line per file, as JSON for the page's script, or as
    messages on the form it came from."""
    if wants_json():
        return {"ok": True, "files": [
            {"name": o.filename, "ok": o.evidence is not None, "message": o.message or _("File uploaded."),
             **({"id": o.evidence.id, "display_name": o.evidence.display_name, "item": o.evidence.rubric_item_id,
                 "size": o.evidence.size_bytes, "content_type": o.evidence.content_type,
                 "view_url": url_for("applications.preview", application_id=application.id, file_id=o.evidence.id),
                 "delete_url": url_for("applications.delete_file", application_id=application.id,
                                       file_id=o.evidence.id)} if o.evidence else {})}
            for o in outcomes]}
    for outcome in outcomes:
        flash(_("%(name)s: uploaded.", name=outcome.filename) if outcome.evidence else
              _("%(name)s: not uploaded. %(reason)s", name=outcome.filename, reason=outcome.message),
              "success" if outcome.evidence else "error")
    item = next((o.evidence.rubric_item_id for o in outcomes if o.evidence and o.evidence.rubric_item_id), None)
    return redirect(url_for("applications.edit", application_id=application.id) + (f"#item-{item}" if item else ""))


def _submit_page(application: Application) -> str:
    return render_template("applications/submit.html", application=application,
                           problems=services.submission_problems(application),
                           deadline=application.cycle.deadline(Stage.APPLICATION))


def _screening_page(application: Application, findings: list, form: ScreeningForm) -> str:
    return render_template("applications/screening.html", application=application, findings=findings, form=form,
                           RULE_LABELS=RULE_LABELS, describe=describe, STATUS_LABELS=STATUS_LABELS,
                           on=services.reference_date(application.cycle, local_zone()))


def _blacklist_page(form: BlacklistForm, problems: list | None = None) -> str:
    entries = get_session().scalars(select(BlacklistEntry).order_by(BlacklistEntry.listed_on.desc(),
                                                                    BlacklistEntry.id.desc()).limit(500)).all()
    return render_template("applications/blacklist.html", form=form, problems=problems or [], entries=entries)


def _require_office_to_change() -> None:
    """The supervisor reads the office's pages; only the office posts them."""
    if request.method == "POST" and not is_office(current_user):
        abort(403)


# --------------------------------------------------------------------------------- enterprise

@bp.route("/")
@enterprise_required
def mine():
    db = get_session()
    organization_id = actor().organization_id
    assert organization_id is not None  # an enterprise account has its organization
    own = applications_of_organization(db, organization_id)
    applied = {a.cycle_id for a in own}
    open_cycles = [c for c in active_cycles(db) if services.takes_applications(c, utcnow()) and c.id not in applied]
    return render_template("applications/mine.html", applications=own, open_cycles=open_cycles,
                           STATUS_LABELS=STATUS_LABELS)


@bp.route("/start/<int:cycle_id>", methods=["POST"])
@enterprise_required
def start(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: redirect(url_for("applications.mine")))
    application = services.start_application(get_session(), actor=actor(), cycle=cycle)
    flash(_("Your draft is open. Save it at any time."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


@bp.route("/<int:application_id>")
def show(application_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return _show_page(_viewable(application_id))


@csrf.exempt
@bp.route("/<int:application_id>/edit", methods=["GET", "POST"])
@body_limit(stash.anonymous_body_limit)
@limiter.limit(stashes_per_address, key_func=get_remote_address, methods=["POST"], scope="draft-stash",
               exempt_when=lambda: current_user.is_authenticated)
@stash.enterprise_required_keeping_expired_posts
def edit(application_id: int):
    """The form. The owner's form posted after the login expired is kept (stash) and shown again after signing in."""
    application = _own(application_id)
    if request.method == "GET":
        return _edit_form(application)
    form = _posted_form(application)
    on_refusal(lambda _: _edit_page(application, form))
    validated(form, _("Some fields need correcting; nothing was saved yet."))
    services.save_draft(get_session(), actor=actor(), application=application, profile=form.to_profile(),
                        self_assessment=form.texts(), sectors=configured_sectors(),
                        expected_version=form.posted_version())
    if form.save_and_submit.data:
        return redirect(url_for("applications.confirm_submit", application_id=application.id))
    flash(_("Draft saved."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


def _autosave_refusal(error: DomainError) -> dict[str, Any]:
    """A refused background save: the message, and the saved version when another save came first."""
    answer: dict[str, Any] = {"ok": False, "message": error.message}
    if isinstance(error, services.DraftVersionConflict):
        answer.update(version=error.current_version, conflict=True)
    return answer


@bp.route("/<int:application_id>/autosave", methods=["POST"])
@enterprise_required
@json_errors
def autosave(application_id: int):
    """The form's background save: JSON in, JSON out; a stale version answers 409 and overwrites nothing."""
    application = _own(application_id)
    on_refusal(_autosave_refusal)
    form = _application_form(application, formdata=autosave_fields(request.get_data()), meta={"csrf": False})
    validated(form, _("Some fields need correcting; nothing was saved yet."))
    saved = services.save_draft(get_session(), actor=actor(), application=application, profile=form.to_profile(),
                                self_assessment=form.texts(), sectors=configured_sectors(),
                                expected_version=form.posted_version())
    return {"ok": True, "version": saved.version, "message": _("Draft saved."), "saved_at": format_datetime(utcnow())}


def _edit_form(application: Application):  # noqa: ANN202
    """The form as stored, or as typed before the login expired (once, then the stash is gone)."""
    kept = stash.restored(application)
    if kept is None:
        form = _application_form(application, formdata=None)
        fill_form(form, application)
        return _edit_page(application, form)
    form, stashed = kept
    return stash.forget(current_app.make_response(_edit_page(application, form, restored_at=stashed.typed_at)))


@bp.route("/<int:application_id>/submit", methods=["GET", "POST"])
@enterprise_required
def confirm_submit(application_id: int):
    application = _own(application_id)
    if request.method == "GET":
        return _submit_page(application)
    on_refusal(lambda _: _submit_page(application))
    services.submit_application(get_session(), actor=actor(), application=application)
    flash(_("Your application is submitted. It is now read-only."), "success")
    return redirect(url_for("applications.show", application_id=application.id))


def _enterprise_move(application_id: int, change, done: str):  # noqa: ANN001, ANN202
    application = _own(application_id)
    on_refusal(lambda _: _show_page(application))
    change(get_session(), actor=actor(), application=application)
    flash(done, "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.route("/<int:application_id>/withdraw", methods=["POST"])
@enterprise_required
def withdraw(application_id: int):
    return _enterprise_move(application_id, services.withdraw_application, _("The application is withdrawn."))


@bp.route("/<int:application_id>/reopen", methods=["POST"])
@enterprise_required
def reopen(application_id: int):
    return _enterprise_move(application_id, services.reopen_application, _("The application is a draft again."))


@bp.route("/<int:application_id>/files", methods=["POST"])
@enterprise_required
def upload(application_id: int):
    application = _own(application_id)
    form = UploadForm()
    on_refusal(lambda _: _show_page(application, upload_form=form))
    validated(form)
    limits = evidence_limits()
    storage = form.file.data
    services.add_evidence(get_session(), actor=actor(), application=application, filename=storage.filename or "",
                          data=storage.stream.read(limits.max_file_bytes + 1),  # never more than the limit allows
                          store=evidence_store(), limits=limits)
    flash(_("File uploaded."), "success")
    return redirect(url_for("applications.show", application_id=application.id) + "#files")


@bp.route("/<int:application_id>/evidence", methods=["POST"])
@enterprise_required
def upload_files(application_id: int):
    """Several files at once for one rubric item; JSON (one line per file) for the page's script, else back
    to the form. Files refused for their own content are named and the others kept (see the service)."""
    application = _own(application_id)
    form = ItemUploadForm()
    on_refusal(lambda error: {"ok": False, "message": error.message} if wants_json()
               else redirect(url_for("applications.edit", application_id=application.id)))
    limits = evidence_limits()
    outcomes = services.add_evidence_files(get_session(), actor=actor(), application=application,
                                           files=form.named_files(limits.max_file_bytes), store=evidence_store(),
                                           limits=limits, rubric_item_id=form.rubric_item.data or None)
    return upload_answer(application, outcomes)


@bp.route("/<int:application_id>/files/<int:file_id>/view")
@enterprise_required
def preview(application_id: int, file_id: int):
    """The owner's file shown by the browser itself (its PDF viewer or an image), never run as a page."""
    evidence = get_or_404(EvidenceFile, file_id, application_id=_own(application_id).id)
    data = evidence_store().read_checked(evidence.sha256) or abort(404)
    services.record_download(get_session(), actor=actor(), evidence=evidence)
    return inline_file(data, evidence.display_name, evidence.content_type)


@bp.route("/<int:application_id>/files/<int:file_id>/delete", methods=["POST"])
@enterprise_required
def delete_file(application_id: int, file_id: int):
    application = _own(application_id)
    evidence = get_or_404(EvidenceFile, file_id, application_id=application.id)
    on_refusal(lambda _: _show_page(application))
    services.remove_evidence(get_session(), actor=actor(), evidence=evidence, store=evidence_store())
    flash(_("File removed."), "success")
    return redirect(url_for("applications.show", application_id=application.id) + "#files")


@bp.route("/<int:application_id>/files/<int:file_id>")
def download(application_id: int, file_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    evidence = get_or_404(EvidenceFile, file_id, application_id=_viewable(application_id).id)
    path = evidence_store().path_of(evidence.sha256)
    if not path.is_file():
        abort(404)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        abort(500)  # the stored bytes changed since upload: serve nothing rather than the wrong file
    services.record_download(get_session(), actor=actor(), evidence=evidence)
    return attachment(data, evidence.display_name, evidence.content_type)


# ------------------------------------------------------------------------------------- office

@bp.route("/<int:application_id>/return", methods=["POST"])
def return_for_correction(application_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_office(current_user):
        abort(403)
    application = _viewable(application_id)
    form = ReasonForm()
    on_refusal(lambda _: _show_page(application, reason_form=form))
    validated(form, _("Please give a reason."))
    services.return_application(get_session(), actor=actor(), application=application, reason=filled(form.reason.data))
    flash(_("The application was returned for correction."), "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.route("/<int:application_id>/screening", methods=["GET", "POST"])
@oversight_required
def screen(application_id: int):
    application = _viewable(application_id)
    findings = services.automatic_findings(get_session(), application, zone=local_zone())
    form = screening_form(application, findings)
    on_refusal(lambda _: _screening_page(application, findings, form))
    _require_office_to_change()
    if not submitted(form):
        return _screening_page(application, findings, form)
    services.screen_application(get_session(), actor=actor(), application=application, decisions=form.decisions(),
                                zone=local_zone())
    flash(_("Screening recorded: %(status)s.", status=STATUS_LABELS[application.status]), "success")
    return redirect(url_for("applications.cycle_list", cycle_id=application.cycle_id))


@bp.route("/cycle/<int:cycle_id>")
@oversight_required
def cycle_list(cycle_id: int):
    db = get_session()
    cycle = get_or_404(Cycle, cycle_id)
    filters = ListFilters.from_args(request.args)
    return render_template("applications/list.html", cycle=cycle, filters=filters, sectors=configured_sectors(),
                           applications=db.scalars(filtered_applications(cycle.id, **filters.as_dict())).all(),
                           districts=districts_of_cycle(db, cycle.id), counts=count_by_status(db, cycle.id),
                           STATUS_LABELS=STATUS_LABELS, ApplicationStatus=ApplicationStatus)


@bp.route("/cycle/<int:cycle_id>/screen-clear", methods=["POST"])
@office_required
def screen_clear(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: redirect(url_for("applications.cycle_list", cycle_id=cycle.id)))
    outcome = services.screen_clear_applications(get_session(), actor=actor(), cycle=cycle, zone=local_zone())
    return render_template("applications/bulk_screening.html", cycle=cycle, outcome=outcome)


@bp.route("/cycle/<int:cycle_id>/export.xlsx")
@oversight_required
def export(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    filters = ListFilters.from_args(request.args)
    applications = get_session().scalars(filtered_applications(cycle.id, **filters.as_dict())).all()
    data = applications_workbook(applications, status_labels=STATUS_LABELS, sectors=configured_sectors(),
                                 zone=local_zone())
    return attachment(data, f"applications-{cycle.year}-{cycle.id}.xlsx", XLSX)


@bp.route("/cycle/<int:cycle_id>/settings", methods=["GET", "POST"])
@oversight_required
def settings(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = SettingsForm.for_limit(services.max_self_assessment_chars(get_session(), cycle))
    on_refusal(lambda _: render_template("applications/settings.html", cycle=cycle, form=form))
    _require_office_to_change()
    if not submitted(form):
        return render_template("applications/settings.html", cycle=cycle, form=form)
    services.set_max_self_assessment_chars(get_session(), actor=actor(), cycle=cycle,
                                           value=filled(form.max_self_assessment_chars.data))
    flash(_("Settings saved."), "success")
    return redirect(url_for("applications.cycle_list", cycle_id=cycle.id))


@bp.route("/blacklist", methods=["GET", "POST"])
@oversight_required
def blacklist():
    form = BlacklistForm()
    on_refusal(lambda error: _blacklist_page(form, getattr(error, "problems", None)))
    _require_office_to_change()
    if not submitted(form):
        return _blacklist_page(form)
    storage = form.file.data
    added = import_blacklist(get_session(), actor=actor(), data=storage.stream.read(IMPORT_MAX_BYTES + 1),
                             filename=storage.filename or "")
    flash(_("%(count)s new entries imported.", count=added), "success")
    return redirect(url_for("applications.blacklist"))


# ------------------------------------------------------------------------------------- tasks
