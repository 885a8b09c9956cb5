"""Rubric files: the shipped ones load, and each validation rule refuses a broken file."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from award.rubrics import (
    RUBRICS_DIR,
    Rubric,
    RubricError,
    available_rubrics,
    load_rubric,
    parse_rubric,
)

GBT = RUBRICS_DIR / "gbt19580-2012.toml"
CITY = RUBRICS_DIR / "city-100.toml"


@pytest.fixture(scope="module")
def gbt() -> Rubric:
    return load_rubric(GBT)


@pytest.fixture(scope="module")
def city() -> Rubric:
    return load_rubric(CITY)


# ------------------------------------------------------------------ shipped files


@pytest.mark.parametrize("path", sorted(RUBRICS_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_rubric_loads_and_adds_up(path: Path) -> None:
    rubric = load_rubric(path)
    assert rubric.key == path.stem
    assert sum(c.points for c in rubric.categories) == rubric.total
    for cat in rubric.categories:
        assert sum(i.points for i in cat.items) == cat.points


def test_available_rubrics_lists_every_shipped_file_with_its_purpose() -> None:
    infos = {info.key: info for info in available_rubrics()}
    assert set(infos) == {"gbt19580-2012", "city-100", "presentation-100"}
    # the presentation form scores the 陈述答辩 round; only the other two are a cycle's application form
    assert {key for key, info in infos.items() if info.purpose == "application"} == {"gbt19580-2012", "city-100"}
    assert infos["presentation-100"].purpose == "presentation" and infos["presentation-100"].total == 100
    assert infos["gbt19580-2012"].total == 1000
    assert infos["city-100"].total == 100
    assert infos["gbt19580-2012"].title.startswith("GB/T 19580-2012")
    assert infos["city-100"].content_hash == load_rubric(CITY).content_hash


def test_available_rubrics_reports_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "ok.toml").write_bytes(CITY.read_bytes())
    (tmp_path / "typo.toml").write_text('title = "x', encoding="utf-8")
    with pytest.raises(RubricError, match="typo.toml"):
        available_rubrics(tmp_path)


def test_available_rubrics_of_an_empty_folder_is_empty(tmp_path: Path) -> None:
    assert available_rubrics(tmp_path) == []


GBT_CATEGORIES = [
    ("4.1", "领导", 110), ("4.2", "战略", 90), ("4.3", "顾客与市场", 90), ("4.4", "资源", 130),
    ("4.5", "过程管理", 100), ("4.6", "测量、分析与改进", 80), ("4.7", "结果", 400),
]

GBT_ITEMS = [
    ("4.1.2", "高层领导的作用", 50), ("4.1.3", "组织治理", 30), ("4.1.4", "社会责任", 30),
    ("4.2.2", "战略制定", 40), ("4.2.3", "战略部署", 50),
    ("4.3.2", "顾客和市场的了解", 40), ("4.3.3", "顾客关系与顾客满意", 50),
    ("4.4.2", "人力资源", 60), ("4.4.3", "财务资源", 15), ("4.4.4", "信息和知识资源", 20),
    ("4.4.5", "技术资源", 15), ("4.4.6", "基础设施", 10), ("4.4.7", "相关方关系", 10),
    ("4.5.2", "过程的识别与设计", 50), ("4.5.3", "过程的实施与改进", 50),
    ("4.6.2", "测量、分析和评价", 40), ("4.6.3", "改进与创新", 40),
    ("4.7.2", "产品和服务结果", 80), ("4.7.3", "顾客与市场结果", 80), ("4.7.4", "财务结果", 80),
    ("4.7.5", "资源结果", 60), ("4.7.6", "过程有效性结果", 50), ("4.7.7", "领导方面的结果", 50),
]


def test_gbt_totals_1000_with_23_items(gbt: Rubric) -> None:
    assert gbt.total == 1000
    assert len(gbt.items) == 23
    assert sum(i.points for i in gbt.items) == 1000
    assert gbt.step == 5


def test_gbt_categories_match_the_2012_table(gbt: Rubric) -> None:
    # 2012 weights: 领导 110 and 过程管理 100 (the 2004 edition had 100 and 110).
    assert [(c.id, c.name, c.points) for c in gbt.categories] == GBT_CATEGORIES
    assert all(c.name_en for c in gbt.categories)


def test_gbt_items_match_the_2012_table_in_order(gbt: Rubric) -> None:
    assert [(i.id, i.name, i.points) for i in gbt.items] == GBT_ITEMS
    assert all(i.name_en for i in gbt.items)


@pytest.mark.parametrize(("item_id", "kind"), [
    ("4.1.2", "process"), ("4.4.7", "process"), ("4.6.3", "process"),
    ("4.7.2", "results"), ("4.7.7", "results"),
])
def test_gbt_item_kind(gbt: Rubric, item_id: str, kind: str) -> None:
    assert gbt.item(item_id).kind == kind


@pytest.mark.parametrize("kind", ["process", "results"])
def test_gbt_has_the_six_bands_per_kind(gbt: Rubric, kind: str) -> None:
    bands = gbt.kind(kind).bands
    assert [(b.low, b.high) for b in bands] == [
        (0, 5), (10, 25), (30, 45), (50, 65), (70, 85), (90, 100)]
    assert all(b.description.strip() and b.description_en.strip() for b in bands)
    # Only the extreme bands require a written justification.
    assert [b.justification_required for b in bands] == [True, False, False, False, False, True]


def test_gbt_kinds_name_their_dimensions(gbt: Rubric) -> None:
    assert gbt.kind("process").dimensions == ("方法", "展开", "学习", "整合")
    assert gbt.kind("results").dimensions == ("水平", "趋势", "对比", "整合")


def test_gbt_lookups(gbt: Rubric) -> None:
    assert gbt.item("4.1.2").points == 50
    assert gbt.category_of("4.7.3").id == "4.7"
    assert gbt.bands_for("4.7.2") == gbt.kind("results").bands
    assert gbt.bands_for(gbt.item("4.2.2")) == gbt.kind("process").bands
    assert gbt.band("4.1.2", "3").low == 30
    assert gbt.band("4.1.2", "7") is None
    assert gbt.band_for_percent("4.1.2", 45).id == "3"
    assert gbt.band_percents(gbt.band("4.1.2", "3")) == (30, 35, 40, 45)
    assert gbt.results_category_id == "4.7"
    assert gbt.leadership_category_id == "4.1"


def test_unknown_item_lookup_raises_key_error(gbt: Rubric) -> None:
    with pytest.raises(KeyError):
        gbt.item("4.1.1")


def test_rubric_is_frozen(gbt: Rubric) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        gbt.total = 999  # type: ignore[misc]


def test_city_rubric_carries_its_own_bands_and_ids(city: Rubric) -> None:
    assert city.total == 100
    assert len(city.categories) == 5
    assert len(city.items) == 11
    assert {k.id for k in city.kinds} == {"practice", "performance"}
    assert [(b.id, b.low, b.high) for b in city.bands_for("5.1")] == [
        ("D", 0, 20), ("C", 25, 50), ("B", 55, 80), ("A", 85, 100)]
    assert city.results_category_id == "5"
    assert city.leadership_category_id == "1"


def test_tie_break_is_optional() -> None:
    text = TINY.replace('tie_break = ["1"]\n', "")
    rubric = parse_rubric(text, source="tiny.toml")
    assert rubric.tie_break == ()
    assert rubric.results_category_id is None
    assert rubric.leadership_category_id is None


# ------------------------------------------------------------------ freezing by text


def test_content_hash_is_sha256_of_the_file(gbt: Rubric) -> None:
    assert gbt.content_hash == hashlib.sha256(GBT.read_bytes()).hexdigest()


@pytest.mark.parametrize("path", [GBT, CITY], ids=lambda p: p.stem)
def test_stored_text_rebuilds_the_same_rubric(path: Path) -> None:
    original = load_rubric(path)
    rebuilt = parse_rubric(original.text, source="cycle 7", key=original.key)
    assert rebuilt == original
    assert rebuilt.content_hash == original.content_hash


def test_crlf_file_keeps_its_exact_text_and_hash(tmp_path: Path) -> None:
    raw = CITY.read_bytes().replace(b"\n", b"\r\n")
    path = tmp_path / "city-crlf.toml"
    path.write_bytes(raw)
    rubric = load_rubric(path)
    assert "\r\n" in rubric.text
    assert rubric.content_hash == hashlib.sha256(raw).hexdigest()
    assert parse_rubric(rubric.text).content_hash == rubric.content_hash


def test_any_edit_changes_the_hash(city: Rubric) -> None:
    edited = city.text.replace("经营效益", "经营绩效")
    assert parse_rubric(edited).content_hash != city.content_hash


# ------------------------------------------------------------------ broken files

TINY = """\
title = "Tiny"
total = 30
step = 10
tie_break = ["1"]

