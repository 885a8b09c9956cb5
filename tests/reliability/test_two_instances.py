"""Two app instances, one database: several workers and hosts share everything and lose nothing.

The production shape of docs/deployment.md on one machine, started by this test itself:

- one PostgreSQL database, created here, migrated and seeded with the demo;
- one Redis (a database number of its own, flushed before and after);
- one file root shared by both instances (see `file_root_settings`);
- two app instances: two gunicorn processes (two sync workers each) on two ports, each with its own
  instance/ folder (`AWARD_INSTANCE_PATH`) holding its own config.py, whose settings are the same;
- two outbox senders (`flask --app award outbox send --loop`), one per instance folder;
- one job worker (`flask --app award worker`, see `job_worker`) on the shared Redis queue;
- an SMTP sink (aiosmtpd) that counts every message it accepts by its Message-ID.

Real work goes through both instances in turn, over HTTP with the CSRF tokens of the pages: a
registration (posted on one with the other's form token) confirmed by the link of its e-mail on the
other; an application whose evidence is uploaded on one and downloaded on the other; scoring autosaves
alternating between them; a certificate batch started on one, followed and fetched on the other; a
burst of office messages. It then shows that every e-mail was sent exactly once although two senders
raced for them, that a rate limit and the sign-in throttle count requests of both instances together
(Redis), that a session
opened on one is valid on the other and a sign-out on one ends it on both, and that nothing was lost
(every row, file, save and audit record; no answer of 500 or above in either server's log).

PostgreSQL only: SQLite is the single-host embedded default and a file database cannot be shared by
hosts. `make test-postgres` (CI's PostgreSQL pass) runs it. The figures (requests, e-mails, duplicates,
each sender's share) are printed at the end; run with `-s` and without xdist workers to see them:
`TEST_WORKERS=0 bash scripts/test-postgres.sh -s tests/reliability/test_two_instances.py`.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award import create_app, migrate
from award.app_db import get_database, get_session
from award.applications.models import Application, EvidenceFile
from award.audit.services import verify_chain
from award.auth.models import User
from award.awards.demo import AWARDED_CYCLE_TITLE
from award.awards.models import Award
from award.certificates.services import BATCH_KIND
from award.cycles.models import Cycle, Stage
from award.cycles.services import cycle_rubric
from award.db import create_db_engine
from award.demo import DEMO_PASSWORD, demo_credit_code, seed_demo
from award.files import FileStore
from award.jobs.models import Job, JobState
from award.notifications.models import OutboxMessage, OutboxStatus
from award.rounds.models import Assignment, AssignmentStatus, ReviewRound
from award.scoring.models import ItemScore, ScoreSheet, SheetStatus
from bench.scoring_app import PROJECT_ROOT, Answer, Client, sheet_fields, stop, wait_for_port
from tests.hostile_files import valid_pdf

SERVER = os.environ.get("AWARD_TEST_DATABASE_URL") or ""
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not SERVER.startswith("postgresql"), reason=(
        "two app instances need one shared PostgreSQL server (set AWARD_TEST_DATABASE_URL, as "
        "`make test-postgres` does); SQLite is the single-host embedded default")),
]

# The TCP ports of the two instances and the SMTP sink, and the Redis database this test owns (it is
# flushed): AWARD_TWO_INSTANCES_PORTS="5130,5131,5132,5133", AWARD_TWO_INSTANCES_REDIS=redis://…/3.
# A Redis started by the test (only when none answers at the URL) listens on the fourth port.
PORTS = tuple(int(port) for port in
              os.environ.get("AWARD_TWO_INSTANCES_PORTS", "5130,5131,5132,5133").split(","))
REDIS_URL = os.environ.get("AWARD_TWO_INSTANCES_REDIS", "redis://127.0.0.1:6379/3")
FAST_HASH = "pbkdf2:sha256:1000"  # the demo's and the new account's passwords, hashed cheaply
CHECKS_PER_ADDRESS = 8  # the public certificate check's limit here, counted over both instances
FREE_SIGN_IN_FAILURES = 5  # LOGIN_FREE_FAILURES here: the fifth failure starts a wait
SENDER_INTERVAL = 1  # seconds between two passes of each outbox sender
# Upper bounds for a loaded machine (eight engineers on two cores); a quiet run takes far less.
STARTUP_SECONDS = 180
WAIT_SECONDS = 180
REQUEST_SECONDS = 120
SAVES_PER_SHEET = 6
MESSAGES_PER_CYCLE = 3


# --------------------------------------------------------------------------- the two switches
# The file root every instance shares, and the job worker that runs their batches.


def file_root_settings(root: Path) -> dict[str, str]:
    """The one setting that puts every stored file of an instance under the shared root."""
    return {"FILES_ROOT": str(root)}


@pytest.fixture(scope="module")
def job_worker(instances: Instances, seeded: dict[str, Any]) -> Iterator[subprocess.Popen]:
    """JOB WORKER: `flask --app award worker`, started beside the two instances with the first instance's
    folder (the same shared database, file root and Redis queue, JOBS_QUEUE_URL): it runs the certificate
    batch that a web worker of either instance queued. Ready once its heartbeat row (stamped when it
    starts reaping) is in the database."""
    from award.heartbeats import last_beat
    from award.jobs.configured import JOB_WORKER

    worker = instances.start(["-m", "flask", "--app", "award", "worker"], "worker")
    engine = create_db_engine(seeded["DATABASE_URL"])

    def beating() -> bool:
        if worker.poll() is not None:
            raise AssertionError(f"the job worker exited with {worker.returncode}")
        with Session(engine) as session:
            return last_beat(session, worker=JOB_WORKER) is not None

    try:
        with logs_shown_on_failure(instances):
            wait_until(beating, seconds=STARTUP_SECONDS, what="the job worker's heartbeat")
        yield worker
    finally:
        engine.dispose()
        stop_together([worker])


# --------------------------------------------------------------------------- the SMTP sink


@dataclass
class CountingSink:
    """aiosmtpd's handler: every accepted message, by Message-ID; a short pause per message lets the two
    senders' conversations interleave."""

    message_ids: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, email.message.EmailMessage] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook)
        await asyncio.sleep(0.003)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.message_ids[message["Message-ID"]] += 1
            self.bodies[message["Message-ID"]] = message  # type: ignore[assignment]
        return "250 OK"

    def received(self) -> int:
        with self.lock:
            return sum(self.message_ids.values())

    def duplicates(self) -> dict[str, int]:
        with self.lock:
            return {mid: count for mid, count in self.message_ids.items() if count > 1}

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.bodies.values() if m["To"] and address in str(m["To"])]


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[CountingSink]:
    from aiosmtpd.controller import Controller

    assert not port_answers(PORTS[2]), f"something already listens on 127.0.0.1:{PORTS[2]} (the SMTP sink's port)"
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=PORTS[2])
    controller.start()
    yield sink
    controller.stop()


