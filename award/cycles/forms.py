"""The cycle settings form. Times are typed in the office's local time (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from award.cycles.models import Cycle, Stage
from award.cycles.procedure import Procedure, Step
from award.cycles.services import CycleSettings
from award.cycles.settings import AwardSettings, EligibilitySettings, IssuerSettings
from award.forms import BaseForm, PrintableName, SelectChoice, filled
from award.i18n import _l, local_zone
from award.rubrics import available_rubrics

DEFAULT_RUBRIC = "gbt19580-2012"  # GB/T 19580, the standard the award is judged on
DEADLINE_FIELDS = {
    Stage.APPLICATION: "application_deadline",
    Stage.DOCUMENT_REVIEW: "document_review_deadline",
    Stage.ONSITE_REVIEW: "onsite_review_deadline",
    Stage.APPROVAL: "approval_deadline",
}
ELIGIBILITY_FIELDS = (
    "min_years_in_operation", "min_qms_years", "accident_window_years",
    "penalty_window_years", "award_cooldown_cycles", "revocation_ban_years", "city_divisions",
)
AWARD_FIELDS = ("quorum", "pass_rule", "blinded", "notice_kind", "notice_length", "title_years")


class CycleForm(BaseForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(_l("Title"), validators=[PrintableName(), DataRequired(), Length(max=200)])
    rubric_key = SelectField(_l("Rubric"), default=DEFAULT_RUBRIC, validators=[DataRequired()])
    awards_count = IntegerField(_l("Number of awards"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    cutoff_score = DecimalField(_l("Cut-off score"), places=2,
                                validators=[InputRequired(), NumberRange(min=0, max=100000)])
    experts_per_application = IntegerField(
        _l("Experts per application"), default=5, validators=[InputRequired(), NumberRange(min=5, max=15)]
    )
    onsite_review = BooleanField(_l("On-site review round"))
    application_deadline = DateTimeLocalField(_l("Application deadline"), validators=[Optional()])
    document_review_deadline = DateTimeLocalField(_l("Document review deadline"), validators=[Optional()])
    onsite_review_deadline = DateTimeLocalField(_l("On-site review deadline"), validators=[Optional()])
    approval_deadline = DateTimeLocalField(_l("Leading-group vote deadline"), validators=[Optional()])
    date_change_reason = TextAreaField(
        _l("Why a deadline moves (required once its stage has opened; recorded and sent to those affected)"),
        validators=[Optional(), Length(max=2000)])
    min_years_in_operation = IntegerField(_l("Years in operation, at least"), default=5,
                                          validators=[InputRequired(), NumberRange(min=0, max=50)])
    min_qms_years = IntegerField(_l("Years of the quality management system, at least"), default=3,
                                 validators=[InputRequired(), NumberRange(min=0, max=50)])
    accident_window_years = IntegerField(_l("No major accident in the last (years)"), default=3,
                                         validators=[InputRequired(), NumberRange(min=0, max=20)])
    penalty_window_years = IntegerField(_l("No administrative penalty in the last (years)"), default=1,
                                        validators=[InputRequired(), NumberRange(min=0, max=20)])
    award_cooldown_cycles = IntegerField(_l("Cool-down after an award (cycles)"), default=3,
                                         validators=[InputRequired(), NumberRange(min=0, max=20)])
    revocation_ban_years = IntegerField(_l("Ban after a revocation (years)"), default=3,
                                        validators=[InputRequired(), NumberRange(min=0, max=20)])
    city_divisions = StringField(
        _l("The city's division codes (credit code characters 3–8, or their first digits), comma-separated"),
        validators=[Optional(), Length(max=200),
                    Regexp(r"^[0-9]{2,6}([\s,，、]+[0-9]{2,6})*[\s,，、]*$",
                           message=_l("Division codes are 2 to 6 digits each, separated by commas."))])
    quorum = SelectField(_l("Quorum of the leading group"), default="2/3", choices=[
        SelectChoice("1/2", _l("Half of the members vote")),
        SelectChoice("2/3", _l("Two thirds of the members vote")),
        SelectChoice("3/4", _l("Three quarters of the members vote")),
        SelectChoice("1/1", _l("Every member votes")),
    ])
    pass_rule = SelectField(_l("A candidate passes when"), default="majority_of_voters", choices=[
        SelectChoice("majority_of_voters", _l("more than half of those who voted approve")),
        SelectChoice("two_thirds_of_voters", _l("at least two thirds of those who voted approve")),
        SelectChoice("majority_of_members", _l("more than half of all members approve")),
    ])
    blinded = BooleanField(_l("Blinded vote: candidates by code and scores, names after the vote"))
    notice_kind = SelectField(_l("Public notice counted in"), default="working", choices=[
        SelectChoice("working", _l("working days")), SelectChoice("calendar", _l("calendar days")),
    ])
    # Optional: a form posted without them (an older page, a script) keeps the defaults.
    notice_length = IntegerField(_l("Length of the public notice (days)"), default=5,
                                 validators=[Optional(), NumberRange(min=1, max=60)])
    title_years = IntegerField(_l("Title valid for (years)"), default=4,
                               validators=[Optional(), NumberRange(min=1, max=20)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rubric_key.choices = [
            SelectChoice(info.key, info.title) for info in available_rubrics()  # a title short enough for a phone
            if info.purpose == "application"  # the presentation form scores a round, not a cycle
        ]

    @classmethod
    def for_cycle(cls, cycle: Cycle) -> CycleForm:
        """The form of an existing cycle: its rubric is fixed with it; filled from it until posted."""
        form = cls()
        form.rubric_key.choices = [SelectChoice(cycle.rubric_key, cycle.rubric_key)]
        if not form.is_submitted():
            form.fill_from(cycle)
        if cycle.stage is not Stage.DRAFT:
            # The procedure is frozen once applications open: the page shows the flag, the form keeps it.
            form.onsite_review.data = cycle.onsite_review
            form.onsite_review.render_kw = {"disabled": True}
        return form

    def to_settings(self) -> CycleSettings:
        zone = local_zone()
        deadlines: dict[Stage, dt.datetime] = {}
        for stage, name in DEADLINE_FIELDS.items():
            value: dt.datetime | None = getattr(self, name).data
            if value is not None:
                deadlines[stage] = value.replace(tzinfo=zone)
        return CycleSettings(
            year=filled(self.year.data),
            title=filled(self.title.data),
            awards_count=filled(self.awards_count.data),
            cutoff_score=filled(self.cutoff_score.data),
            experts_per_application=filled(self.experts_per_application.data),
            onsite_review=self.onsite_review.data,
            deadlines=deadlines,
            eligibility=EligibilitySettings(**{name: getattr(self, name).data for name in ELIGIBILITY_FIELDS
                                               if name != "city_divisions"},
                                            city_divisions=(self.city_divisions.data or "").strip()),
            awards=AwardSettings(**{name: getattr(self, name).data for name in AWARD_FIELDS
                                    if getattr(self, name).data is not None}),
        )

    def fill_from(self, cycle: Cycle) -> None:
        zone = local_zone()
        for name in ("year", "title", "rubric_key", "awards_count", "cutoff_score",
                     "experts_per_application", "onsite_review"):
            getattr(self, name).data = getattr(cycle, name)
        for stage, name in DEADLINE_FIELDS.items():
            due = cycle.deadline(stage)
            getattr(self, name).data = due.astimezone(zone).replace(tzinfo=None) if due else None
        eligibility = EligibilitySettings.from_dict(cycle.eligibility)
        for name in ELIGIBILITY_FIELDS:
            getattr(self, name).data = getattr(eligibility, name)
        awards = AwardSettings.from_dict(cycle.award_settings)
        for name in AWARD_FIELDS:
            getattr(self, name).data = getattr(awards, name)


class NewCycleForm(CycleForm):
    """A new cycle names its city at once: every document it issues is headed with it. Later changes are
    made on the documents' issuers page (update_issuers), never by the settings form."""

    city = StringField(_l("City that issues the documents (for example 苏州市)"),
                       validators=[DataRequired(message=_l("Name the city that issues the cycle's documents.")),
                                   Length(max=40)])

    def to_settings(self) -> CycleSettings:
        return replace(super().to_settings(), issuers=IssuerSettings(city=filled(self.city.data).strip()))


