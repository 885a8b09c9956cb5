"""The demo gives each role that receives notices a few, once."""

from __future__ import annotations

from sqlalchemy import func, select

from award.auth.models import Role
from award.db import utcnow
from award.notifications.demo import seed_demo_notices
from award.notifications.models import Notification


def test_demo_notices_for_every_role_that_receives_them(db, make_user, make_cycle):
    users = {role: make_user(role) for role in Role}
    cycle = make_cycle()
    assert seed_demo_notices(db, cycle=cycle, now=utcnow()) > 0
    assert seed_demo_notices(db, cycle=cycle, now=utcnow()) == 0  # seeding twice adds nothing
    for role in (Role.ENTERPRISE, Role.EXPERT, Role.LEADER, Role.OFFICE):
        count = db.scalar(select(func.count(Notification.id)).where(Notification.user_id == users[role].id))
        assert count >= 1, role
