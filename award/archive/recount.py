"""Independent recount (复核) of a cycle archive, from the ZIP alone, without the database.

From the archived records only, with the same pure functions the app uses:

1. every draw is replayed from its stored input and seed (`assignment.instance.replay_instance`) and
   compared with its stored result, its audit record (`review.panels_drawn`) and the seats it made;
2. the conflicts of interest are detected again (`conflicts.rules.conflict_matrix`) from the archived
   pool, declared relations, group links, windows and review date, plus the pinned conflicts, and
   compared with the archived list; every active panel member is checked against them, and no panel
   may hold two experts of one organization;
3. the latest frozen ranking is recounted from the archived sheets (and the agreed consensus where a
   round counts it) and the frozen rubric (`ranking.aggregate`, `ranking.standings`) and compared
   with the published snapshot, entry by entry;
4. the decision follows from it: the vote's candidates are the shortlist, each outcome is counted
   again from the ballots (`approval.rules.decide`), the public notice lists the candidates that
   passed the vote, and the awards go to the candidates the notice kept.

The dishonesty-list hits are taken as the snapshot recorded them (the list is outside the cycle).
Every difference is a sentence in the reader's language; `Recount.ok` is True when there is none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from award.approval.rules import Tally, VoteRule, decide
from award.assignment.instance import InvalidInstance, draw_outcome, replay_instance
from award.conflicts.rules import (
    ApplicantFacts,
    CoiSettings,
    ExpertProfile,
    GroupIndex,
    Relation,
    conflict_matrix,
)
from award.cycles import procedure as procedures
from award.cycles.settings import AwardLevels
from award.i18n import _, _l
from award.ranking.aggregate import ConsensusSheets, RoundAggregate, ScoreRows, aggregate_round
from award.ranking.levels import assign_levels
from award.ranking.models import CombineMode
from award.ranking.standings import (
    STATUS_SOCIAL_VETO,
    ApplicationInfo,
    EffectiveSettings,
    RoundWeights,
    disagreement_rule,
    exclusions_from,
    layout_of,
    rank_rounds,
    snapshot_rows,
)
from award.rubrics import Rubric, RubricError, content_hash, parse_rubric

Pair = tuple[int, int]  # (application id, expert user id)
# Fields of a snapshot entry compared one by one (exclusion reasons are text in the language of the day).
_ENTRY_FIELDS = {
    "position": _l("place in the list"), "rank": _l("rank"), "status": _l("status"), "total": _l("total"),
    "in_shortlist": _l("shortlisted"), "reason": _l("reason"), "decided_by": _l("tie decided by"),
    "sheet_count": _l("valid sheets"), "sector": _l("sector"), "method_totals": _l("total by method"),
    "categories": _l("category"), "items": _l("item"), "mean_z": _l("mean z-score"),
    "counted": _l("record counted"), "independent": _l("independent sheets"), "robustness": _l("robustness"),
    "flipped_by": _l("experts whose removal flips it"), "flags": _l("flags"), "level": _l("award level"),
}


@dataclass
class Recount:
    """What the recount found: differences (each a sentence) and what it checked."""

    differences: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def differ(self, text: str) -> None:
        self.differences.append(text)


class _Files:
    """The archive's records, read as JSON; a missing member is None."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = set(archive.namelist())

    def json(self, name: str) -> Any:
        if name not in self.names:
            return None
        return json.loads(self.archive.read(name))

    def lines(self, name: str) -> Iterator[Any]:
        if name not in self.names:
            return
        with self.archive.open(name) as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def numbered(self, pattern: str) -> list[tuple[int, str]]:
        """(number, member) of the members matching a pattern with one number group, by number."""
        found = [(int(m.group(1)), name) for name in self.names if (m := re.fullmatch(pattern, name))]
        return sorted(found)


def recount_archive(path: Path) -> Recount:
    """Recount a cycle archive: draws, conflicts and panels, ranking, decision (see the module docstring)."""
    recount = Recount()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        recount.differ(_("Not a readable ZIP file: %(error)s", error=str(error)))
        return recount
    with archive:
        files = _Files(archive)
        settings = files.json("cycle/settings.json")
        if settings is None:
            recount.differ(_("The archive holds no cycle settings (cycle/settings.json)."))
            return recount
        try:
            _recount(files, settings, recount)
        except (KeyError, ValueError, TypeError, AttributeError) as error:  # a record without a field it must hold
            recount.differ(_("The archive's records cannot be read: %(error)s (%(kind)s)", error=str(error),
                             kind=type(error).__name__))
    return recount


