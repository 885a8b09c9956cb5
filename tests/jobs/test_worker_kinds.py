"""The official documents of a cycle and a large draw of panels, started on the web and run by a real job
worker (`flask --app award worker`, as tests/jobs/test_worker.py starts it) against SQLite or PostgreSQL:
starting the same job twice gives the running one; a job refused in the worker is shown with its reason and
retried from its page; the ZIP is downloaded from the web app; the draw is stored, audited and replays as a
draw made in the request does."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.applications.models import Application, ApplicationStatus
from award.assignment.instance import draw_outcome
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.models import Cycle, Stage
from award.cycles.settings import IssuerSettings
from award.db import create_db_engine
from award.jobs.models import JobState
from award.pool.models import ExpertProfile
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.models import Assignment, AssignmentDraw, AssignmentSource, ReviewRound, RoundKind, RoundStatus
from tests.conftest import PASSWORD, cycle_factory, make_test_app, organization_factory, user_factory
from tests.documents.world import awarded_cycle
from tests.jobs.test_worker import stop, wait_for, worker


def web_app(setting, **overrides):  # noqa: ANN001, ANN201
    """A web process that does not run jobs: it queues them for the worker."""
    return make_test_app(setting["url"], JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=setting["queue"],
                         FILES_ROOT=setting["files"], **overrides)


def signed_in(app, email: str):  # noqa: ANN001, ANN201
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def job_id_of(response) -> int:  # noqa: ANN001
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    assert "/jobs/" in location, location
    return int(location.rsplit("/jobs/", 1)[1])


def edit(setting, change) -> None:  # noqa: ANN001
    """Change committed rows outside the app (what another office request would do meanwhile)."""
    engine = create_db_engine(setting["url"])
    try:
        with Session(engine) as session:
            change(session)
            session.commit()
    finally:
        engine.dispose()


def test_the_official_documents_are_printed_by_the_worker_refused_with_a_reason_and_retried(setting):
    engine = create_db_engine(setting["url"])
    with Session(engine, expire_on_commit=False) as session:
        make_organization = organization_factory(session)
        office = user_factory(session, make_organization)(Role.OFFICE)
        awarded = awarded_cycle(session, make_cycle=cycle_factory(session), make_organization=make_organization,
                                names=["某某市精密机械制造股份有限公司", "某某市绿色能源科技有限公司"])
        cycle_id, email = awarded.cycle.id, office.email
    engine.dispose()
    app = web_app(setting)
    client = signed_in(app, email)
    job_id = job_id_of(client.post(f"/documents/cycles/{cycle_id}/official-set"))
    assert job_id_of(client.post(f"/documents/cycles/{cycle_id}/official-set")) == job_id  # the queued one

    def forget_the_city(session: Session) -> None:  # the documents cannot name their issuers any more
        cycle = session.get(Cycle, cycle_id)
        cycle.award_settings = IssuerSettings(city="").stored_in(cycle.award_settings)

    edit(setting, forget_the_city)
    process = worker(setting)
    try:
        failed = wait_for(setting, job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 90)
        assert (failed.state, failed.error_code) == (JobState.FAILED, "refused")
        assert failed.error_detail
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        assert failed.error_detail in page and f"/jobs/{job_id}/retry" in page  # the reason and the retry

        def name_the_city(session: Session) -> None:
            cycle = session.get(Cycle, cycle_id)
            cycle.award_settings = IssuerSettings(city="某某市").stored_in(cycle.award_settings)

        edit(setting, name_the_city)
        assert client.post(f"/jobs/{job_id}/retry").status_code == 302
        done = wait_for(setting, job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 120)
    finally:
        stop(process)
    assert (done.state, done.done, done.total) == (JobState.DONE, 2, 2), done.error_detail
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["state"] == "done" and status["download_url"] == f"/jobs/{job_id}/result"
    download = client.get(f"/jobs/{job_id}/result")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = sorted(archive.namelist())
        assert names == ["2026-公示名单.pdf", "2026-表彰决定名单.pdf"]
        assert all(archive.read(name).startswith(b"%PDF") for name in names)
    # Done, a new start is a new job.
    assert job_id_of(client.post(f"/documents/cycles/{cycle_id}/official-set")) != job_id
    get_database_dispose(app)


def get_database_dispose(app) -> None:  # noqa: ANN001
    from award.app_db import get_database

    get_database(app).engine.dispose()


def review_round_with_pool(setting, *, applications: int, experts: int) -> tuple[int, str]:  # noqa: ANN001
    """A cycle in screening with eligible applications, a pool of experts from distinct organizations and
    a document round in preparation (no panels yet); the round's id and the office's e-mail."""
    engine = create_db_engine(setting["url"])
    try:
        with Session(engine, expire_on_commit=False) as session:
            make_organization = organization_factory(session)
            make_user = user_factory(session, make_organization)
            cycle = cycle_factory(session)(stage=Stage.SCREENING, cutoff_score=Decimal("60"))
            office = make_user(Role.OFFICE)
            for _ in range(applications):
                organization = make_organization()
                session.add(Application(cycle_id=cycle.id, organization_id=organization.id, sector="C",
                                        status=ApplicationStatus.ELIGIBLE, org_name=organization.name))
            for _ in range(experts):
                user, organization = make_user(Role.EXPERT), make_organization()
                session.add(ExpertProfile(user_id=user.id, title="高级工程师", sectors=["C"], in_pool=True,
                                          organization_code=organization.credit_code,
                                          organization_name=organization.name))
            session.commit()
            review_round = rounds.create_round(
                session, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT,
                settings=rounds.RoundSettings(method=rounds.AggregationMethod.TRIMMED_MEAN, deadline=None,
                                              experts_per_application=5, required_sheets=5))
            session.commit()
            return review_round.id, office.email
    finally:
        engine.dispose()


def test_a_large_draw_runs_in_the_worker_and_is_stored_audited_and_replayable_as_in_the_request(setting):
    round_id, email = review_round_with_pool(setting, applications=6, experts=12)
    app = web_app(setting, DRAW_JOB_ABOVE=6 * 12 - 1)  # this pool is "large"
    client = signed_in(app, email)
    form = {"mode": "randomized", "seed": "4242", "max_pair_probability": "0.8"}
    job_id = job_id_of(client.post(f"/review/rounds/{round_id}/assign", data=form))
    # The same draw started again (another seed typed) gives the queued job, with its own seed.
    assert job_id_of(client.post(f"/review/rounds/{round_id}/assign", data={**form, "seed": "7"})) == job_id
    assert "/jobs/" in client.get(f"/review/rounds/{round_id}").get_data(as_text=True)  # the round page links it

    def set_status(status: RoundStatus):  # noqa: ANN202
        def change(session: Session) -> None:
            session.get(ReviewRound, round_id).status = status
        return change

    edit(setting, set_status(RoundStatus.OPEN))  # scoring opened meanwhile: the worker must refuse
    process = worker(setting)
    try:
        failed = wait_for(setting, job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 90)
        assert (failed.state, failed.error_code) == (JobState.FAILED, "refused")
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        assert failed.error_detail in page and f"/jobs/{job_id}/retry" in page
        edit(setting, set_status(RoundStatus.SETUP))
        assert client.post(f"/jobs/{job_id}/retry").status_code == 302
        done = wait_for(setting, job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 120)
    finally:
        stop(process)
    assert done.state is JobState.DONE, done.error_detail
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["follow_url"] == f"/review/rounds/{round_id}" and status["download_url"] is None
    assert f'href="/review/rounds/{round_id}"' in client.get(f"/jobs/{job_id}").get_data(as_text=True)

    engine = create_db_engine(setting["url"])
    try:
        with Session(engine) as session:
            draw = session.scalars(select(AssignmentDraw).where(AssignmentDraw.round_id == round_id)).one()
            assert (draw.mode, draw.seed, draw.instance["seed"]) == (AssignmentSource.RANDOMIZED, 4242, 4242)
            assert session.scalar(select(func.count(Assignment.id)).where(Assignment.draw_id == draw.id)) == 30
            audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "review.panels_drawn")).one()
            assert (audit.target_id, audit.actor_id, audit.after["seed"], audit.after["input_hash"]) == (
                str(draw.id), draw.created_by_id, 4242, draw.input_hash)
            assert panels.replay_draw(session, actor=None, draw=draw).ok
            # The request's path on the same instance and seed gives the same panels.
            review_round = session.get(ReviewRound, round_id)
            again = panels.run_assignment(session, actor=None, review_round=review_round,
                                          mode=AssignmentSource.RANDOMIZED, seed=4242, max_pair_probability=0.8)
            assert (again.input_hash, draw_outcome(again.result)) == (draw.input_hash, draw_outcome(draw.result))
            session.rollback()
    finally:
        engine.dispose()
    get_database_dispose(app)
