"""Reads of cycles shared by several areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.cycles.models import Cycle, Stage


def active_cycles(session: Session) -> list[Cycle]:
    """Every cycle not yet closed, newest year first."""
    return list(session.scalars(select(Cycle).where(Cycle.stage != Stage.CLOSED).order_by(Cycle.year.desc(), Cycle.id)))
