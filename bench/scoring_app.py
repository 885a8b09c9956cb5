"""Helpers for the scoring load benchmark and the reliability tests: a migrated database where
every expert has one pledged score sheet in an open round, a small cookie-keeping HTTP client,
servers on 127.0.0.1 (werkzeug in a thread, gunicorn in a subprocess) and a hello-world Flask app
as the baseline under the same server settings.

Only loopback traffic; every server started here is stopped by the context manager that made it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"
RUBRIC_KEY = "gbt19580-2012"
PANEL_SIZE = 5


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class Seat:
    """One expert's pledged assignment: who logs in, and which sheet they save."""

    email: str
    assignment_id: int
    sheet_id: int


@dataclass(frozen=True)
class ScoringWorld:
    url: str
    cycle_id: int
    item_ids: tuple[str, ...]
    seats: tuple[Seat, ...]


def build_scoring_database(url: str, *, experts: int, locale: str = "zh_CN", migrate_first: bool = True
                           ) -> ScoringWorld:
    """An open document round where each expert holds exactly one pledged draft sheet.

    `experts` is rounded up to whole panels of five; each expert's load is capped at one seat.

    Built through the app's own services (cycle, optimal panels of five, opening, pledge), on a
    database that `award.migrate.upgrade` brought to head, so servers started on it pass the
    start-up schema check."""
    from award import create_app, migrate
    from award.app_db import get_database
    from award.applications.models import Application, ApplicationStatus
    from award.auth.models import Organization, Role, User
    from award.credit_code import make_credit_code
    from award.cycles.models import Stage
    from award.cycles.services import CycleSettings, create_cycle, cycle_rubric
    from award.cycles.settings import EligibilitySettings
    from award.db import utcnow
    from award.pool.models import ExpertAvailability, ExpertProfile
    from award.rounds import panels
    from award.rounds import services as rounds
    from award.rounds.models import AssignmentSource, RoundKind
    from award.scoring import services as scoring

    if experts < PANEL_SIZE:
        raise ValueError(f"at least {PANEL_SIZE} experts are needed for one panel")
    if migrate_first:
        migrate.upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "BABEL_DEFAULT_LOCALE": "en"})
    database = get_database(app)
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    try:
        with app.app_context(), database.session_factory() as session:
            now = utcnow()
            office = User(email="office@bench.example.cn", password_hash=password_hash, role=Role.OFFICE,
                          full_name="评审办", phone="", locale="zh_CN")
            session.add(office)
            session.flush()
            cycle = create_cycle(session, actor=office, rubric_key=RUBRIC_KEY, settings=CycleSettings(
                year=now.year, title="负载测试", awards_count=1, cutoff_score=Decimal("500"),
                experts_per_application=PANEL_SIZE, onsite_review=False,
                deadlines={Stage.APPLICATION: now + dt.timedelta(days=30)}, eligibility=EligibilitySettings()))
            cycle.stage = Stage.SCREENING  # set-up only: the app moves stage by stage
            rubric = cycle_rubric(cycle)
            self_assessment = {item.id: f"{item.id} 自评内容：方法、展开、学习、整合。" * 8 for item in rubric.items}

            def organization(number: int, kind: str) -> Organization:
                org = Organization(credit_code=make_credit_code(f"9132050{kind}{number:09d}"),
                                   name=f"负载测试{kind}{number}有限公司")
                session.add(org)
                return org

            applicants = [organization(n, "1") for n in range(math.ceil(experts / PANEL_SIZE))]
            experts = len(applicants) * PANEL_SIZE
            session.flush()
            session.add_all(Application(cycle_id=cycle.id, organization_id=org.id, status=ApplicationStatus.ELIGIBLE,
                                        org_name=org.name, sector="C", self_assessment=self_assessment)
                            for org in applicants)
            pool = []
            for number in range(experts):
                user = User(email=f"expert{number}@bench.example.cn", password_hash=password_hash,
                            role=Role.EXPERT, full_name=f"专家{number}", phone="", locale=locale)
                employer = organization(number, "2")
                session.add(user)
                session.flush()
                profile = ExpertProfile(user_id=user.id, title="高级工程师", organization_code=employer.credit_code,
                                        organization_name=employer.name, sectors=["C"], in_pool=True)
                session.add(profile)
                session.flush()
                session.add(ExpertAvailability(expert_id=profile.id, cycle_id=cycle.id, available=True, max_load=1))
                pool.append(user)
            session.flush()
            review_round = rounds.create_round(
                session, actor=office, cycle=cycle, kind=RoundKind.DOCUMENT,
                settings=rounds.RoundSettings(method=rounds.AggregationMethod.TRIMMED_MEAN, deadline=None,
                                              experts_per_application=PANEL_SIZE, required_sheets=PANEL_SIZE))
            panels.run_assignment(session, actor=office, review_round=review_round, mode=AssignmentSource.OPTIMAL)
            cycle.stage = Stage.DOCUMENT_REVIEW
            rounds.open_round(session, actor=office, review_round=review_round)
            seats = []
            for user in pool:
                own = _seats_of(session, review_round.id, user.id)
                if not own:
                    raise RuntimeError(f"expert {user.email} got no seat in the draw")
                sheet = scoring.sign_pledge(session, actor=user, assignment=own[0])
                seats.append(Seat(email=user.email, assignment_id=own[0].id, sheet_id=sheet.id))
            session.commit()
            return ScoringWorld(url=url, cycle_id=cycle.id, item_ids=tuple(i.id for i in rubric.items),
                                seats=tuple(seats))
    finally:
        database.engine.dispose()


