"""Certificate and feedback PDFs: content, fonts, layout, QR code, and the sandbox walls."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import segno
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from award.awards.numbers import new_certificate_number
from award.certificates.assets import FetchRecord
from award.certificates.fonts import CJK_FONT_PACKAGE, MissingFontError
from award.certificates.render import (
    DEFAULT_TEMPLATES_DIR,
    QR_MASK,
    CategoryFeedback,
    CertificateData,
    ExpertComment,
    FeedbackReport,
    bar_chart_svg,
    chinese_date,
    merge_expert_comments,
    qr_svg,
    render_certificate_html,
    render_certificate_pdf,
    render_certificates_batch,
    render_feedback_html,
    render_feedback_pdf,
)

ORGANIZATION = "某某市精密机械制造股份有限公司"
VERIFY_BASE = "https://award.example.gov.cn/verify/"


def no_fonts() -> list[str]:
    return []


def png_seal() -> bytes:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((5, 5, 195, 195), outline=(200, 0, 0, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def make_certificate(**changes) -> CertificateData:
    number = changes.pop("number", None) or new_certificate_number(2026)
    data = CertificateData(
        number=number,
        organization_name=ORGANIZATION,
        award_title="某某市市长质量奖",
        year=2026,
        issue_date=date(2026, 3, 18),
        valid_until=date(2030, 12, 31),
        authority="某某市人民政府",
        verify_url=VERIFY_BASE + number,
    )
    return replace(data, **changes)


def reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def squeeze(text: str) -> str:
    """Drop whitespace, which text extraction inserts at line breaks."""
    return "".join(text.split())


def embedded_fonts(pdf: bytes) -> dict[str, list[str]]:
    """Map each font's BaseFont to the /FontFile* keys of its descriptor."""
    fonts: dict[str, list[str]] = {}
    for page in reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
                else font
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = [k for k in descriptor if k.startswith("/FontFile")]
    return fonts


@pytest.fixture(scope="module")
def certificate() -> CertificateData:
    return make_certificate(seal_image=png_seal(), seal_mime="image/png")


@pytest.fixture(scope="module")
def certificate_pdf(certificate: CertificateData) -> tuple[bytes, list[FetchRecord]]:
    log: list[FetchRecord] = []
    return render_certificate_pdf(certificate, fetch_log=log), log


# --- the certificate ------------------------------------------------------------------


def test_certificate_shows_name_number_and_authority(certificate, certificate_pdf) -> None:
    pdf, _log = certificate_pdf
    (text,) = page_texts(pdf)
    for expected in (ORGANIZATION, certificate.number, "荣誉证书", "某某市人民政府",
                     "2026年度某某市市长质量奖", "二〇二六年三月十八日",
                     "二〇三〇年十二月三十一日"):
        assert expected in squeeze(text)


def test_certificate_is_one_a4_landscape_page(certificate_pdf) -> None:
    pdf, _log = certificate_pdf
    (page,) = reader(pdf).pages
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > height
    assert width == pytest.approx(841.89, abs=1) and height == pytest.approx(595.28, abs=1)


def test_certificate_embeds_a_cjk_serif_font(certificate_pdf) -> None:
    pdf, _log = certificate_pdf
    fonts = embedded_fonts(pdf)
    cjk = {name: files for name, files in fonts.items() if "CJK" in name}
    assert cjk, fonts
    assert any("Serif" in name for name in cjk)
    assert all(files for files in cjk.values())  # embedded, not merely referenced


def test_seal_is_fetched_from_the_renderers_own_data_url(certificate_pdf) -> None:
    pdf, log = certificate_pdf
    assert [record.served for record in log] == [True]
    assert log[0].url.startswith("data:image/png;base64,")
    assert len(reader(pdf).pages[0].images) == 1


def test_certificate_without_seal_fetches_nothing() -> None:
    log: list[FetchRecord] = []
    pdf = render_certificate_pdf(make_certificate(valid_until=None), fetch_log=log)
    assert log == []
    assert len(reader(pdf).pages[0].images) == 0
    assert "有效期" not in page_texts(pdf)[0]


# --- the QR code ------------------------------------------------------------------------


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """Read back the dark modules from segno's SVG path (scale 1, relative h/m moves)."""
    (path,) = re.findall(r' d="([^"]+)"', svg)
    x = y = 0.0
    dark = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(y), int(x) + i) for i in range(int(a)))
            x += float(a)
    return dark


