"""A cycle's procedure (评审程序): the steps it runs, in which order, and how its scored rounds combine.

Cities share one skeleton (专家评议、社会公示、政府审定) and differ in the steps between: some hear the
applicants present (陈述答辩: Shenzhen, Taicang, Binhu), some visit them (现场评审), some check their
record and reputation (社会评价: Shenzhen), some have a review committee vote (评委会审议), a leading group
vote (领导小组审定) or both. The office chooses before the cycle opens; the procedure is frozen from
then on and the stage machine (`stages.py`) follows it.

The rules, pure (no database):
- screening, document review, the public notice and the award are always there;
- presentation, on-site review and social evaluation come after document review and before the
  ranking, in any order the office chooses;
- at least one vote: the committee, the leading group, or both, the committee first;
- every scored round has a weight; the weights are shares that add up to 1. Two rounds of the
  current shape (document and on-site) may also combine by "replace" (the on-site figure counts).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from award.cycles.models import Stage
from award.i18n import _


class Step(enum.StrEnum):
    """A step the office can choose; each is a stage of the cycle."""

    SCREENING = "screening"
    DOCUMENT_REVIEW = "document_review"
    PRESENTATION = "presentation"
    ONSITE_REVIEW = "onsite_review"
    SOCIAL_EVALUATION = "social_evaluation"
    COMMITTEE = "committee"
    LEADING_GROUP = "leading_group"
    NOTICE = "notice"
    AWARD = "award"


STEP_STAGE: dict[Step, Stage] = {
    Step.SCREENING: Stage.SCREENING,
    Step.DOCUMENT_REVIEW: Stage.DOCUMENT_REVIEW,
    Step.PRESENTATION: Stage.PRESENTATION,
    Step.ONSITE_REVIEW: Stage.ONSITE_REVIEW,
    Step.SOCIAL_EVALUATION: Stage.SOCIAL_EVALUATION,
    Step.COMMITTEE: Stage.COMMITTEE,
    Step.LEADING_GROUP: Stage.APPROVAL,
    Step.NOTICE: Stage.NOTICE,
    Step.AWARD: Stage.AWARDED,
}

REQUIRED: tuple[Step, ...] = (Step.SCREENING, Step.DOCUMENT_REVIEW, Step.NOTICE, Step.AWARD)
# Between document review and the ranking, in the order the office chooses.
MOVABLE: tuple[Step, ...] = (Step.PRESENTATION, Step.ONSITE_REVIEW, Step.SOCIAL_EVALUATION)
VOTES: tuple[Step, ...] = (Step.COMMITTEE, Step.LEADING_GROUP)
SCORED: tuple[Step, ...] = (Step.DOCUMENT_REVIEW, Step.PRESENTATION, Step.ONSITE_REVIEW)
COMBINE_MODES = ("weighted", "replace")
WEIGHT_PLACES = Decimal("0.001")


_PLAIN_NUMBER = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?")  # ASCII digits only: no exponent, no full-width digit


class ProcedureError(ValueError):
    """A procedure that breaks a rule; its message is translated and names the rule."""


@dataclass(frozen=True)
class Procedure:
    """The steps of one cycle in order, the weights of its scored rounds and how they combine."""

    steps: tuple[Step, ...]
    weights: Mapping[Step, Decimal] = field(default_factory=dict)
    combine: str = "weighted"

    @property
    def stages(self) -> tuple[Stage, ...]:
        """Every stage of the cycle in order, from preparation to closing."""
        middle = [STEP_STAGE[s] for s in self.steps if s in (Step.SCREENING, Step.DOCUMENT_REVIEW, *MOVABLE)]
        end = [STEP_STAGE[s] for s in self.steps if s in (*VOTES, Step.NOTICE, Step.AWARD)]
        return (Stage.DRAFT, Stage.APPLICATION, *middle, Stage.DELIBERATION, *end, Stage.CLOSED)

    def has(self, step: Step) -> bool:
        return step in self.steps

    def includes(self, name: str) -> bool:
        """Whether a step named by its value is chosen (for the pages)."""
        return any(s.value == name for s in self.steps)

    @property
    def scored(self) -> tuple[Step, ...]:
        """The scored rounds, in the order they run."""
        return tuple(s for s in self.steps if s in SCORED)

    @property
    def decision(self) -> Step:
        """The last vote: its result goes to the public notice."""
        return [s for s in self.steps if s in VOTES][-1]

    @property
    def votes(self) -> tuple[Step, ...]:
        """The votes, in order: the committee's, the leading group's, or both."""
        return tuple(s for s in self.steps if s in VOTES)

    def vote_after(self, step: Step) -> Step | None:
        """The vote that follows `step` (the committee's result feeds the leading group), if any."""
        votes = [s for s in self.steps if s in VOTES]
        return votes[votes.index(step) + 1] if step in votes and votes.index(step) + 1 < len(votes) else None

    def as_dict(self) -> dict[str, Any]:
        return {"steps": [s.value for s in self.steps],
                "weights": {s.value: str(w) for s, w in self.weights.items()},
                "combine": self.combine}


# How the printed documents (公示名单, 表彰决定) name each vote, in the words of the cities' rules.
VOTE_WORDS: dict[Step, str] = {Step.COMMITTEE: "评委会审议", Step.LEADING_GROUP: "领导小组审定"}


def decided_by(chosen: Procedure) -> str:
    """The procedure's votes as the official documents name them: 领导小组审定, 评委会审议, or both."""
    return "、".join(VOTE_WORDS[s] for s in chosen.votes)


def current_shape(*, onsite: bool, combine: str = "replace", onsite_weight: Decimal = Decimal("0.5")) -> Procedure:
    """The one procedure the app ran before procedures could be chosen: document review, on-site review
    when the cycle has it, the ranking, the leading group, the notice and the award. The weights are
    the ranking settings' (replace: the on-site figure counts; weighted: its share is `onsite_weight`)."""
    steps = [Step.SCREENING, Step.DOCUMENT_REVIEW] + ([Step.ONSITE_REVIEW] if onsite else []) \
        + [Step.LEADING_GROUP, Step.NOTICE, Step.AWARD]
    if not onsite:
        weights = {Step.DOCUMENT_REVIEW: Decimal("1")}
    elif combine == "replace":
        weights = {Step.DOCUMENT_REVIEW: Decimal("0"), Step.ONSITE_REVIEW: Decimal("1")}
    else:
        share = Decimal(onsite_weight).quantize(WEIGHT_PLACES)
        weights = {Step.DOCUMENT_REVIEW: Decimal("1") - share, Step.ONSITE_REVIEW: share}
    return Procedure(tuple(steps), weights, combine if onsite else "weighted")


def _step(value: object) -> Step:
    try:
        return Step(str(value))
    except ValueError:
        raise ProcedureError(_("An unknown step was chosen.")) from None


def _weight(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)) \
            or not _PLAIN_NUMBER.fullmatch(str(value).strip()):
        raise ProcedureError(_("A weight must be a number between 0 and 1."))
    try:
        weight = Decimal(str(value).strip())
    except InvalidOperation:
        raise ProcedureError(_("A weight must be a number between 0 and 1.")) from None
    if not weight.is_finite() or not Decimal("0") <= weight <= Decimal("1"):
        raise ProcedureError(_("A weight must be a number between 0 and 1."))
    if weight != weight.quantize(WEIGHT_PLACES):  # rounded, weights that add up to 1 would no longer (or vanish)
        raise ProcedureError(_("A weight has at most 3 decimals, for example 0.333 (and 0.334 for another)."))
    return weight.quantize(WEIGHT_PLACES)


