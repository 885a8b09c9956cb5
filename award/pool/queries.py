"""Reads of the expert pool shared by its pages and the conflict matrix."""

from __future__ import annotations

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from award.applications.sectors import GBT4754_SECTIONS
from award.auth.models import User
from award.pool.models import ExpertProfile, ExpertRelation


def filtered_profiles(session: Session, *, sector: str, organization: str, in_pool: str) -> list[ExpertProfile]:
    """The pool's experts by sector letter, organization (name part or exact credit code) and membership."""
    query = select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
    if sector in GBT4754_SECTIONS:
        # Both databases render a JSON list of letters as text like ["C", "M"].
        query = query.where(cast(ExpertProfile.sectors, String).like(f'%"{sector}"%'))
    if organization:
        pattern = f"%{organization}%"
        query = query.where(or_(ExpertProfile.organization_name.like(pattern),
                                ExpertProfile.organization_code == organization.upper()))
    if in_pool in ("yes", "no"):
        query = query.where(ExpertProfile.in_pool.is_(in_pool == "yes"))
    return list(session.scalars(query.order_by(User.full_name, User.id)))


def relation_counts(session: Session) -> dict[int, int]:
    """How many declared relations each expert has, by the expert's profile id."""
    return dict(session.execute(select(ExpertRelation.expert_id, func.count(ExpertRelation.id))
                                .group_by(ExpertRelation.expert_id)).all())
