"""The ranking of a cycle for the office and the supervisor; the office freezes the shortlist.

Leaders do not see results before their vote (403 here; the approval area shows the frozen
snapshot to them when it opens the vote).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from award.app_db import get_session
from award.applications.models import Application
from award.auth.access import actor, office_required, oversight_required
from award.cycles.models import Cycle
from award.i18n import _
from award.ranking import charts, exports, presenters, services
from award.ranking.forms import RankingSettingsForm
from award.ranking.models import RankingSnapshot
from award.views import attachment, get_or_404, on_refusal, rubric_language, submitted

bp = Blueprint("ranking", __name__, url_prefix="/cycles/<int:cycle_id>/ranking")


def _ranking_page(cycle: Cycle) -> str:
    return render_template("ranking/show.html", **presenters.ranking_page(get_session(), cycle,
                                                                          lang=rubric_language()))


@bp.route("/")
@oversight_required
def show(cycle_id: int):
    return _ranking_page(get_or_404(Cycle, cycle_id))


@bp.route("/applications/<int:application_id>")
@oversight_required
def application(cycle_id: int, application_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    found = get_or_404(Application, application_id, cycle_id=cycle.id)
    page = presenters.application_page(get_session(), cycle, found, lang=rubric_language())
    return render_template("ranking/application.html", **page)


@bp.route("/export.<fmt>")
@oversight_required
def export(cycle_id: int, fmt: str):
    if fmt not in presenters.DOWNLOAD_FORMATS:
        abort(404)
    cycle = get_or_404(Cycle, cycle_id)
    data = presenters.ranking_download(get_session(), cycle, fmt, lang=rubric_language())
    return attachment(data, f"ranking-{cycle.year}-{cycle.id}.{fmt}", presenters.DOWNLOAD_FORMATS[fmt])


@bp.route("/freeze", methods=["POST"])
@office_required
def freeze(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _ranking_page(cycle))
    snapshot = services.freeze_shortlist(get_session(), actor=actor(), cycle=cycle)
    flash(_("The shortlist is frozen (version %(version)s).", version=snapshot.version), "success")
    return redirect(url_for("ranking.snapshot", cycle_id=cycle.id))


@bp.route("/snapshot")
@oversight_required
def snapshot(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    frozen: RankingSnapshot | None = services.current_snapshot(get_session(), cycle)
    return render_template("ranking/snapshot.html", cycle=cycle, snapshot=frozen, labels=presenters.labels(),
                           method_names=charts.method_names(),
                           level_names=presenters.level_names(services.frozen_levels(get_session(), cycle)),
                           rows=exports.rows_from_snapshot(frozen) if frozen else [])


@bp.route("/settings", methods=["GET", "POST"])
@office_required
def settings(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = RankingSettingsForm.for_settings(services.ranking_settings(get_session(), cycle))
    on_refusal(lambda _: render_template("ranking/settings.html", cycle=cycle, form=form))
    if not submitted(form):
        return render_template("ranking/settings.html", cycle=cycle, form=form)
    services.update_ranking_settings(get_session(), actor=actor(), cycle=cycle, **form.to_settings())
    flash(_("Ranking settings saved."), "success")
    return redirect(url_for("ranking.show", cycle_id=cycle.id))