def build(steps: Iterable[object], weights: Mapping[str, object] | None = None,
          combine: str = "weighted") -> Procedure:
    """A checked procedure from raw values (a form, the stored JSON); ProcedureError names the broken rule."""
    chosen = tuple(_step(s) for s in steps)
    parsed = {_step(k): _weight(v) for k, v in (weights or {}).items()}
    procedure = Procedure(chosen, parsed, combine)
    problems = procedure_problems(procedure)
    if problems:
        raise ProcedureError(" ".join(problems))
    return procedure


def procedure_problems(procedure: Procedure) -> list[str]:
    """Every rule the procedure breaks (empty: a valid procedure)."""
    steps = list(procedure.steps)
    problems: list[str] = []
    if len(set(steps)) != len(steps):
        problems.append(_("A step is chosen twice."))
    missing = [s for s in REQUIRED if s not in steps]
    if missing:
        problems.append(_("Screening, document review, the public notice and the award are always part of the "
                          "procedure."))
    if not any(s in steps for s in VOTES):
        problems.append(_("Choose the review committee's vote, the leading group's vote, or both."))
    if problems:
        return problems
    position = {s: i for i, s in enumerate(steps)}
    if position[Step.SCREENING] != 0 or position[Step.DOCUMENT_REVIEW] != 1:
        problems.append(_("Screening comes first, then document review."))
    movable_end = 2 + sum(1 for s in steps if s in MOVABLE)
    if any(position[s] >= movable_end for s in steps if s in MOVABLE):
        problems.append(_("Presentation, on-site review and social evaluation come after document review and "
                          "before the ranking."))
    votes = [s for s in steps if s in VOTES]
    if [s for s in steps[movable_end:]] != [*votes, Step.NOTICE, Step.AWARD]:
        problems.append(_("After the ranking come the votes, then the public notice, then the award."))
    if votes == [Step.LEADING_GROUP, Step.COMMITTEE]:
        problems.append(_("The review committee votes before the leading group."))
    problems.extend(weight_problems(procedure))
    return problems


def weight_problems(procedure: Procedure) -> list[str]:
    """The weights: one per scored round, none for another step, shares adding up to 1."""
    scored = set(procedure.scored)
    if procedure.combine not in COMBINE_MODES:
        return [_("Choose how the scored rounds combine.")]
    if set(procedure.weights) != scored:
        return [_("Give each scored round a weight, and no other step.")]
    if procedure.combine == "replace":
        if scored != {Step.DOCUMENT_REVIEW, Step.ONSITE_REVIEW}:
            return [_("Only document review and on-site review alone can combine by replacement.")]
        return []
    if sum(procedure.weights.values(), Decimal("0")) != Decimal("1"):
        return [_("The weights of the scored rounds must add up to 1.")]
    return []


def from_stored(data: Mapping[str, Any] | None, *, onsite: bool) -> Procedure:
    """The stored procedure, or the current shape for a cycle stored without one."""
    if not data:
        return current_shape(onsite=onsite)
    weights = data.get("weights") or {}
    return Procedure(tuple(Step(s) for s in data.get("steps", [])),
                     {Step(k): Decimal(str(v)) for k, v in weights.items()}, str(data.get("combine", "weighted")))
