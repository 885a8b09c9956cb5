"""`flask archive recount` (复核): the demo's archives recount clean offline, and a careful forger is found.

Each forgery changes one record and reseals the manifest, so `archive verify` still passes: only the
recount, which derives the draw, the conflicts, the ranking and the decision again, can tell.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy.pool

from award.approval.models import Choice
from award.approval.services import cast_ballot, close_vote, open_vote
from award.archive.builder import build_archive
from award.archive.recount import recount_archive
from award.archive.verify import verify_archive
from award.auth.models import Role
from award.cycles.models import Stage
from award.db import utcnow
from award.i18n import force_locale
from tests.approval.world import shortlisted_cycle
from tests.conftest import make_test_app
from tests.test_archive import _reseal
from tests.test_archive_demo import demo_archive  # noqa: F401  (the module's archives, built once)


@pytest.fixture
def cli(database_url, monkeypatch):
    """A CLI runner whose app can open no database connection at all."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the recount opened a database connection")

    monkeypatch.setattr(sqlalchemy.pool.Pool, "connect", refuse)
    app = make_test_app(database_url, BABEL_DEFAULT_LOCALE="en")
    return app.test_cli_runner()


def _recount(path) -> list[str]:
    with force_locale("en"):
        return recount_archive(path).differences


def _member(path, prefix: str) -> str:
    """The first archive member under prefix (ids depend on what the database held before)."""
    with zipfile.ZipFile(path) as archive:
        return sorted(name for name in archive.namelist() if name.startswith(prefix))[0]


def _json_change(change):
    def rewrite(data: bytes) -> bytes:
        value = json.loads(data)
        change(value)
        return json.dumps(value, ensure_ascii=False).encode()

    return rewrite


@pytest.mark.parametrize("archive", ["path", "review_path", "full_path"])
def test_an_untouched_demo_archive_recounts_clean(demo_archive, cli, archive):  # noqa: F811
    result = cli.invoke(args=["archive", "recount", str(demo_archive[archive])])
    assert result.exit_code == 0, result.output
    assert "The recount agrees with the archive" in result.output


def test_the_awarded_archive_recounts_its_ranking_and_decision(demo_archive):  # noqa: F811
    with force_locale("en"):
        recount = recount_archive(demo_archive["path"])
    assert recount.ok, recount.differences
    with zipfile.ZipFile(demo_archive["path"]) as archive:
        entries = json.loads(archive.read("ranking/snapshot-v1.json"))["entries"]
        awarded = sorted(a["application_id"] for a in json.loads(archive.read("awards/awards.json")))
    shortlist = [e["application_id"] for e in entries if e["in_shortlist"]]
    assert len(shortlist) == 2 and sorted(shortlist) == awarded
    assert "ranking version 1 recounted: 3 applications" in recount.checked
    assert f"shortlist {shortlist}, awards {awarded}" in recount.checked


def test_a_consistently_altered_sheet_changes_the_recounted_result(demo_archive, cli):  # noqa: F811
    path = demo_archive["path"]

    def lower(data: bytes) -> bytes:
        lines = data.decode().splitlines()
        sheet = json.loads(lines[0])
        for item in sheet["items"]:
            item["points"] = "0.00"
        sheet["total"] = "0.00"
        lines[0] = json.dumps(sheet, ensure_ascii=False, sort_keys=True)
        return ("\n".join(lines) + "\n").encode()

    forged = _reseal(path, "sheets/sheets.jsonl", lower, "sheet.zip")
    assert verify_archive(forged).ok
    result = cli.invoke(args=["archive", "recount", str(forged)])
    assert result.exit_code == 1, result.output
    assert "total is" in result.output and "in the published ranking" in result.output, result.output


def test_a_panel_member_swapped_for_a_conflicted_expert_is_found(demo_archive):  # noqa: F811
    path = demo_archive["path"]
    with force_locale("en"):
        conflicts = recount_archive(path)
    assert conflicts.ok
    with zipfile.ZipFile(path) as archive:
        pair = json.loads(archive.read("conflicts/conflicts.json"))[0]
    application, expert = pair["application_id"], pair["expert_id"]

    def swap(seats):
        seat = next(s for s in seats if s["application_id"] == application and s["status"] == "active")
        seat["expert_id"] = expert

    forged = _reseal(path, "assignment/panels.json", _json_change(swap), "panel.zip")
    assert verify_archive(forged).ok
    differences = _recount(forged)
    assert any(f"expert {expert} sits on the panel although in conflict of interest" in d for d in differences), \
        differences


