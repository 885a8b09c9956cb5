"""The cycle archive: a ZIP with a manifest that verifies offline and fails when anything changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import tracemalloc
import zipfile

import pytest
from sqlalchemy import select

from award.applications.evidence import EvidenceStore
from award.applications.models import Application, ApplicationStatus, EvidenceFile
from award.approval.models import Choice
from award.approval.services import cast_ballot, close_vote, open_vote
from award.archive.builder import ArchiveStorage, build_archive
from award.archive.sections import CHUNK
from award.archive.verify import verify_archive
from award.audit.models import AuditRecord
from award.audit.services import record
from award.auth.models import Role
from award.awards.models import Award
from award.awards.numbers import new_certificate_number
from award.cycles.models import Stage
from award.cycles.settings import IssuerSettings
from award.db import utcnow
from award.errors import DomainError
from award.files import FileStore, StoredFile
from award.jobs.models import Job
from award.rounds.models import Assignment
from award.scoring.models import ConsensusFinalization, ConsensusRemark, RemarkKind
from tests.approval.world import shortlisted_cycle


@pytest.fixture
def archived(db, make_cycle, make_user, tmp_path):
    office = make_user(Role.OFFICE)
    cycle = make_cycle(stage=Stage.AWARDED)
    record(db, actor=office, action="test.event", target_type="cycle", target_id=cycle.id, cycle_id=cycle.id,
           after={"名称": "市长质量奖"})
    target = tmp_path / "cycle.zip"
    summary = build_archive(db, actor=office, cycle=cycle, target=target)
    db.commit()
    return summary


def test_archive_lists_every_file_with_its_hash(archived):
    with zipfile.ZipFile(archived.path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    listed = {entry["path"] for entry in manifest["files"]}
    assert names == listed | {"manifest.json", "manifest.sha256"}
    assert {"cycle/settings.json", "audit/chain.jsonl", "audit/cycle-records.jsonl"} <= listed
    assert any(name.startswith("cycle/rubric-") for name in listed)
    assert manifest["audit_chain_head"] == archived.chain_head


def test_intact_archive_verifies(archived):
    verdict = verify_archive(archived.path)
    assert verdict.ok, verdict.problems
    assert verdict.checked_records >= 2


def rewrite(path, name, change, output="changed.zip"):
    """Copy the archive with one entry changed (what someone tampering would do)."""
    changed = path.with_name(output)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(changed, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == name else data)
    return changed


def test_a_changed_file_fails_verification(archived):
    changed = rewrite(archived.path, "cycle/settings.json", lambda data: data.replace(b"600", b"500"))
    verdict = verify_archive(changed)
    assert not verdict.ok
    assert any("cycle/settings.json" in problem for problem in verdict.problems)


def test_a_consistently_forged_audit_record_fails_on_the_chain(archived):
    """Even with the manifest's hash updated, an edited audit record breaks the chain."""
    def forge(data: bytes) -> bytes:
        return data.replace("市长质量奖".encode(), "伪造".encode())

    changed = rewrite(archived.path, "audit/chain.jsonl", forge)
    with zipfile.ZipFile(changed) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            entry["sha256"] = hashlib.sha256(archive.read(entry["path"])).hexdigest()
    forged = rewrite(changed, "manifest.json", lambda _data: json.dumps(manifest).encode(), output="forged.zip")
    verdict = verify_archive(forged)
    assert not verdict.ok
    assert any("audit record" in problem for problem in verdict.problems)


def test_cli_verify_exit_codes(app, archived):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["archive", "verify", str(archived.path)]).exit_code == 0
    changed = rewrite(archived.path, "cycle/settings.json", lambda data: data + b" ")
    result = runner.invoke(args=["archive", "verify", str(changed)])
    assert result.exit_code == 1 and "SHA-256 differs" in result.output


def test_only_an_awarded_or_closed_cycle_is_archived(db, make_cycle, tmp_path):
    with pytest.raises(DomainError, match="awarded or closed"):
        build_archive(db, actor=None, cycle=make_cycle(stage=Stage.NOTICE), target=tmp_path / "x.zip")


