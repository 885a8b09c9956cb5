"""Demo notices: every role of the demo finds a few in its list, so `make run` shows what they look like.

The seeded review and decision stages notify through the real services (experts assigned, a team
leader's panel complete, votes opened, shortlisted applicants); these illustrative notices add the
kinds the seeded events do not produce, for the first demo account of each role. The supervisor
only watches: no kind of notice is addressed to that role.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import Role, User
from award.cycles.models import Cycle
from award.notifications.events import cycle_name
from award.notifications.kinds import Kind
from award.notifications.services import notify


def seed_demo_notices(session: Session, *, cycle: Cycle, now: dt.datetime) -> int:
    """Illustrative notices for the first demo account of each role that receives notices; once only."""

    def first(role: Role, count: int = 1) -> list[User]:
        return list(session.scalars(select(User).where(User.role == role).order_by(User.id).limit(count)))

    name = cycle_name(cycle)
    enterprise = first(Role.ENTERPRISE, 2)
    organization = enterprise[0].organization.name if enterprise and enterprise[0].organization else "—"
    expert = first(Role.EXPERT)
    plan: list[tuple[list[User], Kind, dict[str, object]]] = [
        (enterprise[:1], Kind.APPLICATION_RETURNED, {"cycle": name, "reason": "自评报告4.7.4财务结果缺少近三年数据。"}),
        (enterprise[1:2], Kind.APPLICATION_ELIGIBLE, {"cycle": name}),
        (expert, Kind.EXPERT_ASSIGNED, {"cycle": name, "organization": organization}),
        (expert, Kind.REVIEW_DEADLINE, {"cycle": name, "open_sheets": 2, "deadline": now + dt.timedelta(days=3)}),
        (expert, Kind.SHEET_REOPENED, {"organization": organization,
                                       "reason": "4.7.4财务结果的评分依据不足，请补充说明。"}),
        (first(Role.LEADER, 3), Kind.VOTE_OPENED, {"cycle": name, "deadline": now + dt.timedelta(days=5)}),
        (first(Role.OFFICE), Kind.OBJECTION_RECEIVED, {"organization": organization}),
        (first(Role.OFFICE), Kind.CONFLICT_DECLARED,
         {"organization": organization, "expert": expert[0].full_name if expert else "—"}),
    ]
    created = 0
    for users, kind, context in plan:
        for user in users:
            created += notify(session, user=user, kind=kind, context=context, link="/dashboard", now=now,
                              dedupe_key="demo") is not None
    return created
