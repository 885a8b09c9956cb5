"""A cycle's public call (申报通知): its text and guidelines, its files, and whether it is published."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to


class CycleCall(Base):
    """One call per cycle; the public sees it only while `published_at` is set."""

    __tablename__ = "cycle_calls"
    __table_args__ = (CheckConstraint("title <> ''", name="call_has_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # Plain text; a blank line starts a new paragraph (rules.paragraphs). Never rendered as HTML.
    body: Mapped[str] = mapped_column(Text, default="")
    guidelines: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle: Mapped[Cycle] = relationship()
    attachments: Mapped[list[CallAttachment]] = relationship(
        back_populates="call", order_by="CallAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None


class CallAttachment(Base):
    """A file of the call (form, guide, table, image), stored like evidence: random name, type by content, SHA-256."""

    __tablename__ = "call_attachments"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="call_attachment_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("cycle_calls.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    call: Mapped[CycleCall] = relationship(back_populates="attachments")


refers_to(CallAttachment.sha256)  # the file store keeps these files, and verify checks them