def _recount(files: _Files, settings: dict[str, Any], recount: Recount) -> None:
    audit = list(files.lines("audit/cycle-records.jsonl"))
    seats = files.json("assignment/panels.json") or []
    _recount_draws(files, audit, seats, recount)
    conflicts = _recount_conflicts(files, settings, recount)
    suspects = _recheck_panels(files, seats, conflicts, recount)
    shortlist = _recount_ranking(files, settings, seats, conflicts, suspects, recount)
    for text in suspects.values():
        recount.differ(text)
    if shortlist is not None:
        _compare_decision(files, shortlist, recount)


# --------------------------------------------------------------------------- draws


def _pairs(pairs: Any) -> str:
    return ", ".join(f"{a}/{e}" for a, e in pairs) or "-"


def _recount_draws(files: _Files, audit: list[dict[str, Any]], seats: list[dict[str, Any]], recount: Recount) -> None:
    drawn = {str(row["target_id"]): row["after"] or {} for row in audit if row.get("action") == "review.panels_drawn"}
    latest: dict[int, int] = {}
    draws = files.numbered(r"assignment/draws/draw-([0-9]+)\.json")
    for _number, name in draws:
        draw = files.json(name)
        draw_id, instance = draw["id"], draw.get("instance") or {}
        latest[draw["round_id"]] = max(latest.get(draw["round_id"], 0), draw_id)
        if draw.get("seed") != instance.get("seed"):
            recount.differ(_("Draw %(draw)s: its seed %(seed)s differs from the seed %(input)s in its input.",
                             draw=draw_id, seed=draw.get("seed"), input=instance.get("seed")))
        try:
            digest, replayed = replay_instance(instance, draw.get("result") or {})
        except InvalidInstance as error:
            recount.differ(_("Draw %(draw)s: its input cannot be read: %(error)s", draw=draw_id, error=str(error)))
            continue
        stored = draw_outcome(draw.get("result") or {})
        if digest != draw.get("input_hash"):
            recount.differ(_("Draw %(draw)s: its input no longer has the hash it was drawn with.", draw=draw_id))
        if replayed != stored:
            kept, drawn_again = ({tuple(p) for p in o["assignments"]} for o in (stored, replayed))
            only_stored, only_replay = sorted(kept - drawn_again), sorted(drawn_again - kept)
            recount.differ(_("Draw %(draw)s: replayed from its seed and input it gives other panels (only in the "
                             "archive: %(stored)s; only in the replay: %(replayed)s; application/expert).",
                             draw=draw_id, stored=_pairs(only_stored), replayed=_pairs(only_replay)))
        record = drawn.get(str(draw_id))
        if record is None:
            recount.differ(_("Draw %(draw)s: the audit trail holds no record of it.", draw=draw_id))
        elif (record.get("seed") != draw.get("seed") or record.get("input_hash") != draw.get("input_hash")
              or {key: record.get(key) for key in stored} != stored):
            recount.differ(_("Draw %(draw)s: its seed, input or panels differ from its record in the audit trail.",
                             draw=draw_id))
    for round_id, draw_id in sorted(latest.items()):
        draw = files.json(f"assignment/draws/draw-{draw_id}.json")
        made = sorted([s["application_id"], s["expert_id"]] for s in seats if s.get("draw_id") == draw_id)
        if made != draw_outcome(draw.get("result") or {})["assignments"]:
            recount.differ(_("Round %(round)s: the seats of draw %(draw)s are not the panels it drew.",
                             round=round_id, draw=draw_id))
    recount.checked.append(_("%(count)s draws replayed", count=len(draws)))


