"""Per-cycle settings that differ between cities (domain.md: 'a per-cycle setting')."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
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
    # The city's administrative division codes (or their prefixes, e.g. "4403"), as the credit code
    # carries them in characters 3–8: a code inside passes "registered in the city" automatically,
    # any other is left for a manual check. Empty: every applicant is checked by hand.
    city_divisions: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EligibilitySettings:
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {key: str(value) if types[key] == "str" else int(value)
                                  for key, value in (data or {}).items() if key in types}
        return cls(**values)

    def division_prefixes(self) -> tuple[str, ...]:
        """The city's division codes as a tuple of digit prefixes."""
        return tuple(part for part in re.split(r"[\s,，、;；]+", self.city_divisions) if part)


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


MAX_LEVELS = 5


@dataclass(frozen=True)
class AwardLevel:
    """One award level of a cycle (市长质量奖, 市长质量奖提名奖 …): its quota, cut-off and texts.

    ``certificate_title`` is printed on the certificate after the year (empty: the level's name);
    ``notice_text`` is printed under the level's heading on the notice and the decision.
    """

    name: str
    quota: int
    cutoff: Decimal
    certificate_title: str = ""
    notice_text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "quota": self.quota, "cutoff": str(self.cutoff),
                "certificate_title": self.certificate_title, "notice_text": self.notice_text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AwardLevel:
        return cls(name=str(data.get("name", "")), quota=int(data.get("quota", 0)),
                   cutoff=Decimal(str(data.get("cutoff", "0"))),
                   certificate_title=str(data.get("certificate_title", "")),
                   notice_text=str(data.get("notice_text", "")))


@dataclass(frozen=True)
class AwardLevels:
    """The award levels of a cycle, best first; none means one level (the cycle's quota and cut-off).

    Kept in the cycle's ``award_settings`` under ``"levels"``. Level numbers (1 = the first) are what the
    shortlist, the notice and the awards store.
    """

    levels: tuple[AwardLevel, ...] = ()

    @classmethod
    def of(cls, award_settings: dict[str, Any] | None) -> AwardLevels:
        raw = (award_settings or {}).get("levels") or []
        return cls(tuple(AwardLevel.from_dict(item) for item in raw if isinstance(item, dict)))

    @classmethod
    def from_list(cls, raw: Any) -> AwardLevels:
        """The levels frozen in a snapshot's settings (a list of dicts), or none."""
        if not isinstance(raw, list):
            return cls()
        return cls(tuple(AwardLevel.from_dict(item) for item in raw if isinstance(item, dict)))

    def as_list(self) -> list[dict[str, Any]]:
        return [level.as_dict() for level in self.levels]

    def stored_in(self, award_settings: dict[str, Any] | None) -> dict[str, Any]:
        """``award_settings`` with these levels in it (none: the key removed)."""
        settings = {key: value for key, value in (award_settings or {}).items() if key != "levels"}
        return {**settings, "levels": self.as_list()} if self.levels else settings

    def __bool__(self) -> bool:
        return bool(self.levels)

    def level(self, number: int | None) -> AwardLevel | None:
        """Level ``number`` (1 = the first), or None for none or one out of range."""
        if number is None or not 1 <= number <= len(self.levels):
            return None
        return self.levels[number - 1]

    @property
    def total_quota(self) -> int:
        return sum(level.quota for level in self.levels)

    @property
    def lowest_cutoff(self) -> Decimal:
        return min(level.cutoff for level in self.levels)


# A body named without its city: "市人民政府" at the start of a text or after anything but a character of a
# name ("苏州市人民政府" is named; "联系方式：市市场监督管理局" is not).
_BARE_BODY = re.compile(r"(?<![\u3400-\u9fff])市(人民政府|市场监督管理局|长质量奖评审委员会办公室)")
ISSUER_FIELDS = ("city", "government", "regulator", "award_office")


@dataclass(frozen=True)
class IssuerSettings:
    """Who issues the cycle's documents, named in full on every one of them (decision, notice, certificate,
    feedback report, receipt): the city, its government, the market regulation bureau and the award office.

    Only the city is needed: each body left empty is named after it (苏州市 → 苏州市人民政府,
    苏州市市场监督管理局, 苏州市市长质量奖评审委员会办公室); a city whose bodies are named otherwise writes them.
    Kept in the cycle's ``award_settings`` under ``"issuers"``.
    """

    city: str = ""
    government: str = ""
    regulator: str = ""
    award_office: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> IssuerSettings:
        return cls(**{key: str(value).strip() for key, value in (data or {}).items() if key in ISSUER_FIELDS})

    @classmethod
    def of(cls, award_settings: dict[str, Any] | None) -> IssuerSettings:
        """The issuers kept in a cycle's ``award_settings``."""
        return cls.from_dict((award_settings or {}).get("issuers"))

    def stored_in(self, award_settings: dict[str, Any] | None) -> dict[str, Any]:
        """``award_settings`` with these issuers in it."""
        return {**(award_settings or {}), "issuers": self.as_dict()}

    @property
    def complete(self) -> bool:
        """Every body can be named: the city is given, or each body is written out."""
        return bool(self.city) or bool(self.government and self.regulator and self.award_office)

    def _named(self, written: str, suffix: str) -> str:
        return written or (f"{self.city}{suffix}" if self.city else "")

    @property
    def government_name(self) -> str:
        return self._named(self.government, "人民政府")

    @property
    def regulator_name(self) -> str:
        return self._named(self.regulator, "市场监督管理局")

    @property
    def award_office_name(self) -> str:
        return self._named(self.award_office, "市长质量奖评审委员会办公室")

    def placeholders(self) -> dict[str, str]:
        """The names the documents' texts may use in braces: ``{city}``, ``{government}`` …"""
        return {"city": self.city, "government": self.government_name, "regulator": self.regulator_name,
                "award_office": self.award_office_name}


def bare_bodies(text: str) -> list[str]:
    """The bodies ``text`` names without their city ("市人民政府", "市市场监督管理局" …), in order."""
    return [match.group(0) for match in _BARE_BODY.finditer(text)]
