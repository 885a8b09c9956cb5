"""Forms of the applications area. The self-assessment fields come from the cycle's rubric."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from flask_wtf.file import FileField, FileRequired, MultipleFileField
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from award import inputs
from award.applications.eligibility import RULE_LABELS, RULES, RuleResult
from award.applications.models import Application, ApplicationStatus, RuleOutcome
from award.applications.services import Decision, Profile
from award.forms import BaseForm, PrintableName, SelectChoice
from award.i18n import _l
from award.inputs import parse_int
from award.rubrics import Rubric

PROFILE_TEXT_FIELDS = ("org_name", "address", "district", "sector", "accident_note", "penalty_note")


class ApplicationForm(BaseForm):
    """Profile fields; `build_application_form` adds one text area per rubric item."""

    org_name = StringField(_l("Organization name"), validators=[PrintableName(), Optional(), Length(max=200)])
    address = StringField(_l("Registered address"), validators=[Optional(), Length(max=300)])
    district = StringField(_l("District"), validators=[PrintableName(), Optional(), Length(max=60)])
    sector = SelectField(_l("Sector (GB/T 4754)"), validators=[Optional()])
    employees = IntegerField(_l("Employees"), validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    revenue = DecimalField(_l("Annual revenue (10,000 yuan)"), places=2,
                           validators=[Optional(), NumberRange(min=0, max=10**13)])
    founded_on = DateField(_l("Founding date"), validators=[Optional()])
    qms_certified_on = DateField(_l("Quality management system certified on"), validators=[Optional()])
    last_major_accident_on = DateField(_l("Date of the latest major quality, safety or environmental accident"),
                                       validators=[Optional()])
    accident_note = TextAreaField(_l("Accidents: details"), validators=[Optional(), Length(max=5000)])
    last_penalty_on = DateField(_l("Date of the latest administrative penalty"), validators=[Optional()])
    penalty_note = TextAreaField(_l("Penalties: details"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()
    declaration_confirmed = BooleanField(_l(
        "We declare that the information above is true and complete, and that no major accident or "
        "administrative penalty other than those given above occurred."))
    save = SubmitField(_l("Save draft"))
    save_and_submit = SubmitField(_l("Save and go to submission"))

    item_fields: dict[str, str]  # rubric item id → field name

    def to_profile(self) -> Profile:
        values = {name: getattr(self, name).data for name in Profile.__dataclass_fields__}
        for name in PROFILE_TEXT_FIELDS:
            values[name] = values[name] or ""
        values["declaration_confirmed"] = bool(values["declaration_confirmed"])
        return Profile(**values)

    def posted_version(self) -> int | None:
        """The draft version the page was loaded with (None: a page without one)."""
        raw = self.version.data or ""
        return parse_int(raw, minimum=1, maximum=2**31 - 1, field=str(_l("version"))) if raw else None

    def texts(self) -> dict[str, str]:
        return {item_id: getattr(self, name).data or "" for item_id, name in self.item_fields.items()}

    def item_field(self, item_id: str):  # noqa: ANN201 (a WTForms field)
        return getattr(self, self.item_fields[item_id])


def build_application_form(rubric: Rubric, sectors: Mapping[str, str], **kwargs: object) -> ApplicationForm:
    """A form class for this rubric: the rubric file decides the self-assessment sections."""
    fields = {f"item_{index}": TextAreaField(item.id, validators=[Optional()])
              for index, item in enumerate(rubric.items)}
    form_class = type("RubricApplicationForm", (ApplicationForm,), fields)
    form = form_class(**kwargs)
    form.item_fields = {item.id: f"item_{index}" for index, item in enumerate(rubric.items)}
    form.sector.choices = [SelectChoice("", "—")] + [SelectChoice(code, f"{code} {name}")
                                                     for code, name in sectors.items()]
    return form


def fill_form(form: ApplicationForm, application: object) -> None:
    form.version.data = str(getattr(application, "version", "") or "")
    for name in Profile.__dataclass_fields__:
        getattr(form, name).data = getattr(application, name)
    texts = getattr(application, "self_assessment", None) or {}
    for item_id, name in form.item_fields.items():
        getattr(form, name).data = texts.get(item_id, "")


class UploadForm(BaseForm):
    file = FileField(_l("Evidence file (PDF, JPEG or PNG)"), validators=[FileRequired(_l("Choose a file."))])
    upload = SubmitField(_l("Upload"))


class ItemUploadForm(BaseForm):
    """Several files at once, for one rubric item (empty: the whole application)."""

    files = MultipleFileField(_l("Evidence files"))
    rubric_item = HiddenField()
    upload = SubmitField(_l("Upload"))

    def named_files(self, max_bytes: int) -> list[tuple[str, bytes]]:
        """(name, bytes) of each chosen file, read up to one byte over the limit (the service refuses it)."""
        return [(storage.filename or "", storage.stream.read(max_bytes + 1))
                for storage in (self.files.data or []) if storage and storage.filename]


def autosave_fields(body: bytes) -> MultiDict[str, str]:
    """The background save's JSON body ({"version": ..., "fields": {...}}) as the form's fields;
    anything but scalars is refused at the input boundary (400)."""
    data = inputs.json_object(body)
    fields = MultiDict({str(k): inputs.json_scalar_text(v, str(k))
                        for k, v in inputs.json_mapping(data, "fields").items()})
    fields["version"] = inputs.json_scalar_text(data.get("version"), "version")
    return fields


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Return for correction"))


class ScreeningForm(BaseForm):
    save = SubmitField(_l("Record the screening"))


    def decisions(self) -> dict[str, Decision]:
        """The office's decision and reason per rule, as posted."""
        # An undecided rule is refused by the form (required); the service refuses it on its own too.
        return {rule: Decision(RuleOutcome(getattr(self, f"{rule}_decision").data or RuleOutcome.REVIEW.value),
                               getattr(self, f"{rule}_reason").data or "") for rule in RULES}


