"""Rounds and panels: a cycle's review rounds, and its seats. An `Assignment` is one expert on one
application's panel in one round; an `AssignmentDraw` records how a round's panels were drawn.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.applications.models import Application
from award.auth.models import User, enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow


class RoundKind(enum.StrEnum):
    DOCUMENT = "document"  # 材料评审, always
    ONSITE = "onsite"  # 现场评审, optional per cycle
    PRESENTATION = "presentation"  # 陈述答辩, when the cycle's procedure has it; its own rubric


class RoundStatus(enum.StrEnum):
    SETUP = "setup"  # panels being formed; the method may still change
    OPEN = "open"  # scoring; the method is locked
    CLOSED = "closed"


class AggregationMethod(enum.StrEnum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"
    MEDIAN = "median"


class CountedRecord(enum.StrEnum):
    """Which of a round's two records counts in the ranking; the other is shown beside it."""

    INDEPENDENT = "independent"  # the official method over the experts' independent sheets
    CONSENSUS = "consensus"  # the panel's agreed consensus sheet (组内合议)


class ReviewRound(Base):
    __tablename__ = "review_rounds"
    __table_args__ = (
        UniqueConstraint("cycle_id", "kind"),
        CheckConstraint("required_sheets >= 1", name="required_sheets_positive"),
        CheckConstraint("range_threshold_pct > 0 AND std_threshold_pct > 0", name="thresholds_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoundKind] = mapped_column(enum_column(RoundKind, "round_kind"))
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus, "round_status"), default=RoundStatus.SETUP)
    method: Mapped[AggregationMethod] = mapped_column(
        enum_column(AggregationMethod, "aggregation_method"), default=AggregationMethod.TRIMMED_MEAN
    )
    # Locked with the method once scoring opens: the ranking must never switch records afterwards.
    counts: Mapped[CountedRecord] = mapped_column(
        enum_column(CountedRecord, "counted_record"), default=CountedRecord.INDEPENDENT
    )
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    experts_per_application: Mapped[int] = mapped_column(Integer, default=5)
    required_sheets: Mapped[int] = mapped_column(Integer, default=5)
    # Disagreement: an item is flagged when the range or the standard deviation of its
    # percentages passes these thresholds (percentage points of the item's points).
    range_threshold_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("30"))
    std_threshold_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("12"))
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A round scored on its own form (the presentation round: rubrics/presentation-100.toml), frozen
    # when the round is created; None: the cycle's rubric.
    rubric_key: Mapped[str | None] = mapped_column(String(80))
    rubric_text: Mapped[str | None] = mapped_column(Text)
    rubric_hash: Mapped[str | None] = mapped_column(String(64))

    cycle: Mapped[Cycle] = relationship()


class AssignmentStatus(enum.StrEnum):
    ACTIVE = "active"
    CONFLICT_DECLARED = "conflict_declared"  # the expert declared a conflict; a replacement is due
    REMOVED = "removed"  # taken off by the office (with a reason), e.g. a conflict found later


class AssignmentSource(enum.StrEnum):
    OPTIMAL = "optimal"
    RANDOMIZED = "randomized"
    MANUAL = "manual"


class Assignment(Base):
    """One expert on one application's panel in one round."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "application_id", "expert_id"),
        Index("ix_assignments_expert_round", "expert_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)  # 组长
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_column(AssignmentStatus, "assignment_status"), default=AssignmentStatus.ACTIVE
    )
    source: Mapped[AssignmentSource] = mapped_column(enum_column(AssignmentSource, "assignment_source"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_draws.id"))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 回避与保密承诺: signed before the expert may open the application.
    pledge_signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[ReviewRound] = relationship()
    application: Mapped[Application] = relationship()
    expert: Mapped[User] = relationship()


class AssignmentDraw(Base):
    """One run of the assignment (optimal or randomized): replayable from seed and input hash."""

    __tablename__ = "assignment_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    mode: Mapped[AssignmentSource] = mapped_column(enum_column(AssignmentSource, "draw_mode"))
    seed: Mapped[int | None] = mapped_column(Integer)
    max_pair_probability: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    instance: Mapped[dict] = mapped_column(JSON)  # the solver's input, so anyone can re-run it
    input_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(enum.StrEnum):
    PENDING = "pending"
    PRESENT = "present"  # the applicant's leaders presented and answered
    ABSENT = "absent"


class PresentationDraw(Base):
    """One lot of the presentation order: replayable from its input and seed (like AssignmentDraw)."""

    __tablename__ = "presentation_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    instance: Mapped[dict] = mapped_column(JSON)  # lots.lot_input(): the sorted application ids
    input_hash: Mapped[str] = mapped_column(String(64))
    order: Mapped[list] = mapped_column(JSON)  # the application ids in the drawn order
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PresentationSlot(Base):
    """An applicant's place in the presentation schedule: its time, its room, and whether it attended."""

    __tablename__ = "presentation_slots"
    __table_args__ = (
        UniqueConstraint("round_id", "application_id"),
        UniqueConstraint("round_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("minutes >= 1", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("presentation_draws.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    room: Mapped[str] = mapped_column(String(100))
    attendance: Mapped[Attendance] = mapped_column(enum_column(Attendance, "attendance"), default=Attendance.PENDING)
    attendance_note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship()