[kinds.p]
name = "过程"

[[kinds.p.bands]]
id = "low"
low = 0
high = 40
description = "低"

[[kinds.p.bands]]
id = "high"
low = 50
high = 100
description = "高"

[[categories]]
id = "1"
name = "甲"
points = 20
kind = "p"

[[categories.items]]
id = "1.1"
name = "甲一"
points = 20

[[categories]]
id = "2"
name = "乙"
points = 10

[[categories.items]]
id = "2.1"
name = "乙一"
points = 10
kind = "p"
"""

TWO_SAME_ITEMS = """\
[[categories.items]]
id = "1.1"
name = "甲一"
points = 10

[[categories.items]]
id = "1.1"
name = "甲二"
points = 10"""

BROKEN = [
    # (case id, text to replace, replacement, expected rule)
    ("toml-syntax", 'title = "Tiny"', 'title = "Tiny', "toml_syntax"),
    ("missing-title", 'title = "Tiny"\n', "", "missing_key"),
    ("missing-band-description", 'description = "高"\n', "", "missing_key"),
    ("missing-kind", 'points = 10\nkind = "p"\n', "points = 10\n", "missing_key"),
    ("unknown-top-key", 'title = "Tiny"', 'title = "Tiny"\ncolour = "red"', "unknown_key"),
    ("unknown-item-key", 'kind = "p"\n', 'kind = "p"\nweight = 2\n', "unknown_key"),
    ("blank-name", 'name = "乙一"', 'name = "  "', "blank"),
    ("points-as-text", 'points = 10\nkind', 'points = "10"\nkind', "wrong_type"),
    ("points-as-float", 'points = 10\nkind', "points = 10.0\nkind", "wrong_type"),
    ("points-as-bool", 'points = 10\nkind', "points = true\nkind", "wrong_type"),
    ("duplicate-category", 'id = "2"\nname = "乙"', 'id = "1"\nname = "乙"', "duplicate_id"),
    ("duplicate-item", '[[categories.items]]\nid = "1.1"\nname = "甲一"\npoints = 20',
     TWO_SAME_ITEMS, "duplicate_id"),
    ("duplicate-band", 'id = "high"', 'id = "low"', "duplicate_id"),
    ("item-outside-category", 'id = "2.1"', 'id = "1.9"', "item_category"),
    ("item-id-prefix-only", 'id = "2.1"', 'id = "21"', "item_category"),
    ("item-id-with-comma", 'id = "2.1"', 'id = "2.1,2"', "item_id_format"),
    ("item-id-with-space", 'id = "2.1"', 'id = "2. 1"', "item_id_format"),
    ("item-id-too-long", 'id = "2.1"', 'id = "2.1234567890123456789"', "item_id_format"),
    ("items-not-adding-up", "points = 20\n\n[[categories]]", "points = 15\n\n[[categories]]",
     "item_sum"),
    ("categories-not-adding-up", "total = 30", "total = 40", "category_sum"),
    ("zero-points", 'points = 10\nkind', "points = 0\nkind", "points_positive"),
    ("negative-total", "total = 30", "total = -30", "points_positive"),
    ("band-gap", "low = 50", "low = 60", "band_coverage"),
    ("band-overlap", "low = 50", "low = 40", "band_coverage"),
    ("band-not-from-zero", "low = 0", "low = 10", "band_coverage"),
    ("band-not-to-100", "high = 100", "high = 90", "band_coverage"),
    ("band-off-step", "low = 50", "low = 45", "band_step"),
    ("band-low-above-high", "high = 100", "high = 40", "band_bounds"),
    ("band-above-100", "high = 100", "high = 110", "band_bounds"),
    ("step-not-dividing-100", "step = 10", "step = 30", "step_divides_100"),
    ("step-zero", "step = 10", "step = 0", "step_divides_100"),
    ("no-bands", '[[kinds.p.bands]]\nid = "low"', '[kinds.q]\nname = "q"\nbands = []\n\n'
     '[[kinds.p.bands]]\nid = "low"', "empty"),
    ("item-kind-without-bands", 'points = 10\nkind = "p"', 'points = 10\nkind = "results"',
     "unknown_kind"),
    ("tie-break-unknown", 'tie_break = ["1"]', 'tie_break = ["9"]', "tie_break"),
    ("tie-break-twice", 'tie_break = ["1"]', 'tie_break = ["1", "1"]', "tie_break"),
]


def test_tiny_rubric_is_valid() -> None:
    rubric = parse_rubric(TINY, source="tiny.toml")
    assert [i.id for i in rubric.items] == ["1.1", "2.1"]
    assert rubric.item("1.1").kind == "p"  # inherited from its category


@pytest.mark.parametrize(("old", "new", "rule"), [c[1:] for c in BROKEN],
                         ids=[c[0] for c in BROKEN])
def test_broken_rubric_is_refused_naming_file_and_rule(
    tmp_path: Path, old: str, new: str, rule: str
) -> None:
    assert old in TINY, "the case must change the valid text"
    path = tmp_path / "broken-rubric.toml"
    path.write_text(TINY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.rule == rule
    assert "broken-rubric.toml" in str(caught.value)
    assert f"[{rule}]" in str(caught.value)


def test_parse_rubric_names_its_source() -> None:
    with pytest.raises(RubricError, match=r"^cycle 12 rubric: \[category_sum\]"):
        parse_rubric(TINY.replace("total = 30", "total = 31"), source="cycle 12 rubric")


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(TINY.encode("gbk"))
    with pytest.raises(RubricError, match="gbk.toml") as caught:
        load_rubric(path)
    assert caught.value.rule == "encoding"


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="nowhere.toml") as caught:
        load_rubric(tmp_path / "nowhere.toml")
    assert caught.value.rule == "unreadable"


def test_justification_flag_can_be_set_per_band() -> None:
    text = TINY.replace('description = "低"', 'description = "低"\njustification_required = false')
    low, high = parse_rubric(text).kind("p").bands
    assert (low.justification_required, high.justification_required) == (False, True)


def test_justification_flag_must_be_boolean() -> None:
    text = TINY.replace('description = "低"', 'description = "低"\njustification_required = 1')
    with pytest.raises(RubricError, match=r"tiny.toml: \[wrong_type\]"):
        parse_rubric(text, source="tiny.toml")


EFQM_BANDS = """\
[[kinds.p.bands]]
id = "0"
low = 0
high = 0
description = "无"

[[kinds.p.bands]]
id = "1"
low = 10
high = 30
description = "有限"

[[kinds.p.bands]]
id = "2"
low = 40
high = 60
description = "有"

[[kinds.p.bands]]
id = "3"
low = 70
high = 80
description = "显著"

[[kinds.p.bands]]
id = "4"
low = 90
high = 100
description = "卓越"
"""


def test_efqm_radar_like_bands_load_without_code_change() -> None:
    start = TINY.index("[[kinds.p.bands]]")
    end = TINY.index("[[categories]]")
    rubric = parse_rubric(TINY[:start] + EFQM_BANDS + "\n" + TINY[end:], source="radar.toml")
    bands = rubric.bands_for("1.1")
    assert [(b.low, b.high) for b in bands] == [(0, 0), (10, 30), (40, 60), (70, 80), (90, 100)]
    assert rubric.band_percents(bands[0]) == (0,)
    assert rubric.band_percents(bands[1]) == (10, 20, 30)
