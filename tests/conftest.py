"""Fixtures: a real database (SQLite file, or PostgreSQL via AWARD_TEST_DATABASE_URL), one
outer transaction per test that is rolled back, the app, a client, factories and a login helper;
and `module_world`, a world built once per test module that every test of it starts from.

Under pytest-xdist (`make test` runs `pytest -n 2`) every worker is a process with its own session
fixtures, so its own database (SQLite file or PostgreSQL database) and its own tmp_path tree."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from award import create_app, migrate, runtime
from award.app_db import get_database
from award.auth.models import Organization, Role, User
from award.credit_code import ALPHABET, make_credit_code
from award.cycles.models import Cycle, Stage
from award.cycles.services import CycleSettings, create_cycle
from award.cycles.settings import EligibilitySettings
from award.db import create_db_engine, utcnow
from award.models import metadata
from award.web import limiter

PASSWORD = "correct-horse-battery"
# A cheap hash keeps the suite fast (the test apps' PASSWORD_HASH_METHOD); production uses scrypt.
FAST_HASH_METHOD = "pbkdf2:sha256:1000"
_FAST_HASH = generate_password_hash(PASSWORD, method=FAST_HASH_METHOD)


def _create_postgres_database(server_url: str, template: str | None = None) -> tuple[str, str]:
    """A fresh database on the test server (a copy of the database `template` when given); returns
    (its url, its name)."""
    url = make_url(server_url)
    name = f"award_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def english_outside_any_app() -> Iterator[None]:
    """Code run outside an app context speaks English, as the test apps do (BABEL_DEFAULT_LOCALE en).

    Without an app, award.runtime's plain default is the product's zh_CN; once any app exists in
    the process, texts outside a context stay untranslated. Which came first depended on the order
    a worker ran its files in, so a parser's message was English in one run and Chinese in another.
    """
    with runtime.PLAIN.force_locale("en"):
        yield


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the catalogs when a .po is newer than its .mo (make does this too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from award import PROJECT_ROOT

    for po_path in (PROJECT_ROOT / "award/translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            # Written aside and renamed: parallel workers (pytest -n) must never read a half-written catalog.
            partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.part")
            with po_path.open("rb") as po_file, partial.open("wb") as mo_file:
                write_mo(mo_file, read_po(po_file, locale=po_path.parent.parent.name))
            os.replace(partial, mo_path)


@pytest.fixture(scope="session")
def database_server() -> str | None:
    return os.environ.get("AWARD_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def new_database_url(database_server, tmp_path_factory):
    """A factory of empty databases of the suite's kind, dropped at the end of the session."""
    created: list[str] = []

    def make() -> str:
        if database_server:
            url, name = _create_postgres_database(database_server)
            created.append(name)
            return url
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "award.sqlite")

    yield make
    for name in created:
        _drop_postgres_database(database_server, name)


@pytest.fixture(scope="session")
def new_migrated_database_url(new_database_url, database_server, tmp_path_factory):
    """A factory of databases migrated to the head revision, as `flask db upgrade` leaves them.

    The migrations run once per session (per xdist worker), into a template that each new database
    copies (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL): running them costs a
    second of CPU, and every browser test module wants its own migrated database."""
    template: list[str] = []
    created: list[str] = []

    def make() -> str:
        if not template:
            template.append(new_database_url())
            migrate.upgrade(template[0])
        if database_server:
            url, name = _create_postgres_database(database_server, template=make_url(template[0]).database)
            created.append(name)
            return url
        copy = tmp_path_factory.mktemp("db") / "award.sqlite"
        shutil.copyfile(make_url(template[0]).database, copy)
        return "sqlite:///" + str(copy)

    yield make
    for name in created:
        _drop_postgres_database(database_server, name)


@pytest.fixture(scope="session")
def database_url(new_database_url) -> str:
    return new_database_url()


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


def make_test_app(database_url: str, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "en",
        "PASSWORD_HASH_METHOD": FAST_HASH_METHOD,
        "JOBS_IMMEDIATE": True,  # a job runs in the request that starts it (tests/jobs has a real worker)
    }
    config.update(overrides)
    app = create_app(config)
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_the_previous_request)
    return app


