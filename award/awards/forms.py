"""Forms of the awards: revoking one, with the reason; the cycle's award levels; a follow-up report."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from award.awards.after import MAX_REPORT_FILE_BYTES, ReportInput
from award.awards.models import Award, ReassessmentOutcome
from award.awards.reassessment import ReassessmentPlan
from award.cycles.settings import MAX_LEVELS, AwardLevel, AwardLevels
from award.forms import BaseForm, PrintableName, SelectChoice, filled
from award.i18n import _l, local_zone

LEVEL_ROWS = 3  # rows on the page; the service takes up to MAX_LEVELS
assert LEVEL_ROWS <= MAX_LEVELS


class RevokeForm(BaseForm):
    reason = TextAreaField(_l("Reason for the revocation (for example fraud or a major accident)"),
                           validators=[DataRequired(), Length(max=5000)])


class LevelsForm(BaseForm):
    """Up to three award levels, best first; a row without a name is no level."""

    @classmethod
    def for_levels(cls, current: AwardLevels) -> LevelsForm:
        form = cls()
        if not form.is_submitted():
            for number, level in enumerate(current.levels[:LEVEL_ROWS], start=1):
                for name in ("name", "quota", "cutoff", "certificate_title", "notice_text"):
                    getattr(form, f"{name}_{number}").data = getattr(level, name)
        return form

    def rows(self) -> list[dict[str, object]]:
        """The fields of each row, for the template."""
        return [{name: getattr(self, f"{name}_{number}")
                 for name in ("name", "quota", "cutoff", "certificate_title", "notice_text")}
                for number in range(1, LEVEL_ROWS + 1)]

    def to_levels(self) -> AwardLevels:
        levels = []
        for number in range(1, LEVEL_ROWS + 1):
            name = (getattr(self, f"name_{number}").data or "").strip()
            if not name:
                continue
            quota = getattr(self, f"quota_{number}").data
            cutoff = getattr(self, f"cutoff_{number}").data
            levels.append(AwardLevel(name=name, quota=quota if quota is not None else 0,
                                     cutoff=cutoff if cutoff is not None else Decimal(-1),
                                     certificate_title=getattr(self, f"certificate_title_{number}").data or "",
                                     notice_text=getattr(self, f"notice_text_{number}").data or ""))
        return AwardLevels(tuple(levels))


for _number in range(1, LEVEL_ROWS + 1):
    setattr(LevelsForm, f"name_{_number}", StringField(
        _l("Name of the level (for example 市长质量奖 or 市长质量奖提名奖)"),
        validators=[PrintableName(_l("Name of the level")), Optional(), Length(max=100)]))
    setattr(LevelsForm, f"quota_{_number}", IntegerField(
        _l("Quota"), validators=[Optional(), NumberRange(min=1, max=100)]))
    setattr(LevelsForm, f"cutoff_{_number}", DecimalField(
        _l("Cut-off score"), places=2, validators=[Optional(), NumberRange(min=0, max=100000)]))
    setattr(LevelsForm, f"certificate_title_{_number}", StringField(
        _l("Title on the certificate (empty: the level's name)"),
        validators=[PrintableName(_l("Title on the certificate")), Optional(), Length(max=200)]))
    setattr(LevelsForm, f"notice_text_{_number}", TextAreaField(
        _l("Text under the level's heading on the notice and the decision"),
        validators=[Optional(), Length(max=2000)]))


class FollowUpForm(BaseForm):
    """A holder's yearly follow-up report: the year, both texts and an optional file."""

    year = SelectField(_l("Year reported on"), coerce=int, validators=[InputRequired()])
    experience = TextAreaField(_l("Experience shared (经验分享)"), validators=[DataRequired(), Length(max=20000)])
    improvements = TextAreaField(_l("Results of the improvements"), validators=[DataRequired(), Length(max=20000)])
    file = FileField(_l("File (optional: PDF, JPEG or PNG)"))

    @classmethod
    def for_years(cls, years: list[int], *, due: list[int]) -> FollowUpForm:
        """The years still open, newest first, starting at the oldest report due (not this year, not over)."""
        form = cls()
        form.year.choices = [SelectChoice(year, str(year)) for year in reversed(years)]
        if not form.is_submitted() and due:
            form.year.data = due[0]
        return form

    def to_report(self) -> ReportInput:
        upload = self.file.data
        filename = getattr(upload, "filename", "") or ""
        data = upload.stream.read(MAX_REPORT_FILE_BYTES + 1) if upload is not None and filename else b""
        return ReportInput(year=filled(self.year.data), experience=self.experience.data or "",
                           improvements=self.improvements.data or "", data=data, filename=filename)


class ReassessmentForm(BaseForm):
    """A re-assessment cycle: its year, title, deadline and the holders it re-assesses."""

    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(_l("Title (for example 市长质量奖复审)"),
                        validators=[PrintableName(_l("Title")), DataRequired(), Length(max=200)])
    application_deadline = DateTimeLocalField(_l("Application deadline"), validators=[Optional()])
    award_ids = SelectMultipleField(_l("Holders to re-assess"), coerce=int)

    @classmethod
    def for_awards(cls, awards: list[Award]) -> ReassessmentForm:
        form = cls()
        form.award_ids.choices = [SelectChoice(a.id, f"{a.organization_name} · {a.title} · {a.valid_until}")
                                  for a in awards]
        return form

    def to_plan(self) -> ReassessmentPlan:
        deadline = self.application_deadline.data
        return ReassessmentPlan(year=filled(self.year.data), title=filled(self.title.data),
                                award_ids=list(self.award_ids.data or []),
                                application_deadline=deadline.replace(tzinfo=local_zone()) if deadline else None)


OUTCOME_CHOICES = [SelectChoice(ReassessmentOutcome.RENEWED.value, _l("Renewed")),
                   SelectChoice(ReassessmentOutcome.LAPSED.value, _l("Lapses"))]


class DecideReassessmentForm(BaseForm):
    outcome = SelectField(_l("Outcome"), choices=OUTCOME_CHOICES, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])