def _seats_of(session: Any, round_id: int, expert_id: int) -> list[Any]:
    from sqlalchemy import select

    from award.rounds.models import Assignment, AssignmentStatus

    return list(session.scalars(select(Assignment).where(
        Assignment.round_id == round_id, Assignment.expert_id == expert_id,
        Assignment.status == AssignmentStatus.ACTIVE).order_by(Assignment.id)))


def sheet_fields(item_ids: tuple[str, ...] | list[str], *, percent: int, note: str) -> dict[str, str]:
    """Autosave fields for every item: the same percentage (a multiple of 5) and a comment."""
    if percent % 5 or not 0 <= percent <= 100:
        raise ValueError("percent must be a multiple of 5 within 0..100")
    fields = {}
    for item in item_ids:
        fields[f"percent-{item}"] = str(percent)
        fields[f"strength-{item}"] = f"{item} {note}"
        fields[f"improvement-{item}"] = f"{item} 改进 {note}"
    return fields


# --------------------------------------------------------------------------- an HTTP client


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
_VERSION = re.compile(rb'name="version" value="(\d+)"')


class Client:
    """One browser-like user: keeps cookies and one keep-alive connection, follows no redirects.

    Built on http.client so the client's own cost stays small and the same for the app and the
    baseline."""

    def __init__(self, base_url: str, *, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def close(self) -> None:
        self._connection.close()

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                json_body: Any = None) -> Answer:
        from urllib.parse import urlencode

        headers = {"Host": "127.0.0.1"}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.csrf_token
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        # Never re-sent on a dropped connection: a POST must not be repeated behind the caller's back.
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            data = response.read()
        except OSError:
            self._connection.close()
            raise
        seconds = time.perf_counter() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self._connection.close()
        found = _CSRF.search(data)
        if found:
            self.csrf_token = found.group(1).decode()
        return Answer(response.status, dict(response.headers.items()), data, seconds)

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.request("GET", "/login")
        answer = self.request("POST", "/login", form={"email": email, "password": password,
                                                      "csrf_token": self.csrf_token})
        if answer.status != 302:
            raise RuntimeError(f"login of {email} answered {answer.status}")

    def sheet(self, assignment_id: int) -> tuple[Answer, int]:
        """GET the sheet page; returns the answer and the version the page carries."""
        answer = self.request("GET", f"/review/assignments/{assignment_id}/sheet")
        found = _VERSION.search(answer.body)
        return answer, int(found.group(1)) if found else -1

    def autosave(self, assignment_id: int, *, version: int, fields: dict[str, str]) -> Answer:
        return self.request("POST", f"/review/assignments/{assignment_id}/autosave",
                            json_body={"version": version, "fields": fields})


