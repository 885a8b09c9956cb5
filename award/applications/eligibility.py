"""Eligibility rules (资格审核) as pure functions: facts in, one finding per rule out.

Each rule returns pass, fail or "needs review" with the fact it used, so the office sees why,
and the enterprise can read the reason of a failed rule. Nothing here touches the database:
the blacklist hits and the award history are passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from award.applications.models import RuleOutcome
from award.cycles.settings import EligibilitySettings
from award.i18n import _, _l

RULES: tuple[str, ...] = (
    "registered_in_city",
    "years_in_operation",
    "qms_years",
    "no_major_accident",
    "no_penalty",
    "not_blacklisted",
    "award_cooldown",
    "revocation_ban",
)

RULE_LABELS = {
    "registered_in_city": _l("Legal person registered in the city"),
    "years_in_operation": _l("Years in operation"),
    "qms_years": _l("Quality management system in operation"),
    "no_major_accident": _l("No major quality, safety or environmental accident"),
    "no_penalty": _l("No administrative penalty"),
    "not_blacklisted": _l("Not on a dishonesty list"),
    "award_cooldown": _l("Not awarded within the cool-down"),
    "revocation_ban": _l("Not under a revocation ban"),
}


@dataclass(frozen=True, kw_only=True)
class ApplicantFacts:
    """What screening knows about one applicant, taken from its application."""

    credit_code: str
    address: str = ""
    district: str = ""
    founded_on: dt.date | None = None
    qms_certified_on: dt.date | None = None
    last_major_accident_on: dt.date | None = None
    last_penalty_on: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class BlacklistHit:
    source: str
    listed_on: dt.date


@dataclass(frozen=True, kw_only=True)
class PastAward:
    """An earlier award of the organization (from the certificates area, later)."""

    cycle_year: int
    revoked_on: dt.date | None = None
    # The last day of the re-application ban fixed when it was revoked (under the awarding cycle's
    # rules); None for awards revoked before bans were stored, or not revoked.
    ban_until: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class RuleResult:
    rule: str
    outcome: RuleOutcome
    fact: dict[str, Any] = field(default_factory=dict)


def full_years(start: dt.date, end: dt.date) -> int:
    """Whole years from start to end (negative when start is later)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def check_registered_in_city(facts: ApplicantFacts, settings: EligibilitySettings | None = None) -> RuleResult:
    # The credit code's characters 3–8 are the registering authority's division code. A code among
    # the cycle's city divisions passes; any other (registered elsewhere, or no divisions set) is
    # left for a manual check (需人工核查): the office confirms with the fact shown.
    division = facts.credit_code[2:8]
    prefixes = settings.division_prefixes() if settings else ()
    inside = any(division.startswith(prefix) for prefix in prefixes)
    return RuleResult(rule="registered_in_city", outcome=RuleOutcome.PASS if inside else RuleOutcome.REVIEW,
                      fact={"division": division, "district": facts.district, "address": facts.address,
                            "city": list(prefixes)})


def _min_years(rule: str, since: dt.date | None, minimum: int, on: dt.date) -> RuleResult:
    if since is None:
        return RuleResult(rule=rule, outcome=RuleOutcome.REVIEW, fact={"minimum": minimum})
    years = full_years(since, on)
    outcome = RuleOutcome.PASS if years >= minimum else RuleOutcome.FAIL
    return RuleResult(rule=rule, outcome=outcome,
                      fact={"since": since.isoformat(), "years": years, "minimum": minimum, "on": on.isoformat()})


def check_years_in_operation(facts: ApplicantFacts, settings: EligibilitySettings, on: dt.date) -> RuleResult:
    return _min_years("years_in_operation", facts.founded_on, settings.min_years_in_operation, on)


def check_qms_years(facts: ApplicantFacts, settings: EligibilitySettings, on: dt.date) -> RuleResult:
    return _min_years("qms_years", facts.qms_certified_on, settings.min_qms_years, on)


def _nothing_within(rule: str, last: dt.date | None, window: int, on: dt.date) -> RuleResult:
    window_start = years_before(on, window)
    fact = {"last": last.isoformat() if last else None, "window": window, "from": window_start.isoformat(),
            "on": on.isoformat()}
    # An event after the reference date is also recent; a window of 0 years never fails.
    recent = last is not None and window > 0 and last > window_start
    return RuleResult(rule=rule, outcome=RuleOutcome.FAIL if recent else RuleOutcome.PASS, fact=fact)


def check_no_major_accident(facts: ApplicantFacts, settings: EligibilitySettings, on: dt.date) -> RuleResult:
    return _nothing_within("no_major_accident", facts.last_major_accident_on, settings.accident_window_years, on)


def check_no_penalty(facts: ApplicantFacts, settings: EligibilitySettings, on: dt.date) -> RuleResult:
    return _nothing_within("no_penalty", facts.last_penalty_on, settings.penalty_window_years, on)


def check_not_blacklisted(hits: Sequence[BlacklistHit]) -> RuleResult:
    if not hits:
        return RuleResult(rule="not_blacklisted", outcome=RuleOutcome.PASS, fact={})
    listed = [{"source": hit.source, "listed_on": hit.listed_on.isoformat()} for hit in hits]
    return RuleResult(rule="not_blacklisted", outcome=RuleOutcome.FAIL, fact={"listings": listed})


