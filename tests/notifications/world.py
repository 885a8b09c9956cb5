"""Objects the access matrix needs: a notice of the office user, which nobody else may open or mark."""

from __future__ import annotations

from sqlalchemy.orm import Session

from award.auth.models import User
from award.notifications.kinds import Kind
from award.notifications.services import notify


def notifications_world(db: Session, *, users: dict[str, User]) -> dict[str, object]:
    notice = notify(db, user=users["office"], kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"},
                    link="/dashboard")
    db.commit()
    return {"notification_id": notice.id}
