"""Batch printing: a job of the worker with its progress in the database, the status endpoint, the download,
a failure and its retry, the CLI. (Jobs themselves, and a real worker killed mid-job: tests/jobs.)"""

from __future__ import annotations

import io
import json
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from award.auth.models import Role
from award.awards.models import Award
from award.certificates.fonts import CJK_FONT_PACKAGE
from award.certificates.render import render_certificates_batch
from award.jobs.models import Job, JobState
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


def batch_job(db, job_id):  # noqa: ANN001, ANN201
    db.expire_all()
    return db.get(Job, job_id)


def start(client, world):  # noqa: ANN001, ANN201
    """The office starts the cycle's batch; the job's id from the page it is sent to."""
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/batch")
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_progress_is_written_to_the_job_page_by_page_and_ends_done(app, db, client, login, world):
    """Every web worker reads the progress from the job's row, while the worker lays out the pages."""
    seen: list[tuple[str, int]] = []

    def render(data, progress):  # noqa: ANN001, ANN202
        def watched(done: int, total: int) -> None:
            progress(done, total)
            job = batch_job(db, job_id_of[0]) if job_id_of else None
            if job is not None:
                seen.append((job.state.value, job.done))
        return render_certificates_batch(data, watched, chunk_size=1)

    job_id_of: list[int] = []
    original = app.config.get("CERTIFICATE_BATCH_RENDER")

    def remember_then_render(data, progress):  # noqa: ANN001, ANN202
        job_id_of.append(db.scalar(select(Job.id).order_by(Job.id.desc())))
        return render(data, progress)

    app.config["CERTIFICATE_BATCH_RENDER"] = remember_then_render
    login(world["users"]["office"])
    try:
        job_id = start(client, world)
    finally:
        app.config["CERTIFICATE_BATCH_RENDER"] = original
    running = [done for state, done in seen if state == "running"]
    # Written at most every 0.2 s, and always for the last page: increasing, ending at the total.
    assert running == sorted(running) and running[-1] == 2 and len(running) >= 2
    job = batch_job(db, job_id)
    assert (job.state, job.done, job.total, job.percent, job.attempts) == (JobState.DONE, 2, 2, 100, 1)
    assert job.started_by_id == world["users"]["office"].id and job.active_key is None
    reader = PdfReader(io.BytesIO(client.get(f"/certificates/batches/{job_id}/certificates.pdf").data))
    assert [n in "".join(p.extract_text().split()) for n, p in zip(world["numbers"], reader.pages, strict=True)] \
        == [True, True]


def test_a_failed_render_is_reported_not_lost_and_can_be_retried(app, db, client, login, world):
    def broken(data, progress):  # noqa: ANN001, ANN202
        progress(1, 2)
        raise RuntimeError("printer on fire")

    app.config["CERTIFICATE_BATCH_RENDER"] = broken
    login(world["users"]["office"])
    job_id = start(client, world)
    job = batch_job(db, job_id)
    assert (job.state, job.error_code, job.done, job.result_sha256) == (JobState.FAILED, "failed", 1, None)
    assert "printer on fire" in job.error_detail
    page = client.get(f"/certificates/batches/{job_id}").get_data(as_text=True)
    assert "printer on fire" in page and f"/certificates/batches/{job_id}/retry" in page
    assert client.get(f"/certificates/batches/{job_id}/certificates.pdf").status_code == 404

    app.config["CERTIFICATE_BATCH_RENDER"] = None  # the printer is mended
    response = client.post(f"/certificates/batches/{job_id}/retry")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/certificates/batches/{job_id}")
    job = batch_job(db, job_id)
    assert (job.state, job.error_code, job.done) == (JobState.DONE, None, 2)
    assert client.get(f"/certificates/batches/{job_id}/certificates.pdf").mimetype == "application/pdf"
    assert client.post(f"/certificates/batches/{job_id}/retry").status_code == 302  # done: refused, back to the page
    assert batch_job(db, job_id).state is JobState.DONE


