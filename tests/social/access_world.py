"""Objects of the social evaluation for the access matrix (tests/test_access.py `world`): a cycle in deliberation
with a candidate, a matched list record, a finding and an open public comment window."""

from __future__ import annotations

import datetime as dt

from award.applications.models import Application, ApplicationStatus
from award.cycles.models import Stage
from award.db import utcnow
from award.social.models import CommentWindow, FindingLevel, ListKind, SocialFinding, SocialRecord


def social_access_world(db, *, make_cycle, make_organization) -> dict[str, int]:
    cycle = make_cycle(stage=Stage.DELIBERATION)
    organization = make_organization(name="无锡精工机械有限公司")
    candidate = Application(cycle_id=cycle.id, organization_id=organization.id, status=ApplicationStatus.ELIGIBLE,
                            org_name=organization.name, sector="C")
    db.add(candidate)
    db.flush()
    now = utcnow()
    db.add_all([
        SocialRecord(kind=ListKind.PENALTY, credit_code=organization.credit_code, source="市市场监管局行政处罚",
                     listed_on=dt.date(2026, 3, 2)),
        SocialFinding(cycle_id=cycle.id, application_id=candidate.id, level=FindingLevel.NOTED,
                      reason="一起已办结的行政处罚", evidence="市市场监管局行政处罚 2026-03-02"),
        CommentWindow(cycle_id=cycle.id, opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30)),
    ])
    db.commit()
    return {"social_cycle_id": cycle.id, "social_application_id": candidate.id}
