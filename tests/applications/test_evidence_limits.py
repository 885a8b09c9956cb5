"""The PDF check within its limits: a PDF the check cannot finish in time or memory is refused, never a 500.

The check runs in a child process (award.sandbox) capped by award.limits.PDF_CHECK; these tests lower
the caps and use files from tests/hostile_files.py. They assert on the verdict and on what was stored.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.applications import services
from award.applications.evidence import PDF, EvidenceRejected, sniff
from award.applications.models import EvidenceFile
from award.errors import DomainError
from award.limits import MiB, ProcessLimits
from tests import hostile_files as hostile

ONE_CPU_SECOND = ProcessLimits(wall_seconds=10.0, cpu_seconds=1, memory_bytes=512 * MiB)


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_crafted_pdf_that_takes_seconds_to_open_is_refused():
    # pypdf rebuilds the missing cross-reference table object by object: seconds of CPU for 15 MB.
    with pytest.raises(EvidenceRejected) as refused:
        sniff(hostile.slow_pdf(), pdf_check=ONE_CPU_SECOND)
    assert refused.value.reason == "pdf_timeout"


def test_the_same_construction_small_is_a_valid_pdf():
    assert sniff(hostile.slow_pdf(2_000), pdf_check=ONE_CPU_SECOND) == PDF


@pytest.mark.parametrize("limits", [
    ProcessLimits(wall_seconds=0.001, cpu_seconds=3, memory_bytes=512 * MiB),  # no time to start
    ProcessLimits(wall_seconds=10.0, cpu_seconds=3, memory_bytes=8 * MiB),  # no memory to start
], ids=["wall-clock", "memory"])
def test_a_check_that_cannot_finish_refuses_even_a_good_pdf(limits):
    with pytest.raises(EvidenceRejected) as refused:
        sniff(hostile.valid_pdf(), pdf_check=limits)
    assert refused.value.reason == "pdf_timeout"


@pytest.mark.parametrize(("make", "reason"), [
    (hostile.truncated_pdf, "pdf_unreadable"),
    (hostile.nested_pdf, "pdf_unreadable"),
    (lambda: b"%PDF-1.7\n" + b"\xff" * 1000, "pdf_unreadable"),
    (hostile.not_a_pdf, "type"),
])
def test_the_checks_verdicts_are_kept(make, reason):
    with pytest.raises(EvidenceRejected) as refused:
        sniff(make())
    assert refused.value.reason == reason


def test_an_application_keeps_no_trace_of_a_refused_pdf(db, draft, enterprise, store):
    limits = services.EvidenceLimits(max_file_bytes=20 * MiB, max_total_bytes=40 * MiB, pdf_check=ONE_CPU_SECOND)
    with pytest.raises(DomainError) as refused:
        services.add_evidence(db, actor=enterprise, application=draft, data=hostile.slow_pdf(), filename="slow.pdf",
                              store=store, limits=limits)
    assert refused.value.code == "evidence_pdf_timeout" and "could not be checked in time" in refused.value.message
    assert draft.files == [] and stored_files(store.root) == []


# --- through the upload page ----------------------------------------------------------------------


@pytest.fixture
def app_config(tmp_path):
    return {"FILES_ROOT": str(tmp_path / "evidence"), "PDF_CHECK_CPU_SECONDS": 1}


def test_the_upload_page_refuses_a_slow_pdf_with_the_reason(client, login, db, draft, enterprise, tmp_path):
    login(enterprise)
    response = hostile.post_files(client, f"/applications/{draft.id}/files", {"file": (hostile.slow_pdf(), "a.pdf")})
    assert response.status_code == 422
    assert "could not be checked in time" in response.get_data(as_text=True)
    assert db.scalars(select(EvidenceFile).where(EvidenceFile.application_id == draft.id)).all() == []
    assert stored_files(tmp_path / "evidence") == []


def test_a_check_waits_for_a_free_slot_and_refuses_without_starting_a_child(monkeypatch):
    """At most CHILDREN_PER_PROCESS checks run at once; the next one gives up after its wall-clock
    limit instead of adding another process."""
    import subprocess

    from award import sandbox
    from award.limits import ProcessLimits

    started = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: started.append(args))
    for _ in range(sandbox.CHILDREN_PER_PROCESS):
        assert sandbox._slots.acquire(timeout=0)
    try:
        assert sandbox.run_child("pdf", b"%PDF-1.7", ProcessLimits(wall_seconds=0.01, cpu_seconds=1,
                                                                   memory_bytes=64 * 2**20)) is None
    finally:
        for _ in range(sandbox.CHILDREN_PER_PROCESS):
            sandbox._slots.release()
    assert started == []