# --------------------------------------------------------------------------- the shared services


def redis_answers(url: str) -> bool:
    import redis

    connection = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="module")
def redis_db(tmp_path_factory) -> Iterator[str]:
    """REDIS_URL's database, flushed before and after; where no Redis answers there, one started here
    (`redis-server` on PORTS[3], nothing saved to disk), as on a fresh CI machine."""
    import redis

    url, server = REDIS_URL, None
    if not redis_answers(url):
        if not shutil.which("redis-server"):
            pytest.fail(f"no Redis answers at {url} and redis-server is not installed (scripts/system-deps.sh --test)")
        folder = tmp_path_factory.mktemp("redis")
        server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(PORTS[3]), "--save", "",
                                   "--appendonly", "no", "--dir", str(folder)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{PORTS[3]}/0"
        wait_for_port(PORTS[3], process=server, seconds=10)
    connection = redis.Redis.from_url(url, socket_timeout=2)
    connection.flushdb()
    try:
        yield url
    finally:
        connection.flushdb()
        connection.close()
        if server is not None:
            stop(server)


@pytest.fixture(scope="module")
def shared_settings(new_database_url, tmp_path_factory, redis_db) -> dict[str, Any]:
    """The settings both instances share (each writes them into its own instance/config.py)."""
    url = new_database_url()
    root = tmp_path_factory.mktemp("shared-files")
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": uuid.uuid4().hex,  # the same on every host: it signs sessions and CSRF tokens
        "REDIS_URL": redis_db,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{PORTS[0]}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": PORTS[2],
        "MAIL_FROM": "award-office@example.cn",
        "MAIL_TIMEOUT": 10,
        "MAIL_RETRY_BASE_SECONDS": 1,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "CERTIFICATE_CHECKS_PER_ADDRESS": f"{CHECKS_PER_ADDRESS} per hour",
        "CERTIFICATE_MISSES_PER_ADDRESS": "1000 per hour",
        "LOGIN_FREE_FAILURES": FREE_SIGN_IN_FAILURES,
        "LOG_FORMAT": "json",
        "JOBS_QUEUE_URL": redis_db,  # huey's keys beside the limits' in the test's own Redis database
        **file_root_settings(root),
    }


