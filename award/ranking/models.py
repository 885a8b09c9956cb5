"""Ranking tables: per-cycle ranking settings and the frozen shortlist the leading group votes on.

A `RankingSnapshot` is the ranked list of a cycle as the office submitted it: every figure is
copied in, so later changes to sheets, conflicts or settings never alter what was voted on.
Freezing again (still in deliberation) adds a new version; the approval area reads the latest.
"""

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
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow


class CombineMode(enum.StrEnum):
    """How the on-site round's figures combine with the document round's (when both exist)."""

    REPLACE = "replace"  # the on-site figure replaces the document figure
    WEIGHTED = "weighted"  # (1 - w) x document + w x on-site


class RankingSettings(Base):
    """Per-cycle ranking settings; a row is optional (defaults apply without one)."""

    __tablename__ = "ranking_settings"
    __table_args__ = (
        CheckConstraint("onsite_weight >= 0 AND onsite_weight <= 1", name="onsite_weight_range"),
        CheckConstraint("min_sheets_for_leniency >= 2", name="leniency_min_sheets"),
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True)
    combine_mode: Mapped[CombineMode] = mapped_column(
        enum_column(CombineMode, "combine_mode"), default=CombineMode.REPLACE
    )
    onsite_weight: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.5"))
    # GB/T 4754 section letter -> the most shortlisted applications of that sector.
    sector_limits: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    min_sheets_for_leniency: Mapped[int] = mapped_column(Integer, default=5)


class RankingSnapshot(Base):
    """One frozen ranking of a cycle, with the settings it was computed under."""

    __tablename__ = "ranking_snapshots"
    __table_args__ = (
        UniqueConstraint("cycle_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    combine_mode: Mapped[str | None] = mapped_column(String(20))  # None: one round only
    onsite_weight: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    cutoff_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    awards_count: Mapped[int] = mapped_column(Integer)
    # Everything else the ranking depended on: rounds, tie-break, sector limits, thresholds.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    # sha256 over the canonical entries: the approval area can show it beside the vote.
    content_hash: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    entries: Mapped[list[ShortlistEntry]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", order_by="ShortlistEntry.position"
    )

    @property
    def shortlist(self) -> list[ShortlistEntry]:
        return [entry for entry in self.entries if entry.in_shortlist]


class ShortlistEntry(Base):
    """One application in a frozen ranking: its place, figures, exclusions, flags and robustness."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "application_id"),
        UniqueConstraint("snapshot_id", "position"),
        UniqueConstraint("snapshot_id", "rank"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
        CheckConstraint("NOT in_shortlist OR rank IS NOT NULL", name="shortlisted_are_ranked"),
        CheckConstraint("in_shortlist OR reason IS NOT NULL", name="reason_when_out"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("ranking_snapshots.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order on the list, unranked ones last
    rank: Mapped[int | None] = mapped_column(Integer)
    organization_name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(10), default="")
    status: Mapped[str] = mapped_column(String(30))
    sheet_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    # {category id: figure}, {method: total}: figures as strings with 2 decimals (exact).
    categories: Mapped[dict[str, Any]] = mapped_column(JSON)
    method_totals: Mapped[dict[str, Any]] = mapped_column(JSON)
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {item id: figure}, official method
    mean_z: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # leniency-normalized view, information only
    decided_by: Mapped[str | None] = mapped_column(String(20))
    in_shortlist: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(30))
    # [{"expert": "E3", "reason": "..."}]: sheets left out, never the expert's identity.
    exclusions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {"disagreements": [item ids], "incomplete_sheets": n, "blacklist": [sources]}
    flags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    robustness: Mapped[str] = mapped_column(String(20))  # stable | sensitive | not_ranked | not_computed | consensus_*
    flipped_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"document": "independent", "onsite": "consensus"}: the record each round's figure in the total
    # came from; {} in snapshots frozen before rounds stated it.
    counted: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The independent sheets beside what counted: {"total": official method over them, combined like
    # the rounds, "ranges": {round kind: [lowest, highest sheet total]}}; figures as 2-decimal strings.
    independent: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The award level (1 = the first of the snapshot's settings["levels"]); None: the cycle has one level.
    level: Mapped[int | None] = mapped_column(Integer)

    snapshot: Mapped[RankingSnapshot] = relationship(back_populates="entries")
