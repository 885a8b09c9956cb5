"""Applications, their evidence files, status history, screening results and the blacklist."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.auth.models import Organization, enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to


class ApplicationStatus(enum.StrEnum):
    """Where an application stands; the allowed moves are in services.TRANSITIONS."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


class RuleOutcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REVIEW = "review"  # the data cannot decide: the office must look


DEFAULT_MAX_SELF_ASSESSMENT_CHARS = 60_000


class Application(Base):
    """One organization's application in one cycle (one per organization per cycle)."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("cycle_id", "organization_id"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees_not_negative"),
        CheckConstraint("revenue IS NULL OR revenue >= 0", name="revenue_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), default=ApplicationStatus.DRAFT, index=True
    )
    # Organization profile, as declared by the applicant.
    org_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    district: Mapped[str] = mapped_column(String(60), default="", index=True)
    sector: Mapped[str] = mapped_column(String(10), default="", index=True)
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))  # 万元 (ten thousand yuan)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    qms_certified_on: Mapped[dt.date | None] = mapped_column(Date)
    # Declarations: the date of the latest major accident / administrative penalty, empty if none.
    last_major_accident_on: Mapped[dt.date | None] = mapped_column(Date)
    accident_note: Mapped[str] = mapped_column(Text, default="")
    last_penalty_on: Mapped[dt.date | None] = mapped_column(Date)
    penalty_note: Mapped[str] = mapped_column(Text, default="")
    declaration_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Self-assessment (自评报告): rubric item id → text. The cycle's rubric decides the keys.
    self_assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Raised by every save of the draft that changed something: the autosave's check against a stale page.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    screened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    cycle: Mapped[Cycle] = relationship()
    organization: Mapped[Organization] = relationship()
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="application", order_by="EvidenceFile.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id", cascade="all, delete-orphan"
    )
    screening: Mapped[list[ScreeningResult]] = relationship(
        back_populates="application", order_by="ScreeningResult.id", cascade="all, delete-orphan"
    )

    def self_assessment_length(self) -> int:
        return sum(len(str(text)) for text in (self.self_assessment or {}).values())


class ApplicationEvent(Base):
    """One status change with its date and reason: the status page and the history."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus, "event_from_status"))
    to_status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus, "event_to_status"))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")


class EvidenceFile(Base):
    """An uploaded PDF/JPEG/PNG. Stored under a random name; the original name is display text only."""

    __tablename__ = "evidence_files"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The rubric item (of the application's cycle) the file supports; None for a file of the whole application.
    rubric_item_id: Mapped[str | None] = mapped_column(String(20))

    application: Mapped[Application] = relationship(back_populates="files")


class ApplicationSubmission(Base):
    """What the applicant submitted, frozen at each submission: the receipt is printed from the latest.

    The application itself is edited again after a return; the row keeps the profile, the self-assessment
    and the evidence list (names, sizes, SHA-256) exactly as they were sent, with `content_sha256` over them."""

    __tablename__ = "application_submissions"
    __table_args__ = (UniqueConstraint("application_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first submission, 2 after a return, ...
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))


class ScreeningResult(Base):
    """One eligibility rule for one application: the automatic finding and the office's decision."""

    __tablename__ = "screening_results"
    __table_args__ = (
        UniqueConstraint("application_id", "rule"),
        CheckConstraint("decision <> 'review'", name="decision_is_pass_or_fail"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    automatic: Mapped[RuleOutcome] = mapped_column(enum_column(RuleOutcome, "screening_automatic"))
    fact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision: Mapped[RuleOutcome] = mapped_column(enum_column(RuleOutcome, "screening_decision"))
    # Required when the decision differs from the automatic finding, or when a rule fails.
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="screening")


class BlacklistEntry(Base):
    """A credit code on a quality-credit dishonesty list (质量信用失信名单), with source and date."""

    __tablename__ = "blacklist_entries"
    __table_args__ = (UniqueConstraint("credit_code", "source", "listed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    source: Mapped[str] = mapped_column(String(200))
    listed_on: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ApplicationSettings(Base):
    """Per-cycle settings of this area (a row is optional: defaults apply without one)."""

    __tablename__ = "application_settings"
    __table_args__ = (CheckConstraint("max_self_assessment_chars > 0", name="max_chars_positive"),)

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True)
    max_self_assessment_chars: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_SELF_ASSESSMENT_CHARS)


class DraftStash(Base):
    """Form text the owner posted after their login expired, kept until they sign in again and reopen the form.

    Only the owner's own form can leave one (it carries a signed token naming the application and the
    user), one per owner and application; the newer replaces the older."""

    __tablename__ = "draft_stashes"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


refers_to(EvidenceFile.sha256)  # the file store keeps these files, and verify checks them
