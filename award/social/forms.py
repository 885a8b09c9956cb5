"""Forms of the social evaluation: a list to import, the comment window, a finding, a public comment."""

from __future__ import annotations

import datetime as dt

from flask_wtf.file import FileField, FileRequired
from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from award.applications.models import Application
from award.forms import BaseForm, SelectChoice
from award.i18n import _l, local_zone
from award.inputs import parse_id
from award.social.models import FindingLevel, ListKind
from award.social.services import (
    COMMENT_MAX,
    EVIDENCE_MAX,
    LEVEL_LABELS,
    LIST_LABELS,
    NAME_MAX,
    REASON_MAX,
    CommentInput,
)


class ImportForm(BaseForm):
    kind = SelectField(_l("List"), choices=[SelectChoice(k.value, LIST_LABELS[k]) for k in ListKind],
                       validators=[InputRequired()])
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))])
    upload = SubmitField(_l("Import"))


class WindowForm(BaseForm):
    closes_at = DateTimeLocalField(_l("Comments accepted until (Beijing time)"), validators=[InputRequired()])
    open = SubmitField(_l("Open the public comment window"))

    def closes_at_utc(self) -> dt.datetime:
        value: dt.datetime | None = self.closes_at.data
        assert value is not None  # InputRequired
        return value.replace(tzinfo=local_zone()).astimezone(dt.UTC)


class FindingForm(BaseForm):
    level = SelectField(_l("Finding"), choices=[SelectChoice(k.value, LEVEL_LABELS[k]) for k in FindingLevel],
                        validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=REASON_MAX)],
                           description=_l("Required for a noted finding and a veto."))
    evidence = TextAreaField(_l("Evidence"), validators=[Length(max=EVIDENCE_MAX)],
                             description=_l("The records and comments relied on (source, date). Required for a "
                                            "veto."))
    save = SubmitField(_l("Record the finding"))


class CommentForm(BaseForm):
    application_id = SelectField(_l("Candidate"), coerce=str, validators=[DataRequired()])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=30)])
    text = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=COMMENT_MAX)])
    send = SubmitField(_l("Send the comment"))

    @classmethod
    def for_candidates(cls, candidates: list[Application]) -> CommentForm:
        form = cls()
        form.application_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(a.id), a.org_name or a.organization.name) for a in candidates]
        return form

    def to_input(self) -> CommentInput:
        return CommentInput(application_id=parse_id(self.application_id.data or ""),
                            name=self.name.data or "", phone=self.phone.data or "", text=self.text.data or "")
