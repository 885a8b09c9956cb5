"""Flags that describe this database itself (for example: it holds the demo)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from award.db import Base


class SiteFlag(Base):
    __tablename__ = "site_flags"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