# --------------------------------------------------------------------------- servers


def hello_app() -> Flask:
    """The baseline: the smallest Flask page, served under the same settings as the app."""
    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "hello, world"

    return app


def bytes_app() -> Flask:
    """The bare-bytes baseline: the sheet page's and the autosave's URLs answering the very bytes the
    app answered (files named by AWARD_BENCH_PAGE and AWARD_BENCH_SAVED), with nothing else done."""
    page = Path(os.environ["AWARD_BENCH_PAGE"]).read_bytes()
    saved = Path(os.environ["AWARD_BENCH_SAVED"]).read_bytes()
    app = Flask("bare")

    @app.get("/review/assignments/<int:assignment_id>/sheet")
    def sheet(assignment_id: int) -> Response:
        return Response(page, content_type="text/html; charset=utf-8")

    @app.post("/review/assignments/<int:assignment_id>/autosave")
    def autosave(assignment_id: int) -> Response:
        request.get_data()
        return Response(saved, content_type="application/json")

    return app


@contextmanager
def serve_in_thread(app: Flask) -> Iterator[str]:
    """A threaded werkzeug server on 127.0.0.1 (a free port); yields its base URL."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def free_port() -> int:
    """A port nothing listens on: the first free one of AWARD_BENCH_PORTS ("5140-5149", for a machine
    whose users share out port ranges), else any the system gives."""
    first, _, last = os.environ.get("AWARD_BENCH_PORTS", "").partition("-")
    candidates = range(int(first), int(last or first) + 1) if first else [0]
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in AWARD_BENCH_PORTS={os.environ['AWARD_BENCH_PORTS']}")


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def _wait_for_answers(port: int, workers: int, *, seconds: float = 180.0) -> None:
    """The master listens before its workers have imported the app: on a busy machine the first
    requests would wait for that. Ask (any answer will do) until as many answers as workers came."""
    deadline = time.monotonic() + seconds
    answered = 0
    while answered < workers and time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            answered += 1
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()


def stop(process: subprocess.Popen, *, seconds: float = 20.0) -> None:
    """Terminate a server we started (SIGTERM, then SIGKILL after `seconds`)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=seconds)


@contextmanager
def gunicorn(app_spec: str, *, workers: int = 4, env: dict[str, str] | None = None,
             log: Path | None = None) -> Iterator[str]:
    """gunicorn on 127.0.0.1 with sync workers (the README's deployment); yields its base URL."""
    with gunicorn_process(app_spec, workers=workers, env=env, log=log) as (base_url, _master):
        yield base_url


@contextmanager
def gunicorn_process(app_spec: str, *, workers: int = 4, env: dict[str, str] | None = None,
                     log: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """As `gunicorn`, and the master process too (its children are the workers)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5", app_spec]
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(PROJECT_ROOT)}
    with open(log or os.devnull, "ab") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=output)
    try:
        wait_for_port(port, process=process)
        _wait_for_answers(port, workers)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop(process)


DEFAULT_POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_database(server_url: str | None = None) -> Iterator[str | None]:
    """A fresh PostgreSQL database on the loopback server, dropped afterwards; None if unreachable.

    The server is AWARD_BENCH_POSTGRES_URL, else the local default of scripts/test-postgres.sh."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = make_url(server_url or os.environ.get("AWARD_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_SERVER)
    if server.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise ValueError("the benchmark only talks to a PostgreSQL server on this machine")
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    name = f"award_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database_version(url: str) -> str:
    """'SQLite 3.x.y' or 'PostgreSQL 15.x', for the benchmark's records."""
    from sqlalchemy import text

    from award.db import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            if url.startswith("sqlite"):
                return "SQLite " + connection.execute(text("select sqlite_version()")).scalar_one()
            return "PostgreSQL " + connection.execute(text("show server_version")).scalar_one().split()[0]
    finally:
        engine.dispose()
