"""Awards: who holds the title, until when, under which certificate number, and revocations.

The certificates area renders certificates and the public check from these rows; the
applications' screening reads the history (cool-down after an award, ban after a revocation).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.applications.models import Application
from award.auth.models import Organization, enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow


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