# --------------------------------------------------------------------------- conflicts and panels


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _recount_conflicts(files: _Files, settings: dict[str, Any], recount: Recount) -> dict[Pair, list[str]]:
    """Every conflicted (application, expert) pair with its reasons: detected again, and pinned."""
    experts = []
    for row in files.json("conflicts/experts.json") or []:
        try:
            relations = tuple(Relation(kind=r["kind"], party_code=r["party_code"], start=_day(r["starts_on"]),
                                       end=_day(r["ends_on"]), note=r.get("note") or "") for r in row["relations"])
        except ValueError as error:
            recount.differ(_("Expert %(expert)s: a declared relation cannot be read: %(error)s",
                             expert=row["user_id"], error=str(error)))
            relations = ()
        domain = row.get("email_domain")
        experts.append(ExpertProfile(expert_id=row["user_id"], organization_code=row["organization_code"],
                                     email=f"expert@{domain}" if domain else None, relations=relations,
                                     phone=row.get("phone"), address=row.get("address")))
    # An archive made before applicants.json existed: the credit codes of the index, without e-mail domains
    # (a domain only ever supports a conflict found by credit code).
    facts = files.json("conflicts/applicants.json") or [
        {"application_id": row["id"], "credit_code": row["credit_code"], "email_domains": []}
        for row in files.json("applications/index.json") or []]
    applicants = [ApplicantFacts(application_id=row["application_id"], credit_code=row["credit_code"],
                                 email_domains=frozenset(row["email_domains"]),
                                 addresses=frozenset(row.get("addresses") or ()),
                                 phones=frozenset(row.get("phones") or ())) for row in facts]
    links = files.json("conflicts/group-links.json") or []
    matrix = conflict_matrix(
        experts, applicants, settings=CoiSettings(**settings["conflict_windows"]),
        groups=GroupIndex.from_links((link["parent_code"], link["child_code"]) for link in links),
        reference_date=dt.date.fromisoformat(settings["conflict_reference_date"]))
    # A pair is hard when one of its conflicts is; soft (需关注) when all are. Only hard pairs may not sit on
    # a panel; soft ones are compared too, so a signal the archive lost or gained is a difference.
    found: dict[Pair, list[str]] = defaultdict(list)
    soft: dict[Pair, list[str]] = defaultdict(list)
    for (application_id, expert_id), conflicts in matrix.items():
        for conflict in conflicts:  # our ids
            (found if conflict.is_hard else soft)[(cast(int, application_id), cast(int, expert_id))].append(
                conflict.reason)
    for pinned in files.json("conflicts/pinned.json") or []:
        found[(pinned["application_id"], pinned["expert_id"])].append(pinned["reason"])
    soft = defaultdict(list, {pair: reasons for pair, reasons in soft.items() if pair not in found})
    archived: dict[str, set[Pair]] = {"hard": set(), "soft": set()}
    for row in files.json("conflicts/conflicts.json") or []:
        severities = {conflict.get("severity", "hard") for conflict in row.get("conflicts") or [{}]}
        archived["hard" if "hard" in severities else "soft"].add((row["application_id"], row["expert_id"]))
    for detected, listed in ((found, archived["hard"]), (soft, archived["soft"])):
        for application_id, expert_id in sorted(listed - detected.keys()):
            recount.differ(_("Application %(application)s, expert %(expert)s: the archive lists a conflict of "
                             "interest that the recount does not find.", application=application_id,
                             expert=expert_id))
        for application_id, expert_id in sorted(detected.keys() - listed):
            recount.differ(_("Application %(application)s, expert %(expert)s: the recount finds a conflict of "
                             "interest that the archive does not list: %(reason)s", application=application_id,
                             expert=expert_id, reason=" ".join(detected[(application_id, expert_id)])))
    recount.checked.append(_("%(count)s conflicts of interest detected again", count=len(found)))
    return dict(found)


