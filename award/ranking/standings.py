"""A cycle's standings from its round aggregates: combine, re-mark the listed, rank, test, freeze as rows.

The pure half of the cycle's ranking, shared by the app (`services.compute_ranking`, which loads the
rounds from the database) and the offline recount of an archive (`award/archive/recount.py`, which
loads them from the archive's files): one way to turn aggregates into the shortlist and its rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from award.i18n import _, _l
from award.lazy import lazy_module
from award.numbers import format_score
from award.ranking.aggregate import (
    STATUS_NO_ONSITE,
    STATUS_OK,
    CombinedRound,
    DisagreementRule,
    Exclusion,
    ExclusionRecord,
    MethodResult,
    RoundAggregate,
    RubricLayout,
    combine_rounds,
    round2,
)
from award.ranking.models import CombineMode
from award.ranking.rank import RankedEntry, rank_applications
from award.ranking.robustness import VERDICT_NOT_RANKED, Robustness, check_robustness
from award.ranking.weights import combine_weighted
from award.rubrics import Rubric

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported by the first np.… a ranking reads (award/lazy.py)

STATUS_BLACKLISTED = "blacklisted"
STATUS_SOCIAL_VETO = "social_veto"  # vetoed by the social evaluation (一票否决): shown, never ranked
VERDICT_NOT_COMPUTED = "not_computed"
STATUS_NO_PRESENTATION = "no_presentation"  # the procedure weighs a presentation the application did not give
MODE_PROCEDURE = "procedure"  # the rounds combined by the procedure's frozen weights
ROUND_KINDS = ("document", "presentation", "onsite")
# Why a seat's sheet does not count although the seat was filled: its status (rounds.models.AssignmentStatus).
VACATED_REASONS = {
    "conflict_declared": _l("The expert declared a conflict of interest"),
    "removed": _l("The expert was taken off the panel"),
}


@dataclass(frozen=True)
class EffectiveSettings:
    """The ranking settings of a cycle as used: the cycle's figures plus RankingSettings."""

    cutoff: float
    quota: int
    combine_mode: CombineMode
    onsite_weight: float
    sector_limits: dict[str, int]
    min_sheets_for_leniency: int
    tie_break: tuple[str, ...]


@dataclass(frozen=True)
class ApplicationInfo:
    id: int
    name: str
    sector: str
    district: str
    credit_code: str


def layout_of(rubric: Rubric) -> RubricLayout:
    """The core's view of a rubric: items in file order with category and points."""
    return RubricLayout.from_items((item.id, item.category_id, item.points) for item in rubric.items)


def disagreement_rule(range_threshold_pct: Any, std_threshold_pct: Any) -> DisagreementRule:
    """A round's disagreement thresholds (percentages of an item's points) as the core's rule."""
    return DisagreementRule(range_fraction=float(range_threshold_pct) / 100,
                            std_fraction=float(std_threshold_pct) / 100)


def exclusions_from(
    seats: Iterable[tuple[int, int, str, str | None]], conflicts: Mapping[tuple[int, int], Sequence[str]],
) -> list[Exclusion]:
    """Sheets to leave out, with reasons: (application, expert, seat status, status reason) of a round's
    seats, and the conflict reasons per (application, expert). A seat not active excludes its sheet."""
    out: list[Exclusion] = []
    for application_id, expert_id, status, status_reason in seats:
        reasons = list(conflicts.get((application_id, expert_id), ()))
        if status != "active":
            label = str(VACATED_REASONS[status])
            reasons.append(_("%(label)s: %(reason)s", label=label, reason=status_reason) if status_reason else label)
        if reasons:
            out.append(Exclusion(application_id, expert_id, _("; ").join(dict.fromkeys(reasons))))
    return out


def _present(value: float) -> float | None:
    v = float(value)
    return None if np.isnan(v) else float(round2(v))


