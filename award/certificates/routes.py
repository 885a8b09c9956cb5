"""Certificates and feedback reports on the web: the office's page per cycle, downloads, batch printing,
and the public check page that a certificate's QR code opens."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from award.applications.models import Application
from award.applications.routes import content_disposition
from award.auth.models import Role
from award.auth.permissions import actor, is_office, office_required
from award.awards.models import Award, AwardStatus
from award.awards.services import awards_of_cycle
from award.certificates import batch as batches
from award.certificates import services
from award.certificates.fonts import (
    FontLookup,
    MissingFontError,
    installed_cjk_families,
    missing_font_message,
    require_cjk_font,
)
from award.certificates.forms import CertificateTextsForm, SealForm
from award.certificates.numbers import normalize_certificate_number
from award.certificates.render import render_certificate_pdf, render_certificates_batch, render_feedback_pdf
from award.certificates.seals import DEFAULT_MAX_SEAL_BYTES, SealStore
from award.cycles.models import Cycle
from award.db import get_session, utcnow
from award.errors import DomainError
from award.i18n import _
from award.views import limiter, login_manager

bp = Blueprint("certificates", __name__)


# --- configuration ------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _today():  # noqa: ANN202
    return utcnow().astimezone(_zone()).date()


def seal_store() -> SealStore:
    return SealStore(current_app.config.get("CERTIFICATE_SEAL_ROOT")
                     or Path(current_app.instance_path) / "seals")


def batch_store() -> batches.BatchStore:
    return batches.BatchStore(current_app.config.get("CERTIFICATE_BATCH_ROOT")
                              or Path(current_app.instance_path) / "certificate_batches")


def font_lookup() -> FontLookup:
    """Where rendering looks for CJK fonts; tests set CERTIFICATE_FONT_LOOKUP to simulate a bare machine."""
    return current_app.config.get("CERTIFICATE_FONT_LOOKUP") or installed_cjk_families


def public_verify_url(number: str) -> str:
    """The absolute URL of a number's check page (PUBLIC_BASE_URL + the route), built without a request."""
    path = current_app.url_map.bind("localhost").build("certificates.verify", {"number": number})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _missing_font(error: MissingFontError) -> tuple[str, int]:
    current_app.logger.error("PDF not rendered: %s", error)
    return render_template("error.html", status=503, message=str(error)), 503


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


def _end_read_transaction() -> None:
    """Close the read before a PDF is laid out (a second or so): on SQLite every transaction holds the
    write lock (BEGIN IMMEDIATE), which other requests would otherwise wait for. Nothing was changed."""
    get_session().rollback()


def _require_login() -> Any:
    if not getattr(current_user, "is_authenticated", False):
        return login_manager.unauthorized()
    return None


