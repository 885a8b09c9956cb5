"""Conflicts' tables: conflicts the office pinned by hand, and each cycle's 回避 settings.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
    event,
    false,
    insert,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from award.auth.models import enum_column
from award.conflicts.rules import PinnableType
from award.db import Base, UTCDateTime, utcnow


class PinnedConflict(Base):
    """A conflict the office recorded by hand. Rows are never deleted (no silent removal)."""

    __tablename__ = "pinned_conflicts"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Hard rules only: soft signals (e-mail, contact) are detected, never pinned.
    type: Mapped[PinnableType] = mapped_column(enum_column(PinnableType, "pinned_conflict_type"))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(PinnedConflict, "before_delete")
def _refuse_pinned_delete(_mapper: object, _connection: object, target: PinnedConflict) -> None:
    # A pinned conflict records a human decision; removing it would hide a conflict silently.
    raise ValueError(f"pinned conflict {target.id} cannot be deleted")


class CycleCoiSettings(Base):
    """A cycle's 回避 windows (years per rule) and the review date they are measured from."""

    __tablename__ = "cycle_coi_settings"
    __table_args__ = (
        CheckConstraint(
            "employment_years >= 0 AND consulting_years >= 0 AND dispute_years >= 0 AND financial_years >= 0"
            " AND relative_years >= 0 AND business_years >= 0",
            name="years_not_negative",
        ),
        CheckConstraint("group_depth >= 0", name="group_depth_not_negative"),
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True)
    employment_years: Mapped[int] = mapped_column(Integer, default=3)
    consulting_years: Mapped[int] = mapped_column(Integer, default=3)
    dispute_years: Mapped[int] = mapped_column(Integer, default=3)
    financial_years: Mapped[int] = mapped_column(Integer, default=0)
    relative_years: Mapped[int] = mapped_column(Integer, default=0)
    business_years: Mapped[int] = mapped_column(Integer, default=0)
    # Group links within which a group tie is hard (0: any depth); longer chains are soft signals.
    group_depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # True: the solver never pairs a soft signal; False: it only avoids them by a penalty.
    avoid_soft_pairs: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # None: the cycle's document-review deadline (else its application deadline, else creation day).
    reference_date: Mapped[dt.date | None] = mapped_column(Date)


class ConflictDataVersion(Base):
    """One row: a random token drawn anew by every write to the facts a conflict check reads
    (`conflicts/data_version.py`), so that a pair's verdict can be kept per token and stay exact."""

    __tablename__ = "coi_data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[int] = mapped_column(BigInteger)


@event.listens_for(ConflictDataVersion.__table__, "after_create")
def _first_token(target: object, connection: Connection, **_kw: object) -> None:
    # A schema made from the models (the tests) gets its row as the migration's does.
    import secrets

    connection.execute(insert(ConflictDataVersion).values(id=1, token=secrets.randbits(62)))