def build_screening_form(**kwargs: object) -> ScreeningForm:
    choices = [SelectChoice("", _l("— not decided —")), SelectChoice(RuleOutcome.PASS.value, _l("Pass")),
               SelectChoice(RuleOutcome.FAIL.value, _l("Fail"))]
    fields: dict[str, object] = {}
    for rule in RULES:
        fields[f"{rule}_decision"] = SelectField(RULE_LABELS[rule], choices=choices, validators=[InputRequired()])
        fields[f"{rule}_reason"] = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    form_class = type("RulesScreeningForm", (ScreeningForm,), fields)
    return form_class(**kwargs)


def screening_form(application: Application, findings: Sequence[RuleResult]) -> ScreeningForm:
    """The screening form as posted or, until it is, filled from the earlier screening and otherwise
    from the automatic findings: a passed check proposed as a pass, a failed one as a fail, and a rule
    left for a manual check (需人工核查) undecided, so that nobody passes it in one click."""
    form = build_screening_form()
    if form.is_submitted():
        return form
    previous = {r.rule: r for r in application.screening}
    for finding in findings:
        decided = previous.get(finding.rule)
        decision = decided.decision.value if decided else (
            "" if finding.outcome is RuleOutcome.REVIEW else finding.outcome.value)
        getattr(form, f"{finding.rule}_decision").data = decision
        getattr(form, f"{finding.rule}_reason").data = decided.reason if decided else ""
    return form


class BlacklistForm(BaseForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))])
    upload = SubmitField(_l("Import"))


class SettingsForm(BaseForm):
    max_self_assessment_chars = IntegerField(
        _l("Self-assessment: at most this many characters in total"),
        validators=[InputRequired(), NumberRange(min=1000, max=1_000_000)])
    save = SubmitField(_l("Save"))

    @classmethod
    def for_limit(cls, limit: int) -> SettingsForm:
        """The form as posted, or showing the cycle's limit until it is."""
        form = cls()
        if not form.is_submitted():
            form.max_self_assessment_chars.data = limit
        return form


class FilterArgs(TypedDict):
    """The list's filters as filtered_applications() takes them."""

    status: ApplicationStatus | None
    sector: str | None
    district: str | None


@dataclass(frozen=True)
class ListFilters:
    """The office's filters of a cycle's applications, read from the query string (a wrong value is no filter)."""

    status: ApplicationStatus | None
    sector: str | None
    district: str | None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListFilters:
        status = args.get("status", "")
        known = {s.value for s in ApplicationStatus}
        return cls(status=ApplicationStatus(status) if status in known else None, sector=args.get("sector") or None,
                   district=args.get("district") or None)

    def as_dict(self) -> FilterArgs:
        return {"status": self.status, "sector": self.sector, "district": self.district}
