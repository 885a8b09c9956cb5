"""The presentation order drawn by lot (陈述答辩 抽签), pure: seeded, replayable from its input alone.

The input is the sorted application ids; the order is Python's `random.Random(seed)` shuffle of that list,
the same on every machine and version (the Mersenne Twister and `shuffle` are stable by contract of
`random.seed(int)`). The input hash (SHA-256 of the canonical JSON) lets an observer check that a replay
shuffled the same list. The schedule then lays the order into time slots, room by room.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

SEED_LIMIT = 2**31 - 1
MAX_ROOMS = 10
MAX_MINUTES = 240


def lot_input(application_ids: Sequence[int]) -> dict[str, list[int]]:
    """The lot's input in its canonical form."""
    return {"applications": sorted(set(application_ids))}


def input_hash(instance: dict[str, list[int]]) -> str:
    return hashlib.sha256(json.dumps(instance, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def draw_order(instance: dict[str, list[int]], seed: int) -> list[int]:
    """The presentation order: the applications shuffled by the seed."""
    if not 0 <= seed <= SEED_LIMIT:
        raise ValueError("seed out of range")
    order = list(instance["applications"])
    random.Random(seed).shuffle(order)
    return order


@dataclass(frozen=True)
class Slot:
    application_id: int
    position: int  # 1-based, the drawn order
    starts_at: dt.datetime
    room: str


def schedule(order: Sequence[int], *, starts_at: dt.datetime, minutes: int, rooms: Sequence[str]) -> list[Slot]:
    """Lay the order into slots: the rooms in parallel, each taking the next applicant every `minutes`."""
    if not rooms or len(rooms) > MAX_ROOMS or not 1 <= minutes <= MAX_MINUTES:
        raise ValueError("rooms or minutes out of range")
    return [Slot(application_id=app_id, position=index + 1, room=rooms[index % len(rooms)],
                 starts_at=starts_at + dt.timedelta(minutes=minutes * (index // len(rooms))))
            for index, app_id in enumerate(order)]
