"""On-site visits: the office's schedule, the team's checklist and photos, the report PDF."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from award.app_db import get_session
from award.applications.models import Application
from award.auth.access import actor, expert_required, login_required, office_required, oversight_required
from award.cycles.models import Cycle
from award.db import utcnow
from award.forms import filled
from award.i18n import _, local_zone
from award.views import attachment, get_or_404, inline_file, on_refusal, validated
from award.visits import presenters, services
from award.visits.configured import max_photo_bytes, photo_store
from award.visits.forms import CheckForm, PhotoForm, ScheduleForm, check_prefix, schedule_prefix
from award.visits.models import CheckStatus, SiteVisit, VisitPhoto
from award.visits.report import render_visit_report, visit_report

bp = Blueprint("visits", __name__, url_prefix="/visits")


def _cycle_page(cycle: Cycle, forms: dict[int, ScheduleForm] | None = None) -> str:
    return render_template("visits/cycle.html", **presenters.cycle_page(get_session(), cycle, forms or {}))


def _visit_page(visit: SiteVisit, photo_form: PhotoForm | None = None) -> str:
    return render_template("visits/visit.html",
                           **presenters.visit_page(get_session(), visit, actor(), photo_form=photo_form))


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_visits(cycle_id: int):
    return _cycle_page(get_or_404(Cycle, cycle_id))


@bp.route("/applications/<int:application_id>/schedule", methods=["POST"])
@office_required
def schedule(application_id: int):
    application = get_or_404(Application, application_id)
    form = ScheduleForm(prefix=schedule_prefix(application.id))
    on_refusal(lambda _: _cycle_page(application.cycle, {application.id: form}), form=form)
    validated(form)
    services.schedule_visit(get_session(), actor=actor(), application=application, visit_on=filled(form.visit_on.data),
                            itinerary=form.itinerary.data or "", today=utcnow().astimezone(local_zone()).date())
    flash(_("The visit is saved; the enterprise and the team are told."), "success")
    return redirect(url_for("visits.cycle_visits", cycle_id=application.cycle_id) + f"#visit-{application.id}")


@bp.route("/mine")
@expert_required
def my_visits():
    return render_template("visits/mine.html", visits=services.visits_for_expert(get_session(), actor()))


@bp.route("/<int:visit_id>")
@login_required
def show_visit(visit_id: int):
    visit = get_or_404(SiteVisit, visit_id)
    services.require_view(get_session(), actor(), visit)
    return _visit_page(visit)


@bp.route("/<int:visit_id>/items/<item_id>", methods=["POST"])
@expert_required
def save_check(visit_id: int, item_id: str):
    visit = get_or_404(SiteVisit, visit_id)
    form = CheckForm(prefix=check_prefix(item_id))
    on_refusal(lambda _: _visit_page(visit))
    validated(form)
    services.save_check(get_session(), actor=actor(), visit=visit, item_id=item_id,
                        status=CheckStatus(form.status.data), note=form.note.data or "")
    flash(_("Saved."), "success")
    return redirect(url_for("visits.show_visit", visit_id=visit.id) + f"#item-{item_id}")


@bp.route("/<int:visit_id>/photos", methods=["POST"])
@expert_required
def add_photo(visit_id: int):
    visit = get_or_404(SiteVisit, visit_id)
    form = PhotoForm()
    on_refusal(lambda _: _visit_page(visit, form), form=form)
    validated(form)
    limit = max_photo_bytes()
    services.add_photo(get_session(), actor=actor(), visit=visit, item_id=form.item_id.data or "",
                       data=form.photo.data.stream.read(limit + 1), filename=form.photo.data.filename or "",
                       strip_location=bool(form.strip_location.data), store=photo_store(), max_bytes=limit)
    flash(_("The photo is kept as evidence."), "success")
    return redirect(url_for("visits.show_visit", visit_id=visit.id) + f"#item-{form.item_id.data}")


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"])
@expert_required
def remove_photo(photo_id: int):
    photo = get_or_404(VisitPhoto, photo_id)
    visit_id = photo.visit_id
    on_refusal(lambda _: redirect(url_for("visits.show_visit", visit_id=visit_id)))
    services.remove_photo(get_session(), actor=actor(), photo=photo, store=photo_store())
    flash(_("The photo is removed."), "success")
    return redirect(url_for("visits.show_visit", visit_id=visit_id))


@bp.route("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    found = get_or_404(VisitPhoto, photo_id)
    data = services.photo_bytes(get_session(), actor=actor(), photo=found, store=photo_store())
    return inline_file(data, found.display_name, found.content_type)


@bp.route("/<int:visit_id>/report.pdf")
@login_required
def report(visit_id: int):
    visit = get_or_404(SiteVisit, visit_id)
    data = render_visit_report(visit_report(get_session(), visit, actor=actor(), store=photo_store(), now=utcnow()))
    return attachment(data, f"现场评审报告-{visit.application_id}.pdf", "application/pdf")