@dataclass(frozen=True, eq=False)
class RankedCycle:
    """The figures, ranked entries and robustness of a cycle's rounds, computed once."""

    rubric: Rubric
    settings: EffectiveSettings
    document: RoundAggregate | None
    onsite: RoundAggregate | None
    standings: RoundAggregate | CombinedRound | None
    entries: list[RankedEntry]
    robustness: dict[int, Robustness]
    robustness_basis: str | None  # "document" / "onsite", None when not computed
    applications: dict[int, ApplicationInfo]
    blacklist: dict[int, list[str]]  # application id -> list sources
    presentation: RoundAggregate | None
    weights: RoundWeights | None  # the procedure's weights when they combine the rounds, else None
    vetoes: Mapping[int, str]  # application id -> the reason of its social veto (when one was given)

    @property
    def method(self) -> str | None:
        return self.standings.method if self.standings is not None else None

    @property
    def combined(self) -> bool:
        return isinstance(self.standings, CombinedRound)

    @property
    def exclusions(self) -> list[tuple[str, ExclusionRecord]]:
        """(round kind, record) for every exclusion of every round."""
        return [(kind, e) for kind, aggregate in self.round_aggregates() for e in aggregate.exclusions]

    def exclusions_of(self, application_id: int) -> list[tuple[str, ExclusionRecord]]:
        return [(kind, e) for kind, e in self.exclusions if e.application_id == application_id]

    def round_aggregates(self) -> list[tuple[str, RoundAggregate]]:
        found = {"document": self.document, "presentation": self.presentation, "onsite": self.onsite}
        return [(k, found[k]) for k in ROUND_KINDS if found[k] is not None]  # type: ignore[misc]

    def aggregate_of(self, kind: str) -> RoundAggregate | None:
        return dict(self.round_aggregates()).get(kind)

    def disagreements_of(self, application_id: int) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for kind, aggregate in self.round_aggregates():
            try:
                row = aggregate.index_of(application_id)
            except KeyError:
                continue
            out += [(kind, d) for d in aggregate.disagreements_of(np.array([row]))]
        return out

    def figures_row(self, application_id: int) -> int | None:
        """Row of the application in the standings (None when it is not in them)."""
        if self.standings is None:
            return None
        ids = self.standings.application_ids
        pos = int(np.searchsorted(ids, application_id))
        return pos if pos < len(ids) and ids[pos] == application_id else None

    def method_totals(self, application_id: int) -> dict[str, float | None]:
        row = self.figures_row(application_id)
        if row is None or self.standings is None:
            return {}
        return {m: _present(r.totals[row]) for m, r in self.standings.methods.items()}

    def categories(self, application_id: int) -> dict[str, float | None]:
        row = self.figures_row(application_id)
        if row is None or self.standings is None:
            return {}
        values = self.standings.official.categories[row]
        return {c: _present(v) for c, v in zip(self.standings.category_ids, values.tolist(), strict=True)}

    def items(self, application_id: int) -> dict[str, float | None]:
        row = self.figures_row(application_id)
        if row is None or self.standings is None:
            return {}
        values = self.standings.official.items[row]
        return {i: _present(v) for i, v in zip(self.standings.layout.item_ids, values.tolist(), strict=True)}

    def counted_of(self, application_id: int) -> dict[str, str]:
        """Round kind -> the record ("independent" / "consensus") each round's figure in the
        application's total came from."""
        row = self.figures_row(application_id)
        if row is None or self.standings is None or self.document is None:
            return {}
        if self.weights is not None:
            return {kind: aggregate.counts for kind, aggregate in self.round_aggregates()
                    if self.weights.weights.get(kind, Decimal("0")) > 0}
        if isinstance(self.standings, CombinedRound) and self.onsite is not None \
                and self.standings.onsite_present[row]:
            if self.settings.combine_mode is CombineMode.REPLACE:
                return {"onsite": self.onsite.counts}
            return {"document": self.document.counts, "onsite": self.onsite.counts}
        return {"document": self.document.counts}

    def independent_total(self, application_id: int) -> float | None:
        """The official method over the independent sheets, combined like the rounds: the total
        itself where the sheets count, shown beside it where a consensus does."""
        row = self.figures_row(application_id)
        if row is None or self.standings is None:
            return None
        return _present(self.standings.independent.totals[row])

    def sheet_ranges(self, application_id: int) -> dict[str, tuple[float, float]]:
        """Round kind -> lowest and highest independent sheet total, for the rounds in the total."""
        out: dict[str, tuple[float, float]] = {}
        for kind in self.counted_of(application_id):
            aggregate = self.aggregate_of(kind)
            if aggregate is None:
                continue
            try:
                row = aggregate.index_of(application_id)
            except KeyError:
                continue
            low, high = (_present(v[row]) for v in aggregate.sheet_total_range)
            if low is not None and high is not None:
                out[kind] = (low, high)
        return out

    def mean_z(self, application_id: int) -> float | None:
        """Mean z-normalized total over the sheets of experts with enough sheets (document round)."""
        if self.document is None:
            return None
        try:
            return _present(self.document.leniency.application_mean_z[self.document.index_of(application_id)])
        except KeyError:
            return None

    def sheet_count(self, application_id: int) -> int:
        aggregate = self.onsite if self.onsite is not None and self.weights is None \
            and self.settings.combine_mode is CombineMode.REPLACE else self.document
        if aggregate is None:
            return 0
        try:
            return int(aggregate.sheet_count[aggregate.index_of(application_id)])
        except KeyError:
            return 0

    def sheet_counts(self, application_id: int) -> dict[str, int]:
        """The valid sheets of each scored round the application is in, in the order the rounds run."""
        counts = {}
        for kind, aggregate in self.round_aggregates():
            try:
                counts[kind] = int(aggregate.sheet_count[aggregate.index_of(application_id)])
            except KeyError:
                continue
        return counts

    def incomplete_sheets(self, application_id: int) -> int:
        return sum(1 for _kind, a in self.round_aggregates() for app, _e in a.incomplete_sheets
                   if app == application_id)


