"""Login throttling without lock-outs: a growing wait per (account, address) and a cap per address.

An address may fail a few times for one account (`free_failures`); from then on every failure makes
that address wait before it tries that account again, twice as long each time up to `max_delay`.
The owner signing in from another address is not held up by a stranger's failures. An address that
fails too often across all accounts waits until its window ends. The counters live in
Flask-Limiter's storage (memory, or Redis shared by every worker); nothing sleeps in a request:
the caller refuses and says how long to wait.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import parse
from limits.storage import Storage

_MAX_DOUBLINGS = 30  # 2**30 times the base is beyond any sensible cap; keeps the arithmetic small


@dataclass(frozen=True)
class Policy:
    free_failures: int  # failures per (account, address) before waits begin
    delay_seconds: int  # the first wait; it doubles with each further failure
    max_delay_seconds: int
    memory_seconds: int  # how long the failures of an (account, address) pair are remembered
    address_failures: int  # failures per address, across accounts, within `address_window_seconds`
    address_window_seconds: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        cap = parse(config["LOGIN_FAILURES_PER_ADDRESS"])
        return cls(
            free_failures=max(1, int(config["LOGIN_FREE_FAILURES"])),
            delay_seconds=max(1, int(config["LOGIN_DELAY_SECONDS"])),
            max_delay_seconds=max(1, int(config["LOGIN_DELAY_MAX_SECONDS"])),
            memory_seconds=max(1, int(config["LOGIN_FAILURES_MEMORY_SECONDS"])),
            address_failures=cap.amount,
            address_window_seconds=cap.get_expiry(),
        )

    def delay_after(self, failures: int) -> int:
        """The wait after this many failures of one pair: none while free, then doubling up to the cap."""
        if failures < self.free_failures:
            return 0
        doublings = min(failures - self.free_failures, _MAX_DOUBLINGS)
        return min(self.max_delay_seconds, self.delay_seconds * 2 ** doublings)


class LoginThrottle:
    """The counters of one app. `now` (epoch seconds) is passed in, so tests can let time pass."""

    def __init__(self, storage: Storage, policy: Policy, *, prefix: str = "") -> None:
        self.storage = storage
        self.policy = policy
        self.prefix = f"{prefix}/award-login" if prefix else "award-login"

    def _pair(self, account: str, address: str) -> str:
        # Hashed: an e-mail address may be long or contain anything the storage dislikes in a key.
        return hashlib.sha256(f"{account}\n{address}".encode()).hexdigest()[:40]

    def _failures_key(self, account: str, address: str) -> str:
        return f"{self.prefix}/failures/{self._pair(account, address)}"

    def _until_key(self, account: str, address: str) -> str:
        return f"{self.prefix}/until/{self._pair(account, address)}"

    def _address_key(self, address: str) -> str:
        return f"{self.prefix}/address/{hashlib.sha256(address.encode()).hexdigest()[:40]}"

    def wait_seconds(self, *, account: str, address: str, now: float) -> int:
        """How long this address must wait before trying this account; 0 when it may try now."""
        wait = 0.0
        until_ms = self.storage.get(self._until_key(account, address))
        if until_ms:
            # Bounded by the cap even if two workers raced and the stored time came out too late.
            wait = min(until_ms / 1000 - now, self.policy.max_delay_seconds)
        address_key = self._address_key(address)
        if self.storage.get(address_key) >= self.policy.address_failures:
            wait = max(wait, self.storage.get_expiry(address_key) - time.time())
        return max(0, math.ceil(wait))

    def failed(self, *, account: str, address: str, now: float) -> int:
        """Count a failed sign-in; returns the wait it imposes on this pair (0 while still free)."""
        self.storage.incr(self._address_key(address), self.policy.address_window_seconds)
        failures = self.storage.incr(self._failures_key(account, address), self.policy.memory_seconds)
        delay = self.policy.delay_after(failures)
        if delay:
            until_key = self._until_key(account, address)
            # The value is the time the wait ends, in milliseconds (storages count whole numbers);
            # the key itself lives a little longer than the wait.
            self.storage.clear(until_key)
            self.storage.incr(until_key, delay + 1, amount=round((now + delay) * 1000))
        return delay

    def succeeded(self, *, account: str, address: str) -> None:
        """The right password from this address: its failures for this account are forgotten."""
        self.storage.clear(self._failures_key(account, address))
        self.storage.clear(self._until_key(account, address))
