"""Scoring rubrics kept as TOML files: loading, validation and read-only lookups.

A rubric (GB/T 19580-2012, a 100-point city rubric, EFQM RADAR …) is data, not
code: categories, items, item kinds and percentage bands all come from the
file, so a new rubric needs no code change. A cycle freezes its rubric by
storing the file's text; `parse_rubric(stored_text)` rebuilds the same rubric
with the same `content_hash`.

Validation errors are meant for whoever maintains the rubric files (they are
not shown to enterprises or experts), so they stay in English and name the
file and the broken rule.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "RUBRICS_DIR",
    "Band",
    "Category",
    "Item",
    "Kind",
    "Rubric",
    "RubricError",
    "RubricInfo",
    "available_rubrics",
    "load_rubric",
    "parse_rubric",
]

#: The folder of the rubric files shipped with the app (``<project>/rubrics``).
RUBRICS_DIR = Path(__file__).resolve().parent.parent / "rubrics"

PERCENT_MAX = 100


class RubricError(ValueError):
    """A rubric file breaks a rule; names the file (``source``) and the rule."""

    def __init__(self, source: str, rule: str, detail: str) -> None:
        self.source = source
        self.rule = rule
        self.detail = detail
        super().__init__(f"{source}: [{rule}] {detail}")


def _localized(name: str, name_en: str, lang: str) -> str:
    """The English text for English locales when the file gives one, else the Chinese."""
    return name_en if lang.lower().startswith("en") and name_en else name


@dataclass(frozen=True, slots=True, kw_only=True)
class Band:
    """One percentage band of an item kind, e.g. 30–45 %, with its written description."""

    id: str
    low: int
    high: int
    description: str
    description_en: str = ""
    justification_required: bool = False

    def contains(self, percent: int | Decimal) -> bool:
        """Whether ``percent`` lies inside the band's bounds (the step is not checked)."""
        return self.low <= percent <= self.high

    def label(self) -> str:
        """Short label such as ``3 (30–45%)``, used in messages."""
        return f"{self.id} ({self.low}–{self.high}%)"

    def describe(self, lang: str = "zh") -> str:
        return _localized(self.description, self.description_en, lang)


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """A kind of item (e.g. process A-D-L-I or results Le-T-C-I) and its bands, low to high."""

    id: str
    name: str
    name_en: str = ""
    dimensions: tuple[str, ...] = ()
    dimensions_en: tuple[str, ...] = ()
    bands: tuple[Band, ...]

    def display_name(self, lang: str = "zh") -> str:
        return _localized(self.name, self.name_en, lang)


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """A scored item (评分项), e.g. 4.1.2 高层领导的作用, 50 points, kind "process"."""

    id: str
    name: str
    name_en: str = ""
    points: int
    kind: str
    category_id: str

    def display_name(self, lang: str = "zh") -> str:
        return _localized(self.name, self.name_en, lang)


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    """A category (类目), e.g. 4.1 领导, 110 points, with its items in file order."""

    id: str
    name: str
    name_en: str = ""
    points: int
    items: tuple[Item, ...]

    def display_name(self, lang: str = "zh") -> str:
        return _localized(self.name, self.name_en, lang)


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricInfo:
    """What a picker needs to offer a rubric file: key (file stem), title, total points."""

    key: str
    title: str
    title_en: str
    total: int
    path: Path
    content_hash: str
    purpose: str = "application"


