"""The documents of a cycle: official documents and overlay printing for the office, downloads for the supervisor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from award.app_db import get_session
from award.applications.models import Application
from award.applications.queries import can_view_application
from award.applications.services import latest_submission
from award.approval.forms import EmptyForm
from award.auth.access import actor, login_required, office_required, oversight_required
from award.cycles.models import Cycle
from award.cycles.services import issuers_of, update_issuers
from award.db import utcnow
from award.documents import services
from award.documents.forms import PLACEHOLDER_HINT, IssuersForm, LayoutForm, PrinterForm, TextsForm
from award.documents.models import DocumentKind, PrinterProfile
from award.documents.official import render_official_pdf
from award.documents.overlay import render_overlay_pdf, render_test_page_pdf
from award.documents.presenters import FILE_NAMES, KIND_LABELS, documents_page
from award.documents.receipt import beijing_time, receipt_file_name, receipt_of, render_receipt_pdf
from award.i18n import _, local_zone
from award.inputs import arg_id
from award.views import attachment, enum_or_404, get_or_404, on_refusal, submitted

bp = Blueprint("documents", __name__, url_prefix="/documents")


def _chosen_printer() -> PrinterProfile | None:
    printer_id = arg_id(request.args, "printer", field=_("The printer"))
    return get_or_404(PrinterProfile, printer_id) if printer_id else None


def _back_to_documents(cycle: Cycle) -> Response:
    return redirect(url_for("documents.cycle_documents", cycle_id=cycle.id))


def _texts_page(cycle: Cycle, kind: DocumentKind, form: TextsForm) -> str:
    stored = services.stored_texts(get_session(), cycle, kind)
    return render_template("documents/texts.html", cycle=cycle, form=form, kind=kind, label=KIND_LABELS[kind],
                           hint=PLACEHOLDER_HINT, has_seal=bool(stored and stored.seal_image))


def _printers_page(form: PrinterForm, cycle_id: int | None) -> str:
    return render_template("documents/printers.html", printers=services.printer_profiles(get_session()), form=form,
                           cycle_id=cycle_id)


# --- the cycle's documents page ---------------------------------------------------------------------


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_documents(cycle_id: int):
    page = documents_page(get_session(), get_or_404(Cycle, cycle_id), zone=local_zone())
    return render_template("documents/cycle.html", **page)


@bp.route("/cycles/<int:cycle_id>/issuers", methods=["GET", "POST"])
@office_required
def edit_issuers(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = IssuersForm.for_issuers(issuers_of(cycle))
    on_refusal(lambda _: render_template("documents/issuers.html", cycle=cycle, form=form), form=form)
    if not submitted(form):
        return render_template("documents/issuers.html", cycle=cycle, form=form)
    update_issuers(get_session(), actor=actor(), cycle=cycle, issuers=form.to_issuers())
    flash(_("The issuing bodies are saved."), "success")
    return _back_to_documents(cycle)


@bp.route("/cycles/<int:cycle_id>/texts/<kind>", methods=["GET", "POST"])
@office_required
def edit_texts(cycle_id: int, kind: str):
    cycle = get_or_404(Cycle, cycle_id)
    document_kind = enum_or_404(DocumentKind, kind)
    form = TextsForm.for_texts(services.texts_of(get_session(), cycle, document_kind))
    on_refusal(lambda _: _texts_page(cycle, document_kind, form), form=form)
    if not submitted(form):
        return _texts_page(cycle, document_kind, form)
    services.save_texts(get_session(), actor=actor(), cycle=cycle, kind=document_kind, texts=form.to_texts(),
                        seal=form.seal_upload(services.MAX_SEAL_BYTES), remove_seal=bool(form.remove_seal.data))
    flash(_("The texts are saved."), "success")
    return _back_to_documents(cycle)


@bp.route("/cycles/<int:cycle_id>/official/<kind>.pdf")
@oversight_required
def official_pdf(cycle_id: int, kind: str):
    cycle = get_or_404(Cycle, cycle_id)
    document_kind = enum_or_404(DocumentKind, kind)
    on_refusal(lambda _: _back_to_documents(cycle))
    data = render_official_pdf(services.official_document(get_session(), cycle, document_kind, zone=local_zone()))
    return attachment(data, f"{cycle.year}-{FILE_NAMES[document_kind]}.pdf", "application/pdf")


@bp.route("/cycles/<int:cycle_id>/official-set", methods=["POST"])
@office_required
def queue_official_set(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _back_to_documents(cycle))
    job, _created = services.queue_official_set(get_session(), actor=actor(), cycle=cycle, zone=local_zone())
    return redirect(url_for("jobs.job_page", job_id=job.id))


# --- overlay printing -----------------------------------------------------------------------------------


@bp.route("/cycles/<int:cycle_id>/overlay", methods=["GET", "POST"])
@office_required
def edit_layout(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = LayoutForm.for_layout(services.layout_of(get_session(), cycle))
    on_refusal(lambda _: render_template("documents/layout.html", cycle=cycle, form=form))
    if not submitted(form):
        return render_template("documents/layout.html", cycle=cycle, form=form)
    services.save_layout(get_session(), actor=actor(), cycle=cycle, layout=form.to_layout())
    flash(_("The overlay positions are saved. Print a test page to check them."), "success")
    return _back_to_documents(cycle)


@bp.route("/cycles/<int:cycle_id>/overlay.pdf")
@oversight_required
def overlay_pdf(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    printer = _chosen_printer()
    on_refusal(lambda _: _back_to_documents(cycle))
    session = get_session()
    data = render_overlay_pdf(services.overlay_texts(session, cycle), layout=services.layout_of(session, cycle),
                              offset=services.offset_of(printer))
    return attachment(data, f"{cycle.year}-套打-证书.pdf", "application/pdf")


@bp.route("/cycles/<int:cycle_id>/overlay-test.pdf")
@oversight_required
def overlay_test_pdf(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    printer = _chosen_printer()
    on_refusal(lambda _: _back_to_documents(cycle))
    data = render_test_page_pdf(layout=services.layout_of(get_session(), cycle), offset=services.offset_of(printer))
    return attachment(data, f"{cycle.year}-套打-校准测试页.pdf", "application/pdf")


# --- printers ---------------------------------------------------------------------------------------------


@bp.route("/printers", methods=["GET", "POST"])
@office_required
def printers():
    form = PrinterForm()
    back_to = arg_id(request.args, "cycle", field=_("The cycle"))  # the cycle whose page links here
    on_refusal(lambda _: _printers_page(form, back_to))
    if not submitted(form):
        form.offset_x_mm.data = form.offset_y_mm.data = Decimal("0.0")
        return _printers_page(form, back_to)
    services.create_printer(get_session(), actor=actor(), **form.to_values())
    flash(_("The printer is added."), "success")
    return redirect(url_for("documents.printers"))


@bp.route("/printers/<int:printer_id>", methods=["GET", "POST"])
@office_required
def edit_printer(printer_id: int):
    printer = get_or_404(PrinterProfile, printer_id)
    form = PrinterForm(obj=printer) if request.method == "GET" else PrinterForm()
    on_refusal(lambda _: render_template("documents/printer.html", printer=printer, form=form,
                                         delete_form=EmptyForm()))
    if not submitted(form):
        return render_template("documents/printer.html", printer=printer, form=form, delete_form=EmptyForm())
    services.update_printer(get_session(), actor=actor(), printer=printer, **form.to_values())
    flash(_("The printer is saved."), "success")
    return redirect(url_for("documents.printers"))


@bp.route("/printers/<int:printer_id>/delete", methods=["POST"])
@office_required
def delete_printer(printer_id: int):
    services.delete_printer(get_session(), actor=actor(), printer=get_or_404(PrinterProfile, printer_id))
    flash(_("The printer is removed."), "success")
    return redirect(url_for("documents.printers"))


# --- the applicant's receipt ----------------------------------------------------------------------------


def _receipt_application(application_id: int) -> Application:
    """Whoever may read the application may read its receipt (its enterprise, office, supervisor); others 404."""
    application = get_or_404(Application, application_id)
    if not can_view_application(current_user, application):
        abort(404)
    return application


@bp.route("/applications/<int:application_id>/receipt")
@login_required
def application_receipt(application_id: int):
    """The print view: the receipt as a page, printed by the browser with the print stylesheet."""
    application = _receipt_application(application_id)
    receipt = receipt_of(get_session(), application)
    return render_template("documents/receipt.html", application=application, receipt=receipt)


@bp.route("/applications/<int:application_id>/receipt.pdf")
@login_required
def application_receipt_pdf(application_id: int):
    receipt = receipt_of(get_session(), _receipt_application(application_id))
    data = render_receipt_pdf(receipt, printed_at=beijing_time(utcnow()))
    return attachment(data, receipt_file_name(receipt), "application/pdf")


@bp.app_context_processor
def _receipt_links() -> dict[str, Any]:
    def receipt_links(application: Application) -> list[tuple[str, str]]:
        """The receipt's two links on the application's page, once it was submitted."""
        if not can_view_application(current_user, application) or application.submitted_at is None \
                or latest_submission(get_session(), application) is None:
            return []
        return [(_("Download the receipt (PDF)"),
                 url_for("documents.application_receipt_pdf", application_id=application.id)),
                (_("Print view of the receipt"),
                 url_for("documents.application_receipt", application_id=application.id))]

    return {"receipt_links": receipt_links}
