"""Benchmark certificate PDFs: the batch for the printer against bare WeasyPrint.

Records (milliseconds per page, medians of REPEATS interleaved runs, all in the same run; each record also
gives the medians of this process's CPU time, `cpu_value`, `cpu_baseline` and `cpu_ratio`):

* ``certificates.batch`` — :func:`render_certificates_batch` (sandboxed Jinja, asset-only
  fetcher, chunks of 25) against bare ``HTML(string=...).write_pdf()`` of the same HTML
  (all certificates in one document, default fetcher): the price of the safety walls and
  of chunking.
* ``certificates.single_document`` — our path with all certificates in one chunk against the
  same bare baseline: the price of the safety walls alone, without chunking.
* ``certificates.one_document_each`` — one WeasyPrint document per certificate
  (``chunk_size=1``) against the default chunked batch: why the batch is chunked.
* ``certificates.feedback`` — one feedback report against bare WeasyPrint of its HTML.
"""

from __future__ import annotations

import gc
import io
import os
import statistics
import time
from collections.abc import Callable
from datetime import date

from PIL import Image, ImageDraw
from weasyprint import HTML

from award.awards.numbers import new_certificate_number
from award.certificates.fonts import require_cjk_font
from award.certificates.render import (
    DEFAULT_TEMPLATES_DIR,
    CategoryFeedback,
    CertificateData,
    FeedbackReport,
    _render_certificates_html,
    render_certificates_batch,
    render_feedback_html,
    render_feedback_pdf,
)

REPEATS = 5  # a shared machine: interleaved repeats, medians (7 when quick: small sizes are noisier)
GB_T_19580 = [("4.1", "领导", 110), ("4.2", "战略", 90), ("4.3", "顾客与市场", 90),
              ("4.4", "资源", 130), ("4.5", "过程管理", 100), ("4.6", "测量、分析与改进", 80),
              ("4.7", "结果", 400)]


def _seal() -> bytes:
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 390, 390), outline=(200, 0, 0, 255), width=14)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _certificates(count: int) -> list[CertificateData]:
    seal = _seal()
    result = []
    for index in range(count):
        number = new_certificate_number(2026)
        result.append(CertificateData(
            number=number, organization_name=f"某某市第{index + 1}精密机械制造股份有限公司",
            award_title="某某市市长质量奖", year=2026, issue_date=date(2026, 3, 18),
            valid_until=date(2030, 12, 31), authority="某某市人民政府",
            verify_url=f"https://award.example.gov.cn/verify/{number}",
            seal_image=seal, seal_mime="image/png"))
    return result


def _report() -> FeedbackReport:
    categories = [
        CategoryFeedback(id=cid, name=name, points=points, scored=points * 0.6,
                         strengths=[f"{name}方面的优势{i}：做法系统、展开充分" for i in range(3)],
                         improvements=[f"{name}方面的改进机会{i}：缺少对比数据" for i in range(3)])
        for cid, name, points in GB_T_19580
    ]
    return FeedbackReport(cycle_title="2026年度某某市市长质量奖", year=2026,
                          organization_name="某某市精密机械制造股份有限公司", total=600,
                          cutoff=650, shortlisted=False, categories=categories,
                          issued_on=date(2026, 4, 1))


def _median_ms(functions: dict[str, Callable[[], object]], *, pages: int,
               repeats: int) -> dict[str, float]:
    """Time each function ``repeats`` times, interleaved so machine drift hits all alike.

    One untimed call of each first: font loading and caches must not count for one only.
    """
    for function in functions.values():
        function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    cpu: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            gc.collect()  # untimed: no call pays for the cyclic garbage the one before it left
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            samples[name].append((time.perf_counter() - start) * 1000 / pages)
            cpu[name].append((time.process_time() - start_cpu) * 1000 / pages)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    # This process's CPU time too: all the work is in it, and on a shared machine the CPU time
    # moves far less with the other work than the wall time does.
    medians.update({f"{name}.cpu": statistics.median(values) for name, values in cpu.items()})
    return medians


def _record(name: str, value: float, baseline: float, note: str, cpu: tuple[float, float]) -> dict:
    return {"load_average": round(os.getloadavg()[0], 2), "name": name, "value": round(value, 2), "unit": "ms/page",
            "baseline": round(baseline, 2), "ratio": round(value / baseline, 3), "note": note,
            "cpu_value": round(cpu[0], 2), "cpu_baseline": round(cpu[1], 2), "cpu_ratio": round(cpu[0] / cpu[1], 3)}


def run(quick: bool = False) -> list[dict]:
    count = 5 if quick else 100
    certificates = _certificates(count)
    font = require_cjk_font()
    # The exact HTML our renderer produces for the whole batch in one document.
    batch_html, _seals = _render_certificates_html(
        certificates, folder=DEFAULT_TEMPLATES_DIR, font_family=font.family,
        template_name="certificate.html")
    report = _report()
    feedback_html = render_feedback_html(report)
    repeats = 7 if quick else REPEATS
    batch = _median_ms({
        "ours": lambda: render_certificates_batch(certificates),
        "bare": lambda: HTML(string=batch_html).write_pdf(),
        "single": lambda: render_certificates_batch(certificates, chunk_size=count),
        "each": lambda: render_certificates_batch(certificates, chunk_size=1),
    }, pages=count, repeats=repeats)
    feedback = _median_ms({
        "ours": lambda: render_feedback_pdf(report),
        "bare": lambda: HTML(string=feedback_html).write_pdf(),
    }, pages=1, repeats=repeats)
    return [
        _record("certificates.batch", batch["ours"], batch["bare"],
                f"{count} certificates; baseline: bare WeasyPrint, one document",
                (batch["ours.cpu"], batch["bare.cpu"])),
        _record("certificates.single_document", batch["single"], batch["bare"],
                f"{count} certificates in one chunk; baseline: bare WeasyPrint, one document",
                (batch["single.cpu"], batch["bare.cpu"])),
        _record("certificates.one_document_each", batch["each"], batch["ours"],
                f"{count} certificates; baseline: chunked batch (our default)",
                (batch["each.cpu"], batch["ours.cpu"])),
        _record("certificates.feedback", feedback["ours"], feedback["bare"],
                "one report of 7 categories, ms per report; baseline: bare WeasyPrint",
                (feedback["ours.cpu"], feedback["bare.cpu"])),
    ]
