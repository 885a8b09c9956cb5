"""The expert pool's tables: experts (`User` accounts with role expert and an `ExpertProfile`),
their dated relations, availability per cycle, and parent → subsidiary links between organizations.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.auth.models import User, enum_column
from award.db import Base, UTCDateTime, utcnow
from award.pool.kinds import RelationKind


class ExpertProfile(Base):
    """An expert of the city's pool (专家库): who they are and what they declared."""

    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    title: Mapped[str] = mapped_column(String(100), default="")  # 职称, e.g. 正高级工程师
    organization_code: Mapped[str] = mapped_column(String(18), index=True)  # 统一社会信用代码
    organization_name: Mapped[str] = mapped_column(String(200))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)  # GB/T 4754 section letters
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")  # a 回避 soft signal
    in_pool: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    relations: Mapped[list[ExpertRelation]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="ExpertRelation.id"
    )


class ExpertRelation(Base):
    """One dated declaration (employer, client, shareholding, ...) about a party, by credit code."""

    __tablename__ = "expert_relations"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                                      name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RelationKind] = mapped_column(enum_column(RelationKind, "relation_kind"))
    party_code: Mapped[str] = mapped_column(String(18), index=True)
    party_name: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")

    expert: Mapped[ExpertProfile] = relationship(back_populates="relations")


class ExpertAvailability(Base):
    """Whether an expert takes part in a cycle, and an optional personal load cap."""

    __tablename__ = "expert_availability"
    __table_args__ = (
        UniqueConstraint("expert_id", "cycle_id"),
        CheckConstraint("max_load IS NULL OR max_load >= 0", name="max_load_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id", ondelete="CASCADE"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    max_load: Mapped[int | None] = mapped_column(Integer)


class GroupLink(Base):
    """A parent → subsidiary link between organizations, by credit code (enterprise groups)."""

    __tablename__ = "group_links"
    __table_args__ = (
        UniqueConstraint("parent_code", "child_code"),
        CheckConstraint("parent_code <> child_code", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_code: Mapped[str] = mapped_column(String(18), index=True)
    child_code: Mapped[str] = mapped_column(String(18), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")