def test_a_changed_draw_seed_is_found(demo_archive):  # noqa: F811
    path = demo_archive["review_path"]
    name = _member(path, "assignment/draws/")
    number = name.rsplit("-", 1)[1].removesuffix(".json")

    def reseed(draw):
        draw["seed"] += 1
        draw["instance"]["seed"] += 1

    forged = _reseal(path, name, _json_change(reseed), "seed.zip")
    assert verify_archive(forged).ok
    differences = _recount(forged)
    assert any(f"Draw {number}: its seed, input or panels differ from its record in the audit trail" in d
               for d in differences), differences


def test_a_draw_whose_seed_is_not_its_input_seed_is_found(demo_archive):  # noqa: F811
    # The demo draws with a pairing cap of 1, where every seed gives the same panels: the audit record and
    # the draw's own input are what give a changed seed away.
    path = demo_archive["review_path"]
    name = _member(path, "assignment/draws/")
    number = name.rsplit("-", 1)[1].removesuffix(".json")

    def reseed(draw):
        draw["seed"] += 1

    forged = _reseal(path, name, _json_change(reseed), "seed.zip")
    differences = _recount(forged)
    assert any(f"Draw {number}: its seed 20250602 differs from the seed 20250601 in its input" in d
               for d in differences), differences


def test_a_recount_of_an_unreadable_file_says_so(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    assert _recount(bad)[0].startswith("Not a readable ZIP file")


def test_a_closed_vote_recounts_clean_and_a_forged_ballot_is_found(db, make_user, make_organization, make_cycle,
                                                                   tmp_path):
    leaders = [make_user(Role.LEADER) for _ in range(3)]
    world = shortlisted_cycle(db, make_user=make_user, make_organization=make_organization, make_cycle=make_cycle)
    now = utcnow()
    vote = open_vote(db, actor=world.office, cycle=world.cycle, closes_at=now + dt.timedelta(days=1), now=now)
    first = world.applications[0].id
    for leader, choice in zip(leaders, [Choice.APPROVE, Choice.APPROVE, Choice.REJECT], strict=True):
        cast_ballot(db, actor=leader, vote=vote, application_id=first, choice=choice, comment="", now=now)
    close_vote(db, actor=world.office, vote=vote, now=now + dt.timedelta(days=2))
    world.cycle.stage = Stage.CLOSED
    db.flush()
    summary = build_archive(db, actor=world.office, cycle=world.cycle, target=tmp_path / "vote.zip",
                            font_lookup=lambda: [])
    with force_locale("en"):
        recount = recount_archive(summary.path)
    assert recount.ok, recount.differences
    assert "3 ballots counted again" in recount.checked

    def reject(ballots):
        next(b for b in ballots if b["choice"] == "approve")["choice"] = "reject"

    forged = _reseal(summary.path, "vote/ballots.json", _json_change(reject), "ballot.zip")
    assert verify_archive(forged).ok
    assert _recount(forged) == [f"Application {first}: the vote's outcome is recorded as passed, the ballots give "
                                "not passed."]


def test_a_record_without_a_field_it_must_hold_is_a_difference_not_a_crash(demo_archive):  # noqa: F811
    def strip(seats):
        del seats[0]["status"]

    forged = _reseal(demo_archive["path"], "assignment/panels.json", _json_change(strip), "field.zip")
    differences = _recount(forged)
    assert differences == ["The archive's records cannot be read: 'status' (KeyError)"], differences


def test_a_soft_signal_is_recounted_and_never_refuses_a_seat(demo_archive):  # noqa: F811
    """The same phone on both sides is 需关注: listed as soft, it may sit on a panel; unlisted, it is found."""
    path = demo_archive["path"]
    with zipfile.ZipFile(path) as archive:
        seat = next(s for s in json.loads(archive.read("assignment/panels.json")) if s["status"] == "active")
    application, expert, phone = seat["application_id"], seat["expert_id"], "051268610000"

    def expert_phone(experts):
        next(e for e in experts if e["user_id"] == expert)["phone"] = phone

    def applicant_phone(applicants):
        next(a for a in applicants if a["application_id"] == application)["phones"] = [phone]

    def listed(conflicts):
        conflicts.append({"application_id": application, "expert_id": expert,
                          "conflicts": [{"type": "business", "severity": "soft", "source": "detected",
                                         "party_credit_code": "", "reason": "", "evidence": []}]})

    unlisted = _reseal(path, "conflicts/experts.json", _json_change(expert_phone), "phone-1.zip")
    unlisted = _reseal(unlisted, "conflicts/applicants.json", _json_change(applicant_phone), "phone-2.zip")
    differences = _recount(unlisted)
    assert len(differences) == 1, differences  # found, and no seat refused for it
    assert differences[0].startswith(f"Application {application}, expert {expert}: the recount finds a conflict")
    assert "51268610000" in differences[0], differences  # the phone's digits, without the trunk 0

    acknowledged = _reseal(unlisted, "conflicts/conflicts.json", _json_change(listed), "phone-3.zip")
    assert verify_archive(acknowledged).ok
    assert _recount(acknowledged) == []  # a soft pair on a panel is the office's acknowledged choice


def test_a_consensus_the_team_leader_finalized_recounts_clean_and_its_forged_removal_is_found(
        db, make_user, make_organization, make_cycle, tmp_path):
    from award.ranking.services import freeze_shortlist
    from award.rounds.models import CountedRecord
    from award.scoring.models import ConsensusFinalization
    from tests.ranking.conftest import ReviewWorld

    cycle = make_cycle(stage=Stage.DELIBERATION)
    world = ReviewWorld(db, make_user, make_organization, cycle)
    review_round = world.round(method="mean", counts=CountedRecord.CONSENSUS)
    application = world.application(name="甲精密制造有限公司")
    world.panel(review_round, application, [60] * 5)
    rows = world.consensus_sheet(review_round, application, 70, confirmed=False)
    db.add(ConsensusFinalization(round_id=review_round.id, application_id=application.id,
                                 finalized_by_id=rows[0].proposed_by_id, open_disagreements=1, note="维持"))
    db.commit()
    office = make_user(Role.OFFICE)
    freeze_shortlist(db, actor=office, cycle=cycle)
    cycle.stage = Stage.AWARDED
    db.commit()
    db.expire_all()  # the figures as the database holds them (600.00), not as the factory typed them (600)
    summary = build_archive(db, actor=office, cycle=cycle, target=tmp_path / "final.zip", font_lookup=lambda: [])
    assert _recount(summary.path) == []

    def unfinalize(consensus):
        consensus["finalizations"] = []

    forged = _reseal(summary.path, "sheets/consensus.json", _json_change(unfinalize), "unfinal.zip")
    assert verify_archive(forged).ok
    assert any("consensus" in d.lower() or "total" in d.lower() or "rank" in d.lower() for d in _recount(forged)), \
        _recount(forged)


def test_a_three_round_cycle_recounts_by_the_procedures_weights_and_a_forged_presentation_is_found(
        db, make_user, make_organization, make_cycle, tmp_path):
    from award.ranking.services import freeze_shortlist
    from tests.ranking.test_procedure_weights import three_round_cycle

    three = three_round_cycle(db, make_user, make_organization, make_cycle)
    db.commit()
    freeze_shortlist(db, actor=three.office, cycle=three.cycle)
    three.cycle.stage = Stage.AWARDED
    db.commit()
    db.expire_all()
    summary = build_archive(db, actor=three.office, cycle=three.cycle, target=tmp_path / "three.zip",
                            font_lookup=lambda: [])
    with force_locale("en"):
        recount = recount_archive(summary.path)
    assert recount.ok, recount.differences
    assert "ranking version 1 recounted: 3 applications" in recount.checked
    second = three.applications["乙"].id
    def raise_presentation(sheets: bytes) -> bytes:  # 乙's presentation sheets at 100 %: 680 -> 780, first
        lines = [json.loads(line) for line in sheets.decode().splitlines() if line.strip()]
        for sheet in lines:
            if sheet["round_id"] == three.presentation.id and sheet["application_id"] == second:
                for item in sheet["items"]:
                    item["points"] = item["points"] and str(Decimal(str(item["points"])) * 2)
        return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode() + b"\n"

    forged = _reseal(summary.path, "sheets/sheets.jsonl", raise_presentation, "forged.zip")
    assert verify_archive(forged).ok
    # 0.5 x 800 + 0.2 x 1000 + 0.3 x 600: the presentation counts, brought to 1000 points, and 乙 moves up
    assert any(d.endswith("total is 680.00 in the published ranking, 780.00 recounted.") for d in _recount(forged)), \
        _recount(forged)

    def reweigh(settings):
        settings["procedure"]["weights"]["presentation"] = "0.1"
        settings["procedure"]["weights"]["document_review"] = "0.6"

    reweighed = _reseal(summary.path, "cycle/settings.json", _json_change(reweigh), "reweighed.zip")
    assert any("weights" in d for d in _recount(reweighed)), _recount(reweighed)
