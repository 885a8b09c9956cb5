"""The documents of a cycle: official documents and overlay printing for the office, downloads for the supervisor."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from award.applications.routes import content_disposition
from award.approval.forms import EmptyForm
from award.auth.permissions import actor, office_required, oversight_required
from award.certificates.fonts import MissingFontError
from award.cycles.models import Cycle
from award.db import get_session
from award.documents import services
from award.documents.forms import PLACEHOLDER_HINT, LayoutForm, PrinterForm, TextsForm
from award.documents.models import DocumentKind, PrinterProfile
from award.documents.official import DocumentTexts, render_official_pdf
from award.documents.overlay import FieldPosition, Layout, render_overlay_pdf, render_test_page_pdf
from award.errors import DomainError
from award.i18n import _, _l
from award.inputs import arg_id

bp = Blueprint("documents", __name__, url_prefix="/documents")

KIND_LABELS = {
    DocumentKind.NOTICE: _l("Public notice list (公示名单)"),
    DocumentKind.DECISION: _l("Award decision list (表彰决定名单)"),
}
FILE_NAMES = {DocumentKind.NOTICE: "公示名单", DocumentKind.DECISION: "表彰决定名单"}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _load_cycle(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        abort(404)


def _load_printer(printer_id: int) -> PrinterProfile:
    return get_session().get(PrinterProfile, printer_id) or abort(404)


def _chosen_printer() -> PrinterProfile | None:
    printer_id = arg_id(request.args, "printer", field=_("The printer"))
    return _load_printer(printer_id) if printer_id else None


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


def _back(cycle: Cycle, message: str):
    flash(message, "error")
    return redirect(url_for("documents.cycle_documents", cycle_id=cycle.id))


# --- the cycle's documents page ---------------------------------------------------------------------


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_documents(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    session = get_session()
    documents = []
    for kind, label in KIND_LABELS.items():
        try:  # with the placeholders filled when the document can be made
            texts, problem = services.official_document(session, cycle, kind, zone=_zone()).filled(), None
        except DomainError as error:
            texts, problem = services.texts_of(session, cycle, kind), error.message
        documents.append({"kind": kind.value, "label": label, "texts": texts, "problem": problem,
                          "edited": services.stored_texts(session, cycle, kind) is not None})
    return render_template("documents/cycle.html", cycle=cycle, documents=documents,
                           layout=services.layout_of(session, cycle),
                           layout_edited=services.stored_layout(session, cycle) is not None,
                           printers=services.printer_profiles(session))


@bp.route("/cycles/<int:cycle_id>/texts/<kind>", methods=["GET", "POST"])
@office_required
def edit_texts(cycle_id: int, kind: str):
    cycle = _load_cycle(cycle_id)
    document_kind = _kind(kind)
    session = get_session()
    form = TextsForm()
    status = 200
    if not form.is_submitted():
        current = services.texts_of(session, cycle, document_kind)
        for name in ("issuing_office", "document_number", "title", "opening", "closing", "issued_on"):
            getattr(form, name).data = getattr(current, name)
    elif not form.validate():
        status = 422
    else:
        upload = form.seal.data
        seal = upload.stream.read(services.MAX_SEAL_BYTES + 1) if upload and upload.filename else None
        texts = DocumentTexts(issuing_office=form.issuing_office.data or "",
                              document_number=form.document_number.data or "", title=form.title.data or "",
                              opening=form.opening.data or "", closing=form.closing.data or "",
                              issued_on=form.issued_on.data)
        try:
            services.save_texts(session, actor=actor(), cycle=cycle, kind=document_kind, texts=texts, seal=seal,
                                remove_seal=bool(form.remove_seal.data))
        except DomainError as error:
            flash(error.message, "error")
            status = 422
        else:
            flash(_("The texts are saved."), "success")
            return redirect(url_for("documents.cycle_documents", cycle_id=cycle.id))
    stored = services.stored_texts(session, cycle, document_kind)
    return render_template("documents/texts.html", cycle=cycle, form=form, kind=document_kind,
                           label=KIND_LABELS[document_kind], hint=PLACEHOLDER_HINT,
                           has_seal=bool(stored and stored.seal_image)), status


@bp.route("/cycles/<int:cycle_id>/official/<kind>.pdf")
@oversight_required
def official_pdf(cycle_id: int, kind: str):
    cycle = _load_cycle(cycle_id)
    document_kind = _kind(kind)
    try:
        document = services.official_document(get_session(), cycle, document_kind, zone=_zone())
        data = render_official_pdf(document)
    except (DomainError, MissingFontError) as error:
        return _back(cycle, getattr(error, "message", str(error)))
    return _pdf(data, f"{cycle.year}-{FILE_NAMES[document_kind]}.pdf")


# --- overlay printing -----------------------------------------------------------------------------------


def _position(form: LayoutForm, name: str) -> FieldPosition:
    return FieldPosition(x_mm=float(getattr(form, f"{name}_x_mm").data), y_mm=float(getattr(form, f"{name}_y_mm").data),
                         size_pt=float(getattr(form, f"{name}_pt").data))


@bp.route("/cycles/<int:cycle_id>/overlay", methods=["GET", "POST"])
@office_required
def edit_layout(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    session = get_session()
    form = LayoutForm()
    status = 200
    if not form.is_submitted():
        layout = services.layout_of(session, cycle)
        form.page_width_mm.data = Decimal(str(layout.page_width_mm))
        form.page_height_mm.data = Decimal(str(layout.page_height_mm))
        for name in ("organization", "number", "date"):
            position = getattr(layout, name)
            getattr(form, f"{name}_x_mm").data = Decimal(str(position.x_mm))
            getattr(form, f"{name}_y_mm").data = Decimal(str(position.y_mm))
            getattr(form, f"{name}_pt").data = Decimal(str(position.size_pt))
        form.organization_max_width_mm.data = Decimal(str(layout.organization_max_width_mm))
        form.date_style.data = layout.date_style
    elif not form.validate():
        status = 422
    else:
        layout = Layout(page_width_mm=float(form.page_width_mm.data), page_height_mm=float(form.page_height_mm.data),
                        organization=_position(form, "organization"), number=_position(form, "number"),
                        date=_position(form, "date"),
                        organization_max_width_mm=float(form.organization_max_width_mm.data),
                        date_style=form.date_style.data)
        try:
            services.save_layout(session, actor=actor(), cycle=cycle, layout=layout)
        except DomainError as error:
            flash(error.message, "error")
            status = 422
        else:
            flash(_("The overlay positions are saved. Print a test page to check them."), "success")
            return redirect(url_for("documents.cycle_documents", cycle_id=cycle.id))
    return render_template("documents/layout.html", cycle=cycle, form=form), status


@bp.route("/cycles/<int:cycle_id>/overlay.pdf")
@oversight_required
def overlay_pdf(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    printer = _chosen_printer()
    session = get_session()
    try:
        data = render_overlay_pdf(services.overlay_texts(session, cycle), layout=services.layout_of(session, cycle),
                                  offset=services.offset_of(printer))
    except (DomainError, MissingFontError) as error:
        return _back(cycle, getattr(error, "message", str(error)))
    return _pdf(data, f"{cycle.year}-套打-证书.pdf")


@bp.route("/cycles/<int:cycle_id>/overlay-test.pdf")
@oversight_required
def overlay_test_pdf(cycle_id: int):
    cycle = _load_cycle(cycle_id)
    printer = _chosen_printer()
    try:
        data = render_test_page_pdf(layout=services.layout_of(get_session(), cycle),
                                    offset=services.offset_of(printer))
    except MissingFontError as error:
        return _back(cycle, str(error))
    return _pdf(data, f"{cycle.year}-套打-校准测试页.pdf")


# --- printers ---------------------------------------------------------------------------------------------


def _printer_values(form: PrinterForm) -> dict[str, object]:
    return {"name": form.name.data or "", "offset_x_mm": form.offset_x_mm.data, "offset_y_mm": form.offset_y_mm.data,
            "note": form.note.data or ""}


@bp.route("/printers", methods=["GET", "POST"])
@office_required
def printers():
    session = get_session()
    form = PrinterForm()
    status = 200
    if not form.is_submitted():
        form.offset_x_mm.data = form.offset_y_mm.data = Decimal("0.0")
    elif not form.validate():
        status = 422
    else:
        try:
            services.create_printer(session, actor=actor(), **_printer_values(form))
        except DomainError as error:
            flash(error.message, "error")
            status = 422
        else:
            flash(_("The printer is added."), "success")
            return redirect(url_for("documents.printers"))
    return render_template("documents/printers.html", printers=services.printer_profiles(session), form=form,
                           cycle_id=arg_id(request.args, "cycle", field=_("The cycle"))), status


@bp.route("/printers/<int:printer_id>", methods=["GET", "POST"])
@office_required
def edit_printer(printer_id: int):
    printer = _load_printer(printer_id)
    form = PrinterForm(obj=printer) if request.method == "GET" else PrinterForm()
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 422
        else:
            try:
                services.update_printer(get_session(), actor=actor(), printer=printer, **_printer_values(form))
            except DomainError as error:
                flash(error.message, "error")
                status = 422
            else:
                flash(_("The printer is saved."), "success")
                return redirect(url_for("documents.printers"))
    return render_template("documents/printer.html", printer=printer, form=form, delete_form=EmptyForm()), status


@bp.route("/printers/<int:printer_id>/delete", methods=["POST"])
@office_required
def delete_printer(printer_id: int):
    printer = _load_printer(printer_id)
    services.delete_printer(get_session(), actor=actor(), printer=printer)
    flash(_("The printer is removed."), "success")
    return redirect(url_for("documents.printers"))
