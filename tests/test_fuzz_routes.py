"""Hostile input costs a refusal, never the server: a fuzz test over the whole URL map.

Every rule of `app.url_map` (except `static`: files served by Werkzeug, no view of ours), every
method it allows, and every role (anonymous, the owning enterprise, another enterprise, expert,
office, leader, supervisor) gets generated requests: path arguments of the right converter (real
ids of the access matrix's world, ids of other kinds) and hostile ones, query arguments (common
names plus those of the page's GET forms), form fields (learned by rendering each page as each
role: missing, repeated, hostile), JSON bodies (to every POST; the routes a page names in a
`data-*-url` attribute, such as the score-sheet autosave, get them most), and raw broken bodies.

Rules: no answer is a server error (5xx or an exception), none takes more than SLOW_CPU_SECONDS, and a
refused answer (status >= 400) writes nothing: the row counts of every table and the audit chain
head are the same after it.

Speed: the world of tests/test_access.py is built once for the module; each request runs in a
savepoint that is rolled back, so every example starts from the same database.

CSRF is off (as in every test app): the fuzz is about what a view does with hostile values, and
with CSRF on, each hostile POST would stop at the token check before reaching the view. The CSRF
check itself is tested in tests/applications/test_csrf_stash.py. Login throttling is off too: the
fuzz sends many failed logins, and throttled (429) answers would hide the login view after a few;
tests/auth/test_throttling.py covers it.

`make test`: a few derandomized examples per route. `make fuzz` (AWARD_FUZZ_EXAMPLES=200): a
longer random search; AWARD_FUZZ_LOG=file.jsonl also writes every failing request there, as a route
otherwise stops at its first failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from award.auth.models import Organization, Role
from tests.conftest import PASSWORD, fresh_credit_code, make_test_app, module_world
from tests.fuzz.harness import SLOW_CPU_SECONDS, Fuzzer
from tests.fuzz.strategies import SKIPPED_CONVERTERS, strategy_for
from tests.test_access import ANON, ROUTES, build_world

SKIPPED_ENDPOINTS = {"static": "static files are served by Werkzeug from award/static, no view of ours"}
OTHER_ENTERPRISE = "enterprise (not owner)"
FUZZ_ROLES = (ANON, Role.ENTERPRISE.value, OTHER_ENTERPRISE, Role.EXPERT.value, Role.OFFICE.value,
              Role.LEADER.value, Role.SUPERVISOR.value)

LONG_SEARCH = int(os.environ.get("AWARD_FUZZ_EXAMPLES", "0"))
# `make test`: 12 derandomized examples per route, each sent as all 7 roles (measured: see the
# commit that set it). `make fuzz`: AWARD_FUZZ_EXAMPLES random ones, remembered in .hypothesis/.
FUZZ_SETTINGS = settings(
    max_examples=LONG_SEARCH or 12,
    derandomize=not LONG_SEARCH,
    database=settings.default.database if LONG_SEARCH else None,
    deadline=None,  # a request may render a PDF; SLOW_CPU_SECONDS bounds each request instead
    # too_slow: each example sends 7 real requests against a real database, by design.
    suppress_health_check=[HealthCheck.too_slow],
)


def _fuzzed_routes() -> list[tuple[str, str]]:
    app = make_test_app("sqlite://")
    return sorted((rule.endpoint, method) for rule in app.url_map.iter_rules()
                  if rule.endpoint not in SKIPPED_ENDPOINTS for method in rule.methods - {"HEAD", "OPTIONS"})


ROUTES_FUZZED = _fuzzed_routes()


def build_fuzz_world(db, app, files_root, *, make_user, **factories) -> dict[str, object]:
    """The access matrix's world, and an enterprise user who owns none of it."""
    world = build_world(db, app, files_root, make_user=make_user, **factories)
    world["users"] = {**world["users"], OTHER_ENTERPRISE: make_user(Role.ENTERPRISE)}
    return world


@pytest.fixture(scope="module")
def fuzz(engine, database_url, tmp_path_factory) -> Iterator[Fuzzer]:
    """The access matrix's world, built once; the roles logged in once (their session cookies reused)."""
    with module_world(engine, database_url, tmp_path_factory.mktemp("fuzz") / "files", build_fuzz_world,
                      RATELIMIT_ENABLED=False) as world:
        cookies: dict[str, str | None] = {ANON: None}
        for role, user in world.objects["users"].items():
            client = world.app.test_client()
            response = client.post("/login", data={"email": user.email, "password": PASSWORD})
            assert response.status_code == 302, role
            cookies[role] = client.get_cookie("session").value
        fuzzer = Fuzzer(world, cookies)
        for url, role in fuzzer.learn_from_matrix(ROUTES):
            for as_role in (role, OTHER_ENTERPRISE) if role == Role.ENTERPRISE.value else (role,):
                response = fuzzer.get(as_role, url)
                if response.status_code == 200 and response.mimetype == "text/html":
                    fuzzer.learn_from_page(url, response.get_data(as_text=True))
        yield fuzzer


def test_every_converter_has_a_strategy():
    app = make_test_app("sqlite://")
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if rule.endpoint in SKIPPED_ENDPOINTS:
                assert type(converter) in SKIPPED_CONVERTERS
                continue
            assert strategy_for(converter) is not None, f"{rule.rule}: teach tests/fuzz/strategies.py <{name}>"


def test_the_pages_taught_the_fuzzer(fuzz):
    """Form discovery works: the forms of the pages, the autosave's JSON, a GET form's query names."""
    assert {"email", "password"} <= set(fuzz.specs["auth.login", "POST"].fields)
    assert fuzz.specs["scoring.autosave", "POST"].reads_json
    assert "version" in fuzz.specs["scoring.autosave", "POST"].fields
    assert fuzz.specs["audit.trail", "GET"].query_names
    unseen = sorted(key for key, spec in fuzz.specs.items() if key[1] == "POST" and not spec.fields)
    assert len(unseen) < len(ROUTES_FUZZED) // 2, unseen


def test_the_fingerprint_sees_a_write_and_its_undoing(fuzz):
    with fuzz._rolled_back():
        fuzz.connection.execute(insert(Organization).values(credit_code=fresh_credit_code(), name="泄漏测试"))
        assert fuzz.fingerprint() != fuzz.baseline
    assert fuzz.fingerprint() == fuzz.baseline


@pytest.mark.parametrize(("endpoint", "method"), ROUTES_FUZZED, ids=[f"{m} {e}" for e, m in ROUTES_FUZZED])
@FUZZ_SETTINGS
@given(data=st.data())
def test_hostile_request_is_refused_not_a_server_error(fuzz, endpoint, method, data):
    request = data.draw(fuzz.requests(endpoint, method), label="request")
    for role in FUZZ_ROLES:
        outcome = fuzz.send(role, request)
        # The request is described only for a failure's message: describing each of the thousands sent
        # (folding a 100,000-character value) cost more than a per cent of the fuzz's time.
        assert outcome.error is None, f"{role}: {request.describe()} raised {outcome.error}"
        assert outcome.status < 500, f"{role}: {request.describe()} answered {outcome.status}"
        assert not outcome.leaked, f"{role}: {request.describe()} answered {outcome.status} but changed the database"
        assert outcome.seconds < SLOW_CPU_SECONDS, f"{role}: {request.describe()} took {outcome.seconds:.1f} s of CPU"
