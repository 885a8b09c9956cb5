"""Per-cycle settings that differ between cities (domain.md: 'a per-cycle setting')."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class EligibilitySettings:
    """The screening rules of one cycle; every number is configurable (资格审核)."""

    min_years_in_operation: int = 5
    min_qms_years: int = 3
    accident_window_years: int = 3
    penalty_window_years: int = 1
    award_cooldown_cycles: int = 3
    revocation_ban_years: int = 3

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EligibilitySettings:
        known = {f.name for f in fields(cls)}
        return cls(**{key: int(value) for key, value in (data or {}).items() if key in known})