def _with_status(standings: Any, ids: np.ndarray, hit: set[int], status: str) -> Any:
    """The standings with `status` for the listed applications (they are then not ranked)."""
    if not hit:
        return standings
    current = np.asarray(standings.status).astype(object)
    current[np.isin(ids, np.fromiter(hit, dtype=np.int64))] = status
    return dataclasses.replace(standings, status=current.astype(str))


@dataclass(frozen=True)
class RoundWeights:
    """The procedure's frozen weights of its scored rounds (round kind -> share, adding up to 1), each round's
    form total (the presentation form's 100, the cycle rubric's 1000) and the total they are all brought to."""

    weights: Mapping[str, Decimal]
    form_totals: Mapping[str, int]
    scale_to: int

    def as_dict(self) -> dict[str, Any]:
        return {"weights": {k: str(w) for k, w in self.weights.items()}, "form_totals": dict(self.form_totals),
                "scale_to": self.scale_to}


def _by_application(ids: np.ndarray, values: np.ndarray) -> dict[int, float | None]:
    return {int(a): (None if np.isnan(v) else float(v)) for a, v in zip(ids.tolist(), values.tolist(), strict=True)}


def combine_by_weights(document: RoundAggregate, others: Mapping[str, RoundAggregate | None],
                       weights: RoundWeights) -> CombinedRound:
    """The scored rounds combined by the procedure's weights (`weights.combine_weighted` on each method's totals).

    Every application of the document round is a row. A round with a weight above 0 that an application misses
    (or that is not scored yet) leaves it unranked: "no_presentation" / "no_onsite_review"; a round short of
    sheets or of its consensus passes its status on. The categories and items, which the tie-break reads, are
    those of the rounds scored on the cycle's rubric, mixed by their weights among themselves (the document
    round's alone when none of them weighs): a presentation form has other items, so the parts do not add up to
    the total once it weighs."""
    rounds: dict[str, RoundAggregate | None] = {"document": document, **others}
    ids = document.application_ids
    missing = {"presentation": STATUS_NO_PRESENTATION, "onsite": STATUS_NO_ONSITE}
    weighed = [k for k, w in weights.weights.items() if w > 0]

    def totals_of(pick: Any) -> np.ndarray:
        per_round = {k: (_by_application(a.application_ids, pick(a).totals) if a is not None else {})
                     for k in weights.weights for a in (rounds.get(k),)}
        combined = combine_weighted(per_round, weights.form_totals, weights.weights, scale_to=weights.scale_to)
        return np.array([np.nan if combined.get(a) is None else float(combined[a])  # type: ignore[arg-type]
                         for a in ids.tolist()], dtype=float)

    same_form = {k: a for k, a in rounds.items() if a is not None and a.layout.item_ids == document.layout.item_ids
                 and weights.weights.get(k, Decimal("0")) > 0} or {"document": document}
    share = sum((weights.weights.get(k, Decimal("0")) for k in same_form), Decimal("0"))

    def parts(pick: Any) -> np.ndarray:
        out = np.zeros(pick(document).shape, dtype=float)
        for kind, aggregate in same_form.items():
            w = float(weights.weights[kind] / share) if share > 0 else 1.0
            rows = {int(a): i for i, a in enumerate(aggregate.application_ids.tolist())}
            values = round2(pick(aggregate))
            taken = np.full(out.shape, np.nan)
            for i, a in enumerate(ids.tolist()):
                if int(a) in rows:
                    taken[i] = values[rows[int(a)]]
            out = out + w * taken
        return out

    adds_up = all(k in same_form for k in weighed)

    def combine(pick: Any, method: str) -> MethodResult:
        return MethodResult(method=method, totals=totals_of(pick),
                            categories=parts(lambda a: pick(a).categories), items=parts(lambda a: pick(a).items),
                            parts_add_up=adds_up and all(pick(a).parts_add_up for a in same_form.values()))

    methods = {m: combine(lambda a, m=m: a.methods[m], m) for m in document.methods}
    official = combine(lambda a: a.official, document.official.method) \
        if any(a is not None and a.consensus is not None for a in rounds.values()) else methods[document.method]
    status = document.status.astype(object).copy()
    present = np.ones(len(ids), dtype=bool)
    for kind in weighed:
        if kind == "document":
            continue
        aggregate = rounds.get(kind)
        own = {} if aggregate is None else dict(zip(aggregate.application_ids.tolist(),
                                                   aggregate.status.tolist(), strict=True))
        for i, a in enumerate(ids.tolist()):
            if a not in own:
                present[i] = False
                if status[i] == STATUS_OK:
                    status[i] = missing.get(kind, STATUS_NO_ONSITE)
            elif status[i] == STATUS_OK and own[a] != STATUS_OK:
                status[i] = own[a]
    return CombinedRound(
        application_ids=ids, layout=document.layout, method=document.method, mode=MODE_PROCEDURE,
        weight=float(weights.weights.get("onsite", Decimal("0"))), methods=methods, official=official,
        onsite_present=present, status=status.astype(str),
        counts={k: a.counts for k, a in rounds.items() if a is not None and k in weighed})