def _load_cycle(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


# --- the office's page of a cycle ------------------------------------------------------------------


def _render_cycle(cycle: Cycle, *, texts_form: CertificateTextsForm | None = None,
                  seal_form: SealForm | None = None, status: int = 200) -> tuple[str, int]:
    session = get_session()
    settings = services.settings_of(session, cycle)
    if texts_form is None:
        texts_form = CertificateTextsForm(formdata=None, data={
            "award_title": settings.award_title, "authority": settings.authority,
            "issue_date": settings.issue_date})
    return render_template(
        "certificates/pages/cycle.html", cycle=cycle, settings=settings, texts_form=texts_form,
        seal_form=seal_form or SealForm(formdata=None), awards=awards_of_cycle(session, cycle),
        feedback=services.feedback_applications(session, cycle), latest=batch_store().latest(cycle.id),
        default_authority=services.DEFAULT_AUTHORITY,
    ), status


@bp.route("/certificates/cycles/<int:cycle_id>")
@office_required
def cycle_page(cycle_id: int):
    return _render_cycle(_load_cycle(cycle_id))


@bp.route("/certificates/cycles/<int:cycle_id>/texts", methods=["POST"])
@office_required
def update_texts(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    form = CertificateTextsForm()
    if not form.validate():
        return _render_cycle(cycle, texts_form=form, status=422)
    try:
        services.update_certificate_texts(get_session(), actor=actor(), cycle=cycle,
                                          award_title=form.award_title.data or "",
                                          authority=form.authority.data or "", issue_date=form.issue_date.data)
    except DomainError as error:
        flash(error.message, "error")
        return _render_cycle(cycle, texts_form=form, status=422)
    flash(_("The certificate texts are saved."), "success")
    return redirect(url_for("certificates.cycle_page", cycle_id=cycle.id))


@bp.route("/certificates/cycles/<int:cycle_id>/seal", methods=["POST"])
@office_required
def upload_seal(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    form = SealForm()
    if not form.validate():
        return _render_cycle(cycle, seal_form=form, status=422)
    limit = int(current_app.config.get("CERTIFICATE_SEAL_MAX_BYTES", DEFAULT_MAX_SEAL_BYTES))
    data = form.seal.data.stream.read(limit + 1)
    try:
        services.replace_seal(get_session(), actor=actor(), cycle=cycle, data=data, store=seal_store(),
                              max_bytes=limit)
    except DomainError as error:
        form.seal.errors = [error.message]
        return _render_cycle(cycle, seal_form=form, status=422)
    flash(_("The seal image is saved."), "success")
    return redirect(url_for("certificates.cycle_page", cycle_id=cycle.id))


@bp.route("/certificates/cycles/<int:cycle_id>/seal/remove", methods=["POST"])
@office_required
def remove_seal(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    try:
        services.remove_seal(get_session(), actor=actor(), cycle=cycle, store=seal_store())
    except DomainError as error:
        flash(error.message, "error")
        return _render_cycle(cycle, status=409)
    flash(_("The seal image is removed."), "success")
    return redirect(url_for("certificates.cycle_page", cycle_id=cycle.id))


@bp.route("/certificates/cycles/<int:cycle_id>/seal-image")
@office_required
def seal_image(cycle_id: int):
    settings = services.settings_of(get_session(), _load_cycle(cycle_id))
    if not settings.seal_stored_name or not settings.seal_mime:
        abort(404)
    return Response(seal_store().read(settings.seal_stored_name), mimetype=settings.seal_mime)


# --- batch printing ------------------------------------------------------------------------------------


@bp.route("/certificates/cycles/<int:cycle_id>/batch", methods=["POST"])
@office_required
def start_batch(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    store = batch_store()
    latest = store.latest(cycle.id)
    if latest is not None and latest.state == batches.RUNNING:
        flash(_("A batch of this cycle is already being printed."), "info")
        return redirect(url_for("certificates.batch_page", job_id=latest.job_id))
    lookup = font_lookup()
    try:
        require_cjk_font(lookup)  # say so now, not after the thread starts
        certificates = services.cycle_certificates(get_session(), cycle, verify_url=public_verify_url,
                                                   seal_store=seal_store())
    except MissingFontError as error:
        return _missing_font(error)
    except DomainError as error:
        flash(error.message, "error")
        return _render_cycle(cycle, status=409)
    status = batches.start_batch(
        store, cycle_id=cycle.id, certificates=certificates,
        render=functools.partial(render_certificates_batch, font_lookup=lookup),
        background=current_app.config.get("CERTIFICATE_BATCH_IN_BACKGROUND", True))
    services.record_batch_started(get_session(), actor=actor(), cycle=cycle, job_id=status.job_id,
                                  count=len(certificates))
    return redirect(url_for("certificates.batch_page", job_id=status.job_id))


def _load_batch(job_id: str) -> batches.BatchStatus:
    try:
        status = batch_store().read(job_id)
    except ValueError:
        status = None
    return status or abort(404)


def _batch_message(status: batches.BatchStatus) -> str:
    if status.state == batches.DONE:
        return _("Done: %(count)s certificates in one PDF.", count=status.total)
    if status.state == batches.RUNNING:
        return _("Laying out certificate %(done)s of %(total)s …", done=status.done, total=status.total)
    if status.error == "font_missing":
        return missing_font_message()
    if status.error == "interrupted":
        return _("The printing was interrupted (the server restarted). Start it again.")
    return _("The printing failed: %(detail)s", detail=status.detail)


@bp.route("/certificates/batches/<job_id>")
@office_required
def batch_page(job_id: str):
    status = _load_batch(job_id)
    return render_template("certificates/pages/batch.html", status=status, message=_batch_message(status),
                           cycle=_load_cycle(status.cycle_id))


@bp.route("/certificates/batches/<job_id>/status")
@office_required
def batch_status(job_id: str):
    status = _load_batch(job_id)
    return jsonify({
        "state": status.state, "done": status.done, "total": status.total, "percent": status.percent,
        "message": _batch_message(status),
        "download_url": url_for("certificates.batch_download", job_id=status.job_id)
        if status.state == batches.DONE else None,
    })


@bp.route("/certificates/batches/<job_id>/certificates.pdf")
@office_required
def batch_download(job_id: str):
    status = _load_batch(job_id)
    if status.state != batches.DONE:
        abort(404)
    cycle = _load_cycle(status.cycle_id)
    # Read whole (a batch is a few MiB): the file handle is closed before the response leaves.
    return _pdf(batch_store().pdf_path(job_id).read_bytes(), f"{cycle.year}年度荣誉证书（{cycle.title}）.pdf")


# --- single downloads -------------------------------------------------------------------------------


@bp.route("/certificates/awards/<int:award_id>/certificate.pdf")
def award_certificate(award_id: int):
    """The office, and the enterprise holding the award; another enterprise gets 404 (no probing by id)."""
    if (redirect_to_login := _require_login()) is not None:
        return redirect_to_login
    award = get_session().get(Award, award_id)
    if award is None or (not is_office(current_user) and not services.is_award_holder(current_user, award)):
        abort(404 if award is None or current_user.role is Role.ENTERPRISE else 403)
    filename = f"荣誉证书-{award.certificate_number}.pdf"
    try:
        data = services.single_certificate(get_session(), award, verify_url=public_verify_url,
                                           seal_store=seal_store())
        _end_read_transaction()
        pdf = render_certificate_pdf(data, font_lookup=font_lookup())
    except MissingFontError as error:
        return _missing_font(error)
    except DomainError as error:
        return render_template("error.html", status=409, message=error.message), 409
    return _pdf(pdf, filename)


@bp.route("/certificates/applications/<int:application_id>/feedback.pdf")
def feedback_report(application_id: int):
    """The office, and the applying enterprise; another enterprise gets 404 (no probing by id)."""
    if (redirect_to_login := _require_login()) is not None:
        return redirect_to_login
    application = get_session().get(Application, application_id)
    if application is None or (not is_office(current_user) and not services.is_applicant(current_user, application)):
        abort(404 if application is None or current_user.role is Role.ENTERPRISE else 403)
    filename = f"评审反馈报告-{application.cycle.year}-{application.id}.pdf"
    try:
        report = services.feedback_report(get_session(), application, today=_today())
        _end_read_transaction()
        pdf = render_feedback_pdf(report, font_lookup=font_lookup())
    except MissingFontError as error:
        return _missing_font(error)
    except DomainError as error:
        return render_template("error.html", status=404, message=error.message), 404
    return _pdf(pdf, filename)


# --- the public check ----------------------------------------------------------------------------------


def _checks_per_address() -> str:
    return current_app.config.get("CERTIFICATE_CHECKS_PER_ADDRESS", "60 per hour")


def _misses_per_address() -> str:
    return current_app.config.get("CERTIFICATE_MISSES_PER_ADDRESS", "10 per hour")


@bp.route("/verify")
def verify_form():
    """The form; a typed number is normalized and sent on to its check page."""
    typed = request.args.get("number", "")
    if not typed.strip():
        return render_template("certificates/pages/verify_form.html", typed="", error=None)
    number = normalize_certificate_number(typed)
    if number is None:
        error = _("This is not a certificate number. It looks like 2026-7K3QX9M2-R: the year, "
                  "eight characters and a check character.")
        return render_template("certificates/pages/verify_form.html", typed=typed[:40], error=error), 422
    return redirect(url_for("certificates.verify", number=number))


@bp.route("/verify/<number>")
@limiter.limit(_checks_per_address, key_func=get_remote_address, scope="certificate-checks")
@limiter.limit(_misses_per_address, key_func=get_remote_address, scope="certificate-misses",
               deduct_when=lambda response: response.status_code == 404)
def verify(number: str):
    """Public, no login: for this number only, the organization, the award, the validity and the status."""
    check = services.check_certificate(get_session(), number[:40], today=_today())
    if check is None:
        return render_template("certificates/pages/verify.html", check=None, typed=number[:40]), 404
    return render_template("certificates/pages/verify.html", check=check, typed=number)


# --- links on other areas' pages ---------------------------------------------------------------------


@bp.app_context_processor
def _document_links() -> dict[str, Any]:
    def certificate_documents(application: Application) -> list[tuple[str, str]]:
        """Download links for an application's page: its certificate and its feedback report."""
        user = current_user
        if not (is_office(user) or services.is_applicant(user, application)):
            return []
        session = get_session()
        links = []
        award = session.execute(select(Award.id, Award.status).where(Award.application_id == application.id)).first()
        if award is not None and AwardStatus(award.status) is AwardStatus.VALID:
            links.append((_("Download the certificate (PDF)"),
                          url_for("certificates.award_certificate", award_id=award.id)))
        if services.feedback_entry(session, application) is not None:
            links.append((_("Download the feedback report (PDF)"),
                          url_for("certificates.feedback_report", application_id=application.id)))
        return links

    return {"certificate_documents": certificate_documents}
