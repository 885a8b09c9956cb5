"""Reads of accounts that other areas' pages share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.auth.models import User


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    """The accounts with these ids (None left out), by id."""
    wanted = {user_id for user_id in ids if user_id is not None}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(wanted)))}
