"""The official documents as PDF: layout, the office's texts with placeholders, the table, the seal, the walls."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from markupsafe import escape
from PIL import Image, ImageDraw

from award.audit.anchors import Anchor
from award.certificates.assets import FetchRecord
from award.certificates.fonts import MissingFontError
from award.cycles.settings import IssuerSettings
from award.documents.models import DocumentKind
from award.documents.official import (
    DocumentTexts,
    OfficialDocument,
    default_texts,
    fill_placeholders,
    render_official_html,
    render_official_pdf,
)
from award.documents.pdf import image_data_url, render_pdf
from tests.documents.pdfs import embedded_fonts, image_count, page_sizes_mm, page_texts, reader, squeeze, text_runs

PLACEHOLDERS = {"year": "2026", "cycle_title": "市长质量奖", "award_title": "2026年度市长质量奖",
                "period_start": "2026年3月2日", "period_end": "2026年3月8日", "contact": "0512-12345678",
                **IssuerSettings(city="某某市").placeholders()}
ROWS = [("某某市精密机械制造股份有限公司", "91320500MA1W2K3L4M"), ("某某市绿色能源科技有限公司", "91320500MA1P9Q8R7T")]


def png_seal() -> bytes:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((5, 5, 195, 195), outline=(200, 0, 0, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def notice(**changes) -> OfficialDocument:
    values = {"kind": DocumentKind.NOTICE, "texts": default_texts(DocumentKind.NOTICE), "placeholders": PLACEHOLDERS,
              "issued_on": dt.date(2026, 3, 2), "rows": ROWS}
    values.update(changes)
    return OfficialDocument(**values)


@pytest.fixture(scope="module")
def notice_pdf() -> tuple[bytes, list[FetchRecord]]:
    log: list[FetchRecord] = []
    return render_official_pdf(notice(seal_image=png_seal(), seal_mime="image/png"), fetch_log=log), log


def test_a4_portrait(notice_pdf):
    assert page_sizes_mm(notice_pdf[0]) == [(210.0, 297.0)]


def test_the_header_the_title_the_body_the_table_and_the_signature(notice_pdf):
    text = squeeze(page_texts(notice_pdf[0])[0])
    expected_order = [
        "某某市市长质量奖评审委员会办公室文件",  # 版头: the issuing office's mark
        "质奖办〔2026〕1号",  # 文号
        "关于2026年度市长质量奖拟授奖单位名单的公示",
        "拟授予以下2家单位“2026年度市长质量奖”称号，现予以公示。",
        "序号单位名称统一社会信用代码",
        "1某某市精密机械制造股份有限公司91320500MA1W2K3L4M",
        "2某某市绿色能源科技有限公司91320500MA1P9Q8R7T",
        "公示期为2026年3月2日至2026年3月8日。",
        "联系方式：0512-12345678",
        "某某市市长质量奖评审委员会办公室2026年3月2日",
        "—1—",
    ]
    positions = [text.find(part) for part in expected_order]
    assert -1 not in positions, dict(zip(expected_order, positions, strict=True))
    assert positions == sorted(positions)


def test_the_issuing_office_mark_is_red_and_centred_above_a_red_line(notice_pdf):
    pdf = notice_pdf[0]
    runs = text_runs(pdf)[0]
    mark = runs[0]
    assert mark.text == "某某市市长质量奖评审委员会办公室文件"
    assert 37 <= mark.y_mm <= 60  # the top margin of GB/T 9704 is 37 mm
    content = reader(pdf).pages[0].get_contents().get_data().decode("latin-1")
    colours = {tuple(round(float(v), 2) for v in match) for match in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG)",
                                                                                  content)}
    assert (0.84, 0.0, 0.06) in colours  # #d7000f, for the mark and the line


def test_the_office_texts_fill_their_placeholders_and_keep_unknown_braces():
    texts = DocumentTexts(issuing_office="某某市人民政府", document_number="某政发〔{year}〕{count}号",
                          title="关于{award_title}的决定", opening="共{count}家；{unknown}；{__class__}；{count.real}",
                          closing="")
    text = squeeze(page_texts(render_official_pdf(notice(texts=texts)))[0])
    assert "某政发〔2026〕2号" in text
    assert "关于2026年度市长质量奖的决定" in text
    assert "共2家；{unknown}；{__class__}；{count.real}" in text


def test_fill_placeholders_is_plain_substitution():
    assert fill_placeholders("{count}{count}{x}", {"count": "{count}3"}) == "{count}3{count}3{x}"
    assert fill_placeholders("{a.__class__}{0}{}", {"a": "1"}) == "{a.__class__}{0}{}"


HOSTILE = [
    '<img src="file:///etc/passwd">',
    "{{ config }}{% for x in range(3) %}X{% endfor %}",
    "</style><style>body{display:none}</style>",
    "<script>alert(1)</script>",
    '"><a href="https://evil.example">点我</a>',
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_texts_and_names_are_printed_as_text(hostile):
    texts = DocumentTexts(issuing_office="市人民政府", document_number=hostile, title=hostile, opening=hostile,
                          closing=hostile)
    html = render_official_html(notice(texts=texts, rows=[(hostile, "91320500MA1W2K3L4M")]))
    assert html.count(str(escape(hostile))) >= 5  # title, number, opening, closing, the table's cell: as text
    if "<" in hostile:
        assert hostile not in html  # never as markup
    log: list[FetchRecord] = []
    pdf = render_official_pdf(notice(texts=texts, rows=[(hostile, "91320500MA1W2K3L4M")]), fetch_log=log)
    text = squeeze("".join(page_texts(pdf)))
    assert text.count(squeeze(hostile)) >= 4  # number, title, opening, the table's cell (and the closing)
    assert log == []  # nothing was fetched, the file: URL least of all


def test_the_seal_is_drawn_and_only_our_own_image_is_fetched(notice_pdf):
    pdf, log = notice_pdf
    assert image_count(pdf) == 1
    assert len(log) == 1 and log[0].served and log[0].url.startswith("data:image/png;base64,")


def test_a_seal_that_is_not_the_image_it_claims_is_refused():
    with pytest.raises(ValueError):
        render_official_pdf(notice(seal_image=b"GIF89a....", seal_mime="image/png"))
    with pytest.raises(ValueError):
        image_data_url(png_seal(), "image/svg+xml")


def test_a_long_list_runs_over_numbered_pages_with_the_header_row_repeated():
    rows = [(f"某某市第{index}精密机械制造股份有限公司", "91320500MA1W2K3L4M") for index in range(1, 61)]
    texts = [squeeze(text) for text in page_texts(render_official_pdf(notice(rows=rows)))]
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert text.endswith(f"—{number}—")
        assert "序号单位名称统一社会信用代码" in text
    assert "60某某市第60精密机械制造股份有限公司" in "".join(texts)


def test_the_signature_never_stands_alone_on_a_page():
    # GB/T 9704: a page must not carry the issuing office and the date without any text above them.
    for count in range(2, 8):
        rows = [(f"某某市第{index}精密机械制造股份有限公司", "91320500MA1W2K3L4M") for index in range(count)]
        last = squeeze(page_texts(render_official_pdf(notice(rows=rows)))[-1])
        assert not last.startswith("某某市市长质量奖评审委员会办公室2026年3月2日"), count


def test_the_decision_list_shows_the_certificate_numbers():
    document = OfficialDocument(kind=DocumentKind.DECISION, texts=default_texts(DocumentKind.DECISION),
                                placeholders=PLACEHOLDERS, issued_on=dt.date(2026, 3, 18),
                                rows=[("某某市精密机械制造股份有限公司", "2026-7K3QX9M2-R")])
    text = squeeze(page_texts(render_official_pdf(document))[0])
    assert "某某市人民政府文件" in text and "政发〔2026〕1号" in text
    assert "关于授予2026年度市长质量奖的决定" in text
    assert "决定授予以下1家单位“2026年度市长质量奖”称号。" in text
    assert "序号单位名称证书编号1某某市精密机械制造股份有限公司2026-7K3QX9M2-R" in text
    assert text.endswith("某某市人民政府2026年3月18日—1—")


def test_the_cjk_font_is_embedded(notice_pdf):
    fonts = embedded_fonts(notice_pdf[0])
    assert fonts and all(files for files in fonts.values()), fonts
    assert any("CJK" in name or "Han" in name for name in fonts), fonts


def test_without_a_cjk_font_nothing_is_printed():
    with pytest.raises(MissingFontError, match="fonts-noto-cjk"):
        render_official_pdf(notice(), font_lookup=lambda: [])


def test_the_renderer_fetches_only_its_own_assets(tmp_path):
    # A template (ours, or a careless edit of it) that points at local files or the network gets nothing.
    (tmp_path / "page.css").write_text("body { color: #000; }", encoding="utf-8")
    (tmp_path / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
                                      encoding="utf-8")
    (tmp_path / "page.html").write_text(
        '<html><head><style>{{ stylesheet }}</style></head><body><p>{{ text }}</p>'
        '<img src="file:///etc/passwd"><img src="https://example.com/x.png"><img src="award-asset:dot.svg">'
        '<img src="award-asset:../page.html"></body></html>', encoding="utf-8")
    log: list[FetchRecord] = []
    pdf = render_pdf("page.html", stylesheet="page.css", folder=tmp_path, fetch_log=log, text="正文")
    assert "正文" in page_texts(pdf)[0]
    assert {(record.url, record.served) for record in log} == {
        ("file:///etc/passwd", False), ("https://example.com/x.png", False), ("award-asset:dot.svg", True),
        ("award-asset:../page.html", False)}


def test_the_audit_chain_anchor_is_printed_in_the_margin_of_every_page():
    anchor = Anchor(1234, "0123456789abcdef" * 4)
    one_page = render_official_pdf(notice(anchor=anchor))
    assert len(page_texts(one_page)) == 1  # it takes no room from the body
    assert f"审计链锚点：第1234条记录，哈希值{anchor.hash}" in squeeze(page_texts(one_page)[0])
    many = page_texts(render_official_pdf(notice(anchor=anchor, rows=ROWS * 20)))
    assert len(many) > 1 and all(anchor.hash in squeeze(page) for page in many)
    assert "审计链锚点" not in squeeze(page_texts(render_official_pdf(notice()))[0])  # none before this revision

