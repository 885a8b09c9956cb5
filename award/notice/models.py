"""The public notice of a cycle, the candidates on it, and the objections filed against them.

A notice lists the candidates approved by the leading group, copied in when it is published (name
and credit code as printed in the notice). A candidate withdrawn by an upheld objection, or found
on the dishonesty list when publishing, keeps its row with the reason: nothing disappears silently.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.audit.anchors import Anchor
from award.auth.models import enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to
from award.notice.periods import PeriodKind


class PublicNotice(Base):
    __tablename__ = "public_notices"
    __table_args__ = (
        UniqueConstraint("cycle_id"),
        CheckConstraint("period_length >= 1", name="period_positive"),
        CheckConstraint("ends_at > published_at", name="ends_after_publication"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column(PeriodKind, "period_kind"))
    period_length: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    award_title: Mapped[str] = mapped_column(String(200))  # the title each awardee will hold
    benefits: Mapped[str] = mapped_column(Text, default="")  # what each receives: certificate, plaque, prize
    contact: Mapped[str] = mapped_column(Text, default="")  # where objections can also be sent on paper
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the final list was confirmed
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The audit chain's head (record number and hash) right after publication and after the final
    # list's confirmation: printed on the official documents, so a later rewrite of the chain shows.
    published_anchor_seq: Mapped[int | None] = mapped_column(Integer)
    published_anchor_hash: Mapped[str | None] = mapped_column(String(64))
    confirmed_anchor_seq: Mapped[int | None] = mapped_column(Integer)
    confirmed_anchor_hash: Mapped[str | None] = mapped_column(String(64))

    cycle: Mapped[Cycle] = relationship()

    @property
    def published_anchor(self) -> Anchor | None:
        if self.published_anchor_seq is None or self.published_anchor_hash is None:
            return None
        return Anchor(self.published_anchor_seq, self.published_anchor_hash)

    @property
    def confirmed_anchor(self) -> Anchor | None:
        if self.confirmed_anchor_seq is None or self.confirmed_anchor_hash is None:
            return None
        return Anchor(self.confirmed_anchor_seq, self.confirmed_anchor_hash)
    candidates: Mapped[list[NoticeCandidate]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeCandidate.position"
    )

    def is_open(self, now: dt.datetime) -> bool:
        return self.published_at <= now < self.ends_at

    @property
    def listed(self) -> list[NoticeCandidate]:
        return [c for c in self.candidates if c.withdrawn_at is None]

    @property
    def withdrawn(self) -> list[NoticeCandidate]:
        return [c for c in self.candidates if c.withdrawn_at is not None]


class NoticeCandidate(Base):
    """One approved candidate on the notice; withdrawn (with the reason) but never deleted."""

    __tablename__ = "notice_candidates"
    __table_args__ = (
        UniqueConstraint("notice_id", "application_id"),
        UniqueConstraint("notice_id", "position"),
        CheckConstraint("withdrawn_at IS NULL OR withdrawn_reason <> ''", name="withdrawal_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    position: Mapped[int] = mapped_column(Integer)
    organization_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # The award level from the frozen shortlist (1 = the first); None: the cycle has one level.
    level: Mapped[int | None] = mapped_column(Integer)

    notice: Mapped[PublicNotice] = relationship(back_populates="candidates")


class ObjectionOutcome(enum.StrEnum):
    PENDING = "pending"
    DISMISSED = "dismissed"
    UPHELD = "upheld"


class Objection(Base):
    """A written, real-name objection with its evidence file, and the office's decision on it."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("name <> '' AND phone <> '' AND text <> ''", name="real_name_and_text"),
        CheckConstraint("id_number <> '' OR organization <> ''", name="identity_given"),
        CheckConstraint("size_bytes > 0", name="evidence_not_empty"),
        CheckConstraint("outcome = 'pending' OR (outcome_reason <> '' AND decided_at IS NOT NULL)",
                        name="decision_has_reason"),
        # Objections filed before references existed have none; every new one has its own.
        Index("ix_objections_reference", "reference", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The number the objector follows it with (references.py), asked for with the phone it was filed with.
    reference: Mapped[str | None] = mapped_column(String(16))
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("notice_candidates.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), default="")  # 居民身份证号码, checked
    organization: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30))
    # Optional: where the office's answer is sent.
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    # The evidence file, stored like applications' evidence (random name, type by content, SHA-256).
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[ObjectionOutcome] = mapped_column(
        enum_column(ObjectionOutcome, "objection_outcome"), default=ObjectionOutcome.PENDING
    )
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    # The office's answer to the objector: e-mailed if an address was given, and shown on lookup.
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[PublicNotice] = relationship()
    candidate: Mapped[NoticeCandidate] = relationship()


refers_to(Objection.sha256)  # the file store keeps these files, and verify checks them
