"""A draw above DRAW_JOB_ABOVE (applications × pool experts) is a job; one at or below it stays in the
request. In the tests a job runs in the request that starts it (JOBS_IMMEDIATE); tests/jobs/test_worker_kinds.py
runs it in a real worker."""

from __future__ import annotations

from sqlalchemy import select

from award.audit.models import AuditRecord
from award.jobs.models import Job, JobState
from award.rounds import panels
from award.rounds.models import AssignmentDraw, AssignmentSource
from tests.rounds.factories import *  # noqa: F403 (fixtures)

FORM = {"mode": "randomized", "seed": "99", "max_pair_probability": "0.8"}


def test_a_small_draw_stays_in_the_request(app, db, client, login, review_world):
    world = review_world(applications=2, experts=6, panels_drawn=True)
    app.config["DRAW_JOB_ABOVE"] = 2 * 6
    login(world.office)
    response = client.post(f"/review/rounds/{world.review_round.id}/assign", data=FORM)
    assert response.headers["Location"].endswith(f"/review/rounds/{world.review_round.id}")
    assert db.scalar(select(Job.id).where(Job.kind == panels.DRAW_KIND)) is None


def test_a_large_draw_is_a_job_whose_page_leads_to_the_round(app, db, client, login, review_world):
    world = review_world(applications=2, experts=6, panels_drawn=True)
    app.config["DRAW_JOB_ABOVE"] = 2 * 6 - 1
    login(world.office)
    response = client.post(f"/review/rounds/{world.review_round.id}/assign", data=FORM)
    assert "/jobs/" in response.headers["Location"]
    job = db.scalars(select(Job).where(Job.kind == panels.DRAW_KIND)).one()
    db.refresh(job)
    assert job.state is JobState.DONE and job.inputs["seed"] == 99
    draw = db.scalars(select(AssignmentDraw).where(AssignmentDraw.round_id == world.review_round.id)
                      .order_by(AssignmentDraw.id.desc())).first()
    assert (draw.mode, draw.seed) == (AssignmentSource.RANDOMIZED, 99)
    assert db.scalar(select(AuditRecord.seq).where(AuditRecord.action == "review.panels_drawn",
                                                  AuditRecord.target_id == str(draw.id))) is not None
    assert panels.replay_draw(db, actor=world.office, draw=draw).ok
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert status["follow_url"] == f"/review/rounds/{world.review_round.id}"
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f'href="/review/rounds/{world.review_round.id}"' in page
