"""Aggregate one review round's score sheets into per-application figures.

Score rows (application, expert, item, points) become dense numpy arrays in one vectorized
pass (``np.unique`` + ``np.bincount`` + fancy indexing, no Python loop over rows). Every
application gets all three methods (mean, trimmed mean, median); the round's official method
is the one ranked, the others are shown beside it for information.

Presentation rules (documented here because the office must be able to explain them):

* **Trimmed mean**: with at least ``TRIM_MIN_SHEETS`` (5) valid sheets, the sheet with the
  highest TOTAL and the sheet with the lowest TOTAL are dropped and the remaining sheets are
  averaged. The same two sheets are dropped for the item and category figures, so items add
  up to categories and categories to the total. Tie rule: among sheets sharing the highest
  total, the one whose expert id sorts first is dropped; the lowest is then chosen the same
  way among the remaining sheets (so a panel of identical totals still drops two distinct
  sheets). The total does not depend on this choice; the item figures do, hence the rule.
  With fewer than 5 sheets nothing is dropped (plain mean).
* **Median**: total = median of sheet totals, category = median of per-sheet category sums,
  item = median of per-sheet item points (even counts: mean of the two middle values).
  Medians of parts need not add up to the median total; ``MethodResult.parts_add_up`` is
  False for the median so the page can say so instead of showing a sum.
* **Which record counts**: a round counts either its independent sheets, aggregated by its
  official method, or its panel's consensus (组内合议), a sheet of its own agreed by the
  panel. The consensus never replaces a sheet: ``RoundAggregate.official`` is the consensus
  sheet when it counts, and the independent figures stay beside it (``independent``, the
  sheets' totals and their range). An application without an agreed consensus in a round
  that counts the consensus is not ranked (``no_consensus``). Trimming belongs to the
  independent sheets; the consensus total is never trimmed.
* **Trimmed label**: when every valid sheet holds the same points on every item, dropping two
  of them changes nothing, so no sheet is said to be dropped (``ApplicationFigures.trimmed_experts``
  is empty) although the computation still drops two by the tie rule.
* **Rounding**: figures are kept as floats and presented with 2 decimals, rounded half away
  from zero (四舍五入). Rounded parts may differ from the rounded total by a cent.
* **Exclusions**: sheets of (application, expert) pairs found conflicted are removed before
  anything is computed; each exclusion is listed with its reason and whether it hit a sheet.
* **Incomplete sheets** (an item missing) never count; they are listed, not dropped silently.
* **Disagreement**: per item, range = max - min and the POPULATION standard deviation
  (``ddof=0``: the panel is the whole set of scores, not a sample; configurable) over the
  valid sheets; an item is flagged when range > range_fraction x item points or
  std > std_fraction x item points (strictly greater, with a 1e-9 tolerance against float
  noise). Fewer than two sheets are never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from award.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
else:
    np = lazy_module("numpy")  # imported by the first np.… a ranking reads (award/lazy.py)

METHODS: tuple[str, ...] = ("mean", "trimmed_mean", "median")
COUNTS_INDEPENDENT = "independent"  # the official method over the experts' independent sheets
COUNTS_CONSENSUS = "consensus"  # the panel's agreed consensus sheet
COUNTS: tuple[str, ...] = (COUNTS_INDEPENDENT, COUNTS_CONSENSUS)
STATUS_OK = "ok"
STATUS_INSUFFICIENT = "insufficient_sheets"
STATUS_NO_CONSENSUS = "no_consensus"
TRIM_MIN_SHEETS = 5
# Tolerance for comparing float sums (ties, thresholds): scores are multiples of small steps.
_EPS = 1e-9
_TIE_DECIMALS = 6


def round2(values: Any) -> FloatArray:
    """Round to 2 decimals, half away from zero (四舍五入), NaN stays NaN."""
    a = np.asarray(values, dtype=np.float64)
    # Round the scaled value to 6 decimals first so 1.005 * 100 = 100.49999... rounds up.
    scaled = np.round(np.abs(a) * 100, 6)
    return np.sign(a) * np.floor(scaled + 0.5) / 100 + 0.0


def present(value: float) -> float | None:
    """One presented figure: 2 decimals, or None where there is nothing to show."""
    v = float(value)
    return None if np.isnan(v) else float(round2(v))


def expert_label(index: int) -> str:
    """Stable anonymous code of the expert at `index` in sorted expert-id order ("E1"...)."""
    return f"E{index + 1}"


@dataclass(frozen=True)
class RubricLayout:
    """Items in rubric order with their category and maximum points."""

    item_ids: tuple[str, ...]
    item_categories: tuple[str, ...]
    item_points: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.item_ids)
        if n == 0 or len(self.item_categories) != n or len(self.item_points) != n:
            raise ValueError("a rubric layout needs items, each with a category and points")
        if len(set(self.item_ids)) != n:
            raise ValueError("item ids must be unique")
        if any(not p > 0 for p in self.item_points):
            raise ValueError("item points must be positive")

    @classmethod
    def from_items(cls, items: Iterable[tuple[str, str, float]]) -> RubricLayout:
        """Build from (item_id, category_id, points) triples in rubric order."""
        triples = list(items)
        return cls(
            item_ids=tuple(str(t[0]) for t in triples),
            item_categories=tuple(str(t[1]) for t in triples),
            item_points=tuple(float(t[2]) for t in triples),
        )

    @property
    def size(self) -> int:
        return len(self.item_ids)

    @cached_property
    def category_ids(self) -> tuple[str, ...]:
        """Categories in order of first appearance."""
        return tuple(dict.fromkeys(self.item_categories))

    @cached_property
    def category_index(self) -> np.ndarray:
        pos = {c: i for i, c in enumerate(self.category_ids)}
        return np.array([pos[c] for c in self.item_categories], dtype=np.intp)

    @cached_property
    def membership(self) -> FloatArray:
        """(items, categories) 0/1 matrix: item points @ membership = category sums."""
        m = np.zeros((self.size, len(self.category_ids)))
        m[np.arange(self.size), self.category_index] = 1.0
        return m

    @cached_property
    def points(self) -> FloatArray:
        return np.asarray(self.item_points, dtype=np.float64)

    @cached_property
    def category_points(self) -> FloatArray:
        return self.points @ self.membership

    @property
    def total_points(self) -> float:
        return float(self.points.sum())


def _gb19580_layout() -> RubricLayout:
    items = {
        "4.1": (50, 30, 30),
        "4.2": (40, 50),
        "4.3": (40, 50),
        "4.4": (60, 15, 20, 15, 10, 10),
        "4.5": (50, 50),
        "4.6": (40, 40),
        "4.7": (80, 80, 80, 60, 50, 50),
    }
    return RubricLayout.from_items(
        (f"{cat}.{n + 2}", cat, pts) for cat, points in items.items() for n, pts in enumerate(points)
    )


# GB/T 19580-2012 (23 items, 1000 points), for tests and benchmarks; the app ranks with the
# layout of the rubric version its cycle froze.
GB_T_19580_2012 = _gb19580_layout()
GB_T_19580_TIE_BREAK: tuple[str, ...] = ("4.7", "4.1")


def _id_array(values: Any, what: str) -> np.ndarray:
    if not isinstance(values, np.ndarray):
        # numpy would silently turn [1, "X"] into strings; refuse mixed types up front.
        kinds = {int if issubclass(t, np.integer) else t for t in set(map(type, values))}
        if len(kinds) > 1:
            raise TypeError(f"{what} must be all integers or all strings, got {kinds}")
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional")
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "U":
        return a
    if a.size == 0:
        return a.astype(np.int64)
    # Mixed or odd types would sort unpredictably; the ranking's last tie-break needs an order.
    raise TypeError(f"{what} must be all integers or all strings, got {a.dtype}")


@dataclass(frozen=True)
class ScoreRows:
    """Score rows of one round as parallel 1-D arrays (one row per expert per item)."""

    application_id: np.ndarray
    expert_id: np.ndarray
    item_id: np.ndarray
    points: np.ndarray
    # Optional: each row's item as its position in the rubric layout the rows are aggregated with,
    # when the loader knows it (packed sheets come in layout order); saves looking up every item id.
    item_index: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "application_id", _id_array(self.application_id, "application ids")
        )
        object.__setattr__(self, "expert_id", _id_array(self.expert_id, "expert ids"))
        object.__setattr__(self, "item_id", np.asarray(self.item_id).astype(str))
        object.__setattr__(self, "points", np.asarray(self.points, dtype=float))
        n = len(self.application_id)
        if not (len(self.expert_id) == len(self.item_id) == len(self.points) == n):
            raise ValueError("score row columns must have the same length")
        if self.item_index is not None:
            object.__setattr__(self, "item_index", np.asarray(self.item_index, dtype=np.intp))
            if len(self.item_index) != n:
                raise ValueError("score row columns must have the same length")

    @classmethod
    def from_records(cls, records: Iterable[Sequence[Any]]) -> ScoreRows:
        """From (application_id, expert_id, item_id, points) tuples, e.g. a query result."""
        rows = list(records)
        if not rows:
            return cls(
                application_id=np.empty(0, np.int64),
                expert_id=np.empty(0, np.int64),
                item_id=np.empty(0, str),
                points=np.empty(0),
            )
        # Column by column with itemgetter: zip(*rows) over 300k tuples is several times slower.
        apps, experts, items, points = (list(map(itemgetter(i), rows)) for i in range(4))
        return cls(
            application_id=_id_array(apps, "application ids"),
            expert_id=_id_array(experts, "expert ids"),
            item_id=np.asarray(items),
            points=np.asarray(points, dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class ConsensusSheets:
    """A round's agreed panel consensus (组内合议) as parallel 1-D arrays, one row per item.

    A panel sheet of its own: it never replaces an expert's sheet. Only complete consensus
    sheets (every rubric item) count; an application missing an item has no consensus.
    """

    application_id: np.ndarray
    item_id: np.ndarray
    points: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "application_id", _id_array(self.application_id, "application ids"))
        object.__setattr__(self, "item_id", np.asarray(self.item_id).astype(str))
        object.__setattr__(self, "points", np.asarray(self.points, dtype=float))
        if not len(self.application_id) == len(self.item_id) == len(self.points):
            raise ValueError("consensus columns must have the same length")

    @classmethod
    def from_records(cls, records: Iterable[Sequence[Any]]) -> ConsensusSheets:
        """From (application_id, item_id, points) tuples, e.g. a query result."""
        rows = list(records)
        if not rows:
            return cls(application_id=np.empty(0, np.int64), item_id=np.empty(0, str), points=np.empty(0))
        apps, items, points = (list(map(itemgetter(i), rows)) for i in range(3))
        return cls(application_id=_id_array(apps, "application ids"), item_id=np.asarray(items),
                   points=np.asarray(points, dtype=np.float64))

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class DisagreementRule:
    """Thresholds, as fractions of the item's points, that put an item on the consensus agenda."""

    range_fraction: float = 0.30
    std_fraction: float = 0.12
    ddof: int = 0  # 0: population standard deviation; 1: sample

    def __post_init__(self) -> None:
        if self.range_fraction < 0 or self.std_fraction < 0 or self.ddof not in (0, 1):
            raise ValueError("disagreement fractions must be >= 0 and ddof 0 or 1")


