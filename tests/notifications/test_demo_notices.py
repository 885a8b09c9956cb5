"""The demo gives each role that receives notices a few, all from the seeded events themselves."""

from __future__ import annotations

from sqlalchemy import func, select

from award.auth.models import Role, User
from award.notifications.kinds import SPECS, Kind, kinds_for
from award.notifications.models import Notification, OutboxMessage


def test_the_seeded_demo_shows_notices_and_mail_for_every_role(demo_db):
    """After `demo seed` each role that receives notices has some, in-app and in the outbox."""
    kinds = {(role, kind) for role, kind in demo_db.execute(
        select(User.role, Notification.kind).join(User, User.id == Notification.user_id))}
    receiving = {spec.role for spec in SPECS.values()}
    assert receiving == {Role.ENTERPRISE, Role.EXPERT, Role.LEADER, Role.OFFICE}
    assert kinds_for(Role.SUPERVISOR) == []  # the supervisor watches; nothing is addressed to that role
    assert {role for role, _kind in kinds} == receiving
    # From the seeded events themselves: the demo writes no notice of its own.
    assert {(Role.EXPERT, Kind.EXPERT_ASSIGNED.value), (Role.EXPERT, Kind.PANEL_COMPLETE.value),
            (Role.EXPERT, Kind.SHEET_REOPENED.value), (Role.LEADER, Kind.VOTE_OPENED.value),
            (Role.ENTERPRISE, Kind.APPLICATION_SHORTLISTED.value), (Role.OFFICE, Kind.CONFLICT_DECLARED.value),
            (Role.ENTERPRISE, Kind.APPLICATION_RETURNED.value), (Role.OFFICE, Kind.OBJECTION_RECEIVED.value),
            } <= kinds
    real = demo_db.scalar(select(func.count(Notification.id))
                          .where(Notification.link.startswith("/review/assignments/")))
    assert real >= 5
    # Every demo notice also waits as an e-mail; the objector, who has no account, gets e-mail only.
    outbox = demo_db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id.is_not(None)))
    assert outbox == demo_db.scalar(select(func.count(Notification.id)))