def test_qr_svg_draws_segnos_matrix_for_the_url() -> None:
    url = VERIFY_BASE + "2026-22222222-J"
    code = segno.make(url, error="m", mask=QR_MASK)
    expected = {(row + 4, col + 4) for row, line in enumerate(code.matrix)
                for col, module in enumerate(line) if module}
    assert dark_modules(qr_svg(url)) == expected
    assert code.mode == "byte" and code.error == "M"


@pytest.mark.parametrize("tail", ["2026-22222222-J", "2030-00000001-A", "2026-98765432-X?lang=zh_CN", "1" * 60])
def test_the_qr_code_with_its_fixed_mask_reads_back_as_the_url(tail) -> None:
    """A reader decodes the drawn modules (the fixed mask is not segno's pick of the best)."""
    url = VERIFY_BASE + tail
    dark = dark_modules(qr_svg(url))
    size = max(max(r, c) for r, c in dark) + 5  # 4 modules of quiet zone after the last
    image = Image.new("L", (size * 8, size * 8), 255)
    draw = ImageDraw.Draw(image)
    for row, col in dark:
        draw.rectangle((col * 8, row * 8, col * 8 + 7, row * 8 + 7), fill=0)
    assert [result.text for result in zxingcpp.read_barcodes(image)] == [url]


def test_qr_is_deterministic_and_depends_on_the_url() -> None:
    url = VERIFY_BASE + "2026-22222222-J"
    assert qr_svg(url) == qr_svg(url)
    assert dark_modules(qr_svg(url)) != dark_modules(qr_svg(url + "X"))


def test_certificate_html_carries_the_qr_of_its_verify_url(certificate) -> None:
    html = render_certificate_html(certificate)
    (svg,) = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert svg == str(qr_svg(certificate.verify_url))


# --- hostile input ------------------------------------------------------------------------

HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://evil.example/x.css">',
    '某公司<img src="https://evil.example/pixel.png">',
    '"><style>@import url("file:///etc/passwd");</style>',
    "<svg><image href='file:///etc/shadow'/></svg>",
]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("field", ["organization_name", "authority", "award_title"])
def test_hostile_text_is_printed_not_fetched(field: str, name: str) -> None:
    log: list[FetchRecord] = []
    pdf = render_certificate_pdf(make_certificate(**{field: name}), fetch_log=log)
    assert log == []  # nothing was even asked for
    assert squeeze(name) in squeeze(page_texts(pdf)[0])


def test_hostile_text_is_escaped_in_the_html() -> None:
    html = render_certificate_html(make_certificate(organization_name=HOSTILE[0]))
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file' not in html


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://x/y"])
def test_verify_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="verify_url"):
        render_certificate_pdf(make_certificate(verify_url=url))


@pytest.fixture
def custom_templates(tmp_path: Path) -> Path:
    shutil.copy(DEFAULT_TEMPLATES_DIR / "certificate.css", tmp_path)
    shutil.copy(DEFAULT_TEMPLATES_DIR / "certificate.html", tmp_path)
    (tmp_path / "logo.png").write_bytes(png_seal())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.png").write_bytes(png_seal())
    return tmp_path


FOREIGN = [
    "file:///etc/passwd",
    "http://evil.example/x.png",
    "https://evil.example/x.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "award-asset:../../etc/passwd",
    "award-asset:sub/x.png",
    "award-asset:certificate.html",
    "award-asset:missing.png",
]


@pytest.mark.parametrize("url", FOREIGN)
def test_fetcher_refuses_what_a_template_pulls_in(custom_templates: Path, url: str) -> None:
    template = custom_templates / "evil.html"
    template.write_text(f'<html><body><p>{{{{ certificates[0].number }}}}</p>'
                        f'<img src="{url}"></body></html>', encoding="utf-8")
    log: list[FetchRecord] = []
    pdf = render_certificate_pdf(make_certificate(), templates_dir=custom_templates,
                                 template_name="evil.html", fetch_log=log)
    assert log == [FetchRecord(url=url, served=False)]
    assert len(reader(pdf).pages[0].images) == 0


def test_fetcher_refuses_css_imports(custom_templates: Path) -> None:
    template = custom_templates / "evil.html"
    template.write_text('<html><head><style>@import url("file:///etc/passwd");'
                        'body { background: url("http://evil.example/bg.png") }</style></head>'
                        "<body>x</body></html>", encoding="utf-8")
    log: list[FetchRecord] = []
    render_certificate_pdf(make_certificate(), templates_dir=custom_templates,
                           template_name="evil.html", fetch_log=log)
    assert sorted(log, key=lambda record: record.url) == [
        FetchRecord(url="file:///etc/passwd", served=False),
        FetchRecord(url="http://evil.example/bg.png", served=False),
    ]


