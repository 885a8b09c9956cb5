"""Login throttling without lock-outs: a growing wait per (account, address), a cap per address."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from award.auth.models import Role
from award.auth.throttle import Policy
from tests.conftest import PASSWORD

THROTTLE = {
    "LOGIN_FREE_FAILURES": 3,
    "LOGIN_DELAY_SECONDS": 30,
    "LOGIN_DELAY_MAX_SECONDS": 120,
    "LOGIN_FAILURES_PER_ADDRESS": "8 per 15 minutes",
}


@pytest.fixture
def app_config() -> dict:
    return dict(THROTTLE)


def attempt(client, email, password="wrong-password", address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def wait_in_seconds(response) -> int:
    """The wait the refusal names (the test app speaks English)."""
    assert response.status_code == 429
    number, unit = re.search(r"Please try again in (\d+) (second|minute)", response.get_data(as_text=True)).groups()
    return int(number) * (60 if unit == "minute" else 1)


def let_time_pass(app, seconds: int) -> None:
    app.config["CLOCK_OFFSET"] = app.config.get("CLOCK_OFFSET", dt.timedelta()) + dt.timedelta(seconds=seconds)


def test_a_strangers_failures_do_not_lock_the_owner_out(client, make_user, app_config):
    owner = make_user(Role.OFFICE)
    statuses = [attempt(client, owner.email, address="10.6.6.6").status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]
    # From the stranger's address even the right password waits: guessing stays slow.
    assert attempt(client, owner.email, PASSWORD, address="10.6.6.6").status_code == 429
    # The owner, from their own address, signs in at once.
    assert attempt(client, owner.email, PASSWORD, address="10.0.0.2").status_code == 302


def test_the_wait_grows_with_each_further_failure_up_to_the_cap(app, client, make_user, app_config):
    user = make_user(Role.EXPERT)
    for _ in range(3):
        assert attempt(client, user.email).status_code == 401
    waits = []
    for _ in range(4):
        waits.append(wait_in_seconds(attempt(client, user.email)))
        let_time_pass(app, waits[-1])
        assert attempt(client, user.email).status_code == 401  # the wait is over: one more try
    assert waits == [30, 60, 120, 120]


def test_the_wait_ends(app, client, make_user, app_config):
    user = make_user(Role.EXPERT)
    for _ in range(3):
        attempt(client, user.email)
    assert attempt(client, user.email, PASSWORD).status_code == 429
    let_time_pass(app, 30)
    assert attempt(client, user.email, PASSWORD).status_code == 302


def test_a_successful_sign_in_forgets_the_failures(client, make_user, app_config):
    user = make_user(Role.EXPERT)
    for _ in range(2):
        assert attempt(client, user.email).status_code == 401
    assert attempt(client, user.email, PASSWORD).status_code == 302
    client.post("/logout")
    assert [attempt(client, user.email).status_code for _ in range(3)] == [401, 401, 401]


def test_unknown_accounts_are_throttled_the_same_way(client, make_user, app_config):
    known = make_user(Role.EXPERT)
    unknown = [attempt(client, "nobody@example.cn").status_code for _ in range(5)]
    assert unknown == [attempt(client, known.email).status_code for _ in range(5)] == [401, 401, 401, 429, 429]


def test_an_address_is_capped_across_accounts(client, make_user, app_config):
    user = make_user(Role.EXPERT)
    statuses = [attempt(client, f"user{n}@example.cn", address="10.9.9.9").status_code for n in range(8)]
    assert statuses == [401] * 8
    assert attempt(client, "user99@example.cn", address="10.9.9.9").status_code == 429
    assert attempt(client, user.email, PASSWORD, address="10.9.9.9").status_code == 429
    assert attempt(client, "user99@example.cn", address="10.9.9.10").status_code == 401
    assert attempt(client, user.email, PASSWORD, address="10.9.9.10").status_code == 302


def test_successful_sign_ins_do_not_count(client, make_user, app_config):
    user = make_user(Role.EXPERT)
    for _ in range(10):
        assert attempt(client, user.email, PASSWORD, address="10.0.0.3").status_code == 302
        client.post("/logout")


@pytest.mark.parametrize("app_config", [{**THROTTLE, "BABEL_DEFAULT_LOCALE": "zh_CN"}])
def test_the_refusal_is_chinese_by_default_and_keeps_the_email(client, make_user, app_config):
    user = make_user(Role.EXPERT)
    for _ in range(3):
        attempt(client, user.email)
    refused = attempt(client, user.email)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "登录失败次数过多，请在30秒钟后再试。" in page
    assert f'value="{user.email}"' in page and "wrong-password" not in page


def test_the_policy_doubles_and_stops_at_the_cap():
    policy = Policy.from_config({**THROTTLE, "LOGIN_FAILURES_MEMORY_SECONDS": 3600})
    assert [policy.delay_after(n) for n in range(1, 8)] == [0, 0, 30, 60, 120, 120, 120]
    assert policy.delay_after(10_000) == 120
    assert (policy.address_failures, policy.address_window_seconds) == (8, 900)


def test_workers_share_counts_through_redis(database_url, connection, app_config):
    """Two app instances (two gunicorn workers) see one count when Redis holds it."""
    import uuid

    import redis

    from award.app_db import get_database
    from tests.conftest import make_test_app

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex}"
    workers = []
    for _ in range(2):
        worker = make_test_app(database_url, REDIS_URL=url, RATELIMIT_KEY_PREFIX=prefix, **app_config)
        get_database(worker).bind_to(connection)
        workers.append(worker.test_client())
    try:
        statuses = [attempt(workers[n % 2], "shared@example.cn").status_code for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert wait_in_seconds(attempt(workers[1], "shared@example.cn")) == 30
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
