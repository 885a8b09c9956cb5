"""The demo's awarded cycle archives to a ZIP that verifies offline, and fails when any file inside changes.

The archive is built once for the module (seeding the demo is slow) through `flask archive create`,
the demo's awarded cycle holding, as its services left it, evidence and a decided objection with its
evidence, so every kind of member is there: records, the frozen rubric, evidence, PDFs, the audit chain.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from award.app_db import get_database, get_session
from award.archive.verify import verify_archive
from award.audit.models import AuditRecord
from award.awards.demo import AWARDED_CYCLE_TITLE
from award.awards.models import Award
from award.certificates.fonts import installed_cjk_families
from award.cycles.models import Cycle, Stage
from award.demo import seed_demo
from award.rubrics import content_hash
from award.visits.demo import FULL_PROCEDURE_TITLE
from tests.conftest import make_test_app

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
HAS_CJK_FONT = bool(list(installed_cjk_families()))


def _pdf(text: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def demo_archive(engine, database_url, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("demo-archive")
    target = folder / "demo.zip"
    with engine.connect() as connection:
        transaction = connection.begin()
        app = make_test_app(database_url, FILES_ROOT=str(folder / "files"),
                            PUBLIC_BASE_URL="https://award.example.gov.cn")
        get_database(app).bind_to(connection)
        try:
            with app.app_context():
                session = get_session()
                seed_demo(session, demo_database=True)
                # The awarded cycle went through its vote, notice (with a dismissed objection) and final list.
                cycle = session.scalar(select(Cycle).where(Cycle.title == AWARDED_CYCLE_TITLE))
                # The full-procedure cycle: presentation, on-site visit, social evaluation, two votes, two levels.
                full_id = session.scalar(select(Cycle.id).where(Cycle.title == FULL_PROCEDURE_TITLE))
                numbers = [a.certificate_number for a in session.scalars(select(Award)
                                                                         .where(Award.cycle_id == cycle.id))]
                cycle_id = cycle.id
                # The demo's review cycle has draws, panels, sheets and consensus: archive it as if closed.
                reviewed = session.scalar(select(Cycle).where(Cycle.stage == Stage.DOCUMENT_REVIEW))
                reviewed.stage = Stage.CLOSED
                reviewed_id = reviewed.id
                session.commit()
                result = app.test_cli_runner().invoke(args=["archive", "create", str(cycle_id), "--out", str(target)])
                assert result.exit_code == 0, result.output
                review = app.test_cli_runner().invoke(
                    args=["archive", "create", str(reviewed_id), "--out", str(folder / "review.zip")])
                assert review.exit_code == 0, review.output
                full = app.test_cli_runner().invoke(
                    args=["archive", "create", str(full_id), "--out", str(folder / "full.zip")])
                assert full.exit_code == 0, full.output
                action = get_session().scalars(select(AuditRecord.action).order_by(AuditRecord.seq.desc())
                                               .limit(1)).first()
        finally:
            transaction.rollback()
            get_database(app).engine.dispose()
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    return {"path": target, "manifest": manifest, "cycle_id": cycle_id, "numbers": numbers, "output": result.output,
            "review_path": folder / "review.zip", "full_path": folder / "full.zip",
            "last_action": action}


def _members(demo_archive) -> list[str]:
    return [entry["path"] for entry in demo_archive["manifest"]["files"]]


def test_the_archive_holds_every_section_of_the_cycle(demo_archive):
    names = set(_members(demo_archive))
    expected = {
        "cycle/settings.json", "cycle/rubric-gbt19580-2012.toml", "people/users.json", "applications/index.json",
        "assignment/rounds.json", "assignment/panels.json", "conflicts/conflicts.json", "conflicts/pinned.json",
        "conflicts/declarations.json", "sheets/sheets.jsonl", "sheets/consensus.json", "ranking/snapshot-v1.json",
        "notice/notice.json", "notice/objections.json", "awards/awards.json", "audit/chain.jsonl",
        "audit/cycle-records.jsonl",
    }
    assert expected <= names
    assert any(n.startswith("applications/") and "/evidence/" in n and n.endswith(".png") for n in names)
    assert any(n.startswith("notice/objections/") and n.endswith(".png") for n in names)
    assert demo_archive["last_action"] == "cycle.archived"
    assert "chain head" in demo_archive["output"]


def test_the_full_procedure_cycle_archives_every_stage_s_records(demo_archive):
    """The presentation lot and schedule, the visit with its checklist and photo, the social evaluation, the
    committee's vote beside the leading group's, and the awards in their two levels."""
    with zipfile.ZipFile(demo_archive["full_path"]) as archive:
        names = set(archive.namelist())
        visits = json.loads(archive.read("visits/visits.json"))
        findings = json.loads(archive.read("social/findings.json"))
        awards = json.loads(archive.read("awards/awards.json"))
    assert "assignment/presentation.json" in names
    assert any(n.startswith("assignment/draws/presentation-") for n in names)
    assert any(n.startswith("visits/photos/") for n in names)
    assert len(visits) == 1 and visits[0]["checks"]
    assert any(f["level"] == "noted" for f in findings)
    assert {"vote/ballots.json", "vote/committee/ballots.json"} <= names
    assert {a["level"] for a in awards} == {1, 2}
    assert verify_archive(demo_archive["full_path"]).ok


def test_review_records_are_archived(demo_archive):
    """Draws with their seeds, panels with pledges, every sheet with items and comments."""
    with zipfile.ZipFile(demo_archive["review_path"]) as archive:
        names = set(archive.namelist())
        draws = [json.loads(archive.read(n)) for n in sorted(names) if n.startswith("assignment/draws/")]
        panels = json.loads(archive.read("assignment/panels.json"))
        sheets = [json.loads(line) for line in archive.read("sheets/sheets.jsonl").splitlines()]
        declarations = json.loads(archive.read("conflicts/declarations.json"))
    assert draws and all(d["seed"] is not None and d["instance"] and d["result"] for d in draws)
    assert panels and any(p["is_leader"] for p in panels)
    submitted = [s for s in sheets if s["status"] == "submitted"]
    assert submitted and all(len(s["items"]) == 23 and s["version"] >= 1 for s in submitted)
    assert all(item["strength"] and item["improvement"] for item in submitted[0]["items"])
    assert {d["assignment_id"] for d in declarations} == {p["id"] for p in panels}
    assert verify_archive(demo_archive["review_path"]).ok


def test_evidence_is_the_uploaded_file_byte_for_byte(demo_archive):
    with zipfile.ZipFile(demo_archive["path"]) as archive:
        record = json.loads(archive.read("applications/index.json"))[0]
        application = json.loads(archive.read(f"applications/{record['id']}/application.json"))
        listed = application["evidence_files"][0]
        data = archive.read(f"applications/{record['id']}/{listed['archived_as']}")
        objection = json.loads(archive.read("notice/objections.json"))[0]
    assert hashlib.sha256(data).hexdigest() == listed["sha256"]
    assert data.startswith(b"\x89PNG") and listed["display_name"].startswith("质量管理体系认证证书")
    assert objection["outcome"] == "dismissed" and objection["outcome_reason"] == "经核查，事故不属实。"


def test_the_rubric_is_the_frozen_text(demo_archive):
    with zipfile.ZipFile(demo_archive["path"]) as archive:
        text = archive.read("cycle/rubric-gbt19580-2012.toml").decode("utf-8")
        settings = json.loads(archive.read("cycle/settings.json"))
    assert content_hash(text) == settings["rubric_hash"]
    assert "4.7" in text


@pytest.mark.skipif(not HAS_CJK_FONT, reason="no CJK font: the archive notes the missing PDFs instead")
def test_certificates_and_feedback_reports_are_real_pdfs(demo_archive):
    with zipfile.ZipFile(demo_archive["path"]) as archive:
        awards = json.loads(archive.read("awards/awards.json"))
        assert {a["certificate_number"] for a in awards} == set(demo_archive["numbers"])
        for award in awards:
            reader = PdfReader(io.BytesIO(archive.read(f"awards/certificates/{award['certificate_number']}.pdf")))
            text = reader.pages[0].extract_text()
            assert award["organization_name"] in text and award["certificate_number"] in text
        decision = PdfReader(io.BytesIO(archive.read("documents/decision.pdf"))).pages[0].extract_text()
        assert all(award["certificate_number"] in decision for award in awards)
        pages = PdfReader(io.BytesIO(archive.read("documents/notice.pdf"))).pages
        notice = "".join(page.extract_text() for page in pages)
        assert all(award["organization_name"] in notice for award in awards)
        feedback = sorted(n for n in archive.namelist() if n.startswith("awards/feedback/"))
        snapshot = json.loads(archive.read("ranking/snapshot-v1.json"))
        ranked = [e["application_id"] for e in snapshot["entries"] if e["total"] is not None]
        assert feedback == sorted(f"awards/feedback/{application_id}.pdf" for application_id in ranked)
        assert len(ranked) > len(awards)  # the applicant below the cut-off gets its report too
        text = PdfReader(io.BytesIO(archive.read(feedback[0]))).pages[0].extract_text()
        assert "领导" in text
    assert demo_archive["manifest"]["notes"] == []


def test_the_intact_archive_verifies_offline(demo_archive, app):
    verdict = verify_archive(demo_archive["path"])
    assert verdict.ok, verdict.problems
    assert verdict.checked_files == len(_members(demo_archive))
    assert verdict.checked_records == demo_archive["manifest"]["audit_records"] > 0
    result = app.test_cli_runner().invoke(args=["archive", "verify", str(demo_archive["path"])])
    assert result.exit_code == 0 and "archive intact" in result.output


def _copy(source: Path, target: Path, *, change: str | None = None, drop: str | None = None,
          add: str | None = None) -> Path:
    """Copy the archive with one member changed (one byte flipped), dropped, or one member added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename == drop:
                continue
            data = old.read(item.filename)
            if item.filename == change:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:] if data else b" "
            new.writestr(item, data)
        if add:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a second copy of a listed name is the point of the test
                new.writestr(add, b"{}")
    return target


