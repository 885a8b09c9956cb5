"""Forms of the review rounds: round settings, runs, manual changes, reasons, the score sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from wtforms import DateTimeLocalField, DecimalField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from award import inputs
from award.cycles.forms import local_zone
from award.forms import BaseForm
from award.i18n import _, _l
from award.review.models import AggregationMethod, AssignmentSource, ReviewRound
from award.review.rounds import RoundSettings
from award.review.scoring import ConsensusEntry
from award.review.sheet_rules import ItemEntry
from award.rubrics import Rubric

METHOD_LABELS = {
    AggregationMethod.MEAN: _l("Mean"),
    AggregationMethod.TRIMMED_MEAN: _l("Trimmed mean (drop the highest and the lowest)"),
    AggregationMethod.MEDIAN: _l("Median"),
}
TEXT_MAX = 4000


class RoundForm(BaseForm):
    method = SelectField(_l("Aggregation method"),
                         choices=[SelectChoice(m.value, label) for m, label in METHOD_LABELS.items()])
    deadline = DateTimeLocalField(_l("Deadline (local time)"), validators=[Optional()])
    experts_per_application = IntegerField(_l("Experts per application"),
                                           validators=[InputRequired(), NumberRange(min=1, max=15)])
    required_sheets = IntegerField(_l("Sheets required per application"),
                                   validators=[InputRequired(), NumberRange(min=1, max=15)])
    range_threshold_pct = DecimalField(_l("Disagreement: range above (percentage points)"), places=2,
                                       validators=[InputRequired(), NumberRange(min=1, max=100)])
    std_threshold_pct = DecimalField(_l("Disagreement: standard deviation above (percentage points)"), places=2,
                                     validators=[InputRequired(), NumberRange(min=1, max=100)])
    submit = SubmitField(_l("Save"))

    def fill_from(self, review_round: ReviewRound) -> None:
        self.method.data = review_round.method.value
        due = review_round.deadline
        self.deadline.data = due.astimezone(local_zone()).replace(tzinfo=None) if due else None
        for name in ("experts_per_application", "required_sheets", "range_threshold_pct", "std_threshold_pct"):
            getattr(self, name).data = getattr(review_round, name)

    def to_settings(self) -> RoundSettings:
        due: dt.datetime | None = self.deadline.data
        return RoundSettings(method=AggregationMethod(self.method.data),
                             deadline=due.replace(tzinfo=local_zone()) if due else None,
                             experts_per_application=self.experts_per_application.data,
                             required_sheets=self.required_sheets.data,
                             range_threshold_pct=self.range_threshold_pct.data,
                             std_threshold_pct=self.std_threshold_pct.data)


class AssignForm(BaseForm):
    mode = SelectField(_l("Mode"), choices=[
        SelectChoice(AssignmentSource.OPTIMAL.value, _l("Optimal (best sector match)")),
        SelectChoice(AssignmentSource.RANDOMIZED.value, _l("Randomized draw (seeded, replayable)")),
    ])
    seed = IntegerField(_l("Seed (empty: drawn at random)"), validators=[Optional(), NumberRange(min=0,
                                                                                                 max=2**31 - 1)])
    max_pair_probability = DecimalField(_l("Highest probability of any one pairing"), default=Decimal("0.5"),
                                        places=2, validators=[InputRequired(), NumberRange(min=Decimal("0.05"),
                                                                                           max=1)])
    submit = SubmitField(_l("Form the panels"))


class ReplaceForm(BaseForm):
    expert_id = SelectField(_l("New expert"), coerce=str, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Replace"))

    def validate_expert_id(self, field: SelectField) -> None:
        if (field.data or "").strip() and inputs.parse_id(field.data) is None:
            raise ValidationError(_("Choose an expert from the list, or leave it empty to draw one."))

    def chosen(self) -> int | None:
        """The chosen expert, or None to draw one automatically."""
        return inputs.parse_id(self.expert_id.data)


class AddExpertForm(BaseForm):
    expert_id = SelectField(_l("Expert"), coerce=str, validate_choice=False, validators=[DataRequired()])
    submit = SubmitField(_l("Add to the panel"))

    def chosen(self) -> int | None:
        return inputs.parse_id(self.expert_id.data)


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Confirm"))


# Wide enough that the sheet rules, not the parser, say "out of range" for 150 or -5.
_PERCENT_PARSE_BOUND = 10**6


def _percent(raw: str | None) -> tuple[int | Decimal | None, bool]:
    """(value, ok): blanks are None; "37.5" stays a Decimal so the step rule can name it.
    Plain notation only: "1e600000" is refused before anything converts it."""
    text = (raw or "").strip().rstrip("%")
    if not text:
        return None, True
    try:
        value = inputs.parse_decimal(text, minimum=-_PERCENT_PARSE_BOUND, maximum=_PERCENT_PARSE_BOUND, places=9)
    except inputs.InvalidInput:
        return None, False
    return (int(value) if value == value.to_integral_value() else value), True


def sheet_entries(form: Mapping[str, str], rubric: Rubric) -> tuple[list[ItemEntry], dict[str, str]]:
    """Entries of the posted score sheet (fields `band-<item>`, `percent-<item>`, ...), only for
    items present in the post; and the items whose percentage is not a number."""
    entries, bad = [], {}
    for item in rubric.items:
        keys = [f"{name}-{item.id}" for name in ("band", "percent", "strength", "improvement", "justification")]
        if not any(key in form for key in keys):
            continue
        percent, ok = _percent(form.get(f"percent-{item.id}"))
        if not ok:
            bad[item.id] = _("%(item)s: the percentage must be a number.", item=item.id)
        entries.append(ItemEntry(item_id=item.id, band_id=form.get(f"band-{item.id}") or None, percent=percent,
                                 strength=form.get(f"strength-{item.id}", ""),
                                 improvement=form.get(f"improvement-{item.id}", ""),
                                 justification=form.get(f"justification-{item.id}", "")))
    return entries, bad


def posted_version(form: Mapping[str, str]) -> int | None:
    try:
        return inputs.parse_int(form.get("version", ""), minimum=0, maximum=inputs.ID_MAX)
    except inputs.InvalidInput:
        return None


def consensus_entries(form: Mapping[str, str], rubric: Rubric) -> dict[str, ConsensusEntry]:
    proposals = {}
    for item in rubric.items:
        percent, ok = _percent(form.get(f"percent-{item.id}"))
        proposals[item.id] = ConsensusEntry(percent=percent if ok and isinstance(percent, int) else None,
                                            reason=form.get(f"reason-{item.id}", ""))
    return proposals
