"""Applications in the browser: the enterprise's form, files and status; the office's list and screening."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from award.applications import services
from award.applications.blacklist import BlacklistImportError, import_blacklist
from award.applications.eligibility import RULE_LABELS, RULES, describe
from award.applications.evidence import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES, EvidenceStore
from award.applications.exports import applications_workbook
from award.applications.forms import (
    BlacklistForm,
    ReasonForm,
    SettingsForm,
    UploadForm,
    build_application_form,
    build_screening_form,
    fill_form,
)
from award.applications.models import Application, ApplicationStatus, BlacklistEntry, EvidenceFile, RuleOutcome
from award.applications.queries import (
    application_of,
    applications_of_organization,
    can_view_application,
    count_by_status,
    districts_of_cycle,
    filtered_applications,
    owns_application,
)
from award.applications.sectors import sectors
from award.applications.services import STATUS_LABELS, Decision
from award.auth.models import Role, User
from award.auth.permissions import actor, enterprise_required, is_enterprise, is_office, oversight_required
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.db import get_session, utcnow
from award.errors import DomainError
from award.i18n import _
from award.limits import IMPORT_MAX_BYTES, pdf_check_limits
from award.main.dashboard import Task, active_cycles, task_provider
from award.views import body_limit, csrf, current_locale, limiter, login_manager

bp = Blueprint("applications", __name__, url_prefix="/applications")

STASH_COOKIE = "award_draft_stash"


# ------------------------------------------------------------------------------------ helpers

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _store() -> EvidenceStore:
    root = current_app.config.get("EVIDENCE_ROOT") or str(Path(current_app.instance_path) / "evidence")
    return EvidenceStore(root)


def _limits() -> services.EvidenceLimits:
    return services.EvidenceLimits(
        max_file_bytes=int(current_app.config.get("EVIDENCE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)),
        max_total_bytes=int(current_app.config.get("EVIDENCE_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES)),
        pdf_check=pdf_check_limits(current_app.config),
    )


def _sectors() -> dict[str, str]:
    return sectors(current_app.config)


def _load_viewable(application_id: int) -> Application:
    """The application, if the user may see it; others get 404 so ids cannot be probed."""
    application = get_session().get(Application, application_id)
    if application is None or not can_view_application(current_user, application):
        abort(404)
    return application


def _load_own(application_id: int) -> Application:
    application = get_session().get(Application, application_id)
    if application is None or not owns_application(current_user, application):
        abort(404)
    return application


def _load_cycle(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


def _show(application: Application, status: int = 200, **extra: object) -> tuple[str, int]:
    rubric = cycle_rubric(application.cycle)
    context = {
        "application": application, "rubric": rubric, "sectors": _sectors(), "STATUS_LABELS": STATUS_LABELS,
        "upload_form": extra.pop("upload_form", None) or UploadForm(),
        "reason_form": extra.pop("reason_form", None) or ReasonForm(),
        "editable": application.status in services.EDITABLE
        and services.takes_applications(application.cycle, utcnow()),
        "window_open": services.takes_applications(application.cycle, utcnow()),
        "deadline": application.cycle.deadline(Stage.APPLICATION),
        "limits": _limits(),
        "RULE_LABELS": RULE_LABELS, "describe": describe,
        "can_return": is_office(current_user) and application.status is ApplicationStatus.SUBMITTED
        and services.takes_applications(application.cycle, utcnow()),
    }
    context.update(extra)
    return render_template("applications/show.html", **context), status


# --------------------------------------------------------------------------------- enterprise

@bp.route("/")
@enterprise_required
def mine():
    db = get_session()
    user = actor()
    own = applications_of_organization(db, user.organization_id)
    applied = {a.cycle_id for a in own}
    now = utcnow()
    open_cycles = [c for c in active_cycles(db) if services.takes_applications(c, now) and c.id not in applied]
    return render_template("applications/mine.html", applications=own, open_cycles=open_cycles,
                           STATUS_LABELS=STATUS_LABELS)


@bp.route("/start/<int:cycle_id>", methods=["POST"])
@enterprise_required
def start(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    try:
        application = services.start_application(get_session(), actor=actor(), cycle=cycle)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("applications.mine"))
    flash(_("Your draft is open. Save it at any time."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


@bp.route("/<int:application_id>")
def show(application_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return _show(_load_viewable(application_id))


def _render_edit(application: Application, form, status: int = 200, **extra: object) -> tuple[str, int]:  # noqa: ANN001
    rubric = cycle_rubric(application.cycle)
    limit = services.max_self_assessment_chars(get_session(), application.cycle)
    stash_token = services.stash_form_token(secret_key=current_app.config["SECRET_KEY"], application=application,
                                            user=actor())
    return render_template("applications/edit.html", application=application, form=form, rubric=rubric,
                           limit=limit, deadline=application.cycle.deadline(Stage.APPLICATION),
                           lang=current_locale(), stash_token=stash_token, **extra), status


def _stash_max_bytes() -> int:
    return int(current_app.config.get("DRAFT_STASH_MAX_BYTES", services.DEFAULT_STASH_MAX_BYTES))


def _stashes_per_address() -> str:
    return current_app.config.get("DRAFT_STASHES_PER_ADDRESS", "10 per hour")


def _stash_fields(application_id: int) -> dict[str, str]:
    """The posted values of the application form's own fields (tokens and unknown names left out)."""
    application = get_session().get(Application, application_id)
    if application is None:
        return {}
    names = {field.name for field in build_application_form(cycle_rubric(application.cycle), _sectors(),
                                                             formdata=None, meta={"csrf": False})}
    return {key: value for key, value in request.form.items() if key in names}


