"""The office's bulk tools on a cycle: reminders in one click, a message previewed then sent. The supervisor
sees the page (who would be reached) but sends nothing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from award.app_db import get_session
from award.applications.models import ApplicationStatus
from award.auth.access import actor, office_required, oversight_required
from award.cycles.models import Cycle
from award.forms import filled
from award.i18n import _
from award.outreach import services
from award.outreach.forms import MessageForm, SendForm
from award.rounds.models import ReviewRound
from award.rounds.services import KIND_LABELS, rounds_of
from award.views import get_or_404, on_refusal, validated

bp = Blueprint("outreach", __name__, url_prefix="/outreach")


def _page(cycle: Cycle, form: MessageForm | None = None, preview: services.MessagePreview | None = None,
          confirm: SendForm | None = None) -> str:
    session = get_session()
    counts = services.status_counts(session, cycle)
    return render_template(
        "outreach/cycle.html", cycle=cycle, kind_labels=KIND_LABELS, preview=preview, confirm=confirm,
        rounds=[(r, services.late_experts(session, r)) for r in rounds_of(session, cycle)],
        returned=services.applicants(session, cycle, ApplicationStatus.RETURNED),
        form=form or MessageForm(formdata=None, counts=counts))


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle(cycle_id: int):
    return _page(get_or_404(Cycle, cycle_id))


@bp.route("/rounds/<int:round_id>/remind", methods=["POST"])
@office_required
def remind_experts(round_id: int):
    review_round = get_or_404(ReviewRound, round_id)
    on_refusal(lambda _: _page(review_round.cycle))
    result = services.remind_late_experts(get_session(), actor=actor(), review_round=review_round)
    flash(_("Reminded %(count)s expert(s).", count=result.count), "success")
    return redirect(url_for("outreach.cycle", cycle_id=review_round.cycle_id))


@bp.route("/cycles/<int:cycle_id>/remind-returned", methods=["POST"])
@office_required
def remind_returned(cycle_id: int):
    found = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _page(found))
    result = services.remind_returned_applicants(get_session(), actor=actor(), cycle=found)
    flash(_("Reminded %(count)s applicant account(s).", count=result.count), "success")
    return redirect(url_for("outreach.cycle", cycle_id=found.id))


@bp.route("/cycles/<int:cycle_id>/message/preview", methods=["POST"])
@office_required
def preview(cycle_id: int):
    found = get_or_404(Cycle, cycle_id)
    form = MessageForm(counts=services.status_counts(get_session(), found))
    on_refusal(lambda _: _page(found, form))
    validated(form)
    shown = services.preview_message(get_session(), actor=actor(), cycle=found, message=form.to_message())
    return _page(found, form, preview=shown, confirm=SendForm(formdata=None, data={**form.data,
                                                                                    "expected_count": shown.count}))


@bp.route("/cycles/<int:cycle_id>/message", methods=["POST"])
@office_required
def send(cycle_id: int):
    found = get_or_404(Cycle, cycle_id)
    form = SendForm()
    on_refusal(lambda _: _page(found, form))
    validated(form)
    job, _created = services.queue_message(get_session(), actor=actor(), cycle=found, message=form.to_message(),
                                           expected_count=filled(form.expected_count.data))
    return redirect(url_for("jobs.job_page", job_id=job.id))  # the worker sends it; its page shows when