@dataclass(frozen=True, kw_only=True)
class Rubric:
    """A validated rubric; immutable, so one instance can be shared by every request."""

    key: str
    title: str
    title_en: str = ""
    total: int
    step: int
    kinds: tuple[Kind, ...]
    categories: tuple[Category, ...]
    #: Category ids compared, in order, to break ties of the total (results first, then
    #: leadership for GB/T 19580); empty when the file gives none.
    tie_break: tuple[str, ...] = ()
    #: "application" (a cycle's rubric) or "presentation" (the presentation round's form).
    purpose: str = "application"
    #: The exact file text; store it with a cycle to freeze the rubric.
    text: str = field(repr=False)
    content_hash: str
    source: str = field(default="<text>", compare=False)
    _items: Mapping[str, Item] = field(init=False, repr=False, compare=False)
    _categories: Mapping[str, Category] = field(init=False, repr=False, compare=False)
    _kinds: Mapping[str, Kind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookup tables built once; read-only views keep the instance effectively frozen.
        items = {item.id: item for cat in self.categories for item in cat.items}
        object.__setattr__(self, "_items", MappingProxyType(items))
        cats = {cat.id: cat for cat in self.categories}
        object.__setattr__(self, "_categories", MappingProxyType(cats))
        object.__setattr__(self, "_kinds", MappingProxyType({k.id: k for k in self.kinds}))

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item in file order (category by category)."""
        return tuple(self._items.values())

    def has_item(self, item_id: str) -> bool:
        return item_id in self._items

    def item(self, item_id: str) -> Item:
        """The item with this id; ``KeyError`` if the rubric has none."""
        return self._items[item_id]

    def category(self, category_id: str) -> Category:
        """The category with this id; ``KeyError`` if the rubric has none."""
        return self._categories[category_id]

    def category_of(self, item_id: str) -> Category:
        """The category an item belongs to; ``KeyError`` for an unknown item."""
        return self._categories[self._items[item_id].category_id]

    def kind(self, kind_id: str) -> Kind:
        return self._kinds[kind_id]

    def bands_for(self, item: Item | str) -> tuple[Band, ...]:
        """The bands (low to high) that apply to an item, given as ``Item`` or id."""
        it = self.item(item) if isinstance(item, str) else item
        return self._kinds[it.kind].bands

    def band(self, item: Item | str, band_id: str) -> Band | None:
        """The item's band with this id, or ``None`` if its kind has no such band."""
        return next((b for b in self.bands_for(item) if b.id == band_id), None)

    def band_for_percent(self, item: Item | str, percent: int | Decimal) -> Band | None:
        """The band holding ``percent`` for this item, or ``None`` outside every band."""
        return next((b for b in self.bands_for(item) if b.contains(percent)), None)

    def band_percents(self, band: Band) -> tuple[int, ...]:
        """The percentages an expert may pick inside a band (the step grid), for a form."""
        return tuple(range(band.low, band.high + 1, self.step))

    @property
    def results_category_id(self) -> str | None:
        """First tie-break category (GB/T 19580: 4.7 结果), if the file names one."""
        return self.tie_break[0] if self.tie_break else None

    @property
    def leadership_category_id(self) -> str | None:
        """Second tie-break category (GB/T 19580: 4.1 领导), if the file names one."""
        return self.tie_break[1] if len(self.tie_break) > 1 else None

    def display_title(self, lang: str = "zh") -> str:
        return _localized(self.title, self.title_en, lang)

    def info(self, path: Path) -> RubricInfo:
        return RubricInfo(
            key=self.key,
            title=self.title,
            title_en=self.title_en,
            total=self.total,
            path=path,
            content_hash=self.content_hash,
            purpose=self.purpose,
        )


# --------------------------------------------------------------------------- loading


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the rubric text as UTF-8: identifies the exact frozen version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate one rubric file; its key is the file stem."""
    path = Path(path)
    try:
        # Bytes, not read_text(): newline translation would change the hash.
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RubricError(str(path), "unreadable", f"cannot read the file ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise RubricError(str(path), "encoding", f"the file is not UTF-8 ({exc})") from exc
    return parse_rubric(text, source=str(path), key=path.stem)


def available_rubrics(folder: str | Path = RUBRICS_DIR) -> list[RubricInfo]:
    """Every ``*.toml`` rubric in a folder, sorted by key; a broken file raises RubricError.

    A broken file is reported rather than skipped so that a typo never silently
    removes a rubric from the office's choice.
    """
    paths = sorted(Path(folder).glob("*.toml"), key=lambda p: p.stem)
    return [load_rubric(p).info(p) for p in paths]


def parse_rubric(text: str, *, source: str = "<text>", key: str | None = None) -> Rubric:
    """Validate rubric TOML text and build the Rubric (``source`` names it in errors).

    ``key`` defaults to the stem of ``source``; pass the stored key when rebuilding a
    cycle's frozen rubric from its text.
    """
    if key is None:
        key = Path(source).stem
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(source, "toml_syntax", f"invalid TOML: {exc}") from exc
    return _Parser(source).build(data, text=text, key=key)


_TOP_REQUIRED = {"title", "total", "step", "kinds", "categories"}
_TOP_OPTIONAL = {"title_en", "tie_break", "purpose"}
# What a rubric scores: an application's self-assessment (a cycle's rubric) or a presentation (陈述答辩).
PURPOSES = ("application", "presentation")
_KIND_REQUIRED = {"name", "bands"}
_KIND_OPTIONAL = {"name_en", "dimensions", "dimensions_en"}
_BAND_REQUIRED = {"id", "low", "high", "description"}
_BAND_OPTIONAL = {"description_en", "justification_required"}
_CATEGORY_REQUIRED = {"id", "name", "points", "items"}
_CATEGORY_OPTIONAL = {"name_en", "kind"}
_ITEM_REQUIRED = {"id", "name", "points"}
_ITEM_OPTIONAL = {"name_en", "kind"}
# Item ids name form fields and page anchors, fit item_scores.item_id (20 characters), and are
# joined with commas when a round's scores are read in bulk, so they stay short plain codes.
_ITEM_ID = re.compile(r"[A-Za-z0-9._-]{1,20}")


class _Parser:
    """Checks one decoded TOML document rule by rule; the first broken rule raises."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, rule: str, detail: str) -> RubricError:
        return RubricError(self.source, rule, detail)

    # -- generic shape checks

    def keys(self, table: Mapping[str, Any], where: str, required: set[str],
             optional: set[str]) -> None:
        missing = sorted(required - table.keys())
        if missing:
            raise self.fail("missing_key", f"{where}: missing key(s) {', '.join(missing)}")
        unknown = sorted(table.keys() - required - optional)
        if unknown:
            raise self.fail("unknown_key", f"{where}: unknown key(s) {', '.join(unknown)}")

    def text(self, table: Mapping[str, Any], name: str, where: str, *,
             default: str | None = None) -> str:
        value = table.get(name, default)
        if not isinstance(value, str):
            raise self.fail("wrong_type", f"{where}: {name} must be a string")
        if default is None and not value.strip():
            raise self.fail("blank", f"{where}: {name} must not be blank")
        return value

    def integer(self, table: Mapping[str, Any], name: str, where: str) -> int:
        value = table[name]
        # bool is an int subclass in Python; `true` is never a number of points.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail("wrong_type", f"{where}: {name} must be an integer")
        return value

    def positive(self, table: Mapping[str, Any], name: str, where: str) -> int:
        value = self.integer(table, name, where)
        if value <= 0:
            raise self.fail("points_positive", f"{where}: {name} must be positive, got {value}")
        return value

    def table_list(self, value: Any, where: str) -> list[Mapping[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail("wrong_type", f"{where} must be an array of tables")
        if not value:
            raise self.fail("empty", f"{where} must not be empty")
        return value

    def strings(self, table: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail("wrong_type", f"{where}: {name} must be a list of strings")
        return tuple(value)

    def unique(self, ids: Iterable[str], what: str) -> None:
        seen: set[str] = set()
        for ident in ids:
            if ident in seen:
                raise self.fail("duplicate_id", f"{what} id {ident!r} appears more than once")
            seen.add(ident)

    # -- the document

    def build(self, data: Mapping[str, Any], *, text: str, key: str) -> Rubric:
        self.keys(data, "top level", _TOP_REQUIRED, _TOP_OPTIONAL)
        title = self.text(data, "title", "top level")
        title_en = self.text(data, "title_en", "top level", default="")
        total = self.positive(data, "total", "top level")
        step = self.step(data)
        kinds = self.kinds(data["kinds"], step)
        categories = self.categories(data["categories"], {k.id: k for k in kinds})
        self.sums(categories, total)
        tie_break = self.tie_break(data, {c.id for c in categories})
        purpose = self.text(data, "purpose", "top level", default="application")
        if purpose not in PURPOSES:
            raise self.fail("purpose", f"purpose must be one of {', '.join(PURPOSES)}, got {purpose!r}")
        return Rubric(
            purpose=purpose,
            key=key,
            title=title,
            title_en=title_en,
            total=total,
            step=step,
            kinds=kinds,
            categories=categories,
            tie_break=tie_break,
            text=text,
            content_hash=content_hash(text),
            source=self.source,
        )

    def step(self, data: Mapping[str, Any]) -> int:
        step = self.integer(data, "step", "top level")
        if step <= 0 or PERCENT_MAX % step:
            raise self.fail("step_divides_100",
                            f"step must be a positive divisor of 100, got {step}")
        return step

    def kinds(self, value: Any, step: int) -> tuple[Kind, ...]:
        if not isinstance(value, dict) or not value:
            raise self.fail("wrong_type",
                            "kinds must be a table of item kinds, e.g. [kinds.process]")
        kinds = []
        for kind_id, table in value.items():
            where = f"kind {kind_id!r}"
            if not isinstance(table, dict):
                raise self.fail("wrong_type", f"{where} must be a table")
            self.keys(table, where, _KIND_REQUIRED, _KIND_OPTIONAL)
            bands = self.bands(table["bands"], where, step)
            kinds.append(Kind(
                id=kind_id,
                name=self.text(table, "name", where),
                name_en=self.text(table, "name_en", where, default=""),
                dimensions=self.strings(table, "dimensions", where),
                dimensions_en=self.strings(table, "dimensions_en", where),
                bands=bands,
            ))
        return tuple(kinds)

    def bands(self, value: Any, where: str, step: int) -> tuple[Band, ...]:
        raw = self.table_list(value, f"{where}: bands")
        parsed: list[tuple[Mapping[str, Any], str, int, int]] = []
        for index, table in enumerate(raw, start=1):
            bwhere = f"{where}, band #{index}"
            self.keys(table, bwhere, _BAND_REQUIRED, _BAND_OPTIONAL)
            band_id = self.text(table, "id", bwhere)
            low = self.integer(table, "low", bwhere)
            high = self.integer(table, "high", bwhere)
            for bound in (low, high):
                if bound % step:
                    raise self.fail("band_step",
                                    f"{bwhere}: bound {bound}% is not a multiple of the "
                                    f"step {step}%")
            if not 0 <= low <= high <= PERCENT_MAX:
                raise self.fail("band_bounds",
                                f"{bwhere}: need 0 <= low <= high <= 100, got {low}–{high}")
            parsed.append((table, band_id, low, high))
        self.unique((b[1] for b in parsed), f"{where}: band")
        # Bands listed low to high must tile 0..100 on the step grid: no gap, no overlap.
        expected_low = 0
        for _table, band_id, low, high in parsed:
            if low != expected_low:
                problem = "gap" if low > expected_low else "overlap"
                raise self.fail("band_coverage",
                                f"{where}: band {band_id!r} starts at {low}% but must start at "
                                f"{expected_low}% ({problem}; bands go low to high and cover "
                                f"0–100% on the {step}% grid)")
            expected_low = high + step
        last_high = parsed[-1][3]
        if last_high != PERCENT_MAX:
            raise self.fail("band_coverage",
                            f"{where}: the last band ends at {last_high}%, not at 100%")
        bands = []
        for index, (table, band_id, low, high) in enumerate(parsed):
            extreme = index in (0, len(parsed) - 1)
            flag = table.get("justification_required", extreme)
            if not isinstance(flag, bool):
                raise self.fail("wrong_type",
                                f"{where}, band {band_id!r}: justification_required must be "
                                "true or false")
            bands.append(Band(
                id=band_id,
                low=low,
                high=high,
                description=self.text(table, "description", f"{where}, band {band_id!r}"),
                description_en=self.text(table, "description_en", f"{where}, band {band_id!r}",
                                         default=""),
                # By default only the lowest and highest bands need a written justification.
                justification_required=flag,
            ))
        return tuple(bands)

    def categories(self, value: Any, kinds: Mapping[str, Kind]) -> tuple[Category, ...]:
        raw = self.table_list(value, "categories")
        for table in raw:
            if "id" in table:
                self.text(table, "id", "a category")
        self.unique((t["id"] for t in raw if "id" in t), "category")
        categories = []
        for table in raw:
            where = f"category {table.get('id', '?')!r}"
            self.keys(table, where, _CATEGORY_REQUIRED, _CATEGORY_OPTIONAL)
            cat_id = self.text(table, "id", where)
            cat_kind = self.text(table, "kind", where, default="") or None
            items = tuple(
                self.item(t, cat_id, cat_kind, kinds)
                for t in self.table_list(table["items"], f"{where}: items")
            )
            categories.append(Category(
                id=cat_id,
                name=self.text(table, "name", where),
                name_en=self.text(table, "name_en", where, default=""),
                points=self.positive(table, "points", where),
                items=items,
            ))
        self.unique((i.id for c in categories for i in c.items), "item")
        return tuple(categories)

    def item(self, table: Mapping[str, Any], cat_id: str, cat_kind: str | None,
             kinds: Mapping[str, Kind]) -> Item:
        where = f"item {table.get('id', '?')!r}"
        self.keys(table, where, _ITEM_REQUIRED, _ITEM_OPTIONAL)
        item_id = self.text(table, "id", where)
        if not _ITEM_ID.fullmatch(item_id):
            raise self.fail("item_id_format", f"{where}: id must be 1 to 20 letters, digits, dots, "
                                              "hyphens or underscores")
        # Hierarchical ids (4.1 -> 4.1.2) let a reader place an item without the file.
        if not item_id.startswith(cat_id + "."):
            raise self.fail("item_category",
                            f"{where}: id must start with its category id {cat_id + '.'!r}")
        kind = self.text(table, "kind", where, default="") or cat_kind
        if kind is None:
            raise self.fail("missing_key",
                            f"{where}: missing key kind (give it on the item or its category)")
        if kind not in kinds:
            raise self.fail("unknown_kind",
                            f"{where}: kind {kind!r} has no bands; defined kinds: "
                            f"{', '.join(kinds)}")
        return Item(
            id=item_id,
            name=self.text(table, "name", where),
            name_en=self.text(table, "name_en", where, default=""),
            points=self.positive(table, "points", where),
            kind=kind,
            category_id=cat_id,
        )

    def sums(self, categories: tuple[Category, ...], total: int) -> None:
        for cat in categories:
            items_sum = sum(i.points for i in cat.items)
            if items_sum != cat.points:
                raise self.fail("item_sum",
                                f"category {cat.id!r}: items add up to {items_sum} points, "
                                f"the category has {cat.points}")
        cats_sum = sum(c.points for c in categories)
        if cats_sum != total:
            raise self.fail("category_sum",
                            f"categories add up to {cats_sum} points, total is {total}")

    def tie_break(self, data: Mapping[str, Any], category_ids: set[str]) -> tuple[str, ...]:
        order = self.strings(data, "tie_break", "top level")
        for cat_id in order:
            if cat_id not in category_ids:
                raise self.fail("tie_break",
                                f"tie_break names unknown category {cat_id!r}")
        if len(set(order)) != len(order):
            raise self.fail("tie_break", "tie_break names a category more than once")
        return order
