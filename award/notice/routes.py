"""The public notice: public pages without login, the objection form, and the office's side."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_limiter.util import get_remote_address

from award.app_db import get_session
from award.applications.evidence import EvidenceStore
from award.auth.access import actor, office_required, oversight_required
from award.cycles.models import Cycle
from award.db import utcnow
from award.forms import filled
from award.i18n import _, local_zone
from award.limits import pdf_check_limits
from award.notice import services
from award.notice.configured import objection_store
from award.notice.forms import OUTCOME_LABELS, DecideForm, LookupForm, ObjectionForm, PublishForm
from award.notice.masking import mask_id_number
from award.notice.models import Objection, ObjectionOutcome, PublicNotice
from award.notice.periods import HOLIDAYS_FILE, load_calendar
from award.views import attachment, get_or_404, limiter, on_refusal, submitted, validated

bp = Blueprint("notice", __name__, url_prefix="/notices")


def _store() -> EvidenceStore:
    return objection_store()


def _objections_per_address() -> str:
    return current_app.config.get("OBJECTIONS_PER_ADDRESS", "10 per hour")


def _lookups_per_address() -> str:
    return current_app.config.get("OBJECTION_LOOKUPS_PER_ADDRESS", "20 per hour")


def _objection_page(notice: PublicNotice, form: ObjectionForm) -> str:
    return render_template("notice/object.html", notice=notice, form=form, now=utcnow())


def _manage_page(cycle: Cycle, form: PublishForm | None = None) -> str:
    session = get_session()
    notice = services.notice_of(session, cycle)
    return render_template(
        "notice/manage.html", cycle=cycle, notice=notice, form=form or PublishForm.proposed(cycle), mask=mask_id_number,
        outcome_labels=OUTCOME_LABELS, objections=services.objections_of(session, notice) if notice else [],
        problems=services.award_problems(session, cycle, utcnow(), local_zone()) if notice else [],
    )


def _objection_decision_page(objection: Objection, form: DecideForm | None = None) -> str:
    return render_template("notice/objection.html", objection=objection, form=form or DecideForm(formdata=None),
                           outcome_labels=OUTCOME_LABELS, id_number=services.id_number_for(actor(), objection))


# --- public ------------------------------------------------------------------------------------


@bp.route("/")
def public_list():
    return render_template("notice/public_list.html", notices=services.published_notices(get_session()),
                           now=utcnow())


@bp.route("/<int:notice_id>")
def public_notice(notice_id: int):
    notice = get_or_404(PublicNotice, notice_id)
    return render_template("notice/public_notice.html", notice=notice, now=utcnow(),
                           groups=services.candidates_by_level(get_session(), notice),
                           decided_by=services.decided_by(notice.cycle),
                           titles=services.titles_awarded(get_session(), notice))


@bp.route("/<int:notice_id>/object", methods=["GET", "POST"])
@limiter.limit(_objections_per_address, key_func=get_remote_address, methods=["POST"], scope="objections")
def object_form(notice_id: int):
    notice = get_or_404(PublicNotice, notice_id)
    form = ObjectionForm.for_notice(notice)
    on_refusal(lambda _: _objection_page(notice, form))
    if not submitted(form):
        return _objection_page(notice, form)
    limit = int(current_app.config.get("OBJECTION_MAX_FILE_BYTES", services.DEFAULT_MAX_EVIDENCE_BYTES))
    filed = services.file_objection(get_session(), notice=notice, data=form.to_input(limit), store=_store(),
                            remote_addr=get_remote_address() or "", max_evidence_bytes=limit, zone=local_zone(),
                            pdf_check=pdf_check_limits(current_app.config))
    session["objection_reference"] = filed.reference
    return redirect(url_for("notice.objection_received", notice_id=notice.id))


@bp.route("/<int:notice_id>/object/received")
def objection_received(notice_id: int):
    return render_template("notice/received.html", notice=get_or_404(PublicNotice, notice_id),
                           reference=session.get("objection_reference"))


@bp.route("/objections/status", methods=["GET", "POST"])
@limiter.limit(_lookups_per_address, key_func=get_remote_address, methods=["POST"], scope="objection-lookups")
def objection_status():
    """Public: the objector's number and phone give its status and the office's answer; one answer for any miss."""
    form = LookupForm()
    on_refusal(lambda _: render_template("notice/status.html", form=form, status=None, missed=False))
    if not submitted(form):
        return render_template("notice/status.html", form=form, status=None, missed=False)
    status = services.lookup_objection(get_session(), reference=filled(form.reference.data),
                                      phone=filled(form.phone.data))
    return render_template("notice/status.html", form=form, status=status, missed=status is None,
                           outcome_labels=OUTCOME_LABELS), (200 if status else 404)


# --- the office and the supervisor -------------------------------------------------------------


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def manage(cycle_id: int):
    return _manage_page(get_or_404(Cycle, cycle_id))


@bp.route("/cycles/<int:cycle_id>/publish", methods=["POST"])
@office_required
def publish(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = PublishForm()
    on_refusal(lambda _: _manage_page(cycle, form))
    validated(form)
    notice = services.publish_notice(get_session(), actor=actor(), cycle=cycle, zone=local_zone(), text=form.to_text(),
                                     calendar=load_calendar(current_app.config.get("NOTICE_HOLIDAYS_FILE")
                                                            or HOLIDAYS_FILE))
    if notice.withdrawn:
        flash(_("Found on the dishonesty list and withdrawn: %(names)s",
                names=", ".join(c.organization_name for c in notice.withdrawn)), "error")
    flash(_("The public notice is published."), "success")
    return redirect(url_for("notice.manage", cycle_id=cycle.id))


@bp.route("/objections/<int:objection_id>")
@oversight_required
def objection(objection_id: int):
    return _objection_decision_page(get_or_404(Objection, objection_id))


@bp.route("/objections/<int:objection_id>/decide", methods=["POST"])
@office_required
def decide(objection_id: int):
    found = get_or_404(Objection, objection_id)
    form = DecideForm()
    on_refusal(lambda _: _objection_decision_page(found, form))
    validated(form)
    services.decide_objection(get_session(), actor=actor(), objection=found,
                              outcome=ObjectionOutcome(form.outcome.data), reason=filled(form.reason.data),
                              answer=filled(form.answer.data))
    flash(_("The outcome is recorded."), "success")
    return redirect(url_for("notice.manage", cycle_id=found.notice.cycle_id))


@bp.route("/objections/<int:objection_id>/evidence")
@oversight_required
def evidence(objection_id: int):
    found = get_or_404(Objection, objection_id)
    services.record_evidence_download(get_session(), actor=actor(), objection=found)
    data = _store().read_checked(found.sha256)
    if data is None:
        abort(404)  # missing, or no longer the bytes sent: serve nothing rather than the wrong file
    return attachment(data, found.display_name, found.content_type)


# --- dashboard -------------------------------------------------------------------------------