def rank_rounds(
    rubric: Rubric, settings: EffectiveSettings, document: RoundAggregate | None, onsite: RoundAggregate | None, *,
    applications: dict[int, ApplicationInfo], blacklist: dict[int, list[str]],
    vetoed: Collection[int] | Mapping[int, str] = (),
    presentation: RoundAggregate | None = None, weights: RoundWeights | None = None,
) -> RankedCycle:
    """Combine the rounds, leave the listed and the vetoed applications unranked (each with its status as the
    reason shown), rank, and test the robustness.

    With `weights` (a procedure that has a presentation round) the scored rounds combine by the procedure's
    frozen weights (`combine_by_weights`); without, as before: the document round alone, or document and on-site
    by the ranking settings (replace or weighted)."""
    if document is None:
        return RankedCycle(rubric, settings, None, None, None, [], {}, None, applications, blacklist, None, None, {})
    listed = set(blacklist)
    vetoes = set(vetoed) - listed  # the dishonesty list says more
    reasons = {app: vetoed[app] for app in vetoes if vetoed[app]} if isinstance(vetoed, Mapping) else {}
    document = _with_status(document, document.application_ids, listed, STATUS_BLACKLISTED)
    document = _with_status(document, document.application_ids, vetoes, STATUS_SOCIAL_VETO)
    rank_settings: dict[str, Any] = {
        "cutoff": settings.cutoff,
        "quota": settings.quota,
        "sector_of": {i: a.sector for i, a in applications.items() if a.sector},
        "sector_limits": settings.sector_limits or None,
        "tie_break_categories": settings.tie_break,
    }
    standings: RoundAggregate | CombinedRound
    basis: str | None
    if weights is not None:
        marked = {}
        for kind, aggregate in (("onsite", onsite), ("presentation", presentation)):
            if aggregate is not None:
                aggregate = _with_status(aggregate, aggregate.application_ids, listed, STATUS_BLACKLISTED)
                aggregate = _with_status(aggregate, aggregate.application_ids, vetoes, STATUS_SOCIAL_VETO)
            marked[kind] = aggregate
        onsite, presentation = marked["onsite"], marked["presentation"]
        combined = combine_by_weights(document, marked, weights)
        standings = _with_status(combined, combined.application_ids, listed, STATUS_BLACKLISTED)
        standings = _with_status(standings, standings.application_ids, vetoes, STATUS_SOCIAL_VETO)
        basis = None  # a weighted mix has no single round whose removal can be replayed
    elif onsite is not None and len(onsite.application_ids):
        onsite = _with_status(onsite, onsite.application_ids, listed, STATUS_BLACKLISTED)
        onsite = _with_status(onsite, onsite.application_ids, vetoes, STATUS_SOCIAL_VETO)
        combined = combine_rounds(document, onsite, settings.combine_mode.value,
                                  settings.onsite_weight if settings.combine_mode is CombineMode.WEIGHTED else None)
        standings = _with_status(combined, combined.application_ids, listed, STATUS_BLACKLISTED)
        standings = _with_status(standings, standings.application_ids, vetoes, STATUS_SOCIAL_VETO)
        # In "replace" mode the on-site round alone decides every ranked place, so checking it is
        # exact; a weighted mix has no single round whose removal can be replayed.
        basis = "onsite" if settings.combine_mode is CombineMode.REPLACE else None
    else:
        standings, basis = document, "document"
    entries = rank_applications(standings, **rank_settings)
    robustness: dict[int, Robustness] = {}
    if basis is not None:
        tested = onsite if basis == "onsite" and onsite is not None else document
        robustness = check_robustness(tested, **rank_settings)
    return RankedCycle(rubric, settings, document, onsite, standings, entries, robustness, basis, applications,
                       blacklist, presentation, weights, reasons)