def _recheck_panels(files: _Files, seats: list[dict[str, Any]], conflicts: dict[Pair, list[str]],
                    recount: Recount) -> dict[tuple[int, int, int], str]:
    """Every active seat against the conflicts and the organization rule. A conflicted seat is returned
    (round, application, expert) -> sentence, for the ranking to keep when the published ranking did not
    leave its sheet out; an organization twice on a panel is a difference at once."""
    organizations = {row["user_id"]: (row["organization_code"] or "").strip().upper() or f"expert-{row['user_id']}"
                     for row in files.json("conflicts/experts.json") or []}
    suspects: dict[tuple[int, int, int], str] = {}
    panels: dict[tuple[int, int], list[int]] = defaultdict(list)
    for seat in seats:
        if seat["status"] != "active":
            continue
        key = (seat["round_id"], seat["application_id"], seat["expert_id"])
        panels[key[:2]].append(seat["expert_id"])
        reasons = conflicts.get(key[1:])
        if reasons:
            suspects[key] = _("Round %(round)s, application %(application)s: expert %(expert)s sits on the panel "
                              "although in conflict of interest: %(reason)s", round=key[0], application=key[1],
                              expert=key[2], reason=" ".join(reasons))
    for (round_id, application_id), members in sorted(panels.items()):
        codes = [organizations.get(expert, f"expert-{expert}") for expert in members]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            recount.differ(_("Round %(round)s, application %(application)s: two experts of organization %(code)s "
                             "sit on one panel.", round=round_id, application=application_id, code=code))
    recount.checked.append(_("%(count)s panels checked", count=len(panels)))
    return suspects


# --------------------------------------------------------------------------- ranking


def _moment(text: str) -> dt.datetime:
    """An archived time; one stored without a zone is UTC (as the app stores every time)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _status_at(application: dict[str, Any], moment: str) -> str:
    """The application's status at a moment, from its status history; its status now without one."""
    when = _moment(moment)
    status = None
    for event in application.get("status_history") or []:
        if event.get("occurred_at") and _moment(event["occurred_at"]) <= when:
            status = event["to_status"]
    return status or application["status"]