def _forget_the_previous_request() -> None:
    """The `db` fixture keeps an app context open, so every test request shares its `g`; in
    production each request has a fresh one. Drop what Flask-Babel and Flask-Login cache there, so
    a language switch or a sign-out takes effect on the next request as it does in a browser."""
    from flask import g

    g.pop("_flask_babel", None)
    g.pop("_login_user", None)


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url, connection, app_config, tmp_path) -> Iterator[Flask]:
    app = make_test_app(database_url, **app_config)
    app.instance_path = str(tmp_path / "instance")  # files a view keeps there stay the test's own
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session on the test's transaction; commit() only releases a savepoint."""
    with app.app_context():
        session = get_database(app).session_factory()
        yield session
        session.close()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


_counter = itertools.count(1)


def fresh_credit_code(rng: random.Random | None = None) -> str:
    rng = rng or random.Random(next(_counter))
    return make_credit_code("91320500" + "".join(rng.choice(ALPHABET) for _ in range(9)))


def organization_factory(db: Session):
    """make_organization() on a given session; the fixture of that name, and module-scoped worlds, use it."""
    def make(name: str | None = None, credit_code: str | None = None) -> Organization:
        number = next(_counter)
        organization = Organization(credit_code=credit_code or fresh_credit_code(random.Random(number)),
                                    name=name or f"测试企业{number}有限公司")
        db.add(organization)
        db.flush()
        return organization

    return make


@pytest.fixture
def make_organization(db):
    return organization_factory(db)


def user_factory(db: Session, make_organization):
    """make_user() on a given session; the fixture of that name, and module-scoped worlds, use it."""
    def make(role: Role = Role.ENTERPRISE, *, email: str | None = None, name: str | None = None,
             organization: Organization | None = None) -> User:
        number = next(_counter)
        if role is Role.ENTERPRISE and organization is None:
            organization = make_organization()
        # Each company has its own mail domain and phone, as in life: a domain or phone shared by an expert
        # and an applicant is a 回避 soft signal, which a test asks for on purpose.
        domain = f"org{organization.id}.example.cn" if role is Role.ENTERPRISE and organization else "example.cn"
        user = User(email=email or f"{role.value}{number}@{domain}", password_hash=_FAST_HASH, role=role,
                    full_name=name or f"{role.value} {number}", phone=f"0512-6{number:07d}",
                    organization=organization, locale="en")
        db.add(user)
        db.commit()
        return user

    return make


@pytest.fixture
def make_user(db, make_organization):
    return user_factory(db, make_organization)


def cycle_factory(db: Session):
    """make_cycle() on a given session; the fixture of that name, and module-scoped worlds, use it."""
    def make(*, stage: Stage = Stage.DRAFT, rubric_key: str = "gbt19580-2012", title: str | None = None,
             onsite_review: bool = False, deadlines: dict[Stage, dt.datetime] | None = None,
             **settings) -> Cycle:
        now = utcnow()
        values = {
            "year": now.year, "title": title or f"质量奖 {next(_counter)}", "awards_count": 3,
            "cutoff_score": Decimal("600"), "experts_per_application": 5, "onsite_review": onsite_review,
            "deadlines": deadlines if deadlines is not None else {Stage.APPLICATION: now + dt.timedelta(days=30)},
            "eligibility": EligibilitySettings(),
        }
        values.update(settings)
        cycle = create_cycle(db, actor=None, settings=CycleSettings(**values), rubric_key=rubric_key)
        cycle.stage = stage  # jumping ahead is for test set-up only; the app goes step by step
        db.commit()
        return cycle

    return make


@pytest.fixture
def make_cycle(db, make_user):
    return cycle_factory(db)


@pytest.fixture
def login(client):
    def do_login(user: User, password: str = PASSWORD) -> FlaskClient:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login