def _storage(tmp_path) -> ArchiveStorage:
    return ArchiveStorage(files_root=tmp_path / "evidence",
                          verify_url=lambda number: f"https://award.example.gov.cn/certificates/verify/{number}")


def _awarded_application(db, cycle, make_organization, *, files: int = 0, store=None, size: int = 0):
    """An awarded application of `cycle`, with `files` evidence files of `size` random bytes each."""
    organization = make_organization()
    application = Application(cycle_id=cycle.id, organization_id=organization.id, org_name=organization.name,
                              sector="C", status=ApplicationStatus.ELIGIBLE)
    db.add(application)
    db.flush()
    for number in range(files):
        stored_name = secrets.token_hex(32)
        path = store.scratch_path()
        digest = hashlib.sha256()
        with open(path, "wb") as handle:
            for _ in range(size // CHUNK):
                chunk = os.urandom(CHUNK)  # random: deflate cannot shrink it, the worst case
                digest.update(chunk)
                handle.write(chunk)
        store.adopt(path)
        db.add(EvidenceFile(application_id=application.id, stored_name=stored_name, display_name=f"证据{number}.pdf",
                            content_type="application/pdf", size_bytes=size, sha256=digest.hexdigest()))
    day = dt.date(cycle.year, 12, 1)
    db.add(Award(cycle_id=cycle.id, application_id=application.id, organization_id=organization.id,
                 organization_name=organization.name, title=f"{cycle.year}年度市长质量奖", awarded_on=day,
                 valid_until=day + dt.timedelta(days=1460), certificate_number=new_certificate_number(cycle.year)))
    db.flush()
    return application


def test_without_a_cjk_font_the_archive_is_made_and_says_the_pdfs_are_missing(db, make_cycle, make_organization,
                                                                               tmp_path):
    """The records matter more than their printouts: no font means no PDFs, noted in the manifest."""
    cycle = make_cycle(stage=Stage.AWARDED, issuers=IssuerSettings(city="某某市"))
    _awarded_application(db, cycle, make_organization)
    summary = build_archive(db, actor=None, cycle=cycle, target=tmp_path / "a.zip", storage=_storage(tmp_path),
                            font_lookup=lambda: [])
    with zipfile.ZipFile(summary.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert "awards/awards.json" in names and not any(name.endswith(".pdf") for name in names)
    assert any("not in the archive as PDF" in note and "fonts-noto-cjk" in note for note in manifest["notes"])
    assert any(note.startswith("documents") for note in manifest["notes"])
    verdict = verify_archive(summary.path)
    assert verdict.ok and verdict.notes == manifest["notes"]


def test_without_the_issuing_city_the_archive_is_made_without_documents_that_would_name_no_city(
        db, make_cycle, make_organization, tmp_path):
    cycle = make_cycle(stage=Stage.AWARDED)
    _awarded_application(db, cycle, make_organization)
    summary = build_archive(db, actor=None, cycle=cycle, target=tmp_path / "a.zip", storage=_storage(tmp_path))
    with zipfile.ZipFile(summary.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert not any(name.startswith("awards/certificates/") for name in names)
    assert any(note.startswith("awards:") and "Issuing bodies" in note for note in manifest["notes"])


def test_a_missing_or_altered_stored_evidence_file_is_noted(db, make_cycle, make_organization, tmp_path):
    cycle = make_cycle(stage=Stage.AWARDED)
    store = EvidenceStore(tmp_path / "evidence")
    application = _awarded_application(db, cycle, make_organization, files=2, store=store, size=CHUNK)
    first, second = application.files
    store.path_of(first.sha256).unlink()
    store.path_of(second.sha256).write_bytes(b"%PDF-1.7 replaced")
    storage = _storage(tmp_path)
    summary = build_archive(db, actor=None, cycle=cycle, target=tmp_path / "a.zip", storage=storage,
                            font_lookup=lambda: [])
    assert any(f"evidence/{first.id}: the stored file is missing" in note for note in summary.notes)
    assert any(f"evidence/{second.id}: the stored file differs" in note for note in summary.notes)


def test_a_large_cycle_streams_into_the_zip(db, make_cycle, make_organization, tmp_path):
    """48 MiB of evidence pass through the archive while Python's memory peak stays a small fraction of it."""
    cycle = make_cycle(stage=Stage.AWARDED)
    store = EvidenceStore(tmp_path / "evidence")
    for _ in range(3):
        _awarded_application(db, cycle, make_organization, files=4, store=store, size=4 * CHUNK)
    storage = _storage(tmp_path)
    evidence_bytes = 3 * 4 * 4 * CHUNK
    tracemalloc.start()
    try:
        summary = build_archive(db, actor=None, cycle=cycle, target=tmp_path / "big.zip", storage=storage,
                                font_lookup=lambda: [])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.bytes_written > evidence_bytes
    assert summary.path.stat().st_size > evidence_bytes  # random data: it really is in the ZIP
    assert peak < evidence_bytes / 6, f"peak {peak / CHUNK:.1f} MiB for {evidence_bytes / CHUNK:.0f} MiB of evidence"
    assert verify_archive(summary.path).ok


@pytest.mark.parametrize("closed", [True, False], ids=["closed vote", "open vote"])
def test_ballots_are_archived_only_after_the_close(db, make_user, make_organization, make_cycle, tmp_path, closed):
    """Choices stay secret while a vote runs: an archive then holds the session and a note, no ballots."""
    leaders = [make_user(Role.LEADER) for _ in range(3)]
    world = shortlisted_cycle(db, make_user=make_user, make_organization=make_organization, make_cycle=make_cycle)
    now = utcnow()
    vote = open_vote(db, actor=world.office, cycle=world.cycle, closes_at=now + dt.timedelta(days=1), now=now)
    for leader, choice in zip(leaders, [Choice.APPROVE, Choice.APPROVE, Choice.REJECT], strict=True):
        cast_ballot(db, actor=leader, vote=vote, application_id=world.applications[0].id, choice=choice,
                    comment="同意" if choice is Choice.APPROVE else "证据不足", now=now)
    if closed:
        close_vote(db, actor=world.office, vote=vote, now=now + dt.timedelta(days=2))
    world.cycle.stage = Stage.AWARDED
    db.commit()
    summary = build_archive(db, actor=world.office, cycle=world.cycle, target=tmp_path / "v.zip",
                            font_lookup=lambda: [])
    with zipfile.ZipFile(summary.path) as archive:
        names = set(archive.namelist())
        session = json.loads(archive.read("vote/session.json"))
        ballots = json.loads(archive.read("vote/ballots.json")) if closed else None
        outcomes = json.loads(archive.read("vote/outcomes.json"))
    assert set(session["members"]) == {leader.id for leader in leaders}
    if closed:
        assert sorted(b["choice"] for b in ballots) == ["approve", "approve", "reject"]
        assert {b["leader_id"] for b in ballots} == {leader.id for leader in leaders}
        assert any(o["application_id"] == world.applications[0].id and o["approve"] == 2 for o in outcomes)
    else:
        assert "vote/ballots.json" not in names and outcomes == []
        assert any("ballots stay secret" in note for note in summary.notes)
    assert verify_archive(summary.path).ok


def test_the_office_downloads_the_archive_from_the_cycle_page(app, db, client, login, make_user, make_cycle,
                                                             make_organization, tmp_path):
    """The button queues the archive as a job (run by the worker; here, in the request); its page offers
    the ZIP, kept in the file store (the job's row names its digest, so verify and backup cover it)."""
    app.instance_path = str(tmp_path / "instance")  # the file store: instance/files
    office = make_user(Role.OFFICE)
    cycle = make_cycle(stage=Stage.AWARDED)
    _awarded_application(db, cycle, make_organization)
    db.commit()
    login(office)
    response = client.post(f"/cycles/{cycle.id}/archive")
    assert response.status_code == 302
    page_url = response.headers["Location"]
    assert page_url.startswith("/jobs/")
    page = client.get(page_url).get_data(as_text=True)
    assert "js/jobs.js" in page and page_url + "/result" in page
    response = client.get(page_url + "/result")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    target = tmp_path / "download.zip"
    target.write_bytes(response.data)
    response.close()
    kept = db.scalars(select(StoredFile).where(StoredFile.kind == "archive")).one()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == kept.sha256
    assert FileStore(tmp_path / "instance" / "files").check(kept.sha256) is None
    assert db.get(Job, int(page_url.split("/")[-1])).result_sha256 == kept.sha256
    verdict = verify_archive(target)
    assert verdict.ok, verdict.problems
    with zipfile.ZipFile(target) as archive:
        awards = json.loads(archive.read("awards/awards.json"))
    assert len(awards) == 1
    last = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).first()
    assert last.action == "cycle.archived" and last.actor_id == office.id
    assert last.after["manifest_sha256"] == hashlib.sha256(zipfile.ZipFile(target).read("manifest.json")).hexdigest()


# Every table, and where the archive holds it (or why it does not): a new table fails here until it is placed.
ARCHIVED_TABLES = {
    "cycle_calls": "texts", "call_attachments": "texts",
    "cycles": "cycle", "cycle_deadlines": "cycle", "cycle_coi_settings": "cycle", "ranking_settings": "cycle",
    "application_settings": "cycle", "certificate_settings": "texts", "document_texts": "texts",
    "users": "people", "organizations": "people",
    "applications": "applications", "application_events": "applications", "screening_results": "applications",
    "evidence_files": "applications",
    "application_submissions": "applications",
    "review_rounds": "assignment", "assignments": "assignment", "assignment_draws": "assignment",
    "expert_availability": "assignment", "presentation_draws": "assignment", "presentation_slots": "assignment",
    "pinned_conflicts": "conflicts", "expert_profiles": "conflicts", "expert_relations": "conflicts",
    "group_links": "conflicts",
    "score_sheets": "sheets", "item_scores": "sheets", "consensus_scores": "sheets",
    "consensus_confirmations": "sheets", "consensus_remarks": "sheets", "consensus_finalizations": "sheets",
    "ranking_snapshots": "ranking", "shortlist_entries": "ranking",
    "vote_sessions": "vote", "vote_members": "vote", "vote_candidates": "vote", "ballots": "vote",
    "vote_outcomes": "vote",
    "public_notices": "notice", "notice_candidates": "notice", "objections": "notice",
    "site_visits": "visits", "visit_checks": "visits", "visit_photos": "visits",
    "social_findings": "social", "social_records": "social", "social_comment_windows": "social",
    "social_comments": "social",
    "awards": "awards", "reassessments": "awards",
    "audit_records": "audit", "audit_chain_head": "audit",
}
NOT_ARCHIVED = {
    "coi_data_version": "a random token that changes with the conflict facts, for a cache; no record",
    "follow_up_reports": "the holders' yearly reports arrive for years after the cycle is closed and archived; "
                         "the database, the file store and their backup keep them",
    "account_tokens": "digests of single-use e-mail links (invitations, resets, confirmations): secrets, not records",
    "blacklist_entries": "screening results keep the listing that counted (source and date)",
    "draft_stashes": "unsaved form text of an expired login",
    "notifications": "in-app notices; what happened is in the audit trail",
    "notification_preferences": "per-user e-mail choices",
    "outbox_messages": "e-mail copies of in-app notices",
    "overlay_layouts": "printer positions for pre-printed stock, not a record",
    "printer_profiles": "printer calibration, not a record",
    "site_flags": "installation flags (the demo marker)",
    "stored_files": "the file store's index by SHA-256; the archived files carry their digests in the manifest",
    "worker_heartbeats": "the background workers' last signs of life, for /healthz",
    "jobs": "background jobs (a batch, an archive): their results are downloads; who started one is audited",
}


def test_every_table_is_archived_or_left_out_with_a_reason():
    from award.archive.sections import sections
    from award.models import metadata

    assert set(ARCHIVED_TABLES) | set(NOT_ARCHIVED) == set(metadata.tables)
    assert not set(ARCHIVED_TABLES) & set(NOT_ARCHIVED)
    assert set(ARCHIVED_TABLES.values()) <= set(sections())


def _reseal(path, name, change, output):
    """Change one member and rewrite the manifest and its digest to match: a careful forger."""
    changed = rewrite(path, name, change, output="step.zip")
    with zipfile.ZipFile(changed) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            content = archive.read(entry["path"])
            entry["sha256"], entry["size"] = hashlib.sha256(content).hexdigest(), len(content)
    data = json.dumps(manifest).encode()
    step = rewrite(changed, "manifest.json", lambda _data: data, output="step2.zip")
    digest = f"{hashlib.sha256(data).hexdigest()}  manifest.json\n".encode()
    return rewrite(step, "manifest.sha256", lambda _data: digest, output=output)


def test_a_resealed_archive_with_a_forged_cycle_record_fails_on_the_chain(archived):
    forged = _reseal(archived.path, "audit/cycle-records.jsonl",
                     lambda data: data.replace("市长质量奖".encode(), "伪造".encode()), "forged.zip")
    verdict = verify_archive(forged)
    assert len(verdict.problems) == 1 and "differs from the chain" in verdict.problems[0], verdict.problems


def test_a_resealed_archive_with_an_edited_record_file_verifies_but_not_its_audit_record(archived, db):
    """Without the chain, a careful forger can reseal a record file: the manifest digest kept in the
    live audit trail (cycle.archived) is what tells the archives apart."""
    forged = _reseal(archived.path, "cycle/settings.json", lambda data: data.replace(b"600", b"500"), "forged.zip")
    assert verify_archive(forged).ok
    with zipfile.ZipFile(forged) as archive:
        assert hashlib.sha256(archive.read("manifest.json")).hexdigest() != archived.manifest_sha256


def test_the_consensus_discussion_is_archived_by_id_and_panel_letter_never_by_name(db, make_user, make_organization,
                                                                                  make_cycle, tmp_path):
    world = shortlisted_cycle(db, make_user=make_user, make_organization=make_organization, make_cycle=make_cycle)
    application = world.applications[0]
    seats = db.scalars(select(Assignment).where(Assignment.application_id == application.id)
                       .order_by(Assignment.expert_id)).all()
    round_id, first, second = seats[0].round_id, seats[1].expert, seats[0].expert
    db.add_all([
        ConsensusRemark(round_id=round_id, application_id=application.id, author_id=first.id, item_id="4.7.2",
                        kind=RemarkKind.DISAGREE, text="缺少第三方数据"),
        ConsensusRemark(round_id=round_id, application_id=application.id, author_id=second.id, item_id=None,
                        kind=RemarkKind.COMMENT, text="建议维持"),
        ConsensusRemark(round_id=round_id, application_id=application.id, author_id=first.id, item_id="4.7.2",
                        kind=RemarkKind.AGREE, text=""),
        ConsensusFinalization(round_id=round_id, application_id=application.id, finalized_by_id=second.id,
                              open_disagreements=0, note=""),
    ])
    world.cycle.stage = Stage.AWARDED
    db.commit()
    summary = build_archive(db, actor=world.office, cycle=world.cycle, target=tmp_path / "d.zip",
                            font_lookup=lambda: [])
    with zipfile.ZipFile(summary.path) as archive:
        raw = archive.read("sheets/consensus.json").decode()
    consensus = json.loads(raw)
    thread = [(r["author_id"], r["author"], r["item_id"], r["kind"], r["text"]) for r in consensus["discussion"]]
    assert thread == [(first.id, "专家 A", "4.7.2", "disagree", "缺少第三方数据"),
                      (second.id, "专家 B", None, "comment", "建议维持"),
                      (first.id, "专家 A", "4.7.2", "agree", "")]
    assert [(f["application_id"], f["finalized_by_id"]) for f in consensus["finalizations"]] == [
        (application.id, second.id)]
    assert first.full_name not in raw and second.full_name not in raw
    assert verify_archive(summary.path).ok