def _money(value: Any) -> str:
    """A figure or a record as printed in a difference: "-" for nothing, JSON for a structure."""
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _recount_ranking(files: _Files, settings: dict[str, Any], seats: list[dict[str, Any]],
                     conflicts: dict[Pair, list[str]], suspects: dict[tuple[int, int, int], str],
                     recount: Recount) -> list[int] | None:
    """Recount the latest frozen ranking and compare it; the recounted shortlist, or None without one."""
    versions = files.numbered(r"ranking/snapshot-v([0-9]+)\.json")
    if not versions:
        recount.checked.append(_("no frozen ranking in the archive"))
        return None
    snapshot = files.json(versions[-1][1])
    rubric = _frozen_rubric(files, settings, snapshot, recount)
    if rubric is None:
        return None
    layout = layout_of(rubric)
    rounds = {r["kind"]: r for r in files.json("assignment/rounds.json") or []}
    ranking = settings.get("ranking") or {}
    frozen = snapshot["settings"]
    levels = AwardLevels.from_list(frozen.get("levels"))  # the award levels the shortlist was divided by
    effective = EffectiveSettings(
        cutoff=float(levels.lowest_cutoff if levels else settings["cutoff_score"]),
        quota=levels.total_quota if levels else int(settings["awards_count"]),
        combine_mode=CombineMode(ranking.get("combine_mode") or snapshot.get("combine_mode") or "replace"),
        onsite_weight=float(ranking.get("onsite_weight") or snapshot.get("onsite_weight") or 0.5),
        sector_limits=dict(ranking.get("sector_limits") or frozen.get("sector_limits") or {}),
        min_sheets_for_leniency=int(ranking.get("min_sheets_for_leniency") or frozen.get("min_sheets_for_leniency")
                                    or 5),
        tie_break=tuple(rubric.tie_break))
    for label, published, recounted in (
            (_l("cut-off score"), snapshot["cutoff_score"], settings["cutoff_score"]),
            (_l("number of awards"), snapshot["awards_count"], settings["awards_count"]),
            (_l("tie-break"), frozen.get("tie_break"), list(effective.tie_break)),
            (_l("sector limits"), frozen.get("sector_limits") or {}, effective.sector_limits)):
        if published != recounted:
            recount.differ(_("The ranking's %(setting)s is %(published)s in the snapshot but %(recounted)s in the "
                             "cycle's settings.", setting=str(label), published=published, recounted=recounted))
    entries = {e["application_id"]: e for e in snapshot["entries"]}
    applications = {}
    for row in files.json("applications/index.json") or []:
        record = files.json(f"applications/{row['id']}/application.json") or {}
        if _status_at(record | {"status": row["status"]}, snapshot["frozen_at"]) != "eligible":
            continue
        name = record.get("org_name") or entries.get(row["id"], {}).get("organization_name") or row["organization"]
        applications[row["id"]] = ApplicationInfo(id=row["id"], name=name, sector=record.get("sector") or "",
                                                  district=record.get("district") or "", credit_code=row["credit_code"])
    blacklist = {app: list(e["flags"]["blacklist"]) for app, e in entries.items() if e["flags"].get("blacklist")}
    vetoed = {app: (e["flags"] or {}).get("social_veto") or "" for app, e in entries.items()  # the social evaluation's
              if e["status"] == STATUS_SOCIAL_VETO}
    sheets = list(files.lines("sheets/sheets.jsonl"))
    consensus = files.json("sheets/consensus.json") or {"scores": [], "confirmations": []}
    weights, forms = _procedure_weights(files, settings, rubric, rounds, recount)
    if weights is not None and frozen.get("weights") != weights.as_dict():
        recount.differ(_("The ranking's weights are %(published)s in the snapshot but %(recounted)s in the cycle's "
                         "procedure.", published=frozen.get("weights"), recounted=weights.as_dict()))
    aggregates: dict[str, RoundAggregate | None] = {"document": None, "onsite": None, "presentation": None}
    for kind in ("document", "onsite", "presentation"):
        review_round = rounds.get(kind)
        if review_round is None or (kind != "document" and review_round["status"] == "setup"):
            continue
        if kind != "document" and aggregates["document"] is None:
            continue
        if kind == "presentation" and (weights is None or kind not in forms):
            continue
        members = sorted({s["application_id"] for s in seats if s["round_id"] == review_round["id"]}
                         & applications.keys())
        aggregates[kind] = _aggregate(review_round, layout_of(forms[kind]) if kind in forms else layout, effective,
                                      sheets, consensus, seats, conflicts,
                                      list(applications) if kind == "document" else members, set(applications))
    ranked = rank_rounds(rubric, effective, aggregates["document"], aggregates["onsite"], applications=applications,
                         blacklist=blacklist, vetoed=vetoed, presentation=aggregates["presentation"], weights=weights)
    rows = {row["application_id"]: row for row in assign_levels(snapshot_rows(ranked), levels)}
    _compare_entries(entries, rows, recount)
    # A conflicted member's sheet that the published ranking left out is shown there, not a hidden difference.
    for (round_id, application_id, expert_id) in list(suspects):
        kind = next((k for k, r in rounds.items() if r["id"] == round_id), "")
        labels = {e.expert_label for k, e in ranked.exclusions if k == kind and e.expert_id == expert_id
                  and e.application_id == application_id}
        published = {x["expert"] for x in entries.get(application_id, {}).get("exclusions", []) if x["round"] == kind}
        if labels and labels <= published:
            del suspects[(round_id, application_id, expert_id)]
    recount.checked.append(_("ranking version %(version)s recounted: %(count)s applications",
                             version=snapshot["version"], count=len(rows)))
    return [row["application_id"] for row in sorted(rows.values(), key=lambda r: r["position"])
            if row["in_shortlist"]]


def _procedure_weights(files: _Files, settings: dict[str, Any], rubric: Rubric, rounds: dict[str, dict[str, Any]],
                       recount: Recount) -> tuple[RoundWeights | None, dict[str, Rubric]]:
    """The procedure's weights as `ranking.services.procedure_weights` reads them (None: the ranking settings
    combine the rounds), with the presentation round's own form read from the archive and checked by its hash."""
    chosen = procedures.from_stored(settings.get("procedure"), onsite=bool(settings.get("onsite_review")))
    if not chosen.has(procedures.Step.PRESENTATION):
        return None, {}
    forms: dict[str, Rubric] = {}
    review_round = rounds.get("presentation")
    if review_round is not None and review_round["status"] != "setup" and review_round.get("rubric_key"):
        name = f"assignment/round-{review_round['id']}-rubric.toml"
        if name not in files.names:
            recount.differ(_("The presentation round's form %(name)s is not in the archive.", name=name))
        else:
            text = files.archive.read(name).decode("utf-8")
            if content_hash(text) != review_round.get("rubric_hash"):
                recount.differ(_("The presentation round's form differs from the one the round recorded."))
            try:
                forms["presentation"] = parse_rubric(text, source=name, key=review_round["rubric_key"])
            except RubricError as error:
                recount.differ(_("The frozen rubric cannot be read: %(error)s", error=str(error)))
    kinds = {procedures.Step.DOCUMENT_REVIEW: "document", procedures.Step.PRESENTATION: "presentation",
             procedures.Step.ONSITE_REVIEW: "onsite"}
    return RoundWeights(weights={kinds[step]: weight for step, weight in chosen.weights.items()},
                        form_totals={kind: forms[kind].total if kind in forms else rubric.total
                                     for kind in kinds.values()},
                        scale_to=rubric.total), forms


