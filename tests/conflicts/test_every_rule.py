"""Every 回避 rule of domain.md and of the engine, each with a pair that must conflict and one that must not.

The expert (organization, e-mail, phone, address, declarations) comes in through the real pool import
(CSV, award.pool.io.import_pool), the group through the group import; the applicant is an application
with its enterprise account. The review date is fixed, so every window is exact.

The group of every case: P is the parent of the applicant A and of its sister X; S is A's subsidiary and
G is S's subsidiary. Chains to A: S and P 1 link, X and G 2 links. O is an organization of another group
(O2 its parent); F is free of every link.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from award.auth.models import Organization, Role, User
from award.conflicts import services as conflicts
from award.conflicts.models import CycleCoiSettings
from award.conflicts.rules import ConflictType, Severity
from award.cycles.models import Stage
from award.pool import io as pool_io
from award.pool.io import POOL_COLUMNS
from tests.conftest import fresh_credit_code
from tests.pool.factories import *  # noqa: F403 (fixtures)

REVIEW = dt.date(2026, 6, 30)  # the 3-year window is 2023-06-30 .. 2026-06-30
HARD, SOFT = Severity.HARD, Severity.SOFT
LINKS = (("P", "A"), ("A", "S"), ("P", "X"), ("S", "G"), ("O2", "O"))
APPLICANT = {"email": "zhiliang@hengrun-jx.cn", "phone": "0512-6511 2233",
             "address": "苏州市吴中区越溪街道 塔韵路 178 号"}


@dataclass(frozen=True)
class Case:
    rule: str  # the rule as domain.md or the engine states it
    must: bool  # True: the pair must show `expect`; False: the pair must be clear of that rule
    expect: tuple[ConflictType, Severity] | None  # what the pair shows (None: nothing at all)
    org: str = "F"  # the expert's organization, by its letter
    relations: tuple[tuple[str, str, str, str], ...] = ()  # (kind, party letter, starts_on, ends_on)
    email: str = "li@some-institute.cn"
    phone: str = "0512-6800 0001"
    address: str = "南京市鼓楼区汉口路 22 号"
    group_depth: int = 0
    also: dict[str, str] = field(default_factory=dict)  # the reason must contain these (by letter)


def _rel(kind: str, party: str, start: str = "", end: str = "") -> tuple[str, str, str, str]:
    return (kind, party, start, end)


IN_WINDOW = ("2024-01-01", "2025-12-31")
EDGE = ("2020-01-01", "2023-06-30")  # ends on the window's first day: still inside (closed interval)
BEFORE_WINDOW = ("2020-01-01", "2023-06-29")
ENDED = ("2020-01-01", "2026-06-29")  # a current-only rule (0 years): ended the day before the review

CASES = [
    # domain.md: the expert works for the applicant now, or did in the last 3 years
    Case("employment: works for the applicant now (current organization)", True, (ConflictType.EMPLOYMENT, HARD),
         org="A"),
    Case("employment: works for the applicant now (current organization)", False, None, org="F"),
    Case("employment: worked for it in the last 3 years (declared)", True, (ConflictType.EMPLOYMENT, HARD),
         relations=(_rel("employer", "A", *EDGE),)),
    Case("employment: worked for it in the last 3 years (declared)", False, None,
         relations=(_rel("employer", "A", *BEFORE_WINDOW),)),
    # consulted, trained or coached it (its self-assessment included) in the last 3 years
    Case("consulting / training / coaching in the last 3 years", True, (ConflictType.CONSULTING, HARD),
         relations=(_rel("client", "A", *IN_WINDOW),)),
    Case("consulting / training / coaching in the last 3 years", False, None,
         relations=(_rel("client", "A", *BEFORE_WINDOW),)),
    # holds shares or another financial interest (current on the review date)
    Case("financial interest (shares) held on the review date", True, (ConflictType.FINANCIAL, HARD),
         relations=(_rel("shareholding", "A", "2021-06-01", ""),)),
    Case("financial interest (shares) held on the review date", False, None,
         relations=(_rel("shareholding", "A", *ENDED),)),
    # a spouse or direct relative works for it or sits in its management (current)
    Case("relative works for or manages the applicant", True, (ConflictType.RELATIVE, HARD),
         relations=(_rel("relative_employer", "A", "2018-01-01", ""),)),
    Case("relative works for or manages the applicant", False, None,
         relations=(_rel("relative_employer", "A", *ENDED),)),
    # a legal dispute with it in the last 3 years
    Case("legal dispute in the last 3 years", True, (ConflictType.DISPUTE, HARD),
         relations=(_rel("dispute", "A", *IN_WINDOW),)),
    Case("legal dispute in the last 3 years", False, None, relations=(_rel("dispute", "A", *BEFORE_WINDOW),)),
    Case("legal dispute with only a start date (ongoing)", True, (ConflictType.DISPUTE, HARD),
         relations=(_rel("dispute", "A", "2015-01-01", ""),)),
    Case("legal dispute with only a start date (ongoing)", False, None,
         relations=(_rel("dispute", "A", "2026-07-01", ""),)),  # begins after the review date
    # the expert's organization and the applicant share a parent group or control
    Case("group: the expert's organization is the applicant's parent", True, (ConflictType.GROUP, HARD), org="P"),
    Case("group: the expert's organization is a sister company (2 links)", True, (ConflictType.GROUP, HARD),
         org="X", also={"chain": "X"}),
    Case("group: the expert's organization is in another group", False, None, org="O"),
    # the expert's organization is a declared competitor, supplier or customer (current)
    Case("business: declared competitor", True, (ConflictType.BUSINESS, HARD),
         relations=(_rel("competitor", "A", "2022-01-01", ""),)),
    Case("business: declared competitor", False, None, relations=(_rel("competitor", "A", *ENDED),)),
    Case("business: declared supplier", True, (ConflictType.BUSINESS, HARD),
         relations=(_rel("supplier", "A", "2022-01-01", ""),)),
    Case("business: declared supplier", False, None, relations=(_rel("supplier", "O", "2022-01-01", ""),)),
    Case("business: declared customer", True, (ConflictType.BUSINESS, HARD),
         relations=(_rel("customer", "A", "2022-01-01", ""),)),
    Case("business: a customer relation that ended", False, None, relations=(_rel("customer", "A", *ENDED),)),
    # each relation counts against the applicant's whole group
    Case("group-wide: consulted for the applicant's subsidiary last year", True, (ConflictType.CONSULTING, HARD),
         relations=(_rel("client", "S", *IN_WINDOW),), also={"party": "S"}),
    Case("group-wide: worked for the applicant's parent", True, (ConflictType.EMPLOYMENT, HARD),
         relations=(_rel("employer", "P", *IN_WINDOW),), also={"party": "P"}),
    Case("group-wide: worked for the applicant's parent", False, None,
         relations=(_rel("employer", "O2", *IN_WINDOW),)),
    Case("group-wide: holds shares in a sister company", True, (ConflictType.FINANCIAL, HARD),
         relations=(_rel("shareholding", "X", "2020-01-01", ""),), also={"party": "X", "via": "P"}),
    Case("group-wide: holds shares in a sister company", False, None,
         relations=(_rel("shareholding", "X", *ENDED),)),
    Case("group-wide: relative works at the subsidiary's subsidiary", True, (ConflictType.RELATIVE, HARD),
         relations=(_rel("relative_employer", "G", "2020-01-01", ""),), also={"party": "G", "via": "S"}),
    Case("group-wide: relative works at the subsidiary's subsidiary", False, None,
         relations=(_rel("relative_employer", "O", "2020-01-01", ""),)),
    Case("group-wide: dispute with the parent", True, (ConflictType.DISPUTE, HARD),
         relations=(_rel("dispute", "P", *IN_WINDOW),)),
    Case("group-wide: dispute with the parent", False, None, relations=(_rel("dispute", "P", *BEFORE_WINDOW),)),
    Case("group-wide: supplier of a sister company", True, (ConflictType.BUSINESS, HARD),
         relations=(_rel("supplier", "X", "2022-01-01", ""),)),
    Case("group-wide: supplier of a sister company", False, None, relations=(_rel("supplier", "X", *ENDED),)),
    Case("group-wide: consulted for a company of another group", False, None,
         relations=(_rel("client", "O", *IN_WINDOW),)),
    Case("group-wide: consulted for the subsidiary before the window", False, None,
         relations=(_rel("client", "S", *BEFORE_WINDOW),)),
    # soft signals (需关注)
    Case("soft: shared non-public e-mail domain", True, (ConflictType.EMAIL, SOFT), email="wang@hengrun-jx.cn"),
    Case("soft: shared e-mail domain that is public (qq.com never counts)", False, None, email="wang@qq.com",
         also={"applicant_email": "hr@qq.com"}),
    Case("soft: same address (spacing and full-width digits ignored)", True, (ConflictType.CONTACT, SOFT),
         address="苏州市吴中区越溪街道塔韵路１７８号"),
    Case("soft: a different address", False, None, address="苏州市吴中区越溪街道塔韵路 180 号"),
    Case("soft: same phone (+86 prefix ignored)", True, (ConflictType.CONTACT, SOFT), phone="+86 512 65112233"),
    Case("soft: a different phone", False, None, phone="0512-6511 2234"),
    Case("soft: group tie beyond the cycle's depth (sister, 2 links > 1)", True, (ConflictType.GROUP, SOFT),
         org="X", group_depth=1),
    Case("soft: group tie beyond the cycle's depth (sister, 2 links > 1)", False, None, org="O", group_depth=1),
    Case("soft: group tie within the cycle's depth (parent, 1 link) stays hard", True, (ConflictType.GROUP, HARD),
         org="P", group_depth=1),
    Case("soft: relation with a group company beyond the depth (G, 2 links > 1)", True,
         (ConflictType.CONSULTING, SOFT), relations=(_rel("client", "G", *IN_WINDOW),), group_depth=1),
    Case("soft: relation with a group company beyond the depth (G, 2 links > 1)", False, None,
         relations=(_rel("client", "G", *BEFORE_WINDOW),), group_depth=1),
    Case("soft: relation with a group company within the depth (S, 1 link) stays hard", True,
         (ConflictType.CONSULTING, HARD), relations=(_rel("client", "S", *IN_WINDOW),), group_depth=1),
]


def _case_id(case: Case) -> str:
    return ("conflict: " if case.must else "clear: ") + case.rule


@pytest.fixture
def world(db, make_cycle, make_user):
    """The group's codes by letter, imported through the group import, and a cycle with a fixed review date."""
    codes = {letter: fresh_credit_code() for letter in ("A", "P", "S", "X", "G", "O", "O2", "F")}
    office = make_user(Role.OFFICE)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["parent_code", "child_code", "source"])
    writer.writerows([codes[parent], codes[child], "国家企业信用信息公示系统"] for parent, child in LINKS)
    pool_io.import_groups(db, actor=office, data=buffer.getvalue().encode(), fmt="csv")
    cycle = make_cycle(stage=Stage.SCREENING)
    db.add(CycleCoiSettings(cycle_id=cycle.id, reference_date=REVIEW))
    db.commit()
    return codes, office, cycle


