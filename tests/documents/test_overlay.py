"""Overlay printing (套打): each text lands at its millimetre position, moved by the printer's offset; the test page."""

from __future__ import annotations

import datetime as dt

import pytest

from award.certificates.assets import FetchRecord
from award.certificates.fonts import MissingFontError
from award.documents.overlay import (
    FieldPosition,
    Layout,
    Offset,
    OverlayText,
    fitted_size_pt,
    render_overlay_pdf,
    render_test_page_pdf,
)
from tests.documents.pdfs import embedded_fonts, page_sizes_mm, page_texts, run_of, squeeze, text_runs

TOLERANCE_MM = 1.0
LAYOUT = Layout(organization=FieldPosition(x_mm=62.5, y_mm=91, size_pt=20), organization_max_width_mm=170,
                number=FieldPosition(x_mm=35, y_mm=185, size_pt=11), date=FieldPosition(x_mm=190, y_mm=170, size_pt=15))
OFFSET = Offset(name="财务室打印机", x_mm=1.5, y_mm=-2.0)
TEXTS = [
    OverlayText(organization_name="某某市精密机械制造股份有限公司", certificate_number="2026-7K3QX9M2-R",
                issue_date=dt.date(2026, 3, 18)),
    OverlayText(organization_name="某某市绿色能源科技有限公司", certificate_number="2026-4HN8PW2T-C",
                issue_date=dt.date(2026, 3, 18)),
]
HOSTILE_NAMES = [
    '</text><text x="0" y="0">伪造</text><image href="file:///etc/passwd"/>',
    "{{ 7*7 }}{% for x in range(3) %}{{ x }}{% endfor %}",
    "<script>alert(1)</script>&amp;&lt;",
    "]]><!-- -->' \" `",
]


def no_fonts() -> list[str]:
    return []


@pytest.fixture(scope="module")
def overlay() -> tuple[bytes, list[FetchRecord]]:
    log: list[FetchRecord] = []
    return render_overlay_pdf(TEXTS, layout=LAYOUT, offset=OFFSET, fetch_log=log), log


def test_one_sheet_per_certificate_at_the_size_of_the_stock(overlay):
    pdf, _log = overlay
    assert page_sizes_mm(pdf) == [(297.0, 210.0), (297.0, 210.0)]
    custom = render_overlay_pdf(TEXTS[:1], layout=Layout(page_width_mm=260, page_height_mm=185))
    assert page_sizes_mm(custom) == [(260.0, 185.0)]


@pytest.mark.parametrize("offset", [Offset(), OFFSET, Offset(x_mm=-3.5, y_mm=4)], ids=["none", "office", "negative"])
def test_each_text_starts_at_its_position_moved_by_the_printer_offset(offset):
    runs = text_runs(render_overlay_pdf(TEXTS[:1], layout=LAYOUT, offset=offset))[0]
    expected = {
        "某某市精密机械制造股份有限公司": LAYOUT.organization,
        "2026-7K3QX9M2-R": LAYOUT.number,
        "二〇二六年三月十八日": LAYOUT.date,
    }
    for text, position in expected.items():
        run = run_of(runs, text)
        assert run.x_mm == pytest.approx(position.x_mm + offset.x_mm, abs=TOLERANCE_MM), text
        assert run.y_mm == pytest.approx(position.y_mm + offset.y_mm, abs=TOLERANCE_MM), text


def test_texts_have_the_configured_sizes(overlay):
    runs = text_runs(overlay[0])[1]
    assert run_of(runs, "某某市绿色能源科技有限公司").size_pt == pytest.approx(20, abs=0.1)
    assert run_of(runs, "2026-4HN8PW2T-C").size_pt == pytest.approx(11, abs=0.1)
    assert run_of(runs, "二〇二六年三月十八日").size_pt == pytest.approx(15, abs=0.1)


def test_the_sheet_carries_nothing_but_the_variable_text(overlay):
    pdf, log = overlay
    assert [squeeze(text) for text in page_texts(pdf)] == [
        "某某市精密机械制造股份有限公司2026-7K3QX9M2-R二〇二六年三月十八日",
        "某某市绿色能源科技有限公司2026-4HN8PW2T-C二〇二六年三月十八日",
    ]
    assert log == []  # nothing fetched: no background, no image


def test_the_date_is_written_as_chosen():
    arabic = Layout(date_style="arabic")
    assert "2026年3月18日" in page_texts(render_overlay_pdf(TEXTS[:1], layout=arabic))[0]
    assert "二〇二六年三月十八日" in page_texts(render_overlay_pdf(TEXTS[:1], layout=Layout()))[0]


