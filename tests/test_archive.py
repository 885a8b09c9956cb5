"""The cycle archive: a ZIP with a manifest that verifies offline and fails when anything changes."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from award.archive.builder import build_archive
from award.archive.verify import verify_archive
from award.audit.services import record
from award.auth.models import Role
from award.cycles.models import Stage
from award.errors import DomainError


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
    assert names == listed | {"manifest.json"}
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
