"""Scoring's tables: each seat's score sheet and its item scores, and a panel's consensus.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow
from award.rounds.models import Assignment


class SheetStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # locked; the office can reopen it with a reason


class ScoreSheet(Base):
    """One expert's scores for one application in one round. `version` detects concurrent saves."""

    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    status: Mapped[SheetStatus] = mapped_column(enum_column(SheetStatus, "sheet_status"), default=SheetStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    total: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("0"))
    # The points of every rubric item, packed at submit for the ranking's read (award/scoring/packed.py);
    # None while the sheet is a draft, and on sheets submitted before the column existed.
    item_points: Mapped[bytes | None] = mapped_column(LargeBinary)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()
    items: Mapped[list[ItemScore]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", order_by="ItemScore.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ItemScore(Base):
    """The expert's band, percentage and comments for one rubric item; points are computed."""

    __tablename__ = "item_scores"
    __table_args__ = (
        UniqueConstraint("sheet_id", "item_id"),
        # Covers the ranking's bulk read, which then never touches the rows and their
        # comment texts; it also serves every lookup by sheet.
        Index("ix_item_scores_sheet_id_item_id_points", "sheet_id", "item_id", "points"),
        CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent_range"),
        CheckConstraint("points IS NULL OR points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(20))
    band_id: Mapped[str | None] = mapped_column(String(20))
    percent: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    strength: Mapped[str] = mapped_column(Text, default="")
    improvement: Mapped[str] = mapped_column(Text, default="")
    justification: Mapped[str] = mapped_column(Text, default="")

    sheet: Mapped[ScoreSheet] = relationship(back_populates="items")


class ConsensusScore(Base):
    """The team leader's agreed score for one item of one application (共识分), with the reason."""

    __tablename__ = "consensus_scores"
    __table_args__ = (
        UniqueConstraint("round_id", "application_id", "item_id"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int] = mapped_column(Integer)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    reason: Mapped[str] = mapped_column(Text, default="")  # required when the score moved
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsensusConfirmation(Base):
    """A panel member's confirmation of the consensus for an application."""

    __tablename__ = "consensus_confirmations"
    __table_args__ = (UniqueConstraint("round_id", "application_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemarkKind(enum.StrEnum):
    """A panel member's entry in the consensus discussion (as HotCRP's per-paper discussion)."""

    AGREE = "agree"
    DISAGREE = "disagree"  # needs a reason
    COMMENT = "comment"


class ConsensusRemark(Base):
    """One entry of a panel's consensus discussion, on one rubric item or (item_id None) on the whole.

    Append-only: a member changes position with a new entry, and the latest one counts."""

    __tablename__ = "consensus_remarks"
    __table_args__ = (
        Index("ix_consensus_remarks_round_id_application_id", "round_id", "application_id"),
        CheckConstraint("kind = 'agree' OR length(text) > 0", name="text_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[RemarkKind] = mapped_column(enum_column(RemarkKind, "consensus_remark_kind"))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsensusFinalization(Base):
    """The team leader's closing of a panel's consensus; `open_disagreements` were acknowledged with `note`."""

    __tablename__ = "consensus_finalizations"
    __table_args__ = (UniqueConstraint("round_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    finalized_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    open_disagreements: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
