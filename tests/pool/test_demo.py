"""The demo pool: every demo expert has a profile, and the declarations make real conflicts."""

from __future__ import annotations

from sqlalchemy import func, select

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Organization, Role, User
from award.conflicts.rules import ConflictType
from award.conflicts.services import conflicts_for_cycle
from award.credit_code import is_valid_credit_code
from award.cycles.models import Cycle
from award.pool.models import ExpertProfile


def test_demo_experts_have_profiles_and_conflicts(demo_db):
    profiles = demo_db.scalars(select(ExpertProfile)).all()
    assert len(profiles) == demo_db.scalar(select(func.count(User.id)).where(User.role == Role.EXPERT)) == 12
    assert all(is_valid_credit_code(p.organization_code) and p.title and "C" in p.sectors for p in profiles)
    cycle = demo_db.scalar(select(Cycle).order_by(Cycle.id))
    for organization in demo_db.scalars(select(Organization).join(User).where(User.role == Role.ENTERPRISE)):
        if demo_db.scalar(select(Application.id).where(Application.organization_id == organization.id,
                                                            Application.cycle_id == cycle.id)) is None:
            demo_db.add(Application(cycle_id=cycle.id, organization_id=organization.id,
                                    org_name=organization.name, status=ApplicationStatus.SUBMITTED))
    demo_db.flush()
    found = conflicts_for_cycle(demo_db, cycle)
    types = {conflict.type for items in found.values() for conflict in items}
    assert types >= {ConflictType.EMPLOYMENT, ConflictType.CONSULTING, ConflictType.FINANCIAL,
                     ConflictType.RELATIVE, ConflictType.DISPUTE, ConflictType.GROUP, ConflictType.BUSINESS}
    assert 7 <= len(found) <= 20