@pytest.fixture(scope="module")
def seeded(shared_settings) -> dict[str, Any]:
    """The database at the migration head with the demo in it, written by an app of the same settings
    (its evidence files land in the shared root)."""
    migrate.upgrade(shared_settings["DATABASE_URL"])
    # TESTING only keeps this process's logging as pytest set it; the servers run without it.
    app = create_app({**shared_settings, "DEMO_DATABASE": True, "TESTING": True})
    try:
        with app.app_context():
            seed_demo(get_session(), demo_database=True)
            get_session().commit()
    finally:
        get_database(app).engine.dispose()
    return shared_settings


@pytest.fixture(scope="module")
def database(seeded) -> Iterator[Session]:
    """A session for the checks; each check ends its transaction so that it sees the servers' commits."""
    engine = create_db_engine(seeded["DATABASE_URL"])
    with Session(engine) as session:
        yield session
    engine.dispose()


# --------------------------------------------------------------------------- the processes


@dataclass
class Instances:
    """The two instance folders and the processes started on them."""

    folders: tuple[Path, Path]
    urls: tuple[str, str]
    logs: Path
    files_root: Path

    def environment(self, number: int) -> dict[str, str]:
        # Nothing of the caller's AWARD_* settings: each instance reads its own instance/config.py.
        clean = {name: value for name, value in os.environ.items() if not name.startswith("AWARD_")}
        return {**clean, "AWARD_INSTANCE_PATH": str(self.folders[number]),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
                "PYTHONDONTWRITEBYTECODE": "", "FLASK_DEBUG": "0"}

    def start(self, arguments: list[str], name: str, number: int = 0) -> subprocess.Popen:
        """`python <arguments>` in the project, with instance `number`'s folder; output to logs/<name>.log."""
        with open(self.logs / f"{name}.log", "ab") as output:
            return subprocess.Popen([sys.executable, *arguments], cwd=PROJECT_ROOT, env=self.environment(number),
                                    stdout=output, stderr=output)

    def log_text(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")


def port_answers(port: int) -> bool:
    """Something already listens there: a server of ours would fail to bind, and the test talk to it."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def write_instance_config(folder: Path, settings: dict[str, Any]) -> None:
    folder.mkdir(parents=True)
    (folder / "config.py").write_text("".join(f"{name} = {value!r}\n" for name, value in settings.items()),
                                      encoding="utf-8")


@pytest.fixture(scope="module")
def instances(seeded, smtp_sink, tmp_path_factory) -> Iterator[Instances]:
    """Two gunicorn processes (two sync workers each, production's settings otherwise) on two ports, each
    with its own instance folder."""
    taken = [port for port in PORTS[:2] if port_answers(port)]
    assert not taken, f"something already listens on 127.0.0.1:{taken}: set AWARD_TWO_INSTANCES_PORTS to free ports"
    base = tmp_path_factory.mktemp("instances")
    folders = (base / "host-a" / "instance", base / "host-b" / "instance")
    for folder in folders:
        write_instance_config(folder, seeded)
    logs = base / "logs"
    logs.mkdir()
    found = Instances(folders=folders, urls=(f"http://127.0.0.1:{PORTS[0]}", f"http://127.0.0.1:{PORTS[1]}"),
                      logs=logs, files_root=Path(seeded["FILES_ROOT"]))
    # Production's gunicorn settings (deploy/gunicorn.conf.py), with two workers on this test's port.
    servers = [found.start(["-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--workers", "2", "--bind",
                            f"127.0.0.1:{PORTS[number]}", "--graceful-timeout", "5", "award.wsgi:app"],
                           f"gunicorn-{'ab'[number]}", number)
               for number in (0, 1)]
    try:
        with logs_shown_on_failure(found):
            for number, server in enumerate(servers):
                wait_for_port(PORTS[number], process=server, seconds=STARTUP_SECONDS)
            for url in found.urls:  # the master listens before its workers have built the app
                wait_until(lambda url=url: health(url) is not None, seconds=STARTUP_SECONDS,
                           what=f"{url}/healthz to answer")
        yield found
    finally:
        stop_together(servers)


@pytest.fixture(scope="module")
def senders(instances) -> Iterator[list[str]]:
    """Two outbox senders, one per instance folder, racing for the same outbox."""
    names = ["sender-a", "sender-b"]
    running = [instances.start(["-m", "flask", "--app", "award", "outbox", "send", "--loop", "--interval",
                                str(SENDER_INTERVAL)], name, number) for number, name in enumerate(names)]
    try:
        with logs_shown_on_failure(instances):  # a sender's heartbeat makes /healthz's outbox_sender "ok"
            wait_until(lambda: health(instances.urls[0], "outbox_sender") == "ok", seconds=STARTUP_SECONDS,
                       what="an outbox sender's heartbeat")
        yield names
    finally:
        stop_together(running)


def health(url: str, check: str | None = None) -> str | None:
    """The status /healthz gives (overall, or of one ``check``), or None while nothing answers it."""
    client = Client(url, timeout=5)
    try:
        answer = client.request("GET", "/healthz")
        if answer.status not in (200, 503):
            return None
        body = answer.json()
        return body["checks"][check]["status"] if check else body["status"]
    except (OSError, ValueError, KeyError):
        return None
    finally:
        client.close()


def stop_together(processes: list[subprocess.Popen], seconds: float = 15) -> None:
    """SIGTERM to each process we started, then wait for them all (SIGKILL after `seconds`)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        stop(process, seconds=seconds)


# --------------------------------------------------------------------------- browsers


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Counted(Client):
    """The bench's cookie-keeping client, counting its requests and able to post files."""

    requests: Counter[str] = Counter()

    def __init__(self, base_url: str, cookies: dict[str, str]) -> None:
        super().__init__(base_url, timeout=REQUEST_SECONDS)
        self.base_url = base_url
        self.cookies = cookies  # the same dict for every tab of one browser: one session on both hosts

    def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        Counted.requests[self.base_url] += 1
        return super().request(method, path, **kwargs)

    def upload(self, path: str, *, fields: dict[str, str], name: str, filename: str, data: bytes,
               content_type: str) -> Answer:
        """A multipart/form-data POST, as a browser's file input sends it."""
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
                 for key, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        Counted.requests[self.base_url] += 1
        parsed = urlsplit(self.base_url)
        import http.client

        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=REQUEST_SECONDS)
        try:
            connection.request("POST", path, body=body, headers={
                "Host": "127.0.0.1", "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())})
            response = connection.getresponse()
            answer = Answer(response.status, dict(response.headers.items()), response.read(), 0.0)
        finally:
            connection.close()
        return answer


class Browser:
    """One person's browser: one cookie jar, a tab on each instance."""

    def __init__(self, urls: tuple[str, str]) -> None:
        self.cookies: dict[str, str] = {}
        self.tabs = tuple(Counted(url, self.cookies) for url in urls)

    def __getitem__(self, number: int) -> Counted:
        return self.tabs[number]

    def token(self, number: int, path: str) -> str:
        """The CSRF token of a page of that instance."""
        answer = self.tabs[number].request("GET", path)
        assert answer.status == 200, f"GET {path} on instance {number}: {answer.status}"
        found = _CSRF.search(answer.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def login(self, number: int, email_address: str, password: str = DEMO_PASSWORD) -> None:
        token = self.token(number, "/login")
        answer = self.tabs[number].request("POST", "/login", form={"email": email_address, "password": password,
                                                                   "csrf_token": token})
        assert answer.status == 302, f"login of {email_address} on instance {number}: {answer.status}"

    def close(self) -> None:
        for tab in self.tabs:
            tab.close()


def location(answer: Answer) -> str:
    return urlsplit(answer.headers.get("Location", "")).path


def wait_until(condition: Any, *, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds}s for {what}")


def fresh(session: Session) -> Session:
    session.rollback()  # end the last read: the next one sees what the servers committed since
    return session


# --------------------------------------------------------------------------- the steps


def register_and_confirm(instances: Instances, sink: CountingSink, database: Session) -> str:
    """Registration posted on B with the form token of A's page; the e-mailed link opened on B, then A."""
    import random

    browser = Browser(instances.urls)
    address = f"quality-{uuid.uuid4().hex[:8]}@two-hosts.example.cn"
    try:
        token = browser.token(0, "/register")
        answer = browser[1].request("POST", "/register", form={
            "credit_code": demo_credit_code(random.Random(address)), "organization_name": "苏州双机可靠性测试有限公司",
            "contact_name": "周可靠", "phone": "0512-66668888", "email": address, "password": "two-hosts-2026!",
            "confirm": "two-hosts-2026!", "csrf_token": token})
        assert answer.status == 302 and location(answer) == "/login", (answer.status, answer.text[:2000])
        def confirmation_link() -> re.Match[str] | None:
            # The welcome and the confirmation e-mails may arrive in either order (two senders race).
            texts = [mail.get_body(("plain",)).get_content() for mail in sink.to(address)]
            return next(filter(None, (re.search(r"https?://[^\s]+(/account/confirm/[^\s]+)", text)
                                      for text in texts)), None)

        link = wait_until(confirmation_link, seconds=WAIT_SECONDS, what="the confirmation e-mail")
        confirm_token = browser.token(1, link.group(1))
        answer = browser[0].request("POST", link.group(1), form={"csrf_token": confirm_token})
        assert answer.status == 302, answer.status
        user = fresh(database).scalar(select(User).where(User.email == address))
        assert user is not None and user.email_confirmed
    finally:
        browser.close()
    return address


def apply_with_evidence(instances: Instances, database: Session, address: str) -> tuple[int, str]:
    """The new enterprise starts an application and uploads evidence on A, and downloads it on B."""
    cycle = fresh(database).scalar(select(Cycle).where(Cycle.stage == Stage.APPLICATION).order_by(Cycle.id))
    assert cycle is not None
    browser = Browser(instances.urls)
    try:
        browser.login(0, address, "two-hosts-2026!")
        token = browser.token(1, "/applications/")
        answer = browser[0].request("POST", f"/applications/start/{cycle.id}", form={"csrf_token": token})
        assert answer.status == 302 and location(answer).endswith("/edit"), (answer.status, location(answer))
        application_id = int(location(answer).split("/")[2])
        document = valid_pdf() + f"% {uuid.uuid4().hex}\n".encode()  # a valid PDF of its own bytes
        token = browser.token(0, f"/applications/{application_id}")
        answer = browser[0].upload(f"/applications/{application_id}/files", fields={"csrf_token": token},
                                   name="file", filename="质量手册.pdf", data=document, content_type="application/pdf")
        assert answer.status == 302, (answer.status, answer.text[:2000])
        evidence = fresh(database).scalar(select(EvidenceFile).where(EvidenceFile.application_id == application_id))
        assert evidence is not None and evidence.sha256 == hashlib.sha256(document).hexdigest()
        downloaded = browser[1].request("GET", f"/applications/{application_id}/files/{evidence.id}")
        assert downloaded.status == 200, downloaded.status
        assert downloaded.body == document
    finally:
        browser.close()
    return application_id, evidence.sha256


@dataclass(frozen=True)
class Saved:
    sheet_id: int
    version: int
    fields: dict[str, str]


def autosave_on_both(instances: Instances, database: Session) -> list[Saved]:
    """Two experts, each saving their draft sheet on A, B, A, B …, each save on the version the last returned."""
    rows = fresh(database).execute(
        select(Assignment.id, ScoreSheet.id, User.email, ReviewRound.cycle_id)
        .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .join(ReviewRound, ReviewRound.id == Assignment.round_id)
        .join(User, User.id == Assignment.expert_id)
        .where(ScoreSheet.status == SheetStatus.DRAFT, Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(Assignment.id)).all()
    seats = list({email_address: (assignment_id, sheet_id)
                  for assignment_id, sheet_id, email_address, _cycle in rows}.items())
    assert len(seats) >= 2, "the demo has fewer than two experts with a draft sheet"
    cycle = database.get(Cycle, rows[0].cycle_id)
    assert cycle is not None
    cycle_items = [item.id for item in cycle_rubric(cycle).items]
    saved = []
    for expert_number, (address, (assignment_id, sheet_id)) in enumerate(seats[:2]):
        browser = Browser(instances.urls)
        try:
            browser.login(expert_number % 2, address)
            page, version = browser[0].sheet(assignment_id)
            assert page.status == 200 and version >= 1, page.status
            browser[1].csrf_token = browser[0].csrf_token  # the page's token, sent to either host
            fields: dict[str, str] = {}
            for save in range(SAVES_PER_SHEET):
                fields = sheet_fields(cycle_items, percent=5 * (8 + save + expert_number),
                                      note=f"双机第{save}次（{'AB'[save % 2]}）")
                answer = browser[save % 2].autosave(assignment_id, version=version, fields=fields)
                assert answer.status == 200, (save, answer.status, answer.text[:500])
                version = answer.json()["version"]
            saved.append(Saved(sheet_id, version, fields))
        finally:
            browser.close()
    return saved


def certificate_batch(instances: Instances, database: Session, worker: subprocess.Popen) -> tuple[str, int]:
    """The office starts the batch on A, which queues a job; the job worker runs it; B shows its page and
    progress until done, and serves the PDF, which A serves too, from the shared file store."""
    cycle = fresh(database).scalar(select(Cycle).where(Cycle.title == AWARDED_CYCLE_TITLE))
    assert cycle is not None
    awards = fresh(database).scalar(select(func.count(Award.id)).where(Award.cycle_id == cycle.id))
    browser = Browser(instances.urls)
    try:
        browser.login(1, "office@demo.award")
        token = browser.token(0, f"/certificates/cycles/{cycle.id}")
        answer = browser[0].request("POST", f"/certificates/cycles/{cycle.id}/batch", form={"csrf_token": token})
        assert answer.status == 302 and "/certificates/batches/" in location(answer), (answer.status,
                                                                                        answer.text[:2000])
        job = location(answer).rsplit("/", 1)[1]

        def finished() -> dict[str, Any] | None:
            page = browser[1].request("GET", f"/certificates/batches/{job}")
            assert page.status == 200, page.status
            status = browser[1].request("GET", f"/certificates/batches/{job}/status").json()
            assert status["state"] != "failed", status
            return status if status["state"] == "done" else None

        status = wait_until(finished, seconds=WAIT_SECONDS, what="the certificate batch")
        pdf = browser[1].request("GET", status["download_url"])
        assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf.status
        again = browser[0].request("GET", status["download_url"])
        assert again.body == pdf.body
    finally:
        browser.close()
    from io import BytesIO

    from pypdf import PdfReader

    pages = len(PdfReader(BytesIO(pdf.body)).pages)
    assert pages >= awards >= 1, (pages, awards)
    row = fresh(database).get(Job, int(job))
    assert row is not None and row.state is JobState.DONE and row.kind == BATCH_KIND
    assert f":{worker.pid}:" in (row.worker or ""), (row.worker, worker.pid)  # run by the worker, not a web worker
    assert row.result_sha256 == hashlib.sha256(pdf.body).hexdigest()
    store = FileStore(instances.files_root)
    assert store.check(row.result_sha256) is None  # in the shared file store, by its digest
    return job, pages


def message_burst(instances: Instances, database: Session) -> int:
    """The office sends MESSAGES_PER_CYCLE messages to every applicant of each cycle, alternating hosts; each
    is a job of the worker, waited for."""
    cycles = fresh(database).scalars(select(Cycle.id).order_by(Cycle.id)).all()
    browser = Browser(instances.urls)
    reached = 0
    jobs: list[int] = []
    try:
        browser.login(0, "office@demo.award")
        for number in range(MESSAGES_PER_CYCLE):
            for cycle_id in cycles:
                host = (number + cycle_id) % 2
                message = {"group": "", "subject": f"双机测试通知 {number}", "body": f"第{number}次群发：请查收。"}
                token = browser.token(host, f"/outreach/cycles/{cycle_id}")
                preview = browser[host].request("POST", f"/outreach/cycles/{cycle_id}/message/preview",
                                                form={**message, "csrf_token": token})
                count = re.search(r'name="expected_count" value="(\d+)"', preview.text)
                if preview.status != 200 or count is None or count.group(1) == "0":
                    continue  # nobody applied to this cycle
                answer = browser[1 - host].request("POST", f"/outreach/cycles/{cycle_id}/message",
                                                   form={**message, "expected_count": count.group(1),
                                                         "csrf_token": token})
                assert answer.status == 302 and location(answer).startswith("/jobs/"), (answer.status,
                                                                                         answer.text[:2000])
                jobs.append(int(location(answer).rsplit("/", 1)[1]))
                reached += int(count.group(1))
    finally:
        browser.close()
    assert reached > 0

    def all_sent() -> bool:  # the job worker sends each message; a failed one fails the test
        states = dict(fresh(database).execute(select(Job.id, Job.state).where(Job.id.in_(jobs))).all())
        assert JobState.FAILED not in states.values(), states
        return len(states) == len(jobs) and set(states.values()) == {JobState.DONE}

    wait_until(all_sent, seconds=WAIT_SECONDS, what="the message jobs")
    return reached


def rate_limits_are_shared(instances: Instances) -> tuple[list[int], list[int]]:
    """The public certificate check, and sign-ins with a wrong password, alternating between hosts: each
    limit counts the requests of both together."""
    browser = Browser(instances.urls)
    try:
        checks = [browser[number % 2].request("GET", "/verify/2026-AAAAAAAA-A").status
                  for number in range(CHECKS_PER_ADDRESS + 2)]
        sign_ins = []
        for number in range(FREE_SIGN_IN_FAILURES + 1):
            password = "not-the-password" if number < FREE_SIGN_IN_FAILURES else DEMO_PASSWORD
            token = browser.token(number % 2, "/login")
            sign_ins.append(browser[number % 2].request("POST", "/login", form={
                "email": "leader3@demo.award", "password": password, "csrf_token": token}).status)
    finally:
        browser.close()
    return checks, sign_ins


def sessions_are_shared(instances: Instances) -> None:
    """Signed in on A, the same cookie works on B; a copied cookie dies on A when B signs out."""
    browser = Browser(instances.urls)
    try:
        browser.login(0, "supervisor@demo.award")
        assert browser[1].request("GET", "/dashboard").status == 200
        copied = Browser(instances.urls)
        copied.cookies.update(browser.cookies)
        assert copied[0].request("GET", "/dashboard").status == 200
        token = browser.token(1, "/dashboard")
        assert browser[1].request("POST", "/logout", form={"csrf_token": token}).status == 302
        for number in (0, 1):
            answer = copied[number].request("GET", "/dashboard")
            assert answer.status == 302 and location(answer) == "/login", (number, answer.status)
        copied.close()
    finally:
        browser.close()


# --------------------------------------------------------------------------- the test


@contextmanager
def logs_shown_on_failure(instances: Instances) -> Iterator[None]:
    """When a step fails, the end of each process's log is printed with the failure."""
    try:
        yield
    except BaseException:
        for log in sorted(instances.logs.glob("*.log")):
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
            print(f"--- {log} (last {len(tail)} lines)", *tail, sep="\n")
        raise


def test_two_instances_share_everything_and_lose_nothing(instances, senders, job_worker, smtp_sink, database):
    with logs_shown_on_failure(instances):
        run_and_check(instances, senders, job_worker, smtp_sink, database)


def run_and_check(instances: Instances, senders: list[str], worker: subprocess.Popen, smtp_sink: CountingSink,
                  database: Session) -> None:
    started = time.monotonic()
    Counted.requests.clear()

    address = register_and_confirm(instances, smtp_sink, database)
    application_id, digest = apply_with_evidence(instances, database, address)
    saved = autosave_on_both(instances, database)
    job, pages = certificate_batch(instances, database, worker)
    reached = message_burst(instances, database)
    statuses, sign_ins = rate_limits_are_shared(instances)
    sessions_are_shared(instances)

    # Every e-mail, the demo's own and the burst's, leaves the outbox; the sink got each exactly once.
    def drained() -> bool:
        return not fresh(database).scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])))

    wait_until(drained, seconds=WAIT_SECONDS, what="the outbox to be empty")
    sent = dict(fresh(database).execute(select(OutboxMessage.message_id, OutboxMessage.status)).all())
    assert Counter(sent.values()) == Counter({OutboxStatus.SENT: len(sent)}), Counter(sent.values())
    wait_until(lambda: smtp_sink.received() >= len(sent), seconds=30, what="the sink to count every message")
    duplicates = smtp_sink.duplicates()
    assert duplicates == {}, f"{len(duplicates)} message(s) sent more than once"
    assert set(smtp_sink.message_ids) == set(sent), "the sink got other messages than the outbox sent"
    shares = {name: sum(int(n) for n in re.findall(r"outbox: sent (\d+)", instances.log_text(name)))
              for name in senders}
    assert sum(shares.values()) == len(sent), shares
    assert all(shares.values()), f"a sender sent nothing, so nothing raced: {shares}"

    # Each host's /healthz sees the shared database, Redis, a sender's heartbeat and the job worker's.
    assert [health(url) for url in instances.urls] == ["ok", "ok"]

    # Rate limits: the hosts count together (Redis), so the limit is reached after CHECKS_PER_ADDRESS in all.
    assert statuses == [404] * CHECKS_PER_ADDRESS + [429, 429], statuses
    # The sign-in throttle too: after the free failures on A, B, A, B, A, even the right password waits.
    assert sign_ins == [401] * FREE_SIGN_IN_FAILURES + [429], sign_ins

    # Nothing lost: the rows, the file, the last save of each sheet, the audit chain.
    session = fresh(database)
    application = session.get(Application, application_id)
    assert application is not None
    assert session.scalar(select(User.email).where(User.organization_id == application.organization_id)) == address
    for save in saved:
        sheet = session.get(ScoreSheet, save.sheet_id)
        assert sheet is not None and sheet.version == save.version
        stored = {}
        for item in session.scalars(select(ItemScore).where(ItemScore.sheet_id == save.sheet_id)):
            stored |= {f"percent-{item.item_id}": str(item.percent), f"strength-{item.item_id}": item.strength,
                       f"improvement-{item.item_id}": item.improvement}
        assert stored == save.fields
    verdict = verify_chain(session)
    assert verdict.ok, verdict.problem
    errors = {name: [line for line in instances.log_text(name).splitlines() if _server_error(line)]
              for name in ("gunicorn-a", "gunicorn-b")}
    assert errors == {"gunicorn-a": [], "gunicorn-b": []}, errors

    requests = dict(Counted.requests)
    print(f"\ntwo instances: {sum(requests.values())} requests ({requests[instances.urls[0]]} on A, "
          f"{requests[instances.urls[1]]} on B) in {time.monotonic() - started:.0f} s; "
          f"e-mails sent {len(sent)} (burst {reached}), received {smtp_sink.received()}, duplicates "
          f"{len(duplicates)}; senders {shares}; batch {job}: {pages} page(s); evidence {digest[:12]}; "
          f"audit records {verdict.checked}; rate limit {statuses}; sign-ins {sign_ins}")


def _server_error(line: str) -> bool:
    """A request log line with a status of 500 or above, or a traceback."""
    if "Traceback" in line:
        return True
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and isinstance(record.get("status"), int) and record["status"] >= 500
