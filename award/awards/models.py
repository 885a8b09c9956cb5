"""Awards: who holds the title, until when, under which certificate number, and revocations.

The certificates area renders certificates and the public check from these rows; the
applications' screening reads the history (cool-down after an award, ban after a revocation).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.applications.models import Application
from award.auth.models import Organization, enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to


class AwardStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Award(Base):
    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("application_id"),
        UniqueConstraint("certificate_number"),
        CheckConstraint("valid_until > awarded_on", name="valid_after_award"),
        CheckConstraint(
            "status = 'valid' OR (revoked_on IS NOT NULL AND revoke_reason <> '' AND ban_until IS NOT NULL)",
            name="revocation_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    organization_name: Mapped[str] = mapped_column(String(200))  # as on the certificate
    title: Mapped[str] = mapped_column(String(200))
    awarded_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)  # the last day the title is held
    status: Mapped[AwardStatus] = mapped_column(enum_column(AwardStatus, "award_status"), default=AwardStatus.VALID)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ban_until: Mapped[dt.date | None] = mapped_column(Date)  # no application before this day
    certificate_number: Mapped[str] = mapped_column(String(20))
    # The award level (1 = the first of the cycle's levels); None: the cycle has one level.
    level: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    application: Mapped[Application] = relationship()
    organization: Mapped[Organization] = relationship()

    def is_valid_on(self, day: dt.date) -> bool:
        """Holds the title on `day`: not revoked and inside its validity."""
        return self.status is AwardStatus.VALID and self.awarded_on <= day <= self.valid_until


class FollowUpReport(Base):
    """A holder's yearly follow-up report (经验分享, improvement results), with an optional file.

    One per award and year; the file is stored like evidence (random name, type by content, SHA-256).
    """

    __tablename__ = "follow_up_reports"
    __table_args__ = (
        UniqueConstraint("award_id", "year"),
        CheckConstraint("experience <> '' AND improvements <> ''", name="report_has_text"),
        CheckConstraint("(stored_name IS NULL) = (sha256 IS NULL)", name="report_file_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the year reported on
    experience: Mapped[str] = mapped_column(Text)  # 经验分享
    improvements: Mapped[str] = mapped_column(Text)  # improvement results
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(80), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    award: Mapped[Award] = relationship()


class ReassessmentOutcome(enum.StrEnum):
    PENDING = "pending"
    RENEWED = "renewed"
    LAPSED = "lapsed"


class Reassessment(Base):
    """A holder re-assessed in a re-assessment cycle (cycles.models.CycleKind.REASSESSMENT): its
    application there, and the outcome that renews the title or lets it lapse at its expiry."""

    __tablename__ = "reassessments"
    __table_args__ = (
        UniqueConstraint("cycle_id", "award_id"),
        UniqueConstraint("application_id"),
        CheckConstraint("outcome = 'pending' OR (decided_at IS NOT NULL AND reason <> '')",
                        name="reassessment_decided"),
        CheckConstraint("outcome <> 'renewed' OR renewed_until IS NOT NULL", name="renewal_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    previous_valid_until: Mapped[dt.date] = mapped_column(Date)  # the title's end before the outcome
    outcome: Mapped[ReassessmentOutcome] = mapped_column(
        enum_column(ReassessmentOutcome, "reassessment_outcome"), default=ReassessmentOutcome.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    renewed_until: Mapped[dt.date | None] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle: Mapped[Cycle] = relationship()
    award: Mapped[Award] = relationship()
    application: Mapped[Application] = relationship()


refers_to(FollowUpReport.sha256)  # the file store keeps these files, and verify checks them
