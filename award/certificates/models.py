"""Per-cycle certificate texts and seal: what the office edits before printing.

A row is optional: without one, the award's own title and date and the default authority
apply. The seal image itself lives in the file store (``award.files``), found by the SHA-256 the
row keeps with its type and size.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to


class CertificateSettings(Base):
    __tablename__ = "certificate_settings"
    __table_args__ = (
        CheckConstraint("seal_mime IS NULL OR seal_mime IN ('image/png', 'image/jpeg')", name="seal_mime_known"),
        CheckConstraint("(seal_stored_name IS NULL) = (seal_mime IS NULL)", name="seal_complete"),
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True)
    # Printed after the year: "2026年度" + award_title; empty means the award's own title.
    award_title: Mapped[str] = mapped_column(String(200), default="")
    authority: Mapped[str] = mapped_column(String(200), default="")  # issuing body; empty: the default
    issue_date: Mapped[dt.date | None] = mapped_column(Date)  # None: the day the awards were confirmed
    seal_stored_name: Mapped[str | None] = mapped_column(String(80))
    seal_mime: Mapped[str | None] = mapped_column(String(20))
    seal_sha256: Mapped[str | None] = mapped_column(String(64))
    seal_size: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


refers_to(CertificateSettings.seal_sha256)