def _pick(demo_archive, kind: str) -> str:
    members = _members(demo_archive)
    chosen = {
        "settings": "cycle/settings.json",
        "rubric": "cycle/rubric-gbt19580-2012.toml",
        "evidence": next(m for m in members if "/evidence/" in m),
        "objection evidence": next(m for m in members if m.startswith("notice/objections/")),
        "sheets": "sheets/sheets.jsonl",
        "ranking": "ranking/snapshot-v1.json",
        "awards": "awards/awards.json",
        "certificate PDF": next((m for m in members if m.startswith("awards/certificates/")), None),
        "feedback PDF": next((m for m in members if m.startswith("awards/feedback/")), None),
        "decision PDF": "documents/decision.pdf" if "documents/decision.pdf" in members else None,
        "audit chain": "audit/chain.jsonl",
        "manifest": "manifest.json",
        "manifest digest": "manifest.sha256",
    }[kind]
    if chosen is None:
        pytest.skip("no CJK font: the archive has no PDFs")
    return chosen


KINDS = ["settings", "rubric", "evidence", "objection evidence", "sheets", "ranking", "awards", "certificate PDF",
         "feedback PDF", "decision PDF", "audit chain", "manifest", "manifest digest"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_changed_file_fails_verification(demo_archive, tmp_path, kind):
    member = _pick(demo_archive, kind)
    verdict = verify_archive(_copy(demo_archive["path"], tmp_path / "changed.zip", change=member))
    assert not verdict.ok
    assert any(member in problem or "manifest" in problem for problem in verdict.problems), verdict.problems


@pytest.mark.parametrize("kind", ["evidence", "certificate PDF", "audit chain", "settings", "manifest digest"])
def test_a_removed_file_fails_verification(demo_archive, tmp_path, kind):
    member = _pick(demo_archive, kind)
    verdict = verify_archive(_copy(demo_archive["path"], tmp_path / "removed.zip", drop=member))
    assert not verdict.ok
    assert any(member in problem for problem in verdict.problems), verdict.problems


@pytest.mark.parametrize("member", ["applications/extra.pdf", "awards/certificates/2099-ZZZZZZZZ-Z.pdf",
                                    "cycle/settings.json"])
def test_an_added_file_fails_verification(demo_archive, tmp_path, member):
    """A new member, or a second copy of a listed one, is refused."""
    verdict = verify_archive(_copy(demo_archive["path"], tmp_path / "added.zip", add=member))
    assert not verdict.ok
    assert any(member in problem for problem in verdict.problems), verdict.problems


def test_the_cli_names_the_changed_file(demo_archive, tmp_path, app):
    member = _pick(demo_archive, "evidence")
    changed = _copy(demo_archive["path"], tmp_path / "changed.zip", change=member)
    result = app.test_cli_runner().invoke(args=["archive", "verify", str(changed)])
    assert result.exit_code == 1 and f"FAIL {member}: SHA-256 differs" in result.output
