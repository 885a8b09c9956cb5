"""Many experts saving at once lose no update, and two tabs saving the same version are told.

Real HTTP against a threaded werkzeug server on 127.0.0.1, over a migrated database of the
suite's kind (SQLite file, or PostgreSQL with AWARD_TEST_DATABASE_URL), with an app that is not
bound to a test transaction: every request commits for real, as in production.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from award.app_db import get_database
from award.audit.models import AuditRecord
from award.db import create_db_engine
from award.rounds.models import Assignment
from award.scoring import services as scoring
from award.scoring.models import ItemScore, ScoreSheet, SheetStatus
from award.scoring.rules import ItemEntry
from award.scoring.services import Difference
from bench.scoring_app import Client, ScoringWorld, Seat, build_scoring_database, serve_in_thread, sheet_fields
from tests.conftest import make_test_app

EXPERTS = 10
ROUNDS = 8
TAB_RACES = 10
CONFLICT_MESSAGE = ("This sheet was saved elsewhere (another tab or device) after you opened it. "
                    "Nothing was overwritten; compare the differences below, then save again.")


@pytest.fixture(scope="module")
def world(new_database_url) -> ScoringWorld:
    return build_scoring_database(new_database_url(), experts=EXPERTS, locale="en")


@pytest.fixture(scope="module")
def server(world):
    app = make_test_app(world.url, WTF_CSRF_ENABLED=True)
    with serve_in_thread(app) as base_url:
        yield base_url
    get_database(app).engine.dispose()


@pytest.fixture
def database(world):
    """A session for checks; each check ends its transaction (SQLite: BEGIN IMMEDIATE takes the
    write lock, which the server's requests would otherwise wait for)."""
    engine = create_db_engine(world.url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def stored_fields(session: Session, sheet_id: int) -> dict[str, str]:
    """The sheet's items as the autosave fields that would have produced them."""
    fields = {}
    for item in session.scalars(select(ItemScore).where(ItemScore.sheet_id == sheet_id)):
        fields[f"percent-{item.item_id}"] = str(item.percent)
        fields[f"strength-{item.item_id}"] = item.strength
        fields[f"improvement-{item.item_id}"] = item.improvement
    return fields


def saves_audited(session: Session, sheet_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "review.sheet_saved", AuditRecord.target_type == "score_sheet",
        AuditRecord.target_id == str(sheet_id)))


def test_many_experts_saving_their_own_sheets_at_once_lose_no_update(world, server, database):
    seats = world.seats[:EXPERTS]
    start = threading.Barrier(len(seats), timeout=30)

    def expert(number: int, seat: Seat) -> tuple[list[int], dict[str, str], int]:
        client = Client(server)
        try:
            client.login(seat.email)
            page, version = client.sheet(seat.assignment_id)
            assert page.status == 200 and version >= 1
            statuses, last = [], {}
            start.wait()  # every expert saves in the same moment
            for round_number in range(ROUNDS):
                last = sheet_fields(world.item_ids, percent=5 * ((number + round_number) % 21),
                                    note=f"专家{number} 第{round_number}次")
                answer = client.autosave(seat.assignment_id, version=version, fields=last)
                statuses.append(answer.status)
                if answer.status == 200:
                    version = answer.json()["version"]
            return statuses, last, version
        finally:
            client.close()

    with ThreadPoolExecutor(len(seats)) as pool:
        results = list(pool.map(expert, range(len(seats)), seats))

    for seat, (statuses, last, version) in zip(seats, results, strict=True):
        assert statuses == [200] * ROUNDS, f"{seat.email}: {statuses}"
        sheet = database.get(ScoreSheet, seat.sheet_id)
        assert sheet.status is SheetStatus.DRAFT
        assert sheet.version == version == 1 + ROUNDS
        assert stored_fields(database, seat.sheet_id) == last  # exactly the last save, nobody else's
        assert saves_audited(database, seat.sheet_id) == ROUNDS
        database.rollback()


@pytest.mark.parametrize("channel", ["autosave", "save_button"])
def test_two_tabs_saving_the_same_version_one_wins_the_other_is_told(world, server, database, channel):
    seat = world.seats[EXPERTS - 1 if channel == "autosave" else EXPERTS - 2]
    first = Client(server)
    first.login(seat.email)
    second = Client(server)  # a second tab: the same browser session
    second.cookies = dict(first.cookies)
    tabs = (first, second)
    together = threading.Barrier(2, timeout=30)

    def save(tab_number: int, version: int) -> tuple[int, object]:
        tab = tabs[tab_number]
        fields = sheet_fields(world.item_ids, percent=40 + 10 * tab_number, note=f"标签页{tab_number}")
        together.wait()
        if channel == "autosave":
            answer = tab.autosave(seat.assignment_id, version=version, fields=fields)
            return answer.status, (answer.json(), fields)
        answer = tab.request("POST", f"/review/assignments/{seat.assignment_id}/sheet",
                             form={**fields, "version": str(version), "action": "save",
                                   "csrf_token": tab.csrf_token})
        return answer.status, (answer.text, fields)

    outcomes = Counter()
    try:
        for _race in range(TAB_RACES):
            versions = {tab.sheet(seat.assignment_id)[1] for tab in tabs}
            assert len(versions) == 1
            version = versions.pop()
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(save, (0, 1), (version, version)))
            won = 200 if channel == "autosave" else 302
            statuses = sorted(status for status, _ in answers)
            assert statuses == [won, 409], statuses
            (_, (_, winner_fields)), (_, (refusal, loser_fields)) = sorted(answers, key=lambda a: a[0] != won)
            if channel == "autosave":
                assert refusal["ok"] is False and refusal["message"] == CONFLICT_MESSAGE
                assert refusal["version"] == version + 1
                # The refusal says what differs from the winner's save: nothing silently lost.
                mine = {(d["item"], d["field"]): d["mine"] for d in refusal["differences"]}
                assert mine[(world.item_ids[0], "strength")] == loser_fields[f"strength-{world.item_ids[0]}"]
            else:
                assert CONFLICT_MESSAGE in refusal
            assert database.get(ScoreSheet, seat.sheet_id).version == version + 1
            assert stored_fields(database, seat.sheet_id) == winner_fields
            database.rollback()
            outcomes[winner_fields[f"strength-{world.item_ids[0]}"]] += 1
    finally:
        first.close()
        second.close()
    assert sum(outcomes.values()) == TAB_RACES