@dataclass(frozen=True)
class Exclusion:
    """A sheet to leave out: the expert was found conflicted for this application."""

    application_id: Any
    expert_id: Any
    reason: str


@dataclass(frozen=True)
class ExclusionRecord:
    """An applied exclusion as shown to the office: which sheet, why, and whether it existed."""

    application_id: Any
    expert_id: Any
    expert_label: str | None
    reason: str
    matched: bool


@dataclass(frozen=True)
class Disagreement:
    """One item of one application whose scores spread past the round's thresholds."""

    application_id: Any
    item_id: str
    range: float
    std: float
    range_threshold: float
    std_threshold: float
    by_range: bool
    by_std: bool


@dataclass(frozen=True, eq=False)
class MethodResult:
    """One method's figures: totals (A,), categories (A, C), items (A, I); NaN = no sheets."""

    method: str
    totals: np.ndarray
    categories: np.ndarray
    items: np.ndarray
    parts_add_up: bool
    dropped: np.ndarray | None = None  # (A, K) sheets dropped by trimming


@dataclass(frozen=True, eq=False)
class Leniency:
    """Expert leniency over the round: mean/std of their totals and per-sheet z-scores.

    Meaningful only for experts with at least `min_sheets` valid sheets and a non-zero
    spread; others carry NaN z-scores. Application mean z averages the meaningful sheets.
    """

    min_sheets: int
    counts: np.ndarray  # (E,)
    mean: np.ndarray  # (E,) NaN without sheets
    std: np.ndarray  # (E,) population std
    meaningful: np.ndarray  # (E,) bool
    sheet_z: np.ndarray  # (A, K) NaN where not meaningful
    application_mean_z: np.ndarray  # (A,)
    application_z_count: np.ndarray  # (A,)