def _frozen_rubric(files: _Files, settings: dict[str, Any], snapshot: dict[str, Any],
                   recount: Recount) -> Rubric | None:
    name = f"cycle/rubric-{settings['rubric_key']}.toml"
    if name not in files.names:
        recount.differ(_("The frozen rubric %(name)s is not in the archive.", name=name))
        return None
    text = files.archive.read(name).decode("utf-8")
    if content_hash(text) != settings["rubric_hash"] or settings["rubric_hash"] != snapshot["settings"].get(
            "rubric_hash", settings["rubric_hash"]):
        recount.differ(_("The frozen rubric differs from the rubric the cycle and its ranking recorded."))
    try:
        return parse_rubric(text, source=name, key=settings["rubric_key"])
    except RubricError as error:
        recount.differ(_("The frozen rubric cannot be read: %(error)s", error=str(error)))
        return None


def _aggregate(review_round: dict[str, Any], layout: Any, settings: EffectiveSettings, sheets: list[dict[str, Any]],
               consensus: dict[str, Any], seats: list[dict[str, Any]], conflicts: dict[Pair, list[str]],
               applications: list[int], rankable: set[int]) -> RoundAggregate:
    """One round's figures from its archived sheets, as `ranking.services.aggregate_review_round` makes them."""
    round_id = review_round["id"]
    rows = ScoreRows.from_records(
        (sheet["application_id"], sheet["expert_id"], item["item_id"], float(item["points"]))
        for sheet in sheets if sheet["round_id"] == round_id and sheet["status"] == "submitted"
        and sheet["application_id"] in rankable for item in sheet["items"] if item["points"] is not None)
    own = sorted((s["application_id"], s["expert_id"], s["status"], s["status_reason"]) for s in seats
                 if s["round_id"] == round_id and s["application_id"] in rankable)
    exclusions = exclusions_from(own, conflicts)
    agreed = None
    if review_round["counts"] == "consensus":
        confirmed = {(c["application_id"], c["expert_id"]) for c in consensus["confirmations"]
                     if c["round_id"] == round_id}
        finalized = {f["application_id"] for f in consensus.get("finalizations", []) if f["round_id"] == round_id}
        waiting = {a for a, e, status, _reason in own
                   if status == "active" and (a, e) not in confirmed and a not in finalized}
        agreed = ConsensusSheets.from_records(
            (s["application_id"], s["item_id"], float(s["points"])) for s in consensus["scores"]
            if s["round_id"] == round_id and s["application_id"] in rankable and s["application_id"] not in waiting)
    return aggregate_round(
        rows, layout, method=review_round["method"], exclusions=exclusions,
        required_sheets=review_round["required_sheets"],
        disagreement=disagreement_rule(review_round["range_threshold_pct"], review_round["std_threshold_pct"]),
        min_sheets_for_leniency=settings.min_sheets_for_leniency, applications=applications,
        counts=review_round["counts"], consensus=agreed)


def _without_reasons(row: dict[str, Any]) -> list[Any]:
    return sorted([x["round"], x["expert"], x["matched"]] for x in row.get("exclusions", []))