def test_a_long_name_is_set_smaller_to_stay_inside_its_width():
    name = "某某市某某区高新技术产业开发区精密机械与智能装备制造股份有限公司第一分公司"
    narrow = Layout(organization=FieldPosition(x_mm=40, y_mm=90, size_pt=24), organization_max_width_mm=150)
    run = run_of(text_runs(render_overlay_pdf(
        [OverlayText(organization_name=name, certificate_number="1", issue_date=dt.date(2026, 1, 5))],
        layout=narrow))[0], name)
    assert run.size_pt < 24
    assert len(name) * run.size_pt * 25.4 / 72 <= 150 + 0.5  # Chinese characters are one em wide
    assert run.x_mm == pytest.approx(40, abs=TOLERANCE_MM)


def test_fitted_size_keeps_short_names_and_shrinks_long_ones():
    assert fitted_size_pt("某某公司", 22, 180) == 22
    assert fitted_size_pt("某" * 40, 22, 180) == pytest.approx(180 / (40 * 25.4 / 72), rel=1e-6)
    assert fitted_size_pt("ABCD" * 20, 22, 180) < fitted_size_pt("ABCD" * 10, 22, 180) == 22


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_organization_names_are_printed_as_text(name):
    log: list[FetchRecord] = []
    pdf = render_overlay_pdf([OverlayText(organization_name=name, certificate_number="2026-1", issue_date=dt.date(
        2026, 3, 18))], layout=LAYOUT, offset=OFFSET, fetch_log=log)
    runs = text_runs(pdf)[0]
    assert len(runs) == 3  # no text element smuggled in
    assert squeeze(runs[0].text) == squeeze(name)
    assert runs[0].x_mm == pytest.approx(LAYOUT.organization.x_mm + OFFSET.x_mm, abs=TOLERANCE_MM)
    assert log == []  # the file: URL in the name was never fetched


def test_the_cjk_font_is_embedded(overlay):
    fonts = embedded_fonts(overlay[0])
    assert fonts and all(files for files in fonts.values()), fonts
    assert any("CJK" in name or "Han" in name for name in fonts), fonts


def test_without_a_cjk_font_nothing_is_printed():
    with pytest.raises(MissingFontError, match="fonts-noto-cjk"):
        render_overlay_pdf(TEXTS, layout=LAYOUT, font_lookup=no_fonts)


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError):
        render_overlay_pdf([], layout=LAYOUT)


# --- the test page ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_page() -> bytes:
    return render_test_page_pdf(layout=LAYOUT, offset=OFFSET)


def test_the_test_page_has_the_stock_size_and_names_the_printer_and_offset(test_page):
    assert page_sizes_mm(test_page) == [(297.0, 210.0)]
    text = page_texts(test_page)[0]
    assert "套打校准测试页" in text and "财务室打印机" in text
    assert "+1.5 mm" in text and "-2.0 mm" in text


def test_the_ruler_grid_is_labelled_every_10_mm(test_page):
    labels = [run.text for run in text_runs(test_page)[0] if run.text.isdigit()]
    across = [str(mm) for mm in range(10, 297, 10)]  # along the top and the bottom edge
    down = [str(mm) for mm in range(10, 210, 10)]  # along the left edge
    assert sorted(labels, key=int) == sorted(across * 2 + down, key=int)


def test_the_grid_and_the_field_crosses_are_moved_by_the_offset(test_page):
    runs = text_runs(test_page)[0]
    # The label of the 100 mm line stands just right of the line, near the top edge.
    top = [run for run in runs if run.text == "100" and run.y_mm < 20]
    assert len(top) == 1
    assert top[0].x_mm == pytest.approx(100 + 0.6 + OFFSET.x_mm, abs=0.2)
    assert top[0].y_mm == pytest.approx(8 + OFFSET.y_mm, abs=0.2)
    # The label of the 50 mm horizontal line stands just above it, right of the 10 mm line.
    left = [run for run in runs if run.text == "50" and run.x_mm < 20]
    assert len(left) == 1
    assert left[0].y_mm == pytest.approx(50 - 0.6 + OFFSET.y_mm, abs=0.2)
    # Each field's cross is labelled beside the point where its text will start.
    label = run_of(runs, "单位名称 (62.5, 91)")
    assert label.x_mm == pytest.approx(LAYOUT.organization.x_mm + OFFSET.x_mm + 1.5, abs=0.2)
    assert label.y_mm == pytest.approx(LAYOUT.organization.y_mm + OFFSET.y_mm - 1.5, abs=0.2)
    assert run_of(runs, "证书编号 (35, 185)") and run_of(runs, "颁发日期 (190, 170)")


def test_the_test_page_without_a_printer_has_no_offset():
    runs = text_runs(render_test_page_pdf(layout=LAYOUT))[0]
    top = [run for run in runs if run.text == "100" and run.y_mm < 20]
    assert top[0].x_mm == pytest.approx(100.6, abs=0.2)
    assert "未选择" in page_texts(render_test_page_pdf(layout=LAYOUT))[0]
