"""A sheet submission whose server process dies mid-request leaves nothing half-written.

The app runs in a subprocess (werkzeug on 127.0.0.1) over a migrated file database (SQLite) or a
PostgreSQL database. A small wrapper, used only by this test's subprocess, installs SQLAlchemy
session events that SIGKILL the process in the middle of the submit service: once the sheet's
rows are flushed but the audit record is not, or with everything flushed just before the commit.
Afterwards the database holds the sheet exactly as before (draft, old values, old version), no
submission audit record, and a new server can submit the sheet.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.app_db import get_database
from award.audit.models import AuditRecord
from award.db import create_db_engine
from award.scoring.models import ItemScore, ScoreSheet, SheetStatus
from bench.scoring_app import PROJECT_ROOT, Client, build_scoring_database, serve_in_thread, sheet_fields, stop
from tests.conftest import make_test_app

# Run as `python -c SERVER <database url> <kill point>`: the app with a kill switch, nothing else.
SERVER = r"""
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from award import create_app
from award.scoring.models import ScoreSheet, SheetStatus

url, point = sys.argv[1], sys.argv[2]
app = create_app({"DATABASE_URL": url, "SECRET_KEY": "killed-request", "BABEL_DEFAULT_LOCALE": "en"})

def die():
    os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback: like the OOM killer

@event.listens_for(Session, "after_flush")
def after_flush(session, _context):
    if any(isinstance(o, ScoreSheet) and o.status is SheetStatus.SUBMITTED for o in session.dirty):
        session.info["submitted_flushed"] = True
        if point == "after_flush":
            die()

@event.listens_for(Session, "before_commit")
def before_commit(session):
    if point == "before_commit" and session.info.get("submitted_flushed"):
        die()

server = make_server("127.0.0.1", 0, app)
print(server.server_port, flush=True)
server.serve_forever()
"""

KILL_POINTS = {
    "after_flush": "the sheet's items, version and status are flushed; the audit record is not",
    "before_commit": "everything is flushed, the audit record too; the commit is next",
}


@pytest.fixture(scope="module")
def world(new_database_url):
    return build_scoring_database(new_database_url(), experts=10, locale="en")


def snapshot(url: str, sheet_id: int) -> dict[str, object]:
    """Everything the submission would change: the sheet row, its items, the audit trail's size."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            sheet = session.get(ScoreSheet, sheet_id)
            items = session.execute(select(ItemScore.item_id, ItemScore.band_id, ItemScore.percent,
                                           ItemScore.points, ItemScore.strength, ItemScore.improvement,
                                           ItemScore.justification)
                                    .where(ItemScore.sheet_id == sheet_id).order_by(ItemScore.item_id)).all()
            return {
                "sheet": (sheet.status, sheet.version, sheet.total, sheet.submitted_at, sheet.updated_at),
                "items": [tuple(row) for row in items],
                "audit_records": session.scalar(select(func.count()).select_from(AuditRecord)),
                "submitted_records": session.scalar(select(func.count()).select_from(AuditRecord).where(
                    AuditRecord.action == "review.sheet_submitted")),
            }
    finally:
        engine.dispose()


def submit_form(world, client: Client, version: int) -> dict[str, str]:
    fields = sheet_fields(world.item_ids, percent=70, note="提交")
    fields.update({f"justification-{item}": "现场证据充分" for item in world.item_ids})
    return {**fields, "version": str(version), "action": "submit", "csrf_token": client.csrf_token}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_submission_killed_mid_request_leaves_the_sheet_as_before(world, point, tmp_path):
    seat = world.seats[list(KILL_POINTS).index(point)]
    log = tmp_path / "server.log"
    with log.open("wb") as errors:
        server = subprocess.Popen([sys.executable, "-c", SERVER, world.url, point], cwd=PROJECT_ROOT,
                                  env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                                  stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        port = server.stdout.readline().strip()
        assert port.isdigit(), Path(log).read_text()[-3000:]
        client = Client(f"http://127.0.0.1:{port}")
        client.login(seat.email)
        _page, version = client.sheet(seat.assignment_id)
        draft = client.autosave(seat.assignment_id, version=version,
                                fields=sheet_fields(world.item_ids, percent=30, note="草稿"))
        assert draft.status == 200, draft.text
        page, version = client.sheet(seat.assignment_id)
        assert page.status == 200 and version == draft.json()["version"]
        before = snapshot(world.url, seat.sheet_id)
        assert before["sheet"][0] is SheetStatus.DRAFT and len(before["items"]) == len(world.item_ids)

        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
            client.request("POST", f"/review/assignments/{seat.assignment_id}/sheet",
                           form=submit_form(world, client, version))
        assert server.wait(timeout=30) == -signal.SIGKILL, KILL_POINTS[point]
    finally:
        stop(server)
        server.stdout.close()

    assert snapshot(world.url, seat.sheet_id) == before

    # Nothing is left locked or half-done: a new server takes the same submission.
    app = make_test_app(world.url, WTF_CSRF_ENABLED=True)
    try:
        with serve_in_thread(app) as base_url:
            again = Client(base_url)
            again.login(seat.email)
            assert again.sheet(seat.assignment_id)[1] == version
            answer = again.request("POST", f"/review/assignments/{seat.assignment_id}/sheet",
                                   form=submit_form(world, again, version))
            assert answer.status == 302, answer.text[:2000]
    finally:
        get_database(app).engine.dispose()
    after = snapshot(world.url, seat.sheet_id)
    assert after["sheet"][0] is SheetStatus.SUBMITTED and after["submitted_records"] == before["submitted_records"] + 1
