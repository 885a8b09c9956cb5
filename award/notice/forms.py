"""Forms of the public notice: publishing (office), a real-name objection (public), an outcome (office).

The objection form checks lengths only; the real-name rules and their reasons live in the service,
so the page and the service refuse with the same words.
"""

from __future__ import annotations

from flask import request
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from award.cycles.models import Cycle
from award.forms import BaseForm, PrintableName, SelectChoice, filled
from award.i18n import _, _l
from award.inputs import arg_id
from award.notice.models import ObjectionOutcome, PublicNotice
from award.notice.services import NoticeText, ObjectionInput

OUTCOME_LABELS = {
    ObjectionOutcome.PENDING: _l("Awaiting an outcome"),
    ObjectionOutcome.DISMISSED: _l("Dismissed"),
    ObjectionOutcome.UPHELD: _l("Upheld: the candidate is withdrawn"),
}


class PublishForm(BaseForm):
    award_title = StringField(_l("Title the awardees will hold"),
                              validators=[PrintableName(), DataRequired(), Length(max=200)])
    benefits = TextAreaField(_l("What each awardee receives"), validators=[Optional(), Length(max=2000)])
    contact = TextAreaField(_l("Contact of the award office for objections"),
                            validators=[Optional(), Length(max=1000)])

    @classmethod
    def proposed(cls, cycle: Cycle) -> PublishForm:
        """The form as the office first sees it: the title named after the cycle."""
        form = cls(formdata=None)
        form.award_title.data = f"{cycle.year} {cycle.title}"
        return form

    def to_text(self) -> NoticeText:
        return NoticeText(award_title=filled(self.award_title.data), benefits=self.benefits.data or "",
                          contact=self.contact.data or "")


class ObjectionForm(BaseForm):
    candidate = SelectField(_l("Organization you object to"), coerce=int, validate_choice=False,
                            validators=[InputRequired()])
    name = StringField(_l("Your real name"), validators=[PrintableName(), Optional(), Length(max=100)])
    id_number = StringField(_l("ID card number"), validators=[Optional(), Length(max=18)])
    organization = StringField(_l("Or: the organization you file for"),
                               validators=[PrintableName(_l("Organization")), Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    email = StringField(_l("E-mail (optional: the office's answer is sent there)"),
                        validators=[Optional(), Length(max=254)])
    text = TextAreaField(_l("Your objection"), validators=[Optional(), Length(max=10000)])
    evidence = FileField(_l("Evidence (PDF, JPEG or PNG)"))

    @classmethod
    def for_notice(cls, notice: PublicNotice) -> ObjectionForm:
        """The form offering the notice's candidates; a link may choose one (``?candidate=``)."""
        form = cls()
        form.candidate.choices = [SelectChoice(c.id, c.organization_name) for c in notice.listed]
        if not form.is_submitted():
            form.candidate.data = arg_id(request.args, "candidate", field=_("The candidate")) or form.candidate.data
        return form

    def to_input(self, max_evidence_bytes: int) -> ObjectionInput:
        """What was filed; of the evidence no more than one byte past the limit is read."""
        storage = self.evidence.data
        return ObjectionInput(
            candidate_id=self.candidate.data, name=self.name.data or "", id_number=self.id_number.data or "",
            organization=self.organization.data or "", phone=self.phone.data or "", text=self.text.data or "",
            evidence=storage.stream.read(max_evidence_bytes + 1) if storage else b"",
            filename=storage.filename if storage else "", email=self.email.data or "")


class DecideForm(BaseForm):
    outcome = SelectField(_l("Outcome"), validators=[InputRequired()], choices=[
        SelectChoice(ObjectionOutcome.DISMISSED.value, OUTCOME_LABELS[ObjectionOutcome.DISMISSED]),
        SelectChoice(ObjectionOutcome.UPHELD.value, OUTCOME_LABELS[ObjectionOutcome.UPHELD]),
    ])
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=5000)])
    answer = TextAreaField(_l("Answer to the objector (shown on the lookup page and e-mailed if an address was given)"),
                           validators=[DataRequired(), Length(max=5000)])


class LookupForm(BaseForm):
    reference = StringField(_l("Reference number"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("Phone you filed with"), validators=[DataRequired(), Length(max=30)])