def check_award_cooldown(history: Sequence[PastAward], settings: EligibilitySettings, cycle_year: int,
                         reassessment: bool = False) -> RuleResult:
    # One cycle a year: an award of year Y blocks the cycles Y+1 … Y+cooldown. A re-assessment is the
    # holder's own renewal, not a new application: the cool-down does not apply to it.
    if reassessment:
        return RuleResult(rule="award_cooldown", outcome=RuleOutcome.PASS,
                          fact={"cooldown": settings.award_cooldown_cycles, "reassessment": True,
                                "awarded": sorted(a.cycle_year for a in history)})
    blocking = [a.cycle_year for a in history
                if a.revoked_on is None and 0 <= cycle_year - a.cycle_year <= settings.award_cooldown_cycles
                and settings.award_cooldown_cycles > 0]
    fact = {"cooldown": settings.award_cooldown_cycles, "awarded": sorted(a.cycle_year for a in history)}
    if blocking:
        return RuleResult(rule="award_cooldown", outcome=RuleOutcome.FAIL, fact={**fact, "last": max(blocking)})
    return RuleResult(rule="award_cooldown", outcome=RuleOutcome.PASS, fact=fact)


def check_revocation_ban(history: Sequence[PastAward], settings: EligibilitySettings, on: dt.date) -> RuleResult:
    # Banned by this cycle's rule (a revocation within its ban years) or by the ban fixed at the
    # revocation (its ban_until), whichever is longer: a later cycle's shorter rule does not lift a ban.
    window_start = years_before(on, settings.revocation_ban_years)
    revocations = sorted(a.revoked_on for a in history if a.revoked_on is not None)
    banned = [day for day in revocations if day > window_start and settings.revocation_ban_years > 0]
    fixed = sorted(a.ban_until for a in history if a.ban_until is not None and a.ban_until > on)
    fact = {"ban_years": settings.revocation_ban_years, "from": window_start.isoformat(), "on": on.isoformat(),
            "last": revocations[-1].isoformat() if revocations else None,
            "ban_until": fixed[-1].isoformat() if fixed else None}
    outcome = RuleOutcome.FAIL if banned or fixed else RuleOutcome.PASS
    return RuleResult(rule="revocation_ban", outcome=outcome, fact=fact)


def check_all(
    facts: ApplicantFacts,
    *,
    settings: EligibilitySettings,
    on: dt.date,
    cycle_year: int,
    blacklist: Sequence[BlacklistHit] = (),
    history: Sequence[PastAward] = (),
    reassessment: bool = False,
) -> list[RuleResult]:
    """Every rule, in the order of RULES; `on` is the reference date (the application deadline);
    `reassessment`: the cycle re-assesses holders (no cool-down)."""
    return [
        check_registered_in_city(facts, settings),
        check_years_in_operation(facts, settings, on),
        check_qms_years(facts, settings, on),
        check_no_major_accident(facts, settings, on),
        check_no_penalty(facts, settings, on),
        check_not_blacklisted(blacklist),
        check_award_cooldown(history, settings, cycle_year, reassessment),
        check_revocation_ban(history, settings, on),
    ]


def describe(rule: str, outcome: RuleOutcome, fact: dict[str, Any]) -> str:
    """The fact a rule used, in words for the office and the enterprise (translated now)."""
    if rule == "registered_in_city":
        where = _("Registering authority code %(division)s; district %(district)s; address %(address)s",
                  division=fact.get("division", ""), district=fact.get("district") or "—",
                  address=fact.get("address") or "—")
        if outcome is RuleOutcome.REVIEW and fact.get("city"):
            return where + _("; not among the city's division codes %(codes)s: check by hand.",
                             codes=", ".join(fact["city"]))
        return where
    if rule in ("years_in_operation", "qms_years"):
        if "since" not in fact:
            return _("No date given; at least %(minimum)s years required.", minimum=fact.get("minimum"))
        return _("Since %(since)s: %(years)s full years on %(on)s; at least %(minimum)s required.", **fact)
    if rule in ("no_major_accident", "no_penalty"):
        if not fact.get("last"):
            return _("None declared in the %(window)s years before %(on)s.", window=fact.get("window"),
                     on=fact.get("on"))
        return _("Latest declared on %(last)s; the window is %(window)s years (from %(from)s to %(on)s).", **fact)
    if rule == "not_blacklisted":
        listings = fact.get("listings") or []
        if not listings:
            return _("Not found on the imported dishonesty lists.")
        return _("Listed: %(listings)s", listings="; ".join(f"{x['source']} ({x['listed_on']})" for x in listings))
    if rule == "award_cooldown":
        if fact.get("reassessment"):
            return _("A re-assessment of a holder: the cool-down does not apply.")
        if outcome is RuleOutcome.FAIL:
            return _("Awarded in %(last)s; the cool-down is %(cooldown)s cycles.", last=fact.get("last"),
                     cooldown=fact.get("cooldown"))
        return _("No award within the last %(cooldown)s cycles.", cooldown=fact.get("cooldown"))
    if rule == "revocation_ban":
        if outcome is RuleOutcome.FAIL and fact.get("ban_until") and not (
                fact.get("last") and fact.get("from") and str(fact["last"]) > str(fact["from"])):
            return _("An award was revoked on %(last)s; the ban set then lasts until %(ban_until)s.",
                     last=fact.get("last") or "—", ban_until=fact.get("ban_until"))
        if outcome is RuleOutcome.FAIL:
            return _("An award was revoked on %(last)s; the ban lasts %(ban_years)s years.",
                     last=fact.get("last"), ban_years=fact.get("ban_years"))
        return _("No revocation within the last %(ban_years)s years.", ban_years=fact.get("ban_years"))
    return ""
