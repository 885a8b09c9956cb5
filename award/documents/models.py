"""The office's texts of the official documents, the overlay positions of a cycle, and the printers.

A cycle without a row uses the defaults (``official.default_texts``, ``overlay.Layout``): a row
appears the first time the office saves the form.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from award.auth.models import enum_column
from award.db import Base, UTCDateTime, utcnow


class DocumentKind(enum.StrEnum):
    NOTICE = "notice"  # 公示名单: the candidates on the public notice
    DECISION = "decision"  # 表彰决定名单: the confirmed awards


class DocumentText(Base):
    """The office's wording of one official document of a cycle, with its optional seal image."""

    __tablename__ = "document_texts"
    __table_args__ = (
        UniqueConstraint("cycle_id", "kind"),
        CheckConstraint("issuing_office <> '' AND title <> ''", name="office_and_title"),
        CheckConstraint("seal_image IS NULL OR seal_mime IN ('image/png', 'image/jpeg')", name="seal_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"))
    issuing_office: Mapped[str] = mapped_column(String(100))
    document_number: Mapped[str] = mapped_column(String(60), default="")  # 文号, e.g. 质奖办〔2026〕3号
    title: Mapped[str] = mapped_column(String(200))
    opening: Mapped[str] = mapped_column(Text, default="")
    closing: Mapped[str] = mapped_column(Text, default="")
    issued_on: Mapped[dt.date | None] = mapped_column(Date)  # None: the notice's or the award's date
    seal_image: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal_mime: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def _decimal() -> Mapped[Decimal]:
    return mapped_column(Numeric(5, 1))


class OverlayLayout(Base):
    """Where the variable text of a certificate goes on the cycle's pre-printed stock, in millimetres.

    A position is the left end of the text's baseline, measured from the top-left corner of the sheet.
    """

    __tablename__ = "overlay_layouts"
    __table_args__ = (
        UniqueConstraint("cycle_id"),
        CheckConstraint("page_width_mm BETWEEN 50 AND 500 AND page_height_mm BETWEEN 50 AND 500", name="page_size"),
        CheckConstraint(
            "organization_x_mm >= 0 AND organization_x_mm <= page_width_mm AND organization_y_mm >= 0 "
            "AND organization_y_mm <= page_height_mm AND number_x_mm >= 0 AND number_x_mm <= page_width_mm "
            "AND number_y_mm >= 0 AND number_y_mm <= page_height_mm AND date_x_mm >= 0 "
            "AND date_x_mm <= page_width_mm AND date_y_mm >= 0 AND date_y_mm <= page_height_mm",
            name="positions_on_page"),
        CheckConstraint("organization_pt BETWEEN 6 AND 72 AND number_pt BETWEEN 6 AND 72 AND date_pt BETWEEN 6 AND 72",
                        name="sizes"),
        CheckConstraint("organization_max_width_mm > 0", name="max_width_positive"),
        CheckConstraint("date_style IN ('chinese', 'arabic')", name="date_style"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    page_width_mm: Mapped[Decimal] = _decimal()
    page_height_mm: Mapped[Decimal] = _decimal()
    organization_x_mm: Mapped[Decimal] = _decimal()
    organization_y_mm: Mapped[Decimal] = _decimal()
    organization_pt: Mapped[Decimal] = _decimal()
    organization_max_width_mm: Mapped[Decimal] = _decimal()
    number_x_mm: Mapped[Decimal] = _decimal()
    number_y_mm: Mapped[Decimal] = _decimal()
    number_pt: Mapped[Decimal] = _decimal()
    date_x_mm: Mapped[Decimal] = _decimal()
    date_y_mm: Mapped[Decimal] = _decimal()
    date_pt: Mapped[Decimal] = _decimal()
    date_style: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PrinterProfile(Base):
    """One printer's calibration: how far to move everything it prints (positive x right, positive y down)."""

    __tablename__ = "printer_profiles"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint("name <> ''", name="name_given"),
        CheckConstraint("offset_x_mm BETWEEN -50 AND 50 AND offset_y_mm BETWEEN -50 AND 50", name="offsets"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    offset_x_mm: Mapped[Decimal] = mapped_column(Numeric(4, 1), default=Decimal(0))
    offset_y_mm: Mapped[Decimal] = mapped_column(Numeric(4, 1), default=Decimal(0))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