def test_fetcher_serves_an_asset_of_the_templates_folder(custom_templates: Path) -> None:
    template = custom_templates / "logo.html"
    template.write_text('<html><body><img src="award-asset:logo.png"></body></html>',
                        encoding="utf-8")
    log: list[FetchRecord] = []
    pdf = render_certificate_pdf(make_certificate(), templates_dir=custom_templates,
                                 template_name="logo.html", fetch_log=log)
    assert log == [FetchRecord(url="award-asset:logo.png", served=True)]
    assert len(reader(pdf).pages[0].images) == 1


def test_sandbox_blocks_python_internals(custom_templates: Path) -> None:
    from jinja2.exceptions import SecurityError

    template = custom_templates / "evil.html"
    template.write_text("{{ certificates.__class__.__mro__[1].__subclasses__() }}",
                        encoding="utf-8")
    with pytest.raises(SecurityError):
        render_certificate_pdf(make_certificate(), templates_dir=custom_templates,
                               template_name="evil.html")


@pytest.mark.parametrize(
    ("image", "mime"),
    [(b"GIF89a....", "image/gif"), (b"not a png", "image/png"), (png_seal(), "image/jpeg"),
     (png_seal(), None)],
)
def test_seal_must_be_png_or_jpeg_as_declared(image: bytes, mime: str | None) -> None:
    with pytest.raises(ValueError, match="seal"):
        render_certificate_pdf(make_certificate(seal_image=image, seal_mime=mime))


def test_jpeg_seal_is_accepted() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), (200, 0, 0)).save(buffer, "JPEG")
    log: list[FetchRecord] = []
    render_certificate_pdf(make_certificate(seal_image=buffer.getvalue(), seal_mime="image/jpeg"),
                           fetch_log=log)
    assert [(record.url[:23], record.served) for record in log] == [
        ("data:image/jpeg;base64,", True)]


# --- missing font -----------------------------------------------------------------------------


def test_certificate_without_cjk_font_fails_clearly() -> None:
    with pytest.raises(MissingFontError, match=CJK_FONT_PACKAGE):
        render_certificate_pdf(make_certificate(), font_lookup=no_fonts)


def test_batch_without_cjk_font_fails_before_any_progress() -> None:
    calls: list[tuple[int, int]] = []
    with pytest.raises(MissingFontError, match=CJK_FONT_PACKAGE):
        render_certificates_batch([make_certificate()], lambda *a: calls.append(a),
                                  font_lookup=no_fonts)
    assert calls == []


def test_feedback_without_cjk_font_fails_clearly(report: FeedbackReport) -> None:
    with pytest.raises(MissingFontError, match=CJK_FONT_PACKAGE):
        render_feedback_pdf(report, font_lookup=no_fonts)


# --- the batch -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [25, 2, 1])
def test_batch_has_one_page_per_certificate_in_order(chunk_size: int) -> None:
    certificates = [
        make_certificate(organization_name=f"第{index}号有限公司", seal_image=png_seal(),
                         seal_mime="image/png")
        for index in range(1, 4)
    ]
    calls: list[tuple[int, int]] = []
    pdf = render_certificates_batch(certificates, progress=lambda *a: calls.append(a),
                                    chunk_size=chunk_size)
    texts = page_texts(pdf)
    assert len(texts) == 3
    for text, data in zip(texts, certificates, strict=True):
        assert data.number in squeeze(text) and data.organization_name in squeeze(text)
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_very_long_name_stays_on_one_page() -> None:
    name = "某某市" + "高端装备精密机械制造" * 8 + "股份有限公司"
    pdf = render_certificates_batch([make_certificate(organization_name=name),
                                     make_certificate()])
    texts = page_texts(pdf)
    assert len(texts) == 2 and name in squeeze(texts[0])


def test_empty_batch_is_an_error() -> None:
    with pytest.raises(ValueError):
        render_certificates_batch([])


# --- the feedback report -----------------------------------------------------------------------

EXPERTS = ["张伟", "李娜", "王芳"]
CATEGORIES = [("4.1", "领导", 110, 71.5), ("4.2", "战略", 90, 54), ("4.7", "结果", 400, 230)]