POSITION_CHOICES = [SelectChoice("1", "1"), SelectChoice("2", "2"), SelectChoice("3", "3")]


class ProcedureForm(BaseForm):
    """The cycle's procedure (before it opens): the optional steps, the order of those between document review
    and the ranking, the votes, and the weights of the scored rounds (shares adding up to 1)."""

    presentation = BooleanField(_l("Presentation and defence (陈述答辩)"))
    presentation_position = SelectField(_l("Its place after document review"), choices=POSITION_CHOICES, default="1")
    onsite_review = BooleanField(_l("On-site review (现场评审)"))
    onsite_position = SelectField(_l("Its place after document review"), choices=POSITION_CHOICES, default="2")
    social_evaluation = BooleanField(_l("Social evaluation (社会评价)"))
    social_position = SelectField(_l("Its place after document review"), choices=POSITION_CHOICES, default="3")
    committee = BooleanField(_l("Review committee vote (评委会审议)"))
    leading_group = BooleanField(_l("Leading-group vote (领导小组审定)"), default=True)
    combine = SelectField(_l("How the scored rounds combine"), choices=[
        SelectChoice("weighted", _l("Weighted: each round's total times its weight")),
        SelectChoice("replace", _l("Replace: the on-site figure counts (document and on-site review only)")),
    ], default="weighted")
    document_weight = StringField(_l("Weight of document review"), default="1",
                                  validators=[DataRequired(), Length(max=10)])
    presentation_weight = StringField(_l("Weight of the presentation"), default="0", validators=[Length(max=10)])
    onsite_weight = StringField(_l("Weight of on-site review"), default="0", validators=[Length(max=10)])
    submit = SubmitField(_l("Save the procedure"))

    MOVABLE = (("presentation", "presentation_position", "presentation_weight"),
               ("onsite_review", "onsite_position", "onsite_weight"),
               ("social_evaluation", "social_position", None))

    @classmethod
    def for_procedure(cls, chosen: Procedure) -> ProcedureForm:
        form = cls()
        if form.is_submitted():
            return form
        middle = [s for s in chosen.steps if s.value in ("presentation", "onsite_review", "social_evaluation")]
        for name, position, weight in cls.MOVABLE:
            step = Step(name)
            getattr(form, name).data = step in middle
            if step in middle:
                getattr(form, position).data = str(middle.index(step) + 1)
            if weight is not None:
                getattr(form, weight).data = str(chosen.weights.get(step, "0"))
        form.committee.data = chosen.has(Step.COMMITTEE)
        form.leading_group.data = chosen.has(Step.LEADING_GROUP)
        form.combine.data = chosen.combine
        form.document_weight.data = str(chosen.weights.get(Step.DOCUMENT_REVIEW, "0"))
        return form

    def steps(self) -> list[str]:
        """The chosen steps in order (the service checks the rules)."""
        place = {name: (str(getattr(self, position).data), index)
                 for index, (name, position, _weight) in enumerate(self.MOVABLE)}
        middle = sorted((name for name, _p, _w in self.MOVABLE if getattr(self, name).data), key=place.__getitem__)
        votes = [name for name in ("committee", "leading_group") if getattr(self, name).data]
        return ["screening", "document_review", *middle, *votes, "notice", "award"]

    def weights(self) -> dict[str, str]:
        """The weight of each scored round chosen (the service parses and checks them)."""
        chosen = {"document_review": self.document_weight.data or ""}
        for name, _position, weight in self.MOVABLE:
            if weight is not None and getattr(self, name).data:
                chosen[name] = getattr(self, weight).data or ""
        return chosen
