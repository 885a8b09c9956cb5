"""Factories for the applications tests: an open cycle, a complete application, sample files."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfWriter

from award.applications import services
from award.applications.evidence import EvidenceStore
from award.applications.services import EvidenceLimits, Profile
from award.auth.models import Role
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format=kind)
    return buffer.getvalue()


def complete_profile(**overrides) -> Profile:
    values = dict(
        org_name="苏州精密制造有限公司", address="苏州市工业园区星湖街 1 号", district="工业园区", sector="C",
        employees=1200, revenue=Decimal("56000.50"), founded_on=dt.date(2005, 3, 1),
        qms_certified_on=dt.date(2010, 6, 1), declaration_confirmed=True,
    )
    values.update(overrides)
    return Profile(**values)


def full_texts(cycle, text: str = "我们建立了系统的方法。") -> dict[str, str]:
    return {item.id: f"{item.id} {text}" for item in cycle_rubric(cycle).items}


@pytest.fixture
def store(tmp_path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence")


@pytest.fixture
def limits() -> EvidenceLimits:
    return EvidenceLimits(max_file_bytes=200_000, max_total_bytes=500_000)


@pytest.fixture
def open_cycle(make_cycle):
    return make_cycle(stage=Stage.APPLICATION)


@pytest.fixture
def enterprise(make_user):
    return make_user(Role.ENTERPRISE)


@pytest.fixture
def office(make_user):
    return make_user(Role.OFFICE)


@pytest.fixture
def draft(db, open_cycle, enterprise):
    application = services.start_application(db, actor=enterprise, cycle=open_cycle)
    db.commit()
    return application


@pytest.fixture
def make_submitted(db):
    """A complete, submitted application of `user` in `cycle` (cycle must take applications)."""

    def make(cycle, user, **profile):
        application = services.start_application(db, actor=user, cycle=cycle)
        services.save_draft(db, actor=user, application=application, profile=complete_profile(**profile),
                            self_assessment=full_texts(cycle))
        services.submit_application(db, actor=user, application=application)
        db.commit()
        return application

    return make
