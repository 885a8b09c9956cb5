"""Reading the documents' PDFs back with pypdf: text, where each text starts, page sizes, embedded fonts."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader

MM_PER_POINT = 25.4 / 72


def reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def squeeze(text: str) -> str:
    """Drop whitespace, which text extraction inserts at line breaks."""
    return "".join(text.split())


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    return [(round(float(p.mediabox.width) * MM_PER_POINT, 1), round(float(p.mediabox.height) * MM_PER_POINT, 1))
            for p in reader(pdf).pages]


@dataclass(frozen=True)
class Run:
    """One run of text: where its baseline starts, in mm from the page's top-left corner, and its size in pt."""

    text: str
    x_mm: float
    y_mm: float
    size_pt: float


def _multiply(a: list[float], b: list[float]) -> list[float]:
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def text_runs(pdf: bytes) -> list[list[Run]]:
    """Per page, every text run with its position: the text matrix times the current transformation matrix."""
    pages = []
    for page in reader(pdf).pages:
        height = float(page.mediabox.height)
        runs: list[Run] = []

        def visit(text, cm, tm, _font, size, runs=runs, height=height):  # noqa: ANN001
            if text.strip():
                matrix = _multiply([float(v) for v in tm], [float(v) for v in cm])
                scale = (matrix[0] ** 2 + matrix[1] ** 2) ** 0.5
                runs.append(Run(text=text.strip(), x_mm=matrix[4] * MM_PER_POINT,
                                y_mm=(height - matrix[5]) * MM_PER_POINT, size_pt=float(size) * scale))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def run_of(runs: list[Run], text: str) -> Run:
    found = [run for run in runs if run.text == text]
    assert len(found) == 1, (text, runs)
    return found[0]


def _fonts(resources, fonts: dict[str, list[str]]) -> None:  # noqa: ANN001
    resources = resources.get_object() if resources is not None else {}
    for font in resources.get("/Font", {}).values():
        font = font.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        fonts[str(font["/BaseFont"])] = [key for key in descriptor if key.startswith("/FontFile")]
    for xobject in resources.get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            _fonts(xobject.get("/Resources"), fonts)


def embedded_fonts(pdf: bytes) -> dict[str, list[str]]:
    """Map each font's BaseFont to the /FontFile* keys of its descriptor (empty: not embedded)."""
    fonts: dict[str, list[str]] = {}
    for page in reader(pdf).pages:
        _fonts(page.get("/Resources"), fonts)
    return fonts


def image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in reader(pdf).pages)
