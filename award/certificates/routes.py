"""Certificates and feedback reports on the web: the office's page per cycle, downloads, batch printing,
and the public check page that a certificate's QR code opens."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from award.app_db import get_session
from award.applications.models import Application
from award.auth.access import actor, login_required, office_required
from award.auth.models import Role
from award.auth.permissions import can_read_oversight, is_office
from award.awards.models import Award, AwardStatus
from award.awards.numbers import normalize_certificate_number
from award.awards.services import awards_of_cycle
from award.certificates import services, timeline
from award.certificates.configured import (
    font_lookup,
    public_verify_url,
    seal_max_bytes,
    seal_store,
)
from award.certificates.fonts import require_cjk_font
from award.certificates.forms import CertificateTextsForm, SealForm
from award.certificates.presenters import batch_message
from award.certificates.render import render_certificate_pdf, render_feedback_pdf
from award.cycles.models import Cycle
from award.db import utcnow
from award.i18n import _, local_zone
from award.jobs.configured import job_download
from award.jobs.models import Job
from award.jobs.presenters import job_status
from award.jobs.services import retry_job
from award.views import attachment, get_or_404, limiter, on_refusal, validated

bp = Blueprint("certificates", __name__)


def _today():  # noqa: ANN202
    return utcnow().astimezone(local_zone()).date()


def _end_read_transaction() -> None:
    """Close the read before a PDF is laid out (a second or so): on SQLite every transaction holds the
    write lock (BEGIN IMMEDIATE), which other requests would otherwise wait for. Nothing was changed."""
    get_session().rollback()


def _office_or(is_concerned: Any, found: Award | Application) -> None:
    """The office, and the enterprise the award or application is about; another enterprise gets 404
    (no probing by id), any other role 403."""
    if not is_office(current_user) and not is_concerned(current_user, found):
        abort(404 if current_user.role is Role.ENTERPRISE else 403)


def _load_batch(job_id: int) -> Job:
    return services.batch_of(get_session(), job_id) or abort(404)


# --- the office's page of a cycle ------------------------------------------------------------------


def _cycle_page(cycle: Cycle, *, texts_form: CertificateTextsForm | None = None,
                seal_form: SealForm | None = None) -> str:
    session = get_session()
    settings = services.settings_of(session, cycle)
    return render_template(
        "certificates/pages/cycle.html", cycle=cycle, settings=settings,
        texts_form=texts_form or CertificateTextsForm.for_settings(settings),
        seal_form=seal_form or SealForm(formdata=None), awards=awards_of_cycle(session, cycle),
        feedback=services.feedback_applications(session, cycle), latest=services.latest_batch(session, cycle),
        default_authority=services.default_authority(cycle),
    )


@bp.route("/certificates/cycles/<int:cycle_id>")
@office_required
def cycle_page(cycle_id: int):
    return _cycle_page(get_or_404(Cycle, cycle_id))


@bp.route("/certificates/cycles/<int:cycle_id>/texts", methods=["POST"])
@office_required
def update_texts(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = CertificateTextsForm()
    on_refusal(lambda _: _cycle_page(cycle, texts_form=form))
    validated(form)
    services.update_certificate_texts(get_session(), actor=actor(), cycle=cycle, **form.to_texts())
    flash(_("The certificate texts are saved."), "success")
    return redirect(url_for("certificates.cycle_page", cycle_id=cycle.id))


@bp.route("/certificates/cycles/<int:cycle_id>/seal", methods=["POST"])
@office_required
def upload_seal(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = SealForm()
    on_refusal(lambda _: _cycle_page(cycle, seal_form=form), form=form)
    validated(form)
    limit = seal_max_bytes()
    services.replace_seal(get_session(), actor=actor(), cycle=cycle, data=form.seal.data.stream.read(limit + 1),
                          store=seal_store(), max_bytes=limit)
    flash(_("The seal image is saved."), "success")
    return redirect(url_for("certificates.cycle_page", cycle_id=cycle.id))


@bp.route("/certificates/cycles/<int:cycle_id>/seal/remove", methods=["POST"])
@office_required
def remove_seal(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _cycle_page(cycle))
    services.remove_seal(get_session(), actor=actor(), cycle=cycle, store=seal_store())
    flash(_("The seal image is removed."), "success")
    return redirect(url_for("certificates.cycle_page", cycle_id=cycle.id))


@bp.route("/certificates/cycles/<int:cycle_id>/seal-image")
@office_required
def seal_image(cycle_id: int):
    settings = services.settings_of(get_session(), get_or_404(Cycle, cycle_id))
    data = seal_store().read_checked(settings.seal_sha256) if settings.seal_sha256 and settings.seal_mime else None
    if data is None:
        abort(404)
    return Response(data, mimetype=settings.seal_mime)


# --- batch printing ------------------------------------------------------------------------------------


@bp.route("/certificates/cycles/<int:cycle_id>/batch", methods=["POST"])
@office_required
def start_batch(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    require_cjk_font(font_lookup())  # say so now (the error page), not after the worker took the job
    on_refusal(lambda _: _cycle_page(cycle))
    job, created = services.print_cycle(get_session(), actor=actor(), cycle=cycle)
    if not created:
        flash(_("A batch of this cycle is already being printed."), "info")
    return redirect(url_for("certificates.batch_page", job_id=job.id))


@bp.route("/certificates/batches/<int:job_id>")
@office_required
def batch_page(job_id: int):
    job = _load_batch(job_id)
    return render_template("certificates/pages/batch.html", job=job, message=batch_message(job),
                           cycle=get_or_404(Cycle, int(job.inputs["cycle_id"])))


@bp.route("/certificates/batches/<int:job_id>/status")
@office_required
def batch_status(job_id: int):
    job = _load_batch(job_id)
    return job_status(job, message=batch_message(job),
                      download_url=url_for("certificates.batch_download", job_id=job.id))


@bp.route("/certificates/batches/<int:job_id>/certificates.pdf")
@office_required
def batch_download(job_id: int):
    job = _load_batch(job_id)
    return job_download(job)


@bp.route("/certificates/batches/<int:job_id>/retry", methods=["POST"])
@office_required
def retry_batch(job_id: int):
    job = _load_batch(job_id)
    on_refusal(lambda _: redirect(url_for("certificates.batch_page", job_id=job.id)))
    job = retry_job(get_session(), actor=actor(), job=job)
    return redirect(url_for("certificates.batch_page", job_id=job.id))


@bp.route("/certificates/cycles/<int:cycle_id>/feedback-reports", methods=["POST"])
@office_required
def queue_feedback_reports(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _cycle_page(cycle))
    job, _created = services.queue_feedback_reports(get_session(), actor=actor(), cycle=cycle)
    return redirect(url_for("jobs.job_page", job_id=job.id))


# --- single downloads -------------------------------------------------------------------------------


@bp.route("/certificates/awards/<int:award_id>/certificate.pdf")
@login_required
def award_certificate(award_id: int):
    award = get_or_404(Award, award_id)
    _office_or(services.is_award_holder, award)
    data = services.single_certificate(get_session(), award, verify_url=public_verify_url, seal_store=seal_store())
    _end_read_transaction()
    pdf = render_certificate_pdf(data, font_lookup=font_lookup())
    return attachment(pdf, f"荣誉证书-{award.certificate_number}.pdf", "application/pdf")


@bp.route("/certificates/applications/<int:application_id>/feedback.pdf")
@login_required
def feedback_report(application_id: int):
    application = get_or_404(Application, application_id)
    _office_or(services.is_applicant, application)
    report = services.feedback_report(get_session(), application, today=_today())
    _end_read_transaction()
    pdf = render_feedback_pdf(report, font_lookup=font_lookup())
    return attachment(pdf, f"评审反馈报告-{application.cycle.year}-{application.id}.pdf", "application/pdf")


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

    def applicant_timeline(application: Application) -> timeline.Timeline | None:
        """The application's timeline, for its own enterprise and the oversight roles (not for experts)."""
        user = current_user
        if not (can_read_oversight(user) or services.is_applicant(user, application)):
            return None
        return timeline.applicant_timeline(get_session(), application)

    return {"certificate_documents": certificate_documents, "applicant_timeline": applicant_timeline}
