"""Social evaluation tables: imported list records, the public comment window and its comments, the finding
per candidate. A record is keyed by the 统一社会信用代码, as the dishonesty list is; a finding belongs to one
application, and a veto (一票否决) removes it from the proposal (the ranking shows why).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.applications.models import Application
from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow


class ListKind(enum.StrEnum):
    """The lists the office checks a candidate against (domain.md, stage 6)."""

    CREDIT = "credit"  # credit and dishonesty lists (信用记录)
    PENALTY = "penalty"  # administrative penalties (行政处罚)
    INSPECTION = "inspection"  # quality inspection failures (质量抽查不合格)
    COMPLAINT = "complaint"  # complaints (投诉举报)


class FindingLevel(enum.StrEnum):
    NONE = "none"  # nothing found that matters
    NOTED = "noted"  # found and noted for the deciders, no veto
    VETO = "veto"  # 一票否决: the candidate leaves the proposal


class SocialRecord(Base):
    """One row of an imported list: a credit code, the list's source and the date of the record."""

    __tablename__ = "social_records"
    __table_args__ = (UniqueConstraint("kind", "credit_code", "source", "listed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ListKind] = mapped_column(enum_column(ListKind, "social_list_kind"))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    source: Mapped[str] = mapped_column(String(200))
    listed_on: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SocialFinding(Base):
    """The office's finding on one candidate: none, noted or veto, with a reason and its evidence."""

    __tablename__ = "social_findings"
    __table_args__ = (
        UniqueConstraint("application_id"),
        CheckConstraint("level = 'none' OR reason <> ''", name="reason_when_found"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    level: Mapped[FindingLevel] = mapped_column(enum_column(FindingLevel, "social_finding_level"))
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")  # the records and comments relied on, in words
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()


class CommentWindow(Base):
    """The optional public comment window of a cycle's social evaluation (on the public notice's model)."""

    __tablename__ = "social_comment_windows"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window_order"),)

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PublicComment(Base):
    """A real-name comment on a candidate, filed while the window is open; anonymous ones are not accepted."""

    __tablename__ = "social_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
