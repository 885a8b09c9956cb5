"""The demo's awarded cycle prints its certificates and feedback reports."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from award.applications.models import Application
from award.awards.models import Award
from award.certificates import services
from award.certificates.demo import AWARDED_CYCLE_TITLE, BELOW_CUTOFF
from award.certificates.render import render_certificates_batch, render_feedback_pdf
from award.certificates.seals import SealStore
from award.cycles.models import Cycle


def text(pdf: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_demo_prints_certificates_and_feedback_reports(demo_db, tmp_path):
    cycle = demo_db.scalar(select(Cycle).where(Cycle.title == AWARDED_CYCLE_TITLE))
    certificates = services.cycle_certificates(demo_db, cycle,
                                               verify_url=lambda n: f"https://award.example/verify/{n}",
                                               seal_store=SealStore(tmp_path))
    awards = demo_db.scalars(select(Award).where(Award.cycle_id == cycle.id).order_by(Award.id)).all()
    assert len(certificates) == len(awards) == 2
    batch = text(render_certificates_batch(certificates))
    assert all(a.certificate_number in batch and a.organization_name in batch for a in awards)
    assert f"{cycle.year}年度苏州市市长质量奖" in batch and "苏州市人民政府" in batch

    feedback = services.feedback_applications(demo_db, cycle)
    assert {application.org_name for _entry, application in feedback} == {a.organization_name for a in awards} | {
        BELOW_CUTOFF}
    today = dt.date.today()
    for _entry, application in feedback:
        report = services.feedback_report(demo_db, application, today=today)
        assert all(category.strengths and category.improvements for category in report.categories)
    below = demo_db.scalar(select(Application).where(Application.cycle_id == cycle.id,
                                                     Application.org_name == BELOW_CUTOFF))
    printed = text(render_feedback_pdf(services.feedback_report(demo_db, below, today=today)))
    assert BELOW_CUTOFF in printed and "未达到获奖分数线" in printed and "未入围" in printed
    assert "高层领导亲自推动质量战略" in printed