@dataclass(frozen=True)
class ExpertLeniency:
    """One expert's leniency, presented: anonymous code, sheet count, mean and spread."""

    label: str
    sheets: int
    mean_total: float | None
    std_total: float | None
    meaningful: bool  # enough sheets (and some spread) for z-scores to mean anything


@dataclass(frozen=True)
class ApplicationFigures:
    """Presented (2-decimal) figures of one application, for the page and the report."""

    application_id: Any
    status: str
    official_method: str
    sheet_count: int
    totals: dict[str, float | None]
    categories: dict[str, dict[str, float | None]]
    items: dict[str, dict[str, float | None]]
    parts_add_up: dict[str, bool]
    sheet_totals: tuple[tuple[str, float], ...]  # (expert label, total) of valid sheets
    trimmed_experts: tuple[str, ...]  # labels of the sheets the trimmed mean dropped (none if all identical)
    exclusions: tuple[ExclusionRecord, ...]
    disagreements: tuple[Disagreement, ...]
    mean_z: float | None
    counts: str = COUNTS_INDEPENDENT  # which record the official total is: independent sheets or consensus
    sheet_range: tuple[float, float] | None = None  # lowest and highest independent sheet total
    consensus_total: float | None = None  # the panel's consensus sheet, when the round counts it
    consensus_categories: dict[str, float | None] = field(default_factory=dict)
    consensus_items: dict[str, float | None] = field(default_factory=dict)

    @property
    def official_total(self) -> float | None:
        """The total that counts: the consensus sheet's, or the official method's over the sheets."""
        return self.consensus_total if self.counts == COUNTS_CONSENSUS else self.totals[self.official_method]


