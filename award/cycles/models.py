"""Award cycles: settings, the frozen rubric, deadlines per stage, and the stage itself."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow


class Stage(enum.StrEnum):
    """The stages of one cycle, in the order of domain.md. A cycle runs the ones its procedure
    (`procedure.py`) chooses, in the procedure's order (presentation and on-site review may swap)."""

    DRAFT = "draft"
    APPLICATION = "application"
    SCREENING = "screening"
    DOCUMENT_REVIEW = "document_review"
    PRESENTATION = "presentation"  # 陈述答辩, when the cycle's procedure has it
    ONSITE_REVIEW = "onsite_review"
    SOCIAL_EVALUATION = "social_evaluation"  # 社会评价, when the procedure has it
    DELIBERATION = "deliberation"
    COMMITTEE = "committee"  # 评委会审议, when the procedure has it
    APPROVAL = "approval"
    NOTICE = "notice"
    AWARDED = "awarded"
    CLOSED = "closed"


class CycleKind(enum.StrEnum):
    """An award cycle, or the re-assessment of holders whose titles are near expiry (awards.reassessment)."""

    AWARD = "award"
    REASSESSMENT = "reassessment"


class Cycle(Base):
    __tablename__ = "cycles"
    __table_args__ = (
        UniqueConstraint("year", "title"),
        CheckConstraint("awards_count > 0", name="awards_count_positive"),
        CheckConstraint("experts_per_application >= 1", name="experts_positive"),
        CheckConstraint("cutoff_score >= 0", name="cutoff_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "stage"), default=Stage.DRAFT)
    kind: Mapped[CycleKind] = mapped_column(enum_column(CycleKind, "cycle_kind"), default=CycleKind.AWARD,
                                            server_default=CycleKind.AWARD.value)
    rubric_key: Mapped[str] = mapped_column(String(80))
    # The rubric file's text as it was when the cycle was created: later edits change nothing.
    rubric_text: Mapped[str] = mapped_column(Text)
    rubric_hash: Mapped[str] = mapped_column(String(64))
    awards_count: Mapped[int]
    cutoff_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    experts_per_application: Mapped[int]
    # Kept in step with the procedure: true when it has on-site review (the round and the pages read it).
    onsite_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # The procedure (procedure.Procedure.as_dict()): steps, order, weights; frozen when applications open.
    # None: the current shape (document review, on-site review per `onsite_review`, the leading group).
    procedure: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Vote, public notice and title settings (settings.AwardSettings); empty means the defaults.
    award_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    deadlines: Mapped[list[CycleDeadline]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="CycleDeadline.due_at"
    )

    def deadline(self, stage: Stage) -> dt.datetime | None:
        return next((d.due_at for d in self.deadlines if d.stage is stage), None)


class CycleDeadline(Base):
    """When a stage closes (for example the last moment to submit an application)."""

    __tablename__ = "cycle_deadlines"
    __table_args__ = (UniqueConstraint("cycle_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "deadline_stage"))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    cycle: Mapped[Cycle] = relationship(back_populates="deadlines")
