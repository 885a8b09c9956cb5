"""Forms of the expert pool: profile, declaration, availability, files, group link."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from award.applications.sectors import GBT4754_SECTIONS
from award.forms import BaseForm, PrintableName, SelectChoice, filled
from award.i18n import _l
from award.pool.kinds import RelationKind
from award.pool.models import ExpertProfile
from award.pool.services import ExpertData, RelationData

RELATION_LABELS = {
    RelationKind.EMPLOYER: _l("Employer (the expert works or worked there)"),
    RelationKind.CLIENT: _l("Consulting or training client"),
    RelationKind.SHAREHOLDING: _l("Shareholding or other financial interest"),
    RelationKind.RELATIVE_EMPLOYER: _l("Employer of a spouse or direct relative"),
    RelationKind.DISPUTE: _l("Legal dispute"),
    RelationKind.COMPETITOR: _l("Competitor of the expert's organization"),
    RelationKind.SUPPLIER: _l("Supplier of the expert's organization"),
    RelationKind.CUSTOMER: _l("Customer of the expert's organization"),
}


class ExpertForm(BaseForm):
    @classmethod
    def for_profile(cls, profile: ExpertProfile) -> ExpertForm:
        """The form as posted, or filled from the expert's profile until it is."""
        form = cls()
        if not form.is_submitted():
            form.fill_from(profile)
        return form

    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Name"), validators=[PrintableName(), DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    title = StringField(_l("Professional title"), validators=[Optional(), Length(max=100)])
    organization_name = StringField(_l("Organization"), validators=[PrintableName(), DataRequired(), Length(max=200)])
    organization_code = StringField(_l("Organization's unified social credit code"),
                                    validators=[DataRequired(), Length(min=18, max=18)])
    sectors = SelectMultipleField(_l("Sectors of expertise"), validators=[Optional()])
    in_pool = BooleanField(_l("In the pool"), default=True)
    address = StringField(_l("Contact address"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.sectors.choices = [SelectChoice(code, f"{code} {name}") for code, name in GBT4754_SECTIONS.items()]

    def to_data(self) -> ExpertData:
        return ExpertData(email=filled(self.email.data), full_name=filled(self.full_name.data),
                          phone=self.phone.data or "", title=self.title.data or "",
                          organization_code=filled(self.organization_code.data),
                          organization_name=filled(self.organization_name.data), sectors=tuple(self.sectors.data or ()),
                          in_pool=bool(self.in_pool.data), address=self.address.data or "")

    def fill_from(self, profile: ExpertProfile) -> None:
        self.email.data, self.full_name.data, self.phone.data = (profile.user.email, profile.user.full_name,
                                                                 profile.user.phone)
        self.title.data = profile.title
        self.address.data = profile.address
        self.organization_name.data, self.organization_code.data = (profile.organization_name,
                                                                    profile.organization_code)
        self.sectors.data = list(profile.sectors or [])
        self.in_pool.data = profile.in_pool


class RelationForm(BaseForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()],
                       choices=[SelectChoice(kind.value, label) for kind, label in RELATION_LABELS.items()])
    party_name = StringField(_l("Organization"), validators=[PrintableName(), Optional(), Length(max=200)])
    party_code = StringField(_l("Its unified social credit code"), validators=[DataRequired(), Length(min=18, max=18)])
    starts_on = DateField(_l("From"), validators=[Optional()])
    ends_on = DateField(_l("To (empty if ongoing)"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add declaration"))

    def to_data(self) -> RelationData:
        return RelationData(kind=RelationKind(self.kind.data), party_code=filled(self.party_code.data),
                            party_name=self.party_name.data or "", starts_on=self.starts_on.data,
                            ends_on=self.ends_on.data, note=self.note.data or "")


class RemoveRelationForm(BaseForm):
    reason = StringField(_l("Reason for removal"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Remove"))


class AvailabilityForm(BaseForm):
    cycle_id = SelectField(_l("Cycle"), coerce=int, validators=[InputRequired()])
    available = BooleanField(_l("Available in this cycle"), default=True)
    max_load = IntegerField(_l("Most applications (empty: the round's cap)"),
                            validators=[Optional(), NumberRange(min=0, max=200)])
    submit = SubmitField(_l("Save availability"))


class ImportForm(BaseForm):
    file = FileField(_l("XLSX or CSV file"), validators=[FileRequired()])
    submit = SubmitField(_l("Import"))


class GroupLinkForm(BaseForm):
    parent_code = StringField(_l("Parent's credit code"), validators=[DataRequired(), Length(min=18, max=18)])
    child_code = StringField(_l("Subsidiary's credit code"), validators=[DataRequired(), Length(min=18, max=18)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add link"))