@pytest.fixture(scope="module")
def report() -> FeedbackReport:
    comments = [
        ExpertComment(category_id="4.1", expert=EXPERTS[0],
                      strengths=["高层领导亲自推动质量战略"],
                      improvements=["社会责任缺少量化指标"]),
        ExpertComment(category_id="4.1", expert=EXPERTS[1],
                      strengths=["高层领导亲自推动质量战略", "治理结构清晰"], improvements=[]),
        ExpertComment(category_id="4.7", expert=EXPERTS[2],
                      strengths=["产品合格率连续五年上升"], improvements=["缺少与标杆企业的对比"]),
    ]
    return FeedbackReport(
        cycle_title="2026年度某某市市长质量奖", year=2026, organization_name=ORGANIZATION,
        total=612.5, cutoff=650, shortlisted=False,
        categories=merge_expert_comments(CATEGORIES, comments), issued_on=date(2026, 4, 1))


@pytest.fixture(scope="module")
def feedback_text(report: FeedbackReport) -> str:
    log: list[FetchRecord] = []
    pdf = render_feedback_pdf(report, fetch_log=log)
    assert log == []
    assert not reader(pdf).pages[0].mediabox.width > reader(pdf).pages[0].mediabox.height
    return squeeze("".join(page_texts(pdf)))


def test_merge_pools_comments_without_experts(report: FeedbackReport) -> None:
    leadership, strategy, results = report.categories
    assert leadership.strengths == sorted(["高层领导亲自推动质量战略", "治理结构清晰"])
    assert leadership.improvements == ["社会责任缺少量化指标"]
    assert strategy.strengths == strategy.improvements == []
    assert (results.points, results.scored) == (400, 230)
    assert not any(hasattr(category, "expert") for category in report.categories)


def test_feedback_lists_strengths_and_improvements(feedback_text: str) -> None:
    for expected in ("评审反馈报告", ORGANIZATION, "高层领导亲自推动质量战略", "治理结构清晰",
                     "社会责任缺少量化指标", "产品合格率连续五年上升", "缺少与标杆企业的对比",
                     "4.1领导", "4.7结果"):
        assert expected in feedback_text
    assert feedback_text.count("高层领导亲自推动质量战略") == 1  # pooled once


def test_feedback_names_no_expert(feedback_text: str) -> None:
    for expert in EXPERTS:
        assert expert not in feedback_text


def test_feedback_shows_standing_against_the_cutoff(feedback_text: str) -> None:
    assert "612.5/600分" in feedback_text  # max is the sum of the listed categories
    assert "获奖分数线650分" in feedback_text
    assert "未达到获奖分数线" in feedback_text and "未入围" in feedback_text


def test_feedback_shortlisted_above_cutoff(report: FeedbackReport) -> None:
    html = render_feedback_html(replace(report, total=700, shortlisted=True))
    assert "达到获奖分数线" in html and "未达到获奖分数线" not in html
    assert "未入围" not in html


def test_bar_chart_bars_are_percent_of_category_points(report: FeedbackReport) -> None:
    svg = str(bar_chart_svg(report.categories, font_family="Noto Serif CJK SC"))
    filled = [float(width) for width in re.findall(r'width="([\d.]+)" height="6" fill="#b22222"',
                                                   svg)]
    # bar length is 120 units at 100%: 71.5/110 = 65%, 54/90 = 60%, 230/400 = 57.5%
    assert filled == pytest.approx([78.0, 72.0, 69.0])
    assert "65%" in svg and "(71.5/110)" in svg


def test_bar_chart_escapes_category_names() -> None:
    category = CategoryFeedback(id="4.1", name="<script>x</script>&", points=100, scored=150)
    svg = str(bar_chart_svg([category], font_family='Evil"Font'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'Evil"Font' not in svg
    assert 'width="120.00"' in svg  # clamped at 100%


def test_category_points_must_be_positive() -> None:
    with pytest.raises(ValueError):
        bar_chart_svg([CategoryFeedback(id="x", name="x", points=0, scored=0)],
                      font_family="Noto Serif CJK SC")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 18), "二〇二六年三月十八日"),
        (date(2030, 12, 31), "二〇三〇年十二月三十一日"),
        (date(2027, 10, 1), "二〇二七年十月一日"),
        (date(2028, 1, 20), "二〇二八年一月二十日"),
    ],
)
def test_chinese_date(day: date, expected: str) -> None:
    assert chinese_date(day) == expected