@dataclass(frozen=True, eq=False)
class RoundAggregate:
    """Everything computed for one round; arrays are indexed by sorted application id."""

    application_ids: np.ndarray  # (A,) sorted
    expert_ids: np.ndarray  # (E,) sorted
    layout: RubricLayout
    method: str  # official method of the round
    required_sheets: int
    methods: Mapping[str, MethodResult]
    sheet_points: np.ndarray  # (A, K, I) item points per sheet slot (0 where empty)
    sheet_expert: np.ndarray  # (A, K) expert index, -1 for an empty slot
    sheet_valid: np.ndarray  # (A, K) counted sheets
    sheet_count: np.ndarray  # (A,) number of valid sheets
    status: np.ndarray  # (A,) STATUS_OK or STATUS_INSUFFICIENT
    exclusions: tuple[ExclusionRecord, ...]
    incomplete_sheets: tuple[tuple[Any, Any], ...]
    disagreement_rule: DisagreementRule
    item_range: np.ndarray  # (A, I)
    item_std: np.ndarray  # (A, I)
    disagreement_mask: np.ndarray  # (A, I)
    leniency: Leniency
    counts: str = COUNTS_INDEPENDENT  # which record counts: the independent sheets or the consensus
    consensus: MethodResult | None = None  # the agreed panel sheets (NaN without one), when they count
    _positions: dict[Any, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def official(self) -> MethodResult:
        """The figures that count: the panel's consensus sheets where the round counts them,
        otherwise the official method over the independent sheets."""
        return self.consensus if self.consensus is not None else self.independent

    @property
    def independent(self) -> MethodResult:
        """The official method over the independent sheets, counted or shown beside the consensus."""
        return self.methods[self.method]

    @cached_property
    def sheet_totals(self) -> np.ndarray:
        """(A, K) total of each sheet slot (0 for an empty slot)."""
        totals: np.ndarray = self.sheet_points.sum(axis=2)
        return totals

    @cached_property
    def sheet_total_range(self) -> tuple[np.ndarray, np.ndarray]:
        """(A,) lowest and highest total of the valid independent sheets; NaN without any."""
        valid = self.sheet_valid
        has = valid.any(axis=1)
        low = np.where(has, np.where(valid, self.sheet_totals, np.inf).min(axis=1, initial=np.inf), np.nan)
        high = np.where(has, np.where(valid, self.sheet_totals, -np.inf).max(axis=1, initial=-np.inf), np.nan)
        return low, high

    def trimmed_slots(self, row: int) -> np.ndarray:
        """Slots of the sheets the trimmed mean dropped for one application, as the page names them.

        When every valid sheet holds the same points on every item, dropping two changes no
        figure, so none is named: identical values are not "trimmed".
        """
        dropped = self.methods["trimmed_mean"].dropped
        if dropped is None or not dropped[row].any():
            return np.empty(0, dtype=np.intp)
        kept = self.sheet_points[row][self.sheet_valid[row]]
        if np.all(kept.max(axis=0) - kept.min(axis=0) <= _EPS):
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(dropped[row])

    def disagreements_of(self, rows: np.ndarray | None = None) -> tuple[Disagreement, ...]:
        """Flagged items (of the given application rows, default all) for the consensus agenda."""
        mask = self.disagreement_mask
        if rows is not None:
            keep = np.zeros(mask.shape[0], dtype=bool)
            keep[rows] = True
            mask = mask & keep[:, None]
        a_idx, i_idx = np.nonzero(mask)
        points = self.layout.points[i_idx]
        rule = self.disagreement_rule
        rng = self.item_range[a_idx, i_idx]
        std = self.item_std[a_idx, i_idx]
        columns = zip(
            self.application_ids[a_idx].tolist(),
            i_idx.tolist(),
            round2(rng).tolist(),
            round2(std).tolist(),
            round2(rule.range_fraction * points).tolist(),
            round2(rule.std_fraction * points).tolist(),
            (rng > rule.range_fraction * points + _EPS).tolist(),
            (std > rule.std_fraction * points + _EPS).tolist(),
            strict=True,
        )
        return tuple(
            Disagreement(app, self.layout.item_ids[i], r, s, rt, st, br, bs)
            for app, i, r, s, rt, st, br, bs in columns
        )

    @cached_property
    def disagreements(self) -> tuple[Disagreement, ...]:
        """All flagged items of the round, application by application in rubric order."""
        return self.disagreements_of()

    @property
    def category_ids(self) -> tuple[str, ...]:
        return self.layout.category_ids

    @property
    def expert_labels(self) -> tuple[str, ...]:
        return tuple(expert_label(i) for i in range(len(self.expert_ids)))

    def expert_leniency(self) -> list[ExpertLeniency]:
        """Leniency table by anonymous expert code, in code order."""
        len_ = self.leniency
        return [
            ExpertLeniency(
                label=expert_label(e),
                sheets=int(len_.counts[e]),
                mean_total=present(len_.mean[e]),
                std_total=present(len_.std[e]),
                meaningful=bool(len_.meaningful[e]),
            )
            for e in range(len(self.expert_ids))
        ]

    def index_of(self, application_id: Any) -> int:
        """Row of an application; KeyError when the round has no such application."""
        if not self._positions:
            self._positions.update({k: i for i, k in enumerate(self.application_ids.tolist())})
        return self._positions[application_id]

    def figures(self, application_id: Any) -> ApplicationFigures:
        """Presented figures of one application, all methods side by side."""
        a = self.index_of(application_id)
        lay = self.layout
        totals = self.sheet_totals[a]
        slots = np.flatnonzero(self.sheet_valid[a])
        trimmed = self.trimmed_slots(a)
        low, high = (float(round2(v[a])) for v in self.sheet_total_range) if len(slots) else (np.nan, np.nan)
        panel = self.consensus
        return ApplicationFigures(
            application_id=self.application_ids[a].item(),
            status=str(self.status[a]),
            official_method=self.method,
            sheet_count=int(self.sheet_count[a]),
            totals={m: present(r.totals[a]) for m, r in self.methods.items()},
            categories={
                m: dict(zip(lay.category_ids, map(present, r.categories[a]), strict=True))
                for m, r in self.methods.items()
            },
            items={
                m: dict(zip(lay.item_ids, map(present, r.items[a]), strict=True))
                for m, r in self.methods.items()
            },
            parts_add_up={m: r.parts_add_up for m, r in self.methods.items()},
            sheet_totals=tuple(
                (expert_label(int(self.sheet_expert[a, k])), float(round2(totals[k])))
                for k in slots
            ),
            trimmed_experts=tuple(expert_label(int(self.sheet_expert[a, k])) for k in trimmed),
            exclusions=tuple(
                e for e in self.exclusions if e.application_id == self.application_ids[a].item()
            ),
            disagreements=self.disagreements_of(np.array([a])),
            mean_z=present(self.leniency.application_mean_z[a]),
            counts=self.counts,
            sheet_range=None if np.isnan(low) else (low, high),
            consensus_total=present(panel.totals[a]) if panel is not None else None,
            consensus_categories=(dict(zip(lay.category_ids, map(present, panel.categories[a]), strict=True))
                                  if panel is not None else {}),
            consensus_items=(dict(zip(lay.item_ids, map(present, panel.items[a]), strict=True))
                             if panel is not None else {}),
        )


# --- vectorized kernels on padded (A, K, ...) sheet cubes -----------------------------------


def _masked_mean(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Mean over axis 1 of (A, K, M) values where keep (A, K); NaN where nothing is kept."""
    n = keep.sum(axis=1)
    sums = np.einsum("akm,ak->am", values, keep.astype(float))
    out = np.full(sums.shape, np.nan)
    np.divide(sums, n[:, None], out=out, where=n[:, None] > 0)
    return out


def _masked_median(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Median over axis 1 of (A, K, M) values where keep; NaN where nothing is kept."""
    filled = np.where(keep[:, :, None], values, np.inf)  # unkept slots sort last
    ordered = np.sort(filled, axis=1)
    n = keep.sum(axis=1)
    lo = np.maximum((n - 1) // 2, 0)[:, None, None]
    hi = np.maximum(n // 2, 0)[:, None, None]
    shape = (values.shape[0], 1, values.shape[2])
    a = np.take_along_axis(ordered, np.broadcast_to(lo, shape), axis=1)[:, 0]
    b = np.take_along_axis(ordered, np.broadcast_to(hi, shape), axis=1)[:, 0]
    out = np.full(a.shape, np.nan)
    has = np.broadcast_to((n > 0)[:, None], a.shape)
    np.add(a, b, out=out, where=has)
    out[has] /= 2
    return out


def _trim_drops(sheet_totals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(A, K) mask of the highest and lowest total sheet, where >= TRIM_MIN_SHEETS sheets."""
    rows = np.arange(sheet_totals.shape[0])
    tq = np.round(sheet_totals, _TIE_DECIMALS)  # equal totals must tie despite float noise
    # argmax/argmin return the first slot; slots are in sorted expert order (the tie rule).
    hi = np.argmax(np.where(valid, tq, -np.inf), axis=1)
    low_candidates = np.where(valid, tq, np.inf)
    low_candidates[rows, hi] = np.inf
    lo = np.argmin(low_candidates, axis=1)
    trim = valid.sum(axis=1) >= TRIM_MIN_SHEETS
    dropped = np.zeros(valid.shape, dtype=bool)
    dropped[rows[trim], hi[trim]] = True
    dropped[rows[trim], lo[trim]] = True
    return dropped


def aggregate_cube(
    points: np.ndarray,
    valid: np.ndarray,
    layout: RubricLayout,
    methods: Sequence[str] = METHODS,
) -> dict[str, MethodResult]:
    """Apply the methods to a padded (A, K, I) cube of item points with a (A, K) valid mask.

    Also used by the leave-one-expert-out check on subsets of rows and masks.
    """
    out: dict[str, MethodResult] = {}
    for method in methods:
        if method == "mean":
            items = _masked_mean(points, valid)
            out[method] = MethodResult(
                method, items.sum(axis=1), items @ layout.membership, items, True
            )
        elif method == "trimmed_mean":
            dropped = _trim_drops(points.sum(axis=2), valid)
            items = _masked_mean(points, valid & ~dropped)
            out[method] = MethodResult(
                method, items.sum(axis=1), items @ layout.membership, items, True, dropped
            )
        elif method == "median":
            items = _masked_median(points, valid)
            cats = _masked_median(points @ layout.membership, valid)
            totals = _masked_median(points.sum(axis=2, keepdims=True), valid)[:, 0]
            out[method] = MethodResult(method, totals, cats, items, False)
        else:
            raise ValueError(f"unknown aggregation method {method!r}; use one of {METHODS}")
    return out


def spread(
    points: np.ndarray, valid: np.ndarray, *, ddof: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-item range and standard deviation over valid sheets; NaN below 2 sheets."""
    n = valid.sum(axis=1)[:, None]
    enough = np.broadcast_to(n >= 2, (points.shape[0], points.shape[2]))
    hi = np.where(valid[:, :, None], points, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(valid[:, :, None], points, np.inf).min(axis=1, initial=np.inf)
    rng = np.full(enough.shape, np.nan)
    np.subtract(hi, lo, out=rng, where=enough)
    mean = _masked_mean(points, valid)
    dev = np.where(valid[:, :, None], points - np.nan_to_num(mean)[:, None, :], 0.0)
    std = np.full(enough.shape, np.nan)
    np.divide((dev**2).sum(axis=1), n - ddof, out=std, where=enough)
    np.sqrt(std, out=std, where=enough)
    return rng, std


def leniency(
    sheet_totals: np.ndarray,
    valid: np.ndarray,
    sheet_expert: np.ndarray,
    n_experts: int,
    *,
    min_sheets_for_leniency: int = 5,
) -> Leniency:
    """Each expert's mean and spread of totals, and z-normalized totals per application.

    z = (sheet total - expert mean) / expert population std, only for experts with at least
    `min_sheets_for_leniency` valid sheets and a non-zero spread (otherwise not meaningful).
    """
    e = sheet_expert[valid]
    t = sheet_totals[valid]
    counts = np.bincount(e, minlength=n_experts)
    mean = np.full(n_experts, np.nan)
    np.divide(np.bincount(e, t, minlength=n_experts), counts, out=mean, where=counts > 0)
    ss = np.bincount(e, (t - mean[e]) ** 2, minlength=n_experts)
    std = np.full(n_experts, np.nan)
    np.divide(ss, counts, out=std, where=counts > 0)
    np.sqrt(std, out=std, where=counts > 0)
    meaningful = (counts >= min_sheets_for_leniency) & (np.nan_to_num(std) > _EPS)
    z_flat = np.full(t.shape, np.nan)
    ok = meaningful[e]
    z_flat[ok] = (t[ok] - mean[e[ok]]) / std[e[ok]]
    sheet_z = np.full(valid.shape, np.nan)
    sheet_z[valid] = z_flat
    has_z = ~np.isnan(sheet_z)
    z_count = has_z.sum(axis=1)
    app_z = np.full(valid.shape[0], np.nan)
    np.divide(np.where(has_z, sheet_z, 0.0).sum(axis=1), z_count, out=app_z, where=z_count > 0)
    return Leniency(
        min_sheets=min_sheets_for_leniency,
        counts=counts,
        mean=mean,
        std=std,
        meaningful=meaningful,
        sheet_z=sheet_z,
        application_mean_z=app_z,
        application_z_count=z_count,
    )


def _normalize_exclusions(
    exclusions: Mapping[tuple[Any, Any], str] | Iterable[Exclusion],
) -> list[Exclusion]:
    if isinstance(exclusions, Mapping):
        return [Exclusion(a, e, str(r)) for (a, e), r in exclusions.items()]
    return list(exclusions)


def aggregate_round(
    rows: ScoreRows,
    layout: RubricLayout,
    *,
    method: str,
    exclusions: Mapping[tuple[Any, Any], str] | Iterable[Exclusion] = (),
    required_sheets: int = 5,
    disagreement: DisagreementRule | None = None,
    min_sheets_for_leniency: int = 5,
    applications: Iterable[Any] | None = None,
    counts: str = COUNTS_INDEPENDENT,
    consensus: ConsensusSheets | None = None,
) -> RoundAggregate:
    """Aggregate one round: all methods, exclusions, sheet-count status, disagreement, leniency.

    `applications` optionally names applications expected in the round, so one without any
    sheet is still listed (flagged insufficient) instead of missing from the ranking.
    `counts` says which record counts; with "consensus", the agreed panel sheets in
    `consensus` are the official figures and an application without one is not ranked
    (``no_consensus``), while the independent sheets are aggregated all the same.
    Raises ValueError on unknown items, duplicate rows or points outside 0..item points.
    """
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method {method!r}; use one of {METHODS}")
    if counts not in COUNTS:
        raise ValueError(f"unknown counted record {counts!r}; use one of {COUNTS}")
    rule = disagreement or DisagreementRule()
    n_items = layout.size
    item_idx = _item_positions(layout, rows.item_id, rows.points, rows.item_index)
    pts = rows.points

    # Rows come grouped by sheet (one query reads a sheet's items together), so the ids are
    # sorted out over runs of equal (application, expert), not over every row. Any order
    # still works: a sheet split over several runs gets the same index in each.
    app_of_row, expert_of_row = rows.application_id, rows.expert_id
    run_start = np.flatnonzero(np.concatenate((
        [len(rows) > 0], (app_of_row[1:] != app_of_row[:-1]) | (expert_of_row[1:] != expert_of_row[:-1]))))
    run_length = np.diff(np.append(run_start, len(rows)))
    app_ids = app_of_row[run_start]
    if applications is not None:
        extra = _id_array(list(applications), "application ids")
        if len(extra):
            app_ids = np.concatenate([app_ids, extra])
    app_keys, app_inverse = np.unique(app_ids, return_inverse=True)
    run_app = app_inverse[: len(run_start)]
    exp_keys, run_exp = np.unique(expert_of_row[run_start], return_inverse=True)
    n_apps, n_exp = len(app_keys), max(len(exp_keys), 1)

    # One sheet = one (application, expert) pair; sheet keys sort by application then expert.
    sheet_keys, run_sheet = np.unique(run_app.astype(np.int64) * n_exp + run_exp, return_inverse=True)
    sheet_idx = np.repeat(run_sheet, run_length)
    n_sheets = len(sheet_keys)
    cell = sheet_idx * n_items + item_idx
    per_cell = np.bincount(cell, minlength=n_sheets * n_items)
    if (per_cell > 1).any():
        c = int(np.flatnonzero(per_cell > 1)[0])
        s, i = divmod(c, n_items)
        raise ValueError(
            f"duplicate score rows for application {app_keys[sheet_keys[s] // n_exp]!r}, "
            f"expert {exp_keys[sheet_keys[s] % n_exp]!r}, item {layout.item_ids[i]}"
        )
    flat = np.zeros(n_sheets * n_items)
    flat[cell] = pts
    complete = per_cell.reshape(n_sheets, n_items).all(axis=1)

    # Pad sheets into (A, K, I): slot k of an application = its k-th expert in id order.
    sheet_app = sheet_keys // n_exp
    sheet_exp = sheet_keys % n_exp
    per_app = np.bincount(sheet_app, minlength=n_apps)
    starts = np.cumsum(per_app) - per_app
    slot = np.arange(n_sheets) - starts[sheet_app]
    k_max = max(1, int(per_app.max(initial=0)))
    sheet_points = np.zeros((n_apps, k_max, n_items))
    sheet_points[sheet_app, slot] = flat.reshape(n_sheets, n_items)
    sheet_expert = np.full((n_apps, k_max), -1, dtype=np.intp)
    sheet_expert[sheet_app, slot] = sheet_exp
    usable = np.zeros((n_apps, k_max), dtype=bool)
    usable[sheet_app, slot] = complete

    incomplete = tuple(
        (app_keys[a].item(), exp_keys[e].item())
        for a, e in zip(sheet_app[~complete], sheet_exp[~complete], strict=True)
    )

    # Exclusions are few: a loop over them (never over score rows) is fine.
    excluded = np.zeros_like(usable)
    records: list[ExclusionRecord] = []
    wanted = _normalize_exclusions(exclusions)
    if wanted:
        app_pos = {k: i for i, k in enumerate(app_keys.tolist())}
        exp_pos = {k: i for i, k in enumerate(exp_keys.tolist())}
        for ex in wanted:
            a, e = app_pos.get(ex.application_id), exp_pos.get(ex.expert_id)
            hit = (sheet_expert[a] == e) if a is not None and e is not None else None
            matched = bool(hit is not None and hit.any())
            if matched:
                excluded[a] |= hit
            records.append(
                ExclusionRecord(
                    application_id=ex.application_id,
                    expert_id=ex.expert_id,
                    expert_label=expert_label(e) if e is not None else None,
                    reason=ex.reason,
                    matched=matched,
                )
            )
    valid = usable & ~excluded
    sheet_count = valid.sum(axis=1)
    status = np.where(sheet_count >= required_sheets, STATUS_OK, STATUS_INSUFFICIENT)

    methods = aggregate_cube(sheet_points, valid, layout)

    rng, std = spread(sheet_points, valid, ddof=rule.ddof)
    range_limit = rule.range_fraction * layout.points
    std_limit = rule.std_fraction * layout.points
    by_range = np.nan_to_num(rng, nan=-np.inf) > range_limit + _EPS
    by_std = np.nan_to_num(std, nan=-np.inf) > std_limit + _EPS
    mask = by_range | by_std
    panel = None
    if counts == COUNTS_CONSENSUS:
        panel = _consensus_figures(consensus, app_keys, layout)
        status = np.where((status == STATUS_OK) & np.isnan(panel.totals), STATUS_NO_CONSENSUS, status)
    return RoundAggregate(
        application_ids=app_keys,
        expert_ids=exp_keys,
        layout=layout,
        method=method,
        required_sheets=required_sheets,
        methods=methods,
        sheet_points=sheet_points,
        sheet_expert=sheet_expert,
        sheet_valid=valid,
        sheet_count=sheet_count,
        status=status,
        exclusions=tuple(records),
        incomplete_sheets=incomplete,
        disagreement_rule=rule,
        item_range=rng,
        item_std=std,
        disagreement_mask=mask,
        leniency=leniency(
            sheet_points.sum(axis=2),
            valid,
            sheet_expert,
            len(exp_keys),
            min_sheets_for_leniency=min_sheets_for_leniency,
        ),
        counts=counts,
        consensus=panel,
    )


def _item_positions(
    layout: RubricLayout, item_ids: np.ndarray, points: np.ndarray, known_index: np.ndarray | None = None,
) -> np.ndarray:
    """Rubric positions of the item ids (a sorted lookup, or `known_index` where the rows carry it
    and it names the same items); ValueError on an unknown item or points outside 0..item points."""
    n_items = layout.size
    if known_index is not None and _names_items(layout, item_ids, known_index):
        item_idx = known_index
    else:
        sorter = np.argsort(np.asarray(layout.item_ids))
        sorted_ids = np.asarray(layout.item_ids)[sorter]
        pos = np.minimum(np.searchsorted(sorted_ids, item_ids), n_items - 1)
        known = sorted_ids[pos] == item_ids
        if not known.all():
            raise ValueError(f"unknown rubric item {item_ids[~known][0]!r}")
        item_idx = sorter[pos]
    bad = ~np.isfinite(points) | (points < -_EPS) | (points > layout.points[item_idx] + _EPS)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"points {points[i]} out of range for item {item_ids[i]} "
            f"(0..{layout.points[item_idx[i]]:g})"
        )
    return item_idx


def _names_items(layout: RubricLayout, item_ids: np.ndarray, index: np.ndarray) -> bool:
    """Whether every row's position names its item id in `layout` (a gather and one comparison,
    instead of a sorted lookup of every id)."""
    if len(index) and (index.min() < 0 or index.max() >= layout.size):
        return False
    return bool((np.asarray(layout.item_ids)[index] == item_ids).all())


def _consensus_figures(consensus: ConsensusSheets | None, app_keys: np.ndarray, layout: RubricLayout) -> MethodResult:
    """The consensus sheets as figures over the round's applications; NaN where an application has
    no complete consensus. Consensus rows of applications outside the round are ignored."""
    n_apps, n_items = len(app_keys), layout.size
    items = np.full((n_apps, n_items), np.nan)
    if consensus is not None and len(consensus) and n_apps:
        item_idx = _item_positions(layout, consensus.item_id, consensus.points)
        row = np.minimum(np.searchsorted(app_keys, consensus.application_id), n_apps - 1)
        inside = app_keys[row] == consensus.application_id
        row, item_idx, points = row[inside], item_idx[inside], consensus.points[inside]
        cell = row * n_items + item_idx
        if (np.bincount(cell, minlength=n_apps * n_items) > 1).any():
            raise ValueError("duplicate consensus rows for one application and item")
        items.reshape(-1)[cell] = points
    complete = ~np.isnan(items).any(axis=1)
    items[~complete] = np.nan
    return MethodResult(COUNTS_CONSENSUS, items.sum(axis=1), items @ layout.membership, items, True)


# --- combining rounds ----------------------------------------------------------------------

COMBINE_MODES = ("replace", "weighted")
STATUS_NO_ONSITE = "no_onsite_review"


@dataclass(frozen=True, eq=False)
class CombinedRound:
    """Document and on-site rounds combined; rankable like a RoundAggregate."""

    application_ids: np.ndarray
    layout: RubricLayout
    method: str
    mode: str
    weight: float
    methods: Mapping[str, MethodResult]
    official: MethodResult
    onsite_present: np.ndarray  # (A,) bool
    status: np.ndarray
    counts: Mapping[str, str] = field(default_factory=dict)  # "document" / "onsite" -> the record counted

    @property
    def category_ids(self) -> tuple[str, ...]:
        return self.layout.category_ids

    @property
    def independent(self) -> MethodResult:
        """The official method over both rounds' independent sheets, combined the same way."""
        return self.methods[self.method]


def combine_rounds(
    document: RoundAggregate,
    onsite: RoundAggregate,
    mode: str,
    weight: float | None = None,
    *,
    require_onsite: bool = True,
) -> CombinedRound:
    """Combine the on-site round with the document round.

    mode "replace": the on-site figure replaces the document figure; mode "weighted":
    combined = (1 - weight) x document + weight x on-site, `weight` in [0, 1] being the
    on-site share. The PRESENTED (2-decimal) figures are combined so that anyone can redo
    the sum from what was published. An application without an on-site score gets status
    "no_onsite_review" when `require_onsite` (on-site review is the gate to the award),
    otherwise it keeps its document figures. Status: "replace" takes the on-site status,
    "weighted" is insufficient when either round is (an on-site round missing its consensus
    says so). The official method is the document round's official method applied to both
    rounds; a round that counts its panel consensus brings its consensus figures instead, and
    `independent` keeps the method's figures over the independent sheets of both.
    """
    if mode not in COMBINE_MODES:
        raise ValueError(f"unknown combine mode {mode!r}; use one of {COMBINE_MODES}")
    if mode == "weighted":
        if weight is None or not 0.0 <= weight <= 1.0:
            raise ValueError("weighted combination needs a weight in [0, 1]")
        w = float(weight)
    else:
        w = 1.0
    if document.layout.item_ids != onsite.layout.item_ids:
        raise ValueError("both rounds must use the same rubric items")
    doc_ids = document.application_ids.tolist()
    pos = {k: i for i, k in enumerate(doc_ids)}
    onsite_ids = onsite.application_ids.tolist()
    unknown = [k for k in onsite_ids if k not in pos]
    if unknown:
        raise ValueError(f"on-site scores for applications without a document round: {unknown}")
    rows = np.array([pos[k] for k in onsite_ids], dtype=np.intp)
    present_mask = np.zeros(len(doc_ids), dtype=bool)
    present_mask[rows] = True

    def mix(doc: np.ndarray, ons: np.ndarray) -> np.ndarray:
        out = round2(doc).copy()
        out[rows] = (1.0 - w) * out[rows] + w * round2(ons) if w < 1.0 else round2(ons)
        return out

    def combine(d: MethodResult, o: MethodResult) -> MethodResult:
        return MethodResult(
            method=d.method,
            totals=mix(d.totals, o.totals),
            categories=mix(d.categories, o.categories),
            items=mix(d.items, o.items),
            parts_add_up=d.parts_add_up and o.parts_add_up,
        )

    methods = {m: combine(document.methods[m], onsite.methods[m]) for m in METHODS}
    if document.consensus is None and onsite.consensus is None:
        official = methods[document.method]
    else:
        onsite_counted = onsite.consensus if onsite.consensus is not None else onsite.methods[document.method]
        official = combine(document.official, onsite_counted)
    status = document.status.astype(object).copy()
    if mode == "replace":
        status[rows] = onsite.status
    else:
        either = np.where(onsite.status != STATUS_OK, onsite.status, status[rows])
        status[rows] = np.where(
            (onsite.status == STATUS_OK) & (status[rows] == STATUS_OK), STATUS_OK,
            np.where(either == STATUS_NO_CONSENSUS, STATUS_NO_CONSENSUS, STATUS_INSUFFICIENT),
        )
    if require_onsite:
        # An application already short of sheets keeps that (more specific) status.
        status[~present_mask & (status == STATUS_OK)] = STATUS_NO_ONSITE
    return CombinedRound(
        application_ids=document.application_ids,
        layout=document.layout,
        method=document.method,
        mode=mode,
        weight=w,
        methods=methods,
        official=official,
        onsite_present=present_mask,
        status=status.astype(str),
        counts={"document": document.counts, "onsite": onsite.counts},
    )