def _stash_after_expired_login(application_id: int):  # noqa: ANN202
    """An owner's form posted after their login expired: keep the text until they sign in again."""
    try:
        form_token = request.form.get("stash_token", "")
        fields = _stash_fields(application_id)
    except RequestEntityTooLarge:
        return render_template("error.html", status=413, message=services.stash_too_large().message), 413
    try:
        token = services.stash_draft(get_session(), secret_key=current_app.config["SECRET_KEY"],
                                     form_token=form_token, application_id=application_id, form=fields,
                                     max_bytes=_stash_max_bytes())
    except DomainError as error:
        status = 413 if error.code == "stash_too_large" else 403
        return render_template("error.html", status=status, message=error.message), status
    flash(_("Your session had ended. Sign in again: the text you typed is kept and will be shown again."), "info")
    response = redirect(url_for("auth.login", next=url_for("applications.edit", application_id=application_id,
                                                           restore=token)))
    response.set_cookie(STASH_COOKIE, token, max_age=int(services.STASH_LIFETIME.total_seconds()), httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        path=request.path)
    return response


def _anonymous_body_limit() -> int | None:
    """A signed-in save may carry the whole self-assessment; a post without a login only a stash."""
    return None if current_user.is_authenticated else _stash_max_bytes()


@csrf.exempt
@bp.route("/<int:application_id>/edit", methods=["GET", "POST"])
@body_limit(_anonymous_body_limit)
@limiter.limit(_stashes_per_address, key_func=get_remote_address, methods=["POST"], scope="draft-stash",
               exempt_when=lambda: current_user.is_authenticated)
