"""The review area's tables: the expert pool, rounds, panels (assignments), pledges and score sheets.

Experts are `User` accounts with role expert; `ExpertProfile` holds what conflict detection and
assignment need. An `Assignment` is one expert on one application's panel in one round.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.applications.models import Application
from award.auth.models import User, enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow
from award.review.coi import ConflictType, RelationKind

# --------------------------------------------------------------------------- expert pool


class ExpertProfile(Base):
    """An expert of the city's pool (专家库): who they are and what they declared."""

    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    title: Mapped[str] = mapped_column(String(100), default="")  # 职称, e.g. 正高级工程师
    organization_code: Mapped[str] = mapped_column(String(18), index=True)  # 统一社会信用代码
    organization_name: Mapped[str] = mapped_column(String(200))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)  # GB/T 4754 section letters
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


class PinnedConflict(Base):
    """A conflict the office recorded by hand. Rows are never deleted (no silent removal)."""

    __tablename__ = "pinned_conflicts"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[ConflictType] = mapped_column(enum_column(ConflictType, "pinned_conflict_type"))
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
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True)
    employment_years: Mapped[int] = mapped_column(Integer, default=3)
    consulting_years: Mapped[int] = mapped_column(Integer, default=3)
    dispute_years: Mapped[int] = mapped_column(Integer, default=3)
    financial_years: Mapped[int] = mapped_column(Integer, default=0)
    relative_years: Mapped[int] = mapped_column(Integer, default=0)
    business_years: Mapped[int] = mapped_column(Integer, default=0)
    # None: the cycle's document-review deadline (else its application deadline, else creation day).
    reference_date: Mapped[dt.date | None] = mapped_column(Date)


# --------------------------------------------------------------------------- rounds and panels


class RoundKind(enum.StrEnum):
    DOCUMENT = "document"  # 材料评审, always
    ONSITE = "onsite"  # 现场评审, optional per cycle


class RoundStatus(enum.StrEnum):
    SETUP = "setup"  # panels being formed; the method may still change
    OPEN = "open"  # scoring; the method is locked
    CLOSED = "closed"


class AggregationMethod(enum.StrEnum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"
    MEDIAN = "median"


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
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    experts_per_application: Mapped[int] = mapped_column(Integer, default=5)
    required_sheets: Mapped[int] = mapped_column(Integer, default=5)
    # Disagreement: an item is flagged when the range or the standard deviation of its
    # percentages passes these thresholds (percentage points of the item's points).
    range_threshold_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("30"))
    std_threshold_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("12"))
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

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


# --------------------------------------------------------------------------- score sheets


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