def _compare_entries(published: dict[int, dict[str, Any]], recounted: dict[int, dict[str, Any]],
                     recount: Recount) -> None:
    for application_id in sorted(published.keys() - recounted.keys()):
        recount.differ(_("Application %(application)s is in the published ranking, but was not in the running.",
                         application=application_id))
    for application_id in sorted(recounted.keys() - published.keys()):
        recount.differ(_("Application %(application)s was in the running, but is missing from the published "
                         "ranking.", application=application_id))
    for application_id in sorted(published.keys() & recounted.keys()):
        old, new = published[application_id], recounted[application_id]
        name = old.get("organization_name") or application_id
        for key, label in _ENTRY_FIELDS.items():
            before, after = old.get(key), new.get(key)
            if isinstance(before, dict) and isinstance(after, dict) and key in ("categories", "items",
                                                                                 "method_totals"):
                for part in sorted(before.keys() | after.keys()):
                    if before.get(part) != after.get(part):
                        recount.differ(_("%(name)s: %(field)s %(part)s is %(published)s in the published ranking, "
                                         "%(recounted)s recounted.", name=name, field=str(label), part=part,
                                         published=_money(before.get(part)), recounted=_money(after.get(part))))
            elif before != after:
                recount.differ(_("%(name)s: %(field)s is %(published)s in the published ranking, %(recounted)s "
                                 "recounted.", name=name, field=str(label), published=_money(before),
                                 recounted=_money(after)))
        if _without_reasons(old) != _without_reasons(new):
            recount.differ(_("%(name)s: the sheets left out differ (published: %(published)s; recounted: "
                             "%(recounted)s).", name=name, published=_without_reasons(old),
                             recounted=_without_reasons(new)))


# --------------------------------------------------------------------------- decision


def _recount_vote(vote: dict[str, Any], outcomes: dict[int, dict[str, Any]], ballots: list[dict[str, Any]] | None,
                  recount: Recount) -> None:
    """Each candidate's outcome again from the ballots, under the rule frozen when the vote opened."""
    if vote.get("closed_at") is None or ballots is None:
        return
    rule = VoteRule.from_dict(vote["rule"])
    for candidate in _in_order(vote["candidates"]):
        application_id = candidate["application_id"]
        cast_ = [b["choice"] for b in ballots if b["application_id"] == application_id]
        tally = Tally(members=len(vote["members"]), approve=cast_.count("approve"), reject=cast_.count("reject"),
                      abstain=cast_.count("abstain"))
        passed = decide(tally, rule).passed
        published = outcomes.get(application_id, {}).get("passed")
        if published != passed:
            recount.differ(_("Application %(application)s: the vote's outcome is recorded as %(published)s, the "
                             "ballots give %(recounted)s.", application=application_id,
                             published=_passed(published), recounted=_passed(passed)))
    recount.checked.append(_("%(count)s ballots counted again", count=len(ballots)))


def _passed(value: bool | None) -> str:
    return "-" if value is None else str(_("passed") if value else _("not passed"))


def _in_order(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A vote's or a notice's candidates by their position on the list."""
    return sorted(candidates, key=lambda c: c["position"])


def _compare_decision(files: _Files, shortlist: list[int], recount: Recount) -> None:
    """The vote's candidates, the notice's list and the awards against the recounted shortlist."""
    approved = shortlist
    vote = files.json("vote/session.json")
    if vote is not None:
        candidates = [c["application_id"] for c in _in_order(vote["candidates"])]
        if candidates != shortlist:
            recount.differ(_("The leading group voted on %(voted)s, but the recounted shortlist is %(shortlist)s.",
                             voted=candidates, shortlist=shortlist))
        outcomes = {o["application_id"]: o for o in files.json("vote/outcomes.json") or []}
        _recount_vote(vote, outcomes, files.json("vote/ballots.json"), recount)
        approved = [a for a in candidates if outcomes.get(a, {}).get("passed")]
    listed = approved
    notice = files.json("notice/notice.json")
    if notice is not None:
        published = [c["application_id"] for c in _in_order(notice["candidates"])]
        if published != approved:
            recount.differ(_("The public notice lists %(listed)s, but the candidates approved are %(approved)s.",
                             listed=published, approved=approved))
        listed = [c["application_id"] for c in _in_order(notice["candidates"]) if c["withdrawn_at"] is None]
    awarded = sorted(a["application_id"] for a in files.json("awards/awards.json") or [])
    if (notice is not None or awarded) and awarded != sorted(listed):
        recount.differ(_("The awards went to %(awarded)s, but the decision names %(listed)s.",
                         awarded=awarded, listed=sorted(listed)))
    recount.checked.append(_("shortlist %(shortlist)s, awards %(awarded)s", shortlist=shortlist, awarded=awarded))
