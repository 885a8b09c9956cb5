"""SVG charts: well-formed XML, accessible, escaped, CJK-ready."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from award.ranking.aggregate import RubricLayout, ScoreRows, aggregate_round
from award.ranking.charts import (
    SheetPoint,
    application_profile_svg,
    application_spread_svg,
    histogram_svg,
    profile_svg,
    ranking_histogram_svg,
    spread_svg,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>'
LAYOUT = RubricLayout.from_items([("4.1.2", "4.1", 50), ("4.1.3", "4.1", 50), ("4.7.2", "4.7", 100)])


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox", "").startswith("0 0 640 ")
    assert root.get("role") == "img"
    assert "Noto Sans CJK SC" in root.get("font-family", "")
    title = root.find(f"{NS}title")
    assert title is not None and title.text
    assert root[0] is title  # title first, as screen readers expect
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    return root


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{NS}text")]


@pytest.fixture
def aggregate():
    rows = ScoreRows.from_records(
        (app, expert, item, p)
        for app, sheets in {1: [(10, 20, 60), (20, 30, 70), (15, 25, 65), (5, 10, 50), (25, 45, 90)]}.items()
        for expert, points in enumerate(sheets)
        for item, p in zip(LAYOUT.item_ids, points, strict=True)
    )
    return aggregate_round(rows, LAYOUT, method="trimmed_mean")


def test_spread_chart_shows_each_expert_and_the_methods(aggregate):
    svg = application_spread_svg(aggregate, 1)
    assert isinstance(svg, Markup)
    root = parse(svg)
    labels = texts(root)
    for code in ("E1", "E2", "E3", "E4", "E5"):
        assert code in labels
    # totals 90, 120, 105, 65, 160: trimmed drops 160 and 65 -> (90 + 120 + 105) / 3
    assert "Trimmed mean: 105.00" in labels
    assert "Mean: 108.00" in labels and "Median: 105.00" in labels
    # the two sheets dropped by the trimmed mean are hollow
    assert [c.get("fill") for c in root.iter(f"{NS}circle")].count("white") == 2


def test_profile_chart_uses_percent_of_category_points_and_cjk_names(aggregate):
    root = parse(application_profile_svg(aggregate, 1, category_names={"4.1": "领导", "4.7": "结果"}))
    labels = texts(root)
    assert "4.1 领导" in labels and "4.7 结果" in labels
    # trimmed keeps E1, E2, E3: 4.1 = (30 + 50 + 40) / 3 = 40 of 100, 4.7 = 65 of 100
    assert "40.00%" in labels and "65.00%" in labels


@pytest.mark.parametrize(
    "chart",
    [
        lambda: spread_svg([SheetPoint(HOSTILE, 50.0)], markers={HOSTILE: 50.0}, max_points=100, title=HOSTILE),
        lambda: profile_svg([(HOSTILE, 50.0)], title=HOSTILE),
        lambda: histogram_svg([50.0], cutoff=40.0, title=HOSTILE, cutoff_label=HOSTILE),
    ],
)
def test_hostile_labels_are_escaped(chart):
    svg = chart()
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{NS}title").text == HOSTILE  # shown as text, never run
    assert HOSTILE in texts(root)


def test_histogram_counts_bins_and_draws_the_cutoff():
    svg = histogram_svg([10, 15, 20, 25, 39.99], cutoff=20, title="t", bin_width=10)
    root = parse(svg)
    desc = root.find(f"{NS}desc").text
    # a total on a bin edge belongs to the bin that starts there
    assert desc.startswith("10–20: 2; 20–30: 2; 30–40: 1")
    assert "Cut-off 20.00" in texts(root)
    assert len(root.findall(f"{NS}rect")) == 3
    assert any(line.get("stroke-dasharray") == "6 3" for line in root.iter(f"{NS}line"))


@pytest.mark.parametrize("totals", [[], [None], [float("nan"), 12.5]])
def test_histogram_copes_with_empty_or_missing_totals(totals):
    parse(ranking_histogram_svg(totals, cutoff=None))


def test_empty_charts_still_parse():
    parse(spread_svg([], markers={}, max_points=1000, title="empty"))
    parse(profile_svg([("4.1", None)], title="empty"))


def test_two_charts_on_one_page_have_distinct_ids(aggregate):
    a = parse(application_spread_svg(aggregate, 1)).find(f"{NS}title").get("id")
    b = parse(application_profile_svg(aggregate, 1)).find(f"{NS}title").get("id")
    assert a != b
