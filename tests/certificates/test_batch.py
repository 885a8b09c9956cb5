"""Batch printing: a background job with progress on disk, the status endpoint, the download, the CLI."""

from __future__ import annotations

import io
import json
import os
import time

import pytest
from pypdf import PdfReader

from award.auth.models import Role
from award.awards.models import Award
from award.certificates import batch as batches
from award.certificates.fonts import CJK_FONT_PACKAGE
from award.certificates.render import render_certificates_batch
from tests.certificates.world import certificates_world


@pytest.fixture
def users(make_user):
    return {role.value: make_user(role) for role in Role}


@pytest.fixture
def world(db, app, users, make_cycle, make_organization, tmp_path):
    built = certificates_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                               root=tmp_path)
    return {**built, "users": users, "root": tmp_path,
            "numbers": [db.get(Award, built[key]).certificate_number for key in ("own_award_id", "other_award_id")]}


class RecordingStore(batches.BatchStore):
    """Keeps every status the job wrote, in order."""

    def __init__(self, root) -> None:  # noqa: ANN001
        super().__init__(root)
        self.written: list[batches.BatchStatus] = []

    def write(self, status: batches.BatchStatus) -> None:
        self.written.append(status)
        super().write(status)


def test_progress_moves_page_by_page_and_ends_done(tmp_path):
    from tests.certificates.test_render import make_certificate

    certificates = [make_certificate() for _ in range(4)]
    store = RecordingStore(tmp_path)
    status = batches.start_batch(
        store, cycle_id=7, certificates=certificates, background=False,
        render=lambda data, progress: render_certificates_batch(data, progress, chunk_size=1))
    states = [(s.state, s.done) for s in store.written]
    assert states[0] == ("running", 0)
    running = [done for state, done in states if state == "running"]
    # Written at most every 0.2 s, and always for the last page: increasing, ending at the total.
    assert running == sorted(set(running)) and running[-1] == 4 and len(running) >= 3
    assert states[-1] == ("done", 4) and status.percent == 100
    reader = PdfReader(store.pdf_path(status.job_id))
    assert [c.number in "".join(page.extract_text().split()) for c, page in zip(certificates, reader.pages,
                                                                             strict=True)] == [True] * 4
    assert store.latest(7) == status


def test_a_failed_render_is_reported_not_lost(tmp_path):
    from tests.certificates.test_render import make_certificate

    def broken(data, progress):  # noqa: ANN001, ANN202
        progress(1, 2)
        raise RuntimeError("printer on fire")

    store = batches.BatchStore(tmp_path)
    status = batches.start_batch(store, cycle_id=1, certificates=[make_certificate()] * 2, render=broken,
                                 background=False)
    assert (status.state, status.error, status.done) == ("failed", "failed", 1)
    assert "printer on fire" in store.read(status.job_id).detail
    assert not store.pdf_path(status.job_id).exists()


def test_a_job_whose_process_died_reads_as_interrupted(tmp_path):
    store = batches.BatchStore(tmp_path)
    status = batches.BatchStatus(job_id="ab" * 12, cycle_id=1, state="running", done=3, total=10, started_at="x")
    store.write(status)
    old = time.time() - batches.STALE_SECONDS - 5
    os.utime(tmp_path / f"{status.job_id}.json", (old, old))
    assert (store.read(status.job_id).state, store.read(status.job_id).error) == ("failed", "interrupted")


@pytest.mark.parametrize("job_id", ["../../etc/passwd", "ABCDEF", "ab" * 12 + ".json"])
def test_job_ids_are_not_paths(client, login, world, job_id):
    login(world["users"]["office"])
    assert client.get(f"/certificates/batches/{job_id}/status").status_code == 404


def test_office_prints_a_cycle_in_the_background_and_downloads_it(app, client, login, world):
    app.config["CERTIFICATE_BATCH_IN_BACKGROUND"] = True
    login(world["users"]["office"])
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/batch")
    assert response.status_code == 302
    page_url = response.headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "js/certificates.js" in page and "data-status-url=" in page and "<progress" in page
    status_url = page_url + "/status"
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = json.loads(client.get(status_url).data)
        seen.append((status["state"], status["done"]))
        if status["state"] != "running":
            break
        time.sleep(0.05)
    assert status["state"] == "done", status
    assert status["total"] == 2 and status["percent"] == 100
    dones = [done for _state, done in seen]
    assert dones == sorted(dones)
    download = client.get(status["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(download.data))
    assert len(reader.pages) == 2
    texts = ["".join(page.extract_text().split()) for page in reader.pages]
    assert all(number in text for number, text in zip(world["numbers"], texts, strict=True))


def test_revoked_awards_are_left_out_of_the_batch(app, db, client, login, world):
    from zoneinfo import ZoneInfo

    from award.awards.services import revoke_award

    revoke_award(db, actor=world["users"]["office"], award=db.get(Award, world["own_award_id"]), reason="造假",
                 zone=ZoneInfo("Asia/Shanghai"))
    db.commit()
    login(world["users"]["office"])
    page_url = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/batch").headers["Location"]
    status = json.loads(client.get(page_url + "/status").data)
    assert (status["state"], status["total"]) == ("done", 1)


def test_download_waits_for_the_job(client, login, world):
    store = batches.BatchStore(world["root"] / "certificate_batches")
    running = batches.BatchStatus(job_id="cd" * 12, cycle_id=world["cert_cycle_id"], state="running", done=1,
                                  total=2, started_at="x")
    store.write(running)
    login(world["users"]["office"])
    assert client.get(f"/certificates/batches/{running.job_id}/certificates.pdf").status_code == 404
    status = json.loads(client.get(f"/certificates/batches/{running.job_id}/status").data)
    assert (status["percent"], status["download_url"]) == (50, None)


# --- the command line ----------------------------------------------------------------------------------


def test_cli_writes_the_batch(app, world, tmp_path):
    out = tmp_path / "out" / "certificates.pdf"
    out.parent.mkdir()
    result = app.test_cli_runner().invoke(args=["certificates", str(world["cert_cycle_id"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    assert world["numbers"][1] in "".join(reader.pages[1].extract_text().split())
    assert "2 certificates written" in result.output


def test_cli_refuses_an_unknown_cycle(app, world, tmp_path):
    result = app.test_cli_runner().invoke(args=["certificates", "999999", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "no cycle" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_cli_names_the_font_package_when_none_is_installed(app, world, tmp_path):
    app.config["CERTIFICATE_FONT_LOOKUP"] = lambda: []
    result = app.test_cli_runner().invoke(args=["certificates", str(world["cert_cycle_id"]),
                                                "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and CJK_FONT_PACKAGE in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_a_font_lost_during_the_job_is_reported_with_the_package(client, login, world):
    from award.certificates.fonts import MissingFontError, missing_font_message
    from tests.certificates.test_render import make_certificate

    def fontless(data, progress):  # noqa: ANN001, ANN202
        raise MissingFontError(missing_font_message())

    store = batches.BatchStore(world["root"] / "certificate_batches")
    status = batches.start_batch(store, cycle_id=world["cert_cycle_id"], certificates=[make_certificate()],
                                 render=fontless, background=False)
    login(world["users"]["office"])
    shown = json.loads(client.get(f"/certificates/batches/{status.job_id}/status").data)
    assert shown["state"] == "failed" and CJK_FONT_PACKAGE in shown["message"] and shown["download_url"] is None
