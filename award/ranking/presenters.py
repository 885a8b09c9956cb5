"""What the ranking pages and downloads show, computed from the domain (no request, no rendering)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from award.applications.models import Application
from award.cycles.models import Cycle, Stage
from award.cycles.settings import AwardLevels
from award.i18n import _
from award.ranking import charts, exports, services
from award.ranking.levels import assign_levels
from award.rounds.services import round_rubric

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD_FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def labels() -> dict[str, dict[str, str]]:
    return {
        "status": {k: str(v) for k, v in services.STATUS_LABELS.items()},
        "reason": {k: str(v) for k, v in services.REASONS.items()},
        "verdict": {k: str(v) for k, v in services.VERDICT_LABELS.items()},
        "counts": {k: str(v) for k, v in services.COUNTS_LABELS.items()},
        "rounds": {k: str(v) for k, v in services.ROUND_LABELS.items()},
    }


def category_names(ranking: services.CycleRanking, lang: str) -> dict[str, str]:
    return {c.id: c.display_name(lang) for c in ranking.rubric.categories}


def level_names(levels: AwardLevels) -> dict[int, str]:
    """{level number: name}, for the pages that show a shortlisted entry's level."""
    return {number: level.name for number, level in enumerate(levels.levels, start=1)}


def ranking_page(session: Session, cycle: Cycle, *, lang: str) -> dict[str, Any]:
    ranking = services.compute_ranking(session, cycle)
    levels = AwardLevels.of(cycle.award_settings)
    ranked_totals = [e.total for e in ranking.entries if e.rank is not None]
    histogram = charts.ranking_histogram_svg(ranked_totals, cutoff=ranking.settings.cutoff) if ranked_totals else None
    return {
        "cycle": cycle, "ranking": ranking, "histogram": histogram,
        # with award levels, the shortlist as the freeze will divide it (levels.assign_levels)
        "rows": assign_levels(services.snapshot_rows(ranking), levels), "level_names": level_names(levels),
        "labels": labels(), "category_names": category_names(ranking, lang), "method_names": charts.method_names(),
        "snapshot": services.current_snapshot(session, cycle), "can_freeze": cycle.stage is Stage.DELIBERATION,
    }


def application_page(session: Session, cycle: Cycle, application: Application, *, lang: str) -> dict[str, Any]:
    """One application's figures per round, its spread and profile charts, and its robustness."""
    ranking = services.compute_ranking(session, cycle)
    names = category_names(ranking, lang)
    rounds = []
    for kind, aggregate in ranking.round_aggregates():
        try:
            figures = aggregate.figures(application.id)
        except KeyError:  # not scored in this round
            continue
        # A round scored on its own form (the presentation round) shows that form's categories and items.
        form = round_rubric(ranking.presentation_round) if kind == "presentation" and ranking.presentation_round \
            else ranking.rubric
        own = {c.id: c.display_name(lang) for c in form.categories}
        rounds.append({
            "kind": kind, "figures": figures, "categories": form.categories,
            "spread": charts.application_spread_svg(aggregate, application.id),
            "profile": charts.application_profile_svg(aggregate, application.id, category_names=own),
            "leniency": [e for e in aggregate.expert_leniency() if e.meaningful],
        })
    verdict, flipped = services.robustness_of(ranking, application.id)
    return {
        "cycle": cycle, "application": application, "ranking": ranking, "rounds": rounds,
        "entry": next((e for e in ranking.entries if e.application_id == application.id), None),
        "verdict": verdict, "flipped": flipped, "labels": labels(), "category_names": names,
        "method_names": charts.method_names(), "blacklist": ranking.blacklist.get(application.id, []),
    }


def ranking_download(session: Session, cycle: Cycle, fmt: str, *, lang: str) -> bytes:
    """The live ranking with every figure as CSV or XLSX (``fmt``, one of DOWNLOAD_FORMATS)."""
    ranking = services.compute_ranking(session, cycle)
    names = category_names(ranking, lang)
    header, rows = exports.ranking_table(
        services.snapshot_rows(ranking),
        categories=[(c.id, names[c.id]) for c in ranking.rubric.categories],
        items=[item.id for item in ranking.rubric.items],
        methods=list(charts.method_names().items()),
        labels=labels(),
    )
    return exports.to_csv(header, rows) if fmt == "csv" else exports.to_xlsx(header, rows, title=_("Ranking"))
