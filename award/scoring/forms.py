"""Forms of the review rounds: round settings, runs, manual changes, reasons, the score sheet."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from award import inputs
from award.forms import BaseForm, SelectChoice
from award.i18n import _, _l
from award.limits import REASON_MAX_CHARS, REMARK_MAX_CHARS
from award.rubrics import Rubric
from award.scoring.models import RemarkKind
from award.scoring.rules import ItemEntry, SheetProblem
from award.scoring.services import ConsensusEntry, SheetInvalid


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Confirm"))


REMARK_KIND_LABELS = {
    RemarkKind.AGREE: _l("I agree"),
    RemarkKind.DISAGREE: _l("I disagree"),
    RemarkKind.COMMENT: _l("A comment"),  # not "Comment": that word is the ballot's 意见, the label of this form's text
}
OVERALL = "overall"  # the item field's value for the consensus as a whole


class RemarkForm(BaseForm):
    """A member's entry in the consensus discussion; the service checks the rules (a reason to disagree)."""

    kind = SelectField(_l("Your position"), validators=[InputRequired()],
                       choices=[SelectChoice(k.value, label) for k, label in REMARK_KIND_LABELS.items()])
    item = SelectField(_l("About"), validators=[InputRequired()])
    text = TextAreaField(_l("Reason or comment (required to disagree)"),
                         validators=[Optional(), Length(max=REMARK_MAX_CHARS)])

    def __init__(self, rubric: Rubric, lang: str, *args: object, leading: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if leading:  # the team leader's position is the proposal: comments only
            self.kind.choices = [SelectChoice(RemarkKind.COMMENT.value, REMARK_KIND_LABELS[RemarkKind.COMMENT])]
        self.item.choices = [SelectChoice(OVERALL, _("The consensus as a whole")), *(
            SelectChoice(item.id, f"{item.id} {item.display_name(lang)}") for item in rubric.items)]

    @property
    def item_id(self) -> str | None:
        return None if self.item.data == OVERALL else self.item.data

    @property
    def remark_kind(self) -> RemarkKind:
        return RemarkKind(self.kind.data)


class FinalizeForm(BaseForm):
    acknowledge = BooleanField(_l("I have read the open disagreements and finalize the consensus anyway"))
    note = TextAreaField(_l("Why the consensus stands despite them (required when disagreements are open)"),
                         validators=[Optional(), Length(max=REMARK_MAX_CHARS)])


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


def posted_sheet(form: Mapping[str, str], rubric: Rubric) -> tuple[list[ItemEntry], int]:
    """The posted entries and the version the page was loaded with; SheetInvalid names each item
    whose percentage is not a number, and a post without its version."""
    entries, bad = sheet_entries(form, rubric)
    version = posted_version(form)
    if version is None:
        bad["version"] = _("The form is incomplete; reload the page.")
    if bad:
        raise SheetInvalid({item: [SheetProblem(code="unreadable", item_id=item, message=problem)]
                            for item, problem in bad.items()})
    assert version is not None
    return entries, version


def autosave_fields(body: bytes) -> dict[str, str]:
    """The background save's JSON body ({"version": ..., "fields": {...}}) as the sheet form's fields;
    anything but scalars is refused at the input boundary (400)."""
    data = inputs.json_object(body)
    fields = {str(k): inputs.json_scalar_text(v, str(k)) for k, v in inputs.json_mapping(data, "fields").items()}
    fields["version"] = inputs.json_scalar_text(data.get("version"), "version")
    return fields


def consensus_entries(form: Mapping[str, str], rubric: Rubric) -> dict[str, ConsensusEntry]:
    proposals = {}
    for item in rubric.items:
        percent, ok = _percent(form.get(f"percent-{item.id}"))
        proposals[item.id] = ConsensusEntry(percent=percent if ok and isinstance(percent, int) else None,
                                            reason=form.get(f"reason-{item.id}", ""))
    return proposals
