"""Forms of conflicts of interest: pinning a conflict by hand, and a cycle's 回避 windows."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from award.conflicts.models import CycleCoiSettings
from award.conflicts.rules import PINNABLE_TYPES, CoiSettings, ConflictType
from award.forms import BaseForm, SelectChoice
from award.i18n import _l

CONFLICT_LABELS = {
    ConflictType.EMPLOYMENT: _l("Employment"),
    ConflictType.CONSULTING: _l("Consulting or training"),
    ConflictType.FINANCIAL: _l("Financial interest"),
    ConflictType.RELATIVE: _l("Relative"),
    ConflictType.DISPUTE: _l("Dispute"),
    ConflictType.GROUP: _l("Same group"),
    ConflictType.BUSINESS: _l("Business relation"),
    ConflictType.OTHER: _l("Other"),
    ConflictType.EMAIL: _l("Shared e-mail domain"),
    ConflictType.CONTACT: _l("Same address or phone"),
}


WINDOW_FIELDS = tuple(CoiSettings.__dataclass_fields__)


class PinForm(BaseForm):
    type = SelectField(_l("Conflict type"), validators=[DataRequired()],
                       choices=[SelectChoice(kind.value, label) for kind, label in CONFLICT_LABELS.items()
                                if kind in PINNABLE_TYPES],
                       default=ConflictType.OTHER.value)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Pin conflict"))


class CoiSettingsForm(BaseForm):
    employment_years = IntegerField(_l("Employment: look back (years)"), default=3,
                                    validators=[InputRequired(), NumberRange(min=0, max=30)])
    consulting_years = IntegerField(_l("Consulting or training: look back (years)"), default=3,
                                    validators=[InputRequired(), NumberRange(min=0, max=30)])
    dispute_years = IntegerField(_l("Legal dispute: look back (years)"), default=3,
                                 validators=[InputRequired(), NumberRange(min=0, max=30)])
    financial_years = IntegerField(_l("Financial interest: look back (years, 0 = current)"), default=0,
                                   validators=[InputRequired(), NumberRange(min=0, max=30)])
    relative_years = IntegerField(_l("Relative: look back (years, 0 = current)"), default=0,
                                  validators=[InputRequired(), NumberRange(min=0, max=30)])
    business_years = IntegerField(_l("Business relation: look back (years, 0 = current)"), default=0,
                                  validators=[InputRequired(), NumberRange(min=0, max=30)])
    group_depth = IntegerField(_l("Group: links within which a group tie is a conflict (0 = any depth; longer "
                                  "chains are soft signals)"), default=0,
                               validators=[Optional(), NumberRange(min=0, max=20)])
    avoid_soft_pairs = BooleanField(_l("Never pair an expert with a soft signal (else the draw only avoids "
                                       "such pairs when it can)"))
    reference_date = DateField(_l("Review date (empty: the document-review deadline)"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    @classmethod
    def for_settings(cls, row: CycleCoiSettings | None) -> CoiSettingsForm:
        """The form as posted, or filled with the cycle's windows until it is (the defaults without any)."""
        form = cls()
        if not form.is_submitted():
            form.fill_from(row)
        return form

    def to_settings(self) -> CoiSettings:
        return CoiSettings(**{name: getattr(self, name).data or 0 for name in WINDOW_FIELDS})

    def fill_from(self, row: CycleCoiSettings | None) -> None:
        if row is None:
            return
        for name in WINDOW_FIELDS:
            getattr(self, name).data = getattr(row, name)
        self.reference_date.data = row.reference_date
        self.avoid_soft_pairs.data = row.avoid_soft_pairs
