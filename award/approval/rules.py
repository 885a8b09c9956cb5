"""The quorum and pass rules of the leading-group vote, as pure functions of the counts.

Abstentions count as having voted (the member took part) but never as approval. Fractions are
exact integers, so "two thirds" of 3 members is 2 and of 4 members is 3 (rounded up).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from award.cycles.settings import AwardSettings


@dataclass(frozen=True, kw_only=True)
class VoteRule:
    """Quorum: at least `quorum` of the members voted. Pass: approvals over `pass_share` of the base.

    `pass_strict` means "more than" (a tie fails); otherwise "at least". The base is either those
    who voted or all members.
    """

    quorum: Fraction = Fraction(2, 3)
    pass_share: Fraction = Fraction(1, 2)
    pass_strict: bool = True
    pass_base: str = "voters"  # voters | members

    def as_dict(self) -> dict[str, object]:
        return {"quorum": str(self.quorum), "pass_share": str(self.pass_share), "pass_strict": self.pass_strict,
                "pass_base": self.pass_base}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> VoteRule:
        return cls(quorum=Fraction(str(data["quorum"])), pass_share=Fraction(str(data["pass_share"])),
                   pass_strict=bool(data["pass_strict"]), pass_base=str(data["pass_base"]))


PASS_RULES: dict[str, tuple[Fraction, bool, str]] = {
    "majority_of_voters": (Fraction(1, 2), True, "voters"),
    "two_thirds_of_voters": (Fraction(2, 3), False, "voters"),
    "majority_of_members": (Fraction(1, 2), True, "members"),
}


def rule_from_settings(settings: AwardSettings) -> VoteRule:
    share, strict, base = PASS_RULES[settings.pass_rule]
    return VoteRule(quorum=Fraction(settings.quorum), pass_share=share, pass_strict=strict, pass_base=base)


@dataclass(frozen=True, kw_only=True)
class Tally:
    members: int
    approve: int
    reject: int
    abstain: int

    @property
    def voted(self) -> int:
        return self.approve + self.reject + self.abstain


@dataclass(frozen=True, kw_only=True)
class Verdict:
    quorum_met: bool
    passed: bool


def quorum_met(tally: Tally, rule: VoteRule) -> bool:
    """At least the quorum share of the members voted on this candidate (an empty group never meets it)."""
    return tally.members > 0 and Fraction(tally.voted, tally.members) >= rule.quorum


def approval_enough(tally: Tally, rule: VoteRule) -> bool:
    base = tally.voted if rule.pass_base == "voters" else tally.members
    if base == 0:
        return False
    share = Fraction(tally.approve, base)
    return share > rule.pass_share if rule.pass_strict else share >= rule.pass_share


def decide(tally: Tally, rule: VoteRule) -> Verdict:
    """The outcome for one candidate: passed only with the quorum met and enough approvals."""
    if tally.voted > tally.members or min(tally.approve, tally.reject, tally.abstain) < 0:
        raise ValueError("more votes than members, or a negative count")
    met = quorum_met(tally, rule)
    return Verdict(quorum_met=met, passed=met and approval_enough(tally, rule))
