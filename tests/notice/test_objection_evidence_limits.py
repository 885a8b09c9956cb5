"""The public objection form (no login) under hostile evidence: refused with the reason, nothing stored."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from award.notice.models import Objection
from tests import hostile_files as hostile
from tests.notice.test_objections import ID_NUMBER, candidate_id, world  # noqa: F401 (world is a fixture)


@pytest.fixture
def app_config():
    return {"OBJECTIONS_PER_ADDRESS": "100 per hour", "PDF_CHECK_CPU_SECONDS": 1}


def post(client, db, world, content: bytes, name: str):  # noqa: F811 (world is the fixture's value)
    fields = {"candidate": str(candidate_id(db, world)), "name": "张三", "id_number": ID_NUMBER,
              "phone": "13912345678", "text": "数据不实"}
    return hostile.post_files(client, f"/notices/{world['notice_id']}/object", {"evidence": (content, name)},
                              **fields)


def stored(world) -> int:  # noqa: F811
    return sum(1 for path in world["root"].rglob("*") if path.is_file())


@pytest.mark.parametrize(("make", "name", "reason"), [
    (hostile.slow_pdf, "证据.pdf", "could not be checked in time"),
    (hostile.truncated_pdf, "证据.pdf", "cannot be opened"),
    (hostile.not_a_pdf, "证据.pdf", "Only PDF, JPEG and PNG"),
    (hostile.nested_pdf, "nested.pdf", "cannot be opened"),
], ids=["slow", "truncated", "not-a-pdf", "nested"])
def test_hostile_evidence_is_refused_and_nothing_is_kept(client, db, world, make, name, reason):  # noqa: F811
    before = stored(world)
    response = post(client, db, world, make(), name)
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert db.scalar(select(func.count(Objection.id))) == 1  # only the world's own
    assert stored(world) == before


def test_the_refusal_is_in_chinese_for_a_chinese_visitor(client, db, world):  # noqa: F811
    client.post("/language/zh_CN")
    response = post(client, db, world, hostile.slow_pdf(), "证据.pdf")
    assert response.status_code == 422
    assert "未能在限定时间内检查该 PDF" in response.get_data(as_text=True)


def test_a_good_pdf_still_goes_through(client, db, world):  # noqa: F811
    response = post(client, db, world, hostile.valid_pdf(), "证据.pdf")
    assert response.status_code == 302
    assert db.scalar(select(func.count(Objection.id))) == 2


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(upload=hostile.hostile_uploads())
def test_no_hostile_file_is_kept_or_answered_with_a_server_error(client, db, world, upload):  # noqa: F811
    before = stored(world)
    response = post(client, db, world, upload[1], upload[0])
    assert response.status_code == 422
    assert stored(world) == before
