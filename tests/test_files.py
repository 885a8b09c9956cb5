"""The file store (award/files.py): content-addressed names, atomic writes, `files verify`, `files import`,
and backup and restore of the database with its files onto an empty machine."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import secrets
import zipfile

import pytest
from sqlalchemy import select

from award import migrate
from award.app_db import get_database, get_session
from award.applications import services as applications
from award.applications.evidence import EvidenceStore
from award.applications.models import EvidenceFile
from award.auth.models import Role
from award.calls import services as calls
from award.certificates import services as certificates
from award.certificates.seals import SealStore
from award.cycles.models import Stage
from award.files import ALTERED, MISSING, FileStore, StoredFile, verify_files
from tests.applications.conftest import image_bytes, pdf_bytes
from tests.certificates.world import png_seal
from tests.conftest import PASSWORD, cycle_factory, make_test_app, organization_factory, user_factory

LIMITS = applications.EvidenceLimits(max_file_bytes=10**6, max_total_bytes=10**7)
CALL_TEXT = calls.CallText(title="关于开展市长质量奖申报工作的通知", body="各有关单位：现将申报工作通知如下。",
                           guidelines="一、申报条件", contact="评审办公室 0512-65220000")


# --- the store ---------------------------------------------------------------------------------------------


def test_a_file_is_named_by_its_digest_and_stored_once(tmp_path):
    store = FileStore(tmp_path)
    data = pdf_bytes()
    first, second = store.put(data), store.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert first == second and first.sha256 == digest and first.size_bytes == len(data)
    assert store.path_of(digest) == tmp_path / "sha256" / digest[:2] / digest[2:4] / digest
    assert list(store.digests()) == [digest]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]  # no temporary file left behind


@pytest.mark.parametrize("name", ["../../secret_key", "A" * 64, "0" * 63, "0" * 65, "0" * 63 + "\x00", "",
                                  "０" * 64, "0" * 63 + "\u202e", "/etc/passwd"])
def test_a_name_that_is_no_digest_is_refused(tmp_path, name):
    with pytest.raises(ValueError):
        FileStore(tmp_path).path_of(name)


def test_a_damaged_file_is_written_again_when_the_same_content_is_stored(tmp_path):
    store = FileStore(tmp_path)
    blob = store.put(b"%PDF-1.7 one")
    store.path_of(blob.sha256).write_bytes(b"damaged")
    assert store.check(blob.sha256) == ALTERED and store.read_checked(blob.sha256) is None
    store.put(b"%PDF-1.7 one")
    assert store.check(blob.sha256) is None and store.read_checked(blob.sha256) == b"%PDF-1.7 one"


def _put_many(root: str, data: bytes, rounds: int) -> None:
    store = FileStore(root)
    for _ in range(rounds):
        store.discard(hashlib.sha256(data).hexdigest())  # make each round write the file anew
        store.put(data)


def test_two_processes_writing_the_same_content_at_once_leave_one_whole_file(tmp_path):
    """Two hosts on a shared volume: each writes its own temporary file and renames it into place."""
    data = os.urandom(2 * 1024 * 1024)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_put_many, args=(str(tmp_path), data, 20)) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert [writer.exitcode for writer in writers] == [0, 0]
    store = FileStore(tmp_path)
    digest = hashlib.sha256(data).hexdigest()
    assert store.read_checked(digest) == data
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


# --- the database records every file; verify names the missing and the altered ones ------------------------


def _files_world(session, store: FileStore) -> dict[str, object]:
    """An application with two evidence files (one the same bytes as a call file), a seal and a call file."""
    make_organization = organization_factory(session)
    make_user = user_factory(session, make_organization)
    office, owner = make_user(Role.OFFICE), make_user(Role.ENTERPRISE)
    cycle = cycle_factory(session)(stage=Stage.APPLICATION)
    application = applications.start_application(session, actor=owner, cycle=cycle)
    evidence = [applications.add_evidence(session, actor=owner, application=application, data=data,
                                          filename=name, store=EvidenceStore(store.root), limits=LIMITS)
                for name, data in (("手册.pdf", pdf_bytes(2)), ("现场.png", image_bytes("PNG")))]
    call = calls.save_call(session, actor=office, cycle=cycle, text=CALL_TEXT)
    call_file = calls.add_call_attachment(session, actor=office, call=call, data=pdf_bytes(3), filename="申报书.pdf",
                                          store=EvidenceStore(store.root), limits=calls.CallLimits())
    calls.publish_call(session, actor=office, call=call)
    seal = certificates.replace_seal(session, actor=office, cycle=cycle, data=png_seal(), store=SealStore(store.root))
    session.flush()
    return {"office": office, "owner": owner, "cycle": cycle, "application": application, "evidence": evidence,
            "call_file": call_file, "seal": seal}


def test_every_stored_file_is_recorded_and_verify_names_a_missing_and_an_altered_one(app, db, tmp_path):
    store = FileStore(tmp_path / "files")
    app.config["FILES_ROOT"] = str(store.root)
    world = _files_world(db, store)
    recorded = {row.sha256: row.kind for row in db.scalars(select(StoredFile))}
    db.commit()
    evidence = world["evidence"]
    assert recorded == {evidence[0].sha256: "evidence", evidence[1].sha256: "evidence",
                        world["call_file"].sha256: "call_file", world["seal"].seal_sha256: "seal"}
    runner = app.test_cli_runner()
    result = runner.invoke(args=["files", "verify"])
    assert result.exit_code == 0 and "all 4 files intact" in result.output

    store.path_of(evidence[0].sha256).unlink()
    store.path_of(world["seal"].seal_sha256).write_bytes(png_seal(64))
    result = runner.invoke(args=["files", "verify"])
    assert result.exit_code == 1
    assert f"FAIL missing evidence {evidence[0].sha256}" in result.output
    assert f"FAIL altered seal {world['seal'].seal_sha256}" in result.output
    assert "2 of 4 files missing or altered" in result.output
    checked, problems = verify_files(get_session(), store)  # the command's session: the test's goes first
    assert checked == 4 and {(p.sha256, p.problem) for p in problems} == {
        (evidence[0].sha256, MISSING), (world["seal"].seal_sha256, ALTERED)}


def test_a_file_two_rows_share_stays_until_the_last_row_goes(db, make_user, make_cycle, tmp_path):
    store = EvidenceStore(tmp_path / "files")
    owner = make_user(Role.ENTERPRISE)
    application = applications.start_application(db, actor=owner, cycle=make_cycle(stage=Stage.APPLICATION))
    first, second = (applications.add_evidence(db, actor=owner, application=application, data=pdf_bytes(),
                                               filename=f"{n}.pdf", store=store, limits=LIMITS) for n in (1, 2))
    digest = first.sha256
    assert second.sha256 == digest and first.stored_name != second.stored_name
    applications.remove_evidence(db, actor=owner, evidence=first, store=store)
    db.commit()
    assert store.check(digest) is None and db.get(StoredFile, digest) is not None
    applications.remove_evidence(db, actor=owner, evidence=second, store=store)
    db.commit()
    assert store.check(digest) == MISSING and db.get(StoredFile, digest) is None


# --- an older deployment's files move into the store ---------------------------------------------------------


def test_files_import_moves_the_old_folders_into_the_store(app, db, tmp_path):
    instance = tmp_path / "instance"
    app.instance_path = str(instance)
    store = FileStore(instance / "files")
    world = _files_world(db, store)
    db.commit()
    # Lay the files out as the older version did: instance/<kind>/<ab>/<stored name>, seals flat, then empty the store.
    old_layout = [(instance / "evidence", e.stored_name, e.sha256, True) for e in world["evidence"]]
    old_layout.append((instance / "calls", world["call_file"].stored_name, world["call_file"].sha256, True))
    old_layout.append((instance / "seals", world["seal"].seal_stored_name, world["seal"].seal_sha256, False))
    for folder, name, digest, sharded in old_layout:
        path = folder / name[:2] / name if sharded else folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(store.read(digest))
    (instance / "archives").mkdir()
    with zipfile.ZipFile(instance / "archives" / "cycle-1-20261207-100000.zip", "w") as archive:
        archive.writestr("manifest.json", "{}")
    (instance / "certificate_batches").mkdir()  # the old batches: printed again as jobs, left where they are
    (instance / "certificate_batches" / "cycle-1").write_text("0" * 24)
    for digest in list(store.digests()):
        store.discard(digest)
    db.execute(StoredFile.__table__.delete())
    db.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["files", "verify"]).exit_code == 1

    result = runner.invoke(args=["files", "import", "--remove-old"])
    assert result.exit_code == 0, result.output
    assert "5 files moved" in result.output
    result = runner.invoke(args=["files", "verify"])
    assert result.exit_code == 0 and "all 5 files intact" in result.output, result.output
    assert not (instance / "evidence" / old_layout[0][1][:2] / old_layout[0][1]).exists()
    assert not (store.root / "certificate_batches").exists()
    assert get_session().scalars(select(StoredFile.kind).where(StoredFile.kind == "archive")).one() == "archive"
    # Run again: nothing left to move, everything already there.
    result = runner.invoke(args=["files", "import"])
    assert result.exit_code == 0 and "0 files moved" in result.output and "4 already there" in result.output


def test_files_import_reports_an_old_file_that_differs_from_its_recorded_digest(app, db, tmp_path):
    instance = tmp_path / "instance"
    app.instance_path = str(instance)
    store = FileStore(instance / "files")
    world = _files_world(db, store)
    db.commit()
    evidence = world["evidence"][0]
    store.discard(evidence.sha256)
    path = instance / "evidence" / evidence.stored_name[:2] / evidence.stored_name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.7 not what was uploaded")
    result = app.test_cli_runner().invoke(args=["files", "import"])
    assert result.exit_code == 1 and f"altered evidence {evidence.sha256}" in result.output
    assert store.check(evidence.sha256) == MISSING  # the wrong bytes are not taken in


# --- backup and restore: the database and its files, onto an empty machine ----------------------------------


def test_backup_then_restore_onto_an_empty_machine_verifies_and_downloads(new_database_url, tmp_path):
    source_url = new_database_url()
    migrate.upgrade(source_url)
    source = make_test_app(source_url, FILES_ROOT=str(tmp_path / "old-host" / "files"))
    source.instance_path = str(tmp_path / "old-host" / "instance")
    with source.app_context():
        session = get_database(source).session_factory()
        world = _files_world(session, FileStore(source.config["FILES_ROOT"]))
        session.commit()
        ids = {"application": world["application"].id, "evidence": [e.id for e in world["evidence"]],
               "cycle": world["cycle"].id, "call_file": world["call_file"].id,
               "owner": world["owner"].email, "office": world["office"].email}
        contents = {e.id: FileStore(source.config["FILES_ROOT"]).read(e.sha256) for e in world["evidence"]}
        session.close()
    backup = tmp_path / "award.backup"
    result = source.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 0 and "4 files" in result.output, result.output
    get_database(source).engine.dispose()

    # The new machine: an empty database, an empty instance/ and an empty files root.
    target_url = new_database_url()
    target = make_test_app(target_url, FILES_ROOT=str(tmp_path / "new-host" / "files"))
    target.instance_path = str(tmp_path / "new-host" / "instance")
    result = target.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0 and "4 files restored" in result.output, result.output
    result = target.test_cli_runner().invoke(args=["files", "verify"])
    assert result.exit_code == 0 and "all 4 files intact" in result.output, result.output

    client = target.test_client()
    assert client.post("/login", data={"email": ids["owner"], "password": PASSWORD}).status_code == 302
    for evidence_id in ids["evidence"]:
        response = client.get(f"/applications/{ids['application']}/files/{evidence_id}")
        assert response.status_code == 200 and response.data == contents[evidence_id]
    assert client.get(f"/calls/{ids['cycle']}/files/{ids['call_file']}").data == pdf_bytes(3)
    client.post("/logout")
    office = target.test_client()
    assert office.post("/login", data={"email": ids["office"], "password": PASSWORD}).status_code == 302
    assert office.get(f"/certificates/cycles/{ids['cycle']}/seal-image").data == png_seal()
    get_database(target).engine.dispose()


def test_a_backup_whose_file_was_tampered_with_is_refused(new_database_url, tmp_path):
    import io
    import tarfile

    digest = secrets.token_hex(32)
    backup = tmp_path / "forged.backup"
    with tarfile.open(backup, "w") as archive:
        for name, data in (("database", b"x"), ("backup.json", b'{"format": 1, "backend": "sqlite"}'),
                           (f"files/sha256/{digest}", b"not the bytes of that digest")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    url = new_database_url()
    if not url.startswith("sqlite"):
        pytest.skip("the forged backup says sqlite")
    app = make_test_app(url, FILES_ROOT=str(tmp_path / "files"))
    result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code != 0 and "does not match" in result.output
    assert list(FileStore(tmp_path / "files").digests()) == []


def test_evidence_rows_are_found_by_digest_not_by_stored_name(db, make_user, make_cycle, tmp_path):
    store = EvidenceStore(tmp_path / "files")
    owner = make_user(Role.ENTERPRISE)
    application = applications.start_application(db, actor=owner, cycle=make_cycle(stage=Stage.APPLICATION))
    evidence = applications.add_evidence(db, actor=owner, application=application, data=pdf_bytes(),
                                         filename="a.pdf", store=store, limits=LIMITS)
    assert db.scalars(select(EvidenceFile.sha256)).all() == [hashlib.sha256(pdf_bytes()).hexdigest()]
    assert store.read_checked(evidence.sha256) == pdf_bytes()