class ModuleWorld:
    """A world built once for a test module on the module's own connection, and the app bound to it.

    Right after the build a savepoint marks the world as built; each test runs from it and is always
    rolled back to it, never released: a released savepoint keeps its locks until the outer
    transaction ends, and on PostgreSQL a thousand tests of them run the lock table out of shared
    memory. Files the world wrote (evidence, seals, batches) are laid anew from a copy before each
    test, as a test may delete or replace one; so is the rate limiter's memory, as a new app has it.
    """

    SAVEPOINT = "module_world"

    def __init__(self, app: Flask, connection: Connection, objects: dict[str, object], files_root: Path) -> None:
        self.app, self.connection, self.objects, self.files_root = app, connection, objects, files_root
        self._pristine_files = files_root.with_name(files_root.name + "-pristine")
        shutil.copytree(files_root, self._pristine_files)
        connection.exec_driver_sql(f"SAVEPOINT {self.SAVEPOINT}")

    def restore_files(self) -> None:
        shutil.rmtree(self.files_root)
        shutil.copytree(self._pristine_files, self.files_root)

    @contextmanager
    def isolated_test(self) -> Iterator[Session]:
        """One test: the world as built, the app context open (as the `db` fixture keeps it), a session."""
        self.restore_files()
        if self.app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        try:
            with self.app.app_context():
                session = get_database(self.app).session_factory()
                try:
                    yield session
                finally:
                    session.close()
        finally:
            self.connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self.SAVEPOINT}")


WorldBuilder = Callable[..., dict[str, object]]


@contextmanager
def module_world(engine: Engine, database_url: str, files_root: Path, build: WorldBuilder,
                 **app_config) -> Iterator[ModuleWorld]:
    """Builds `build(db, app, files_root, make_user=…, make_cycle=…, make_organization=…)` once, in an
    outer transaction rolled back when the module is done. Use it in a module-scoped fixture."""
    with engine.connect() as connection:
        transaction = connection.begin()
        app = make_test_app(database_url, **{"FILES_ROOT": str(files_root), **app_config})
        app.instance_path = str(files_root.with_name("instance"))
        get_database(app).bind_to(connection)
        files_root.mkdir(parents=True, exist_ok=True)
        try:
            with app.app_context():
                db = get_database(app).session_factory()
                make_organization = organization_factory(db)
                objects = build(db, app, files_root, make_user=user_factory(db, make_organization),
                                make_cycle=cycle_factory(db), make_organization=make_organization)
                db.close()
            yield ModuleWorld(app, connection, objects, files_root)
        finally:
            transaction.rollback()
            get_database(app).engine.dispose()


def _seed_the_demo(db, app, files_root, **_factories) -> dict[str, object]:
    from award.demo import seed_demo

    seed_demo(db, demo_database=True)
    db.commit()
    return {}


@pytest.fixture(scope="session")
def seeded_demo(new_database_url, tmp_path_factory) -> Iterator[ModuleWorld]:
    """The demo, seeded once per session (per xdist worker) into a database of its own, for the tests
    that check what `demo seed` leaves: seeding costs five seconds of CPU, and a dozen files read it.
    Each test starts from the seeded demo and is rolled back to it (demo_db), as in a module world."""
    url = new_database_url()
    engine = create_db_engine(url)
    metadata.create_all(engine)
    with module_world(engine, url, tmp_path_factory.mktemp("demo") / "files", _seed_the_demo) as world:
        yield world
    engine.dispose()


@pytest.fixture
def demo_db(seeded_demo) -> Iterator[Session]:
    """A session on the seeded demo (its app's context open), rolled back after the test."""
    with seeded_demo.isolated_test() as session:
        yield session


@pytest.fixture
def demo_client(seeded_demo, demo_db) -> FlaskClient:
    """A client of the seeded demo's app, in demo_db's test."""
    return seeded_demo.app.test_client()


# The files that take longest, longest first. `make test` hands out whole files to its two
# workers (xdist's --dist loadfile) in collection order; a file of two minutes handed out last
# leaves the other worker idle while it runs, so these go out first.
LONGEST_FIRST = (
    "tests/e2e/test_page_audit.py",
    "tests/test_fuzz_routes.py",
    "tests/e2e/test_panel_scoring.py",
    "tests/e2e/test_whole_cycle.py",
    "tests/reliability/",
    "tests/test_hostile_input.py",
    "tests/certificates/test_demo_documents.py",
    "tests/e2e/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((n for n, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)),
                    len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: the order within a file and among the rest stays as collected