def robustness_of(ranking: RankedCycle, application_id: int) -> tuple[str, tuple[str, ...]]:
    """Verdict and anonymized experts whose removal flips the application's shortlist place."""
    if ranking.robustness_basis is None:
        return VERDICT_NOT_COMPUTED, ()
    found = ranking.robustness.get(application_id)
    if found is None:
        return VERDICT_NOT_RANKED, ()
    return found.verdict, found.flipped_by


def _money(value: float | None) -> str | None:
    return None if value is None else format_score(value)


def snapshot_rows(ranking: RankedCycle) -> list[dict[str, Any]]:
    """The entries as plain JSON-able dicts (figures as 2-decimal strings), in list order."""
    rows = []
    for position, entry in enumerate(ranking.entries, start=1):
        app_id = int(entry.application_id)
        info = ranking.applications.get(app_id)
        verdict, flipped = robustness_of(ranking, app_id)
        rows.append({
            "position": position,
            "application_id": app_id,
            "rank": entry.rank,
            "organization_name": info.name if info else "",
            "sector": entry.sector or "",
            "status": entry.status,
            "sheet_count": ranking.sheet_count(app_id),
            "sheet_counts": ranking.sheet_counts(app_id),  # per scored round: what the pages and exports show
            "total": _money(entry.total),
            "categories": {c: _money(v) for c, v in ranking.categories(app_id).items()},
            "method_totals": {m: _money(v) for m, v in ranking.method_totals(app_id).items()},
            "items": {i: _money(v) for i, v in ranking.items(app_id).items()},
            "mean_z": _money(ranking.mean_z(app_id)),
            "decided_by": entry.decided_by,
            "in_shortlist": bool(entry.in_shortlist),
            "reason": entry.reason,
            "exclusions": [
                {"round": kind, "expert": e.expert_label, "reason": e.reason, "matched": e.matched}
                for kind, e in ranking.exclusions_of(app_id)
            ],
            "flags": {
                "disagreements": [f"{kind}:{d.item_id}" for kind, d in ranking.disagreements_of(app_id)],
                "incomplete_sheets": ranking.incomplete_sheets(app_id),
                "blacklist": ranking.blacklist.get(app_id, []),
                # the veto's reason, shown on the row and kept in the snapshot (and so in the archive)
                **({"social_veto": ranking.vetoes[app_id]} if app_id in ranking.vetoes else {}),
            },
            "robustness": verdict,
            "flipped_by": list(flipped),
            "counted": ranking.counted_of(app_id),
            "independent": {
                "total": _money(ranking.independent_total(app_id)),
                "ranges": {kind: [_money(low), _money(high)]
                           for kind, (low, high) in ranking.sheet_ranges(app_id).items()},
            },
        })
    return rows


def content_hash(rows: list[dict[str, Any]]) -> str:
    text = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
