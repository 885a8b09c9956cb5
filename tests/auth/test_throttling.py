"""Login throttling after repeated failures, per account and per address, without user enumeration."""

from __future__ import annotations

import pytest

from award.auth.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.parametrize("app_config", [{
    "LOGIN_FAILURES_PER_ACCOUNT": "3 per 15 minutes",
    "LOGIN_FAILURES_PER_ADDRESS": "5 per 15 minutes",
}])


def fail(client, email, address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": "wrong-password"},
                       environ_base={"REMOTE_ADDR": address})


def test_account_is_throttled_after_repeated_failures(client, make_user, app_config):
    user = make_user(Role.EXPERT)
    assert [fail(client, user.email).status_code for _ in range(3)] == [401, 401, 401]
    # Even the right password is refused now, from this or another address.
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_unknown_account_is_throttled_the_same_way(client, app_config):
    statuses = [fail(client, "nobody@example.cn").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_address_is_throttled_across_accounts(client, make_user, app_config):
    statuses = [fail(client, f"user{n}@example.cn", address="10.9.9.9").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    other = fail(client, "user99@example.cn", address="10.9.9.10")
    assert other.status_code == 401


def test_successful_logins_do_not_count(client, make_user, app_config):
    user = make_user(Role.EXPERT)
    for _ in range(5):
        response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": "10.0.0.3"})
        assert response.status_code == 302
        client.post("/logout")


def test_workers_share_counts_through_redis(database_url, connection, app_config):
    """Two app instances (two gunicorn workers) see one count when Redis holds it."""
    import uuid

    import redis

    from award.db import get_database
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
    statuses = [fail(workers[n % 2], "shared@example.cn").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    redis.Redis.from_url(url).flushdb()
