"""The ranking of a cycle for the office and the supervisor; the office freezes the shortlist.

Leaders do not see results before their vote (403 here; the approval area shows the frozen
snapshot to them when it opens the vote).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.models import Application
from award.auth.models import Role, User
from award.auth.permissions import actor, office_required, oversight_required
from award.cycles.models import Cycle, Stage
from award.db import get_session
from award.errors import DomainError
from award.i18n import _
from award.main.dashboard import Task, task_provider
from award.ranking import charts, exports, services
from award.ranking.forms import RankingSettingsForm, parse_sector_limits
from award.ranking.models import CombineMode, RankingSnapshot

bp = Blueprint("ranking", __name__, url_prefix="/cycles/<int:cycle_id>/ranking")


def _load(cycle_id: int) -> Cycle:
    return get_session().get(Cycle, cycle_id) or abort(404)


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {k: str(v) for k, v in services.STATUS_LABELS.items()},
        "reason": {k: str(v) for k, v in services.REASONS.items()},
        "verdict": {k: str(v) for k, v in services.VERDICT_LABELS.items()},
    }


def _category_names(ranking: services.CycleRanking, lang: str) -> dict[str, str]:
    return {c.id: c.display_name(lang) for c in ranking.rubric.categories}


def _lang() -> str:
    from award.views import current_locale

    return "en" if current_locale() == "en" else "zh"


@bp.route("/")
@oversight_required
def show(cycle_id: int):
    return _render_ranking(_load(cycle_id))


def _render_ranking(cycle: Cycle, status: int = 200):
    session = get_session()
    ranking = services.compute_ranking(session, cycle)
    ranked_totals = [e.total for e in ranking.entries if e.rank is not None]
    histogram = charts.ranking_histogram_svg(ranked_totals, cutoff=ranking.settings.cutoff) if ranked_totals else None
    return render_template(
        "ranking/show.html", cycle=cycle, ranking=ranking, rows=services.snapshot_rows(ranking),
        histogram=histogram, labels=_labels(), category_names=_category_names(ranking, _lang()),
        method_names=charts.method_names(), snapshot=services.current_snapshot(session, cycle),
        can_freeze=cycle.stage is Stage.DELIBERATION,
    ), status


@bp.route("/applications/<int:application_id>")
@oversight_required
def application(cycle_id: int, application_id: int):
    cycle = _load(cycle_id)
    session = get_session()
    app_row = session.get(Application, application_id)
    if app_row is None or app_row.cycle_id != cycle.id:
        abort(404)
    ranking = services.compute_ranking(session, cycle)
    names = _category_names(ranking, _lang())
    rounds = []
    for kind, aggregate in ranking.round_aggregates():
        try:
            figures = aggregate.figures(application_id)
        except KeyError:
            continue
        rounds.append({
            "kind": kind, "figures": figures,
            "spread": charts.application_spread_svg(aggregate, application_id),
            "profile": charts.application_profile_svg(aggregate, application_id, category_names=names),
            "leniency": [e for e in aggregate.expert_leniency() if e.meaningful],
        })
    entry = next((e for e in ranking.entries if e.application_id == application_id), None)
    verdict, flipped = services.robustness_of(ranking, application_id)
    return render_template(
        "ranking/application.html", cycle=cycle, application=app_row, ranking=ranking, entry=entry,
        rounds=rounds, verdict=verdict, flipped=flipped, labels=_labels(), category_names=names,
        method_names=charts.method_names(), blacklist=ranking.blacklist.get(application_id, []),
    )


@bp.route("/export.<fmt>")
@oversight_required
def export(cycle_id: int, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    cycle = _load(cycle_id)
    ranking = services.compute_ranking(get_session(), cycle)
    names = _category_names(ranking, _lang())
    header, rows = exports.ranking_table(
        services.snapshot_rows(ranking),
        categories=[(c.id, names[c.id]) for c in ranking.rubric.categories],
        items=[item.id for item in ranking.rubric.items],
        methods=list(charts.method_names().items()),
        labels=_labels(),
    )
    filename = f"ranking-{cycle.year}-{cycle.id}.{fmt}"
    if fmt == "csv":
        body, mimetype = exports.to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(header, rows, title=_("Ranking"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/freeze", methods=["POST"])
@office_required
def freeze(cycle_id: int):
    cycle = _load(cycle_id)
    try:
        snapshot = services.freeze_shortlist(get_session(), actor=actor(), cycle=cycle)
    except DomainError as error:
        flash(error.message, "error")
        return _render_ranking(cycle, 409)
    flash(_("The shortlist is frozen (version %(version)s).", version=snapshot.version), "success")
    return redirect(url_for("ranking.snapshot", cycle_id=cycle.id))


@bp.route("/snapshot")
@oversight_required
def snapshot(cycle_id: int):
    cycle = _load(cycle_id)
    frozen: RankingSnapshot | None = services.current_snapshot(get_session(), cycle)
    return render_template("ranking/snapshot.html", cycle=cycle, snapshot=frozen, labels=_labels(),
                           rows=exports.rows_from_snapshot(frozen) if frozen else [])


@bp.route("/settings", methods=["GET", "POST"])
@office_required
def settings(cycle_id: int):
    cycle = _load(cycle_id)
    session = get_session()
    form = RankingSettingsForm()
    if not form.is_submitted():
        form.fill_from(services.ranking_settings(session, cycle))
    elif form.validate():
        try:
            services.update_ranking_settings(
                session, actor=actor(), cycle=cycle, combine_mode=CombineMode(form.combine_mode.data),
                onsite_weight=form.onsite_weight.data, sector_limits=parse_sector_limits(form.sector_limits.data or ""),
                min_sheets_for_leniency=form.min_sheets_for_leniency.data,
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Ranking settings saved."), "success")
            return redirect(url_for("ranking.show", cycle_id=cycle.id))
    status = 422 if form.is_submitted() else 200
    return render_template("ranking/settings.html", cycle=cycle, form=form), status


@task_provider(Role.OFFICE)
def _ranking_ready(session: Session, user: User) -> list[Task]:
    """A cycle in deliberation whose shortlist is not frozen yet: the ranking is ready to check."""
    cycles = session.scalars(select(Cycle).where(Cycle.stage == Stage.DELIBERATION).order_by(Cycle.id)).all()
    return [
        Task(_("%(cycle)s: the ranking is ready; check it and freeze the shortlist",
               cycle=f"{cycle.year} {cycle.title}"),
             url_for("ranking.show", cycle_id=cycle.id))
        for cycle in cycles if services.current_snapshot(session, cycle) is None
    ]
