"""Social evaluation pages: the office's lists, findings and comment window; the public comment form."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_limiter.util import get_remote_address

from award.app_db import get_session
from award.applications.models import Application
from award.auth.access import actor, office_required, oversight_required
from award.cycles.models import Cycle
from award.db import utcnow
from award.i18n import _
from award.limits import IMPORT_MAX_BYTES
from award.social import presenters, services
from award.social.forms import CommentForm, FindingForm, ImportForm, WindowForm
from award.social.models import FindingLevel, ListKind
from award.views import get_or_404, limiter, on_refusal, submitted, validated

bp = Blueprint("social", __name__, url_prefix="/social")


def _comments_per_address() -> str:
    return current_app.config.get("SOCIAL_COMMENTS_PER_ADDRESS", "10 per hour")


def _cycle_page(cycle: Cycle, *, import_form: ImportForm | None = None, window_form: WindowForm | None = None,
                problems: list | None = None) -> str:
    return render_template("social/cycle.html", **presenters.cycle_page(
        get_session(), cycle, import_form=import_form, window_form=window_form, problems=problems))


def _finding_page(application: Application, form: FindingForm | None = None) -> str:
    return render_template("social/finding.html", **presenters.finding_page(get_session(), application, form=form))


def _comment_page(cycle: Cycle, form: CommentForm) -> str:
    window = services.window_of(get_session(), cycle)
    return render_template("social/comment.html", cycle=cycle, form=form, window=window,
                           open=services.accepting_comments(get_session(), cycle, utcnow()))


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_page(cycle_id: int):
    return _cycle_page(get_or_404(Cycle, cycle_id))


@bp.route("/cycles/<int:cycle_id>/import", methods=["POST"])
@office_required
def import_list(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = ImportForm()
    on_refusal(lambda error: _cycle_page(cycle, import_form=form, problems=getattr(error, "problems", None)),
               form=form)
    validated(form)
    added = services.import_records(get_session(), actor=actor(), kind=ListKind(form.kind.data),
                                    data=form.file.data.stream.read(IMPORT_MAX_BYTES + 1),
                                    filename=form.file.data.filename or "")
    flash(_("%(count)s new entries imported.", count=added), "success")
    return redirect(url_for("social.cycle_page", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/window", methods=["POST"])
@office_required
def open_window(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = WindowForm()
    on_refusal(lambda _: _cycle_page(cycle, window_form=form), form=form)
    validated(form)
    services.open_comment_window(get_session(), actor=actor(), cycle=cycle, closes_at=form.closes_at_utc())
    flash(_("The public comment window is open."), "success")
    return redirect(url_for("social.cycle_page", cycle_id=cycle.id))


@bp.route("/applications/<int:application_id>")
@oversight_required
def finding(application_id: int):
    return _finding_page(get_or_404(Application, application_id))


@bp.route("/applications/<int:application_id>", methods=["POST"])
@office_required
def record_finding(application_id: int):
    application = get_or_404(Application, application_id)
    form = FindingForm()
    on_refusal(lambda _: _finding_page(application, form), form=form)
    validated(form)
    services.record_finding(get_session(), actor=actor(), application=application,
                            level=FindingLevel(form.level.data), reason=form.reason.data or "",
                            evidence=form.evidence.data or "")
    flash(_("The finding is recorded."), "success")
    return redirect(url_for("social.cycle_page", cycle_id=application.cycle_id))


@bp.route("/cycles/<int:cycle_id>/comment", methods=["GET", "POST"])
@limiter.limit(_comments_per_address, key_func=get_remote_address, methods=["POST"], scope="social-comments")
def comment(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    if services.window_of(get_session(), cycle) is None:
        abort(404)
    form = CommentForm.for_candidates(services.candidates(get_session(), cycle))
    on_refusal(lambda _: _comment_page(cycle, form))
    if not submitted(form):
        return _comment_page(cycle, form)
    services.file_comment(get_session(), cycle=cycle, data=form.to_input())
    flash(_("Your comment is received. Thank you."), "success")
    return redirect(url_for("social.comment", cycle_id=cycle.id))
