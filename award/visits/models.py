"""On-site visit tables: one visit per application of the on-site round, its checklist per rubric item and
the photos taken as evidence (in the one file store, like evidence files)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.applications.models import Application
from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow
from award.files import refers_to
from award.rounds.models import ReviewRound


class CheckStatus(enum.StrEnum):
    """What the team found on site for one rubric item."""

    OPEN = "open"  # not looked at yet
    CONFIRMED = "confirmed"  # the self-assessment's claims hold
    PARTLY = "partly"  # some hold, some do not
    NOT_CONFIRMED = "not_confirmed"  # the claims could not be verified


class SiteVisit(Base):
    """The on-site visit of one application: its date and itinerary; its team is the round's panel."""

    __tablename__ = "site_visits"
    __table_args__ = (UniqueConstraint("round_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    visit_on: Mapped[dt.date] = mapped_column(Date)
    itinerary: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[ReviewRound] = relationship()
    application: Mapped[Application] = relationship()
    checks: Mapped[list[VisitCheck]] = relationship(back_populates="visit", order_by="VisitCheck.id",
                                                    cascade="all, delete-orphan")
    photos: Mapped[list[VisitPhoto]] = relationship(back_populates="visit", order_by="VisitPhoto.id",
                                                    cascade="all, delete-orphan")


class VisitCheck(Base):
    """The checklist line of one rubric item: what was found, and the team's notes."""

    __tablename__ = "visit_checks"
    __table_args__ = (UniqueConstraint("visit_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("site_visits.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[CheckStatus] = mapped_column(enum_column(CheckStatus, "visit_check_status"),
                                                default=CheckStatus.OPEN)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[SiteVisit] = relationship(back_populates="checks")


class VisitPhoto(Base):
    """A photo taken on site as evidence for one rubric item; stored under a random name, with its SHA-256."""

    __tablename__ = "visit_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("site_visits.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    stored_name: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    location_stripped: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[SiteVisit] = relationship(back_populates="photos")


refers_to(VisitPhoto.sha256)  # the file store keeps these files, and verify checks them