def _import_expert(db, office, codes: dict[str, str], case: Case) -> int:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(POOL_COLUMNS)
    base = [case.email, "李专家", case.phone, "高级工程师", codes[case.org], "某研究院", "C", "yes"]
    rows = [[kind, codes[party], "", start, end, ""] for kind, party, start, end in case.relations] or [[""] * 6]
    for number, relation in enumerate(rows):
        writer.writerow([*(base if number == 0 else [case.email, *[""] * 7]), *relation,
                         case.address if number == 0 else ""])
    pool_io.import_pool(db, actor=office, data=buffer.getvalue().encode(), fmt="csv", password_min_length=10)
    db.commit()
    user_id = db.scalar(select(User.id).where(User.email == case.email))
    assert user_id is not None
    return user_id


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_rule(db, world, make_application, case: Case):
    codes, office, cycle = world
    settings = db.get(CycleCoiSettings, cycle.id)
    settings.group_depth = case.group_depth
    organization = Organization(credit_code=codes["A"], name="苏州恒润精密机械有限公司")
    db.add(organization)
    db.commit()
    application = make_application(cycle, organization, email=case.also.get("applicant_email", APPLICANT["email"]))
    application.address = APPLICANT["address"]
    account = db.scalar(select(User).where(User.organization_id == organization.id))
    account.phone = APPLICANT["phone"]
    db.commit()
    expert_id = _import_expert(db, office, codes, case)

    found = conflicts.conflicts_for_cycle(db, cycle, include_soft=True).get((application.id, expert_id), [])
    shown = [(c.type, c.severity) for c in found]
    if case.must:
        assert case.expect in shown, shown
        conflict = next(c for c in found if (c.type, c.severity) == case.expect)
        for letter in (v for k, v in case.also.items() if k in ("party", "via", "chain")):
            assert codes[letter] in conflict.reason, conflict.reason
        # Only a hard conflict refuses the pair; a soft signal alone leaves it assignable.
        hard = any(c.is_hard for c in found)
        assert ((application.id, expert_id) in conflicts.conflicted_pairs(db, cycle)) is hard
        assert conflicts.has_conflict(db, application, db.get(User, expert_id)) is hard
        if case.expect[1] is SOFT and not hard:
            assert (application.id, expert_id) in conflicts.soft_pairs(db, cycle)
    else:
        assert shown == [], shown
