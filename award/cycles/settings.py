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


# Quorum: the share of leading-group members who must vote; pass rules: who must approve.
QUORUM_CHOICES = ("1/2", "2/3", "3/4", "1/1")
PASS_RULES = ("majority_of_voters", "two_thirds_of_voters", "majority_of_members")
NOTICE_KINDS = ("working", "calendar")


@dataclass(frozen=True)
class AwardSettings:
    """The leading-group vote, the public notice (公示) and the title of one cycle (stages 6–8).

    Defaults follow the common city rules: two thirds of the members vote, more than half of
    those who voted approve; a notice of 5 working days; the title held for 4 years.
    """

    quorum: str = "2/3"
    pass_rule: str = "majority_of_voters"
    blinded: bool = False
    notice_kind: str = "working"
    notice_length: int = 5
    title_years: int = 4

    def __post_init__(self) -> None:
        if self.quorum not in QUORUM_CHOICES or self.pass_rule not in PASS_RULES \
                or self.notice_kind not in NOTICE_KINDS:
            raise ValueError("unknown quorum, pass rule or notice kind")
        if not 1 <= self.notice_length <= 60 or not 1 <= self.title_years <= 20:
            raise ValueError("notice length or title years out of range")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AwardSettings:
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in (data or {}).items():
            if key in ("notice_length", "title_years"):
                values[key] = int(value)
            elif key == "blinded":
                values[key] = bool(value)
            elif key in known:
                values[key] = str(value)
        return cls(**values)
