"""The call for applications: public pages without login, and the office's page to write and publish it."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from award.app_db import get_session
from award.auth.access import actor, office_required, oversight_required
from award.calls import services
from award.calls.configured import call_limits, call_store
from award.calls.forms import AttachmentForm, CallForm
from award.calls.models import CallAttachment, CycleCall
from award.calls.presenters import apply_action, deadline_rows, window_status
from award.calls.queries import can_read_call, open_calls, published_calls
from award.calls.rules import paragraphs
from award.cycles.models import Cycle
from award.db import utcnow
from award.i18n import _
from award.views import attachment, get_or_404, on_refusal, validated

bp = Blueprint("calls", __name__, url_prefix="/calls")


def _call_or_404(cycle_id: int) -> CycleCall:
    call = services.call_of(get_session(), get_or_404(Cycle, cycle_id))
    if call is None:
        abort(404)
    return call


def _readable(cycle_id: int) -> CycleCall:
    """The call, if this reader may see it: a draft is a 404 for everyone but the office and the supervisor."""
    call = _call_or_404(cycle_id)
    if not can_read_call(current_user, call):
        abort(404)
    return call


def _manage_page(cycle: Cycle, form: CallForm | None = None, upload_form: AttachmentForm | None = None) -> str:
    call = services.call_of(get_session(), cycle)
    return render_template("calls/manage.html", cycle=cycle, call=call, form=form or CallForm.for_call(cycle, call),
                           upload_form=upload_form or AttachmentForm(formdata=None), limits=call_limits(),
                           file_limit=services.mib(call_limits().max_file_bytes),
                           deadlines=deadline_rows(cycle, utcnow()))


# --- public ------------------------------------------------------------------------------------


@bp.route("/")
def public_list():
    calls, now = published_calls(get_session()), utcnow()
    return render_template("calls/public_list.html", calls=calls,
                           open_ids={c.id for c in open_calls(get_session(), now)},
                           deadlines={c.id: deadline_rows(c.cycle, now)[:1] for c in calls})


@bp.route("/<int:cycle_id>")
def public_call(cycle_id: int):
    call = _readable(cycle_id)
    now = utcnow()
    return render_template("calls/public_call.html", call=call, paragraphs=paragraphs,
                           deadlines=deadline_rows(call.cycle, now), status=window_status(call.cycle, now),
                           action=apply_action(get_session(), call, current_user, now))


@bp.route("/<int:cycle_id>/files/<int:file_id>")
def download(cycle_id: int, file_id: int):
    found = get_or_404(CallAttachment, file_id, call_id=_readable(cycle_id).id)
    path = call_store().path_of(found.sha256)
    if not path.is_file():
        abort(404)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != found.sha256:
        abort(500)  # the stored bytes changed since upload: serve nothing rather than the wrong file
    return attachment(data, found.display_name, found.content_type)


# --- the office ----------------------------------------------------------------------------------


@bp.route("/manage/<int:cycle_id>")
@oversight_required
def manage(cycle_id: int):
    return _manage_page(get_or_404(Cycle, cycle_id))


@bp.route("/manage/<int:cycle_id>", methods=["POST"])
@office_required
def save(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = CallForm()
    on_refusal(lambda _: _manage_page(cycle, form=form))
    validated(form)
    services.save_call(get_session(), actor=actor(), cycle=cycle, text=form.to_text())
    flash(_("The call is saved."), "success")
    return redirect(url_for("calls.manage", cycle_id=cycle.id))


@bp.route("/manage/<int:cycle_id>/publish", methods=["POST"])
@office_required
def publish(cycle_id: int):
    call = _call_or_404(cycle_id)
    on_refusal(lambda _: redirect(url_for("calls.manage", cycle_id=cycle_id)))
    services.publish_call(get_session(), actor=actor(), call=call)
    flash(_("The call is published: anyone can read it now."), "success")
    return redirect(url_for("calls.manage", cycle_id=cycle_id))


@bp.route("/manage/<int:cycle_id>/unpublish", methods=["POST"])
@office_required
def unpublish(cycle_id: int):
    call = _call_or_404(cycle_id)
    on_refusal(lambda _: redirect(url_for("calls.manage", cycle_id=cycle_id)))
    services.unpublish_call(get_session(), actor=actor(), call=call)
    flash(_("The call is a draft again: the public no longer sees it."), "success")
    return redirect(url_for("calls.manage", cycle_id=cycle_id))


@bp.route("/manage/<int:cycle_id>/files", methods=["POST"])
@office_required
def upload(cycle_id: int):
    call = _call_or_404(cycle_id)
    form = AttachmentForm()
    on_refusal(lambda _: _manage_page(call.cycle, upload_form=form))
    validated(form)
    limits = call_limits()
    storage = form.file.data
    services.add_call_attachment(get_session(), actor=actor(), call=call, filename=storage.filename or "",
                                 data=storage.stream.read(limits.max_file_bytes + 1), store=call_store(), limits=limits)
    flash(_("File attached."), "success")
    return redirect(url_for("calls.manage", cycle_id=cycle_id) + "#files")


@bp.route("/manage/<int:cycle_id>/files/<int:file_id>/delete", methods=["POST"])
@office_required
def delete_file(cycle_id: int, file_id: int):
    call = _call_or_404(cycle_id)
    found = get_or_404(CallAttachment, file_id, call_id=call.id)
    on_refusal(lambda _: redirect(url_for("calls.manage", cycle_id=cycle_id)))
    services.remove_call_attachment(get_session(), actor=actor(), attachment=found, store=call_store())
    flash(_("File removed."), "success")
    return redirect(url_for("calls.manage", cycle_id=cycle_id) + "#files")