def test_starting_twice_gives_the_running_batch(app, db, client, login, world):
    from award.certificates.services import print_cycle
    from award.cycles.models import Cycle

    cycle = db.get(Cycle, world["cert_cycle_id"])
    first, created = print_cycle(db, actor=world["users"]["office"], cycle=cycle)
    again, created_again = print_cycle(db, actor=world["users"]["office"], cycle=cycle)
    assert (created, created_again, again.id) == (True, False, first.id)
    first.state = JobState.RUNNING  # a worker holds it
    db.flush()
    login(world["users"]["office"])
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/batch", follow_redirects=True)
    assert "already being printed" in response.get_data(as_text=True)
    assert response.request.path == f"/certificates/batches/{first.id}"


@pytest.mark.parametrize("job_id", ["../../etc/passwd", "ABCDEF", "1.json", "-1", "١", "99999999999999999999"])
def test_job_ids_are_not_paths(client, login, world, job_id):
    login(world["users"]["office"])
    assert client.get(f"/certificates/batches/{job_id}/status").status_code == 404


def test_another_kind_of_job_is_not_a_batch(db, client, login, world):
    job = batch_job(db, world["batch_job_id"])
    job.kind = "archive.cycle"
    db.flush()
    login(world["users"]["office"])
    assert client.get(f"/certificates/batches/{job.id}/status").status_code == 404


def test_office_prints_a_cycle_in_the_background_and_downloads_it(app, client, login, world):
    login(world["users"]["office"])
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/batch")
    assert response.status_code == 302
    page_url = response.headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "js/jobs.js" in page and "data-status-url=" in page and "<progress" in page
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


def test_download_waits_for_the_job(db, client, login, world):
    running = batch_job(db, world["batch_job_id"])
    running.state, running.done, running.total, running.result_sha256 = JobState.RUNNING, 1, 2, None
    db.flush()
    login(world["users"]["office"])
    assert client.get(f"/certificates/batches/{running.id}/certificates.pdf").status_code == 404
    status = json.loads(client.get(f"/certificates/batches/{running.id}/status").data)
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


def test_a_font_lost_during_the_job_is_reported_with_the_package(app, client, login, world):
    from award.certificates.fonts import MissingFontError, missing_font_message

    def fontless(data, progress):  # noqa: ANN001, ANN202
        raise MissingFontError(missing_font_message())

    app.config["CERTIFICATE_BATCH_RENDER"] = fontless
    login(world["users"]["office"])
    job_id = start(client, world)
    shown = json.loads(client.get(f"/certificates/batches/{job_id}/status").data)
    assert shown["state"] == "failed" and CJK_FONT_PACKAGE in shown["message"] and shown["download_url"] is None



# --- the feedback reports of a cycle, as one job --------------------------------------------------------


def test_the_office_gets_every_feedback_report_of_the_cycle_in_one_zip(app, db, client, login, world):
    import zipfile

    login(world["users"]["office"])
    response = client.post(f"/certificates/cycles/{world['cert_cycle_id']}/feedback-reports")
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    page_url = response.headers["Location"]
    status = json.loads(client.get(page_url + "/status").data)
    assert (status["state"], status["done"], status["total"]) == ("done", 3, 3), status
    download = client.get(status["download_url"])
    assert download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = sorted(archive.namelist())
        assert len(names) == 3 and all(name.startswith("评审反馈报告-") for name in names)
        own = next(n for n in names if n.endswith(f"-{world['own_feedback_id']}.pdf"))
        text = "".join(PdfReader(io.BytesIO(archive.read(own))).pages[0].extract_text().split())
    assert "评审反馈报告" in text or "反馈" in text


@pytest.mark.parametrize("role", ["expert", "enterprise", "leader", "supervisor"])
def test_only_the_office_queues_the_feedback_reports(app, db, client, login, world, role):
    login(world["users"][role])
    assert client.post(f"/certificates/cycles/{world['cert_cycle_id']}/feedback-reports").status_code == 403
    assert db.scalar(select(Job.id).where(Job.kind == "certificates.feedback_reports")) is None