def test_a_save_racing_a_committed_save_of_the_same_version_is_refused_with_the_differences(world):
    """The lost race itself, step by step: both transactions hold version v, one commits first.

    Only PostgreSQL lets the second transaction read the sheet before the first commits; SQLite's
    BEGIN IMMEDIATE makes it wait, so it reads the new version and takes the ordinary refusal."""
    if not world.url.startswith("postgresql"):
        pytest.skip("SQLite serializes writers (BEGIN IMMEDIATE): two transactions never hold the same version")
    seat = world.seats[EXPERTS - 3]
    app = make_test_app(world.url)
    database = get_database(app)
    first_fields = sheet_fields(world.item_ids, percent=60, note="先保存")
    late_fields = sheet_fields(world.item_ids, percent=20, note="后保存")
    try:
        with app.app_context(), database.session_factory() as first, database.session_factory() as late:
            late_seat = late.get(Assignment, seat.assignment_id)
            late_sheet = scoring.sheet_of(late_seat)  # kept: the late transaction holds version v
            version, _items = late_sheet.version, list(late_sheet.items)
            first_seat = first.get(Assignment, seat.assignment_id)
            scoring.save_draft(first, actor=first_seat.expert, assignment=first_seat,
                               entries=entries_of(world, first_fields), expected_version=version)
            first.commit()
            with pytest.raises(scoring.VersionConflict) as refused:
                scoring.save_draft(late, actor=late_seat.expert, assignment=late_seat,
                                   entries=entries_of(world, late_fields), expected_version=version)
            assert refused.value.current_version == version + 1
            item = world.item_ids[0]
            assert Difference(item, "percent", 20, 60) in refused.value.differences
            # The request can still answer: the session is usable, only the save was undone.
            assert scoring.sheet_of(late_seat).version == version + 1
            late.rollback()
    finally:
        database.engine.dispose()
    engine = create_db_engine(world.url)
    with Session(engine) as session:
        assert stored_fields(session, seat.sheet_id) == first_fields
    engine.dispose()


def entries_of(world: ScoringWorld, fields: dict[str, str]) -> list[ItemEntry]:
    return [ItemEntry(item_id=item, band_id=None, percent=int(fields[f"percent-{item}"]),
                      strength=fields[f"strength-{item}"], improvement=fields[f"improvement-{item}"],
                      justification="") for item in world.item_ids]
