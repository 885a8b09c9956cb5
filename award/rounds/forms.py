"""Forms of the review rounds: round settings, runs, manual changes, reasons, the score sheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from wtforms import DateTimeLocalField, DecimalField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from award import inputs
from award.forms import BaseForm, SelectChoice, filled
from award.i18n import _, _l, local_zone
from award.limits import REASON_MAX_CHARS
from award.rounds.models import AggregationMethod, AssignmentSource, Attendance, CountedRecord, ReviewRound
from award.rounds.services import RoundSettings

METHOD_LABELS = {
    AggregationMethod.MEAN: _l("Mean"),
    AggregationMethod.TRIMMED_MEAN: _l("Trimmed mean (drop the highest and the lowest)"),
    AggregationMethod.MEDIAN: _l("Median"),
}

COUNTS_LABELS = {
    CountedRecord.INDEPENDENT: _l("The independent sheets, by the aggregation method"),
    CountedRecord.CONSENSUS: _l("The panel consensus (a sheet of its own, agreed by the panel)"),
}


class RoundForm(BaseForm):
    method = SelectField(_l("Aggregation method"),
                         choices=[SelectChoice(m.value, label) for m, label in METHOD_LABELS.items()])
    counts = SelectField(_l("What counts in the ranking"),
                         choices=[SelectChoice(c.value, label) for c, label in COUNTS_LABELS.items()])
    deadline = DateTimeLocalField(_l("Deadline (local time)"), validators=[Optional()])
    date_change_reason = TextAreaField(
        _l("Why the deadline moves (required once the round has opened; recorded and sent to its experts)"),
        validators=[Optional(), Length(max=2000)])
    experts_per_application = IntegerField(_l("Experts per application"),
                                           validators=[InputRequired(), NumberRange(min=1, max=15)])
    required_sheets = IntegerField(_l("Sheets required per application"),
                                   validators=[InputRequired(), NumberRange(min=1, max=15)])
    range_threshold_pct = DecimalField(_l("Disagreement: range above (percentage points)"), places=2,
                                       validators=[InputRequired(), NumberRange(min=1, max=100)])
    std_threshold_pct = DecimalField(_l("Disagreement: standard deviation above (percentage points)"), places=2,
                                     validators=[InputRequired(), NumberRange(min=1, max=100)])
    submit = SubmitField(_l("Save"))

    @classmethod
    def for_round(cls, review_round: ReviewRound) -> RoundForm:
        """The form as posted, or filled from the round until it is."""
        form = cls()
        if not form.is_submitted():
            form.fill_from(review_round)
        return form

    def fill_from(self, review_round: ReviewRound) -> None:
        self.method.data = review_round.method.value
        self.counts.data = review_round.counts.value
        due = review_round.deadline
        self.deadline.data = due.astimezone(local_zone()).replace(tzinfo=None) if due else None
        for name in ("experts_per_application", "required_sheets", "range_threshold_pct", "std_threshold_pct"):
            getattr(self, name).data = getattr(review_round, name)

    def to_settings(self) -> RoundSettings:
        due: dt.datetime | None = self.deadline.data
        return RoundSettings(method=AggregationMethod(self.method.data), counts=CountedRecord(self.counts.data),
                             deadline=due.replace(tzinfo=local_zone()) if due else None,
                             experts_per_application=filled(self.experts_per_application.data),
                             required_sheets=filled(self.required_sheets.data),
                             range_threshold_pct=filled(self.range_threshold_pct.data),
                             std_threshold_pct=filled(self.std_threshold_pct.data))


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

    def to_draw(self) -> dict[str, Any]:
        """The draw's arguments: its mode, the seed typed (or None) and the pairing cap."""
        return {"mode": AssignmentSource(self.mode.data), "seed": self.seed.data,
                "max_pair_probability": float(filled(self.max_pair_probability.data))}


class ReplaceForm(BaseForm):
    expert_id = SelectField(_l("New expert"), coerce=str, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Replace"))

    def validate_expert_id(self, field: SelectField) -> None:
        if (field.data or "").strip() and inputs.parse_id(field.data) is None:
            raise ValidationError(_("Choose an expert from the list, or leave it empty to draw one."))

    def chosen(self) -> int | None:
        """The chosen expert, or None to draw one automatically."""
        return inputs.parse_id(self.expert_id.data)


class AddExpertForm(BaseForm):
    expert_id = SelectField(_l("Expert"), coerce=str, validate_choice=False, validators=[DataRequired()])
    acknowledgement = TextAreaField(_l("Acknowledgement of the pairs that need attention, with a reason"),
                                    validators=[Optional(), Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Add to the panel"))

    def validate_expert_id(self, field: SelectField) -> None:
        if inputs.parse_id(field.data) is None:
            raise ValidationError(_("Choose an expert."))

    def chosen(self) -> int | None:
        return inputs.parse_id(self.expert_id.data)


class OpenRoundForm(BaseForm):
    """Opening scoring; the acknowledgement is needed only when a panel holds a soft 回避 signal."""

    acknowledgement = TextAreaField(_l("Acknowledgement of the pairs that need attention, with a reason"),
                                    validators=[Optional(), Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Open scoring (locks the method)"))


class PresentationDrawForm(BaseForm):
    """The presentation schedule: when it starts, how long each applicant has, the rooms, the lot's seed."""

    starts_at = DateTimeLocalField(_l("First presentation (local time)"), validators=[InputRequired()])
    minutes = IntegerField(_l("Minutes per applicant"), default=30,
                           validators=[InputRequired(), NumberRange(min=1, max=240)])
    rooms = TextAreaField(_l("Rooms, one per line"), validators=[DataRequired(), Length(max=1100)])
    seed = IntegerField(_l("Seed (empty: drawn at random)"), validators=[Optional(), NumberRange(min=0,
                                                                                                 max=2**31 - 1)])
    submit = SubmitField(_l("Draw the order and lay out the schedule"))

    def local_start(self) -> dt.datetime:
        return filled(self.starts_at.data).replace(tzinfo=local_zone())

    def room_list(self) -> list[str]:
        return [line for line in (self.rooms.data or "").splitlines() if line.strip()]


ATTENDANCE_LABELS = {
    Attendance.PENDING: _l("Not recorded"),
    Attendance.PRESENT: _l("Present"),
    Attendance.ABSENT: _l("Absent"),
}


class AttendanceForm(BaseForm):
    attendance = SelectField(_l("Attendance"), choices=[
        SelectChoice(Attendance.PRESENT.value, ATTENDANCE_LABELS[Attendance.PRESENT]),
        SelectChoice(Attendance.ABSENT.value, ATTENDANCE_LABELS[Attendance.ABSENT]),
    ])
    note = TextAreaField(_l("Note (required when absent)"), validators=[Length(max=500)])
    submit = SubmitField(_l("Record"))