def edit(application_id: int):
    """The form. The owner's form posted after the login expired is kept (stash) and shown again after signing in."""
    db = get_session()
    if not current_user.is_authenticated:
        if request.method == "POST":
            return _stash_after_expired_login(application_id)
        return login_manager.unauthorized()
    if not is_enterprise(current_user):
        abort(403)
    application = _load_own(application_id)
    if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            csrf.protect()
        except CSRFError:
            # A stale form token: show the typed text again with a fresh token instead of an error page.
            form = build_application_form(cycle_rubric(application.cycle), _sectors(), meta={"csrf": False})
            form.validate()
            flash(_("The form had expired. Your text is shown again: please save once more."), "error")
            return _render_edit(application, form, 400)
    if request.method == "GET":
        token = request.args.get("restore", "")
        stashed = None
        if token and request.cookies.get(STASH_COOKIE) == token:
            stashed = services.take_stash(db, token=token, application=application, user=actor())
        if stashed is not None:
            form = build_application_form(cycle_rubric(application.cycle), _sectors(),
                                          formdata=MultiDict(stashed.form), meta={"csrf": False})
            form.validate()
            response = make_response(_render_edit(application, form, restored_at=stashed.typed_at))
            response.delete_cookie(STASH_COOKIE, path=request.path)
            return response
        form = build_application_form(cycle_rubric(application.cycle), _sectors(), formdata=None)
        fill_form(form, application)
        return _render_edit(application, form)
    form = build_application_form(cycle_rubric(application.cycle), _sectors())
    if not form.validate():
        flash(_("Some fields need correcting; nothing was saved yet."), "error")
        return _render_edit(application, form, 422)
    try:
        services.save_draft(db, actor=actor(), application=application, profile=form.to_profile(),
                            self_assessment=form.texts(), sectors=_sectors())
    except DomainError as error:
        flash(error.message, "error")
        return _render_edit(application, form, 409 if error.code in ("read_only", "deadline_passed", "not_open")
                            else 422)
    if form.save_and_submit.data:
        return redirect(url_for("applications.confirm_submit", application_id=application.id))
    flash(_("Draft saved."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


@bp.route("/<int:application_id>/submit", methods=["GET", "POST"])
@enterprise_required
def confirm_submit(application_id: int):
    application = _load_own(application_id)
    if request.method == "POST":
        try:
            services.submit_application(get_session(), actor=actor(), application=application)
        except DomainError as error:
            flash(error.message, "error")
            return render_template("applications/submit.html", application=application,
                                   problems=services.submission_problems(application),
                                   deadline=application.cycle.deadline(Stage.APPLICATION)), 409
        flash(_("Your application is submitted. It is now read-only."), "success")
        return redirect(url_for("applications.show", application_id=application.id))
    return render_template("applications/submit.html", application=application,
                           problems=services.submission_problems(application),
                           deadline=application.cycle.deadline(Stage.APPLICATION))


def _enterprise_move(application_id: int, change, done: str):  # noqa: ANN001, ANN202
    application = _load_own(application_id)
    try:
        change(get_session(), actor=actor(), application=application)
    except DomainError as error:
        flash(error.message, "error")
        return _show(application, 409)
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
    application = _load_own(application_id)
    form = UploadForm()
    if not form.validate():
        flash(" ".join(str(e) for e in form.file.errors) or _("Choose a file."), "error")
        return _show(application, 422, upload_form=form)
    limits = _limits()
    storage = form.file.data
    data = storage.stream.read(limits.max_file_bytes + 1)  # never read more than the limit allows
    try:
        services.add_evidence(get_session(), actor=actor(), application=application, data=data,
                              filename=storage.filename or "", store=_store(), limits=limits)
    except DomainError as error:
        flash(error.message, "error")
        return _show(application, 409 if error.code in ("read_only", "deadline_passed", "not_open") else 422,
                     upload_form=form)
    flash(_("File uploaded."), "success")
    return redirect(url_for("applications.show", application_id=application.id) + "#files")


def _load_file(application: Application, file_id: int) -> EvidenceFile:
    evidence = get_session().get(EvidenceFile, file_id)
    if evidence is None or evidence.application_id != application.id:
        abort(404)
    return evidence


@bp.route("/<int:application_id>/files/<int:file_id>/delete", methods=["POST"])
@enterprise_required
def delete_file(application_id: int, file_id: int):
    application = _load_own(application_id)
    evidence = _load_file(application, file_id)
    try:
        services.remove_evidence(get_session(), actor=actor(), evidence=evidence, store=_store())
    except DomainError as error:
        flash(error.message, "error")
        return _show(application, 409)
    flash(_("File removed."), "success")
    return redirect(url_for("applications.show", application_id=application.id) + "#files")


@bp.route("/<int:application_id>/files/<int:file_id>")
def download(application_id: int, file_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    application = _load_viewable(application_id)
    evidence = _load_file(application, file_id)
    path = _store().path_of(evidence.stored_name)
    if not path.is_file():
        abort(404)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        abort(500)  # the stored bytes changed since upload: serve nothing rather than the wrong file
    services.record_download(get_session(), actor=actor(), evidence=evidence)
    response = make_response(data)
    response.headers["Content-Type"] = evidence.content_type
    response.headers["Content-Disposition"] = content_disposition(evidence.display_name)
    return response


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# ------------------------------------------------------------------------------------- office

@bp.route("/<int:application_id>/return", methods=["POST"])
def return_for_correction(application_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_office(current_user):
        abort(403)
    application = _load_viewable(application_id)
    form = ReasonForm()
    if not form.validate():
        flash(_("Please give a reason."), "error")
        return _show(application, 422, reason_form=form)
    try:
        services.return_application(get_session(), actor=actor(), application=application, reason=form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
        return _show(application, 409, reason_form=form)
    flash(_("The application was returned for correction."), "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.route("/<int:application_id>/screening", methods=["GET", "POST"])
@oversight_required
def screen(application_id: int):
    db = get_session()
    application = _load_viewable(application_id)
    findings = services.automatic_findings(db, application, zone=_zone())
    form = build_screening_form()
    if request.method == "GET":
        previous = {r.rule: r for r in application.screening}
        for finding in findings:
            decided = previous.get(finding.rule)
            decision = decided.decision if decided else (
                RuleOutcome.FAIL if finding.outcome is RuleOutcome.FAIL else RuleOutcome.PASS)
            getattr(form, f"{finding.rule}_decision").data = decision.value
            getattr(form, f"{finding.rule}_reason").data = decided.reason if decided else ""
    status = 200
    if request.method == "POST":
        if not is_office(current_user):
            abort(403)
        if form.validate():
            decisions = {rule: Decision(RuleOutcome(getattr(form, f"{rule}_decision").data),
                                        getattr(form, f"{rule}_reason").data or "") for rule in RULES}
            try:
                services.screen_application(db, actor=actor(), application=application, decisions=decisions,
                                            zone=_zone())
            except DomainError as error:
                flash(error.message, "error")
                status = 409 if error.code in ("not_screening", "bad_transition") else 422
            else:
                flash(_("Screening recorded: %(status)s.", status=STATUS_LABELS[application.status]), "success")
                return redirect(url_for("applications.cycle_list", cycle_id=application.cycle_id))
        else:
            status = 422
    return render_template("applications/screening.html", application=application, findings=findings, form=form,
                           RULE_LABELS=RULE_LABELS, describe=describe, STATUS_LABELS=STATUS_LABELS,
                           on=services.reference_date(application.cycle, _zone())), status


def _filters() -> dict[str, object]:
    status = request.args.get("status") or None
    try:
        status_value = ApplicationStatus(status) if status else None
    except ValueError:
        status_value = None
    return {"status": status_value, "sector": request.args.get("sector") or None,
            "district": request.args.get("district") or None}


@bp.route("/cycle/<int:cycle_id>")
@oversight_required
def cycle_list(cycle_id: int):
    db = get_session()
    cycle = _load_cycle(cycle_id)
    filters = _filters()
    applications = db.scalars(filtered_applications(cycle.id, **filters)).all()
    return render_template("applications/list.html", cycle=cycle, applications=applications, filters=filters,
                           sectors=_sectors(), districts=districts_of_cycle(db, cycle.id),
                           counts=count_by_status(db, cycle.id), STATUS_LABELS=STATUS_LABELS,
                           ApplicationStatus=ApplicationStatus)


@bp.route("/cycle/<int:cycle_id>/export.xlsx")
@oversight_required
def export(cycle_id: int):
    db = get_session()
    cycle = _load_cycle(cycle_id)
    applications = db.scalars(filtered_applications(cycle.id, **_filters())).all()
    headers = [_("No."), _("Organization name"), _("Credit code"), _("Status"), _("Sector code"), _("Sector"),
               _("District"), _("Registered address"), _("Employees"), _("Annual revenue (10,000 yuan)"),
               _("Founding date"), _("Quality management system certified on"), _("Submitted at"),
               _("Self-assessment characters"), _("Files")]
    data = applications_workbook(applications, headers=headers, status_labels=STATUS_LABELS, sectors=_sectors(),
                                 zone=_zone())
    response = make_response(data)
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = f'attachment; filename="applications-{cycle.year}-{cycle.id}.xlsx"'
    return response


@bp.route("/cycle/<int:cycle_id>/settings", methods=["GET", "POST"])
@oversight_required
def settings(cycle_id: int):
    db = get_session()
    cycle = _load_cycle(cycle_id)
    form = SettingsForm()
    status = 200
    if request.method == "GET":
        form.max_self_assessment_chars.data = services.max_self_assessment_chars(db, cycle)
    else:
        if not is_office(current_user):
            abort(403)
        if form.validate():
            try:
                services.set_max_self_assessment_chars(db, actor=actor(), cycle=cycle,
                                                       value=form.max_self_assessment_chars.data)
            except DomainError as error:
                flash(error.message, "error")
                status = 409
            else:
                flash(_("Settings saved."), "success")
                return redirect(url_for("applications.cycle_list", cycle_id=cycle.id))
        else:
            status = 422
    return render_template("applications/settings.html", cycle=cycle, form=form), status


@bp.route("/blacklist", methods=["GET", "POST"])
@oversight_required
def blacklist():
    db = get_session()
    form = BlacklistForm()
    problems = []
    status = 200
    if request.method == "POST":
        if not is_office(current_user):
            abort(403)
        if form.validate():
            storage = form.file.data
            try:
                added = import_blacklist(db, actor=actor(), data=storage.stream.read(IMPORT_MAX_BYTES + 1),
                                         filename=storage.filename or "")
            except BlacklistImportError as error:
                flash(error.message, "error")
                problems = error.problems
                status = 422
            except DomainError as error:
                flash(error.message, "error")
                status = 422
            else:
                flash(_("%(count)s new entries imported.", count=added), "success")
                return redirect(url_for("applications.blacklist"))
        else:
            status = 422
    entries = db.scalars(select(BlacklistEntry).order_by(BlacklistEntry.listed_on.desc(), BlacklistEntry.id.desc())
                         .limit(500)).all()
    return render_template("applications/blacklist.html", form=form, problems=problems, entries=entries), status


# ------------------------------------------------------------------------------------- tasks

@task_provider(Role.ENTERPRISE)
def _enterprise_tasks(session, user: User) -> list[Task]:  # noqa: ANN001
    if user.organization_id is None:
        return []
    now = utcnow()
    tasks = []
    for cycle in active_cycles(session):
        application = application_of(session, cycle_id=cycle.id, organization_id=user.organization_id)
        name = f"{cycle.year} {cycle.title}"
        deadline = cycle.deadline(Stage.APPLICATION)
        if application is None:
            if services.takes_applications(cycle, now):
                due = _("Deadline: %(deadline)s", deadline=format_datetime(deadline, "short")) if deadline else ""
                tasks.append(Task(_("Apply: %(cycle)s", cycle=name), url_for("applications.mine"), due))
            continue
        if application.status is ApplicationStatus.DRAFT and services.takes_applications(cycle, now):
            tasks.append(Task(_("Continue your draft: %(cycle)s", cycle=name),
                              url_for("applications.edit", application_id=application.id)))
        elif application.status is ApplicationStatus.RETURNED and services.takes_applications(cycle, now):
            tasks.append(Task(_("Returned for correction: %(cycle)s", cycle=name),
                              url_for("applications.show", application_id=application.id),
                              application.events[-1].reason if application.events else ""))
        else:
            tasks.append(Task(_("Application status: %(cycle)s", cycle=name),
                              url_for("applications.show", application_id=application.id),
                              str(STATUS_LABELS[application.status])))
    return tasks


@task_provider(Role.OFFICE, Role.SUPERVISOR)
def _office_tasks(session, user: User) -> list[Task]:  # noqa: ANN001
    tasks = []
    for cycle in active_cycles(session):
        if cycle.stage not in (Stage.APPLICATION, Stage.SCREENING):
            continue
        waiting = services.unscreened_count(session, cycle.id)
        url = url_for("applications.cycle_list", cycle_id=cycle.id)
        if cycle.stage is Stage.SCREENING and waiting and user.role is Role.OFFICE:
            tasks.append(Task(_("Screen %(count)s applications: %(cycle)s", count=waiting,
                                cycle=f"{cycle.year} {cycle.title}"), url + "?status=submitted"))
        else:
            tasks.append(Task(_("Applications: %(cycle)s", cycle=f"{cycle.year} {cycle.title}"), url))
    if user.role is Role.OFFICE:
        tasks.append(Task(_("Dishonesty list"), url_for("applications.blacklist")))
    return tasks
