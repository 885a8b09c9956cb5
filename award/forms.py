"""The base of every form: the input boundary of ``award.inputs`` applied to each field.

A form of the app derives from ``BaseForm`` (a test checks that none derives from FlaskForm
directly). When a field is bound, it gets the validators its kind needs, so a new form is
covered without remembering them:

- text fields refuse control characters (tab and line breaks only in a TextAreaField);
- number fields take ASCII digits in plain notation within a bounded range (WTForms itself
  would take "１２", "1e600000" or 25 digits, and the database would then fail on them);
- date fields take dates between 1900 and 2100.

Names that are printed or published add ``PrintableName()`` themselves.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import has_request_context, request
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    DateTimeLocalField,
    DecimalField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)

# SelectChoice is new in WTForms 3.3, which types-WTForms does not describe yet (it stops at 3.2).
from wtforms.fields import SelectChoice, TextAreaField  # type: ignore[attr-defined]
from wtforms.validators import NumberRange, StopValidation

from award import inputs
from award.i18n import _

__all__ = ["BaseForm", "PrintableName", "SelectChoice", "filled"]

# Integer form fields hold counts, seeds, years and ids: all fit a 32-bit INTEGER column.
_INT_BOUND = inputs.ID_MAX
_DECIMAL_BOUND = 10**12


def _field_label(field: Field) -> str:
    return str(field.label.text)


class PlainText:
    """No control characters; line breaks only where the field is multi-line."""

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str):
            problem = inputs.text_problem(field.data, multiline=self.multiline, field=_field_label(field))
            if problem:
                raise StopValidation(problem)


class PrintableName:
    """A name that is printed or published: no bidi controls or invisible characters either."""

    def __init__(self, label: Any = None) -> None:
        self.label = label  # a short name for the message where the field's label is a sentence

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str):
            problem = inputs.name_problem(field.data, field=str(self.label or _field_label(field)))
            if problem:
                raise StopValidation(problem)


class PlainNumber:
    """What was typed must be a plain ASCII number, before any other rule. A field with its own
    NumberRange names its range itself; one without stays inside what a column holds. A decimal
    field takes no more decimals than it shows (its ``places``)."""

    def __call__(self, form: Any, field: Field) -> None:
        raw = (field.raw_data or [""])[0]
        if raw is None or not str(raw).strip():
            return
        bounded = not any(isinstance(rule, NumberRange) for rule in field.validators)
        label = _field_label(field)
        try:
            if isinstance(field, DecimalField):
                bound = _DECIMAL_BOUND if bounded else 10**15
                places = 9 if field.places is None else field.places
                inputs.parse_decimal(raw, minimum=-bound, maximum=bound, places=places, field=label)
            else:
                bound = _INT_BOUND if bounded else 10**18
                inputs.parse_int(raw, minimum=-bound, maximum=bound, field=label)
        except inputs.InvalidInput as error:
            field.data = None
            field.errors = []  # WTForms' own "not a valid integer" would say the same twice
            raise StopValidation(error.message) from None


class PlainChoice:
    """A select whose values are integers: ASCII digits inside the INTEGER range, or the choice is
    refused (``int()`` takes "١" as 1 and 25 digits that no column holds)."""

    def __call__(self, form: Any, field: Field) -> None:
        for raw in field.raw_data or []:
            if raw is None or not str(raw).strip():
                continue
            try:
                inputs.parse_int(raw, minimum=-inputs.ID_MAX, maximum=inputs.ID_MAX, field=_field_label(field))
            except inputs.InvalidInput:
                field.data = None
                field.errors = []
                raise StopValidation(_("%(field)s: choose one of the values offered.",
                                       field=_field_label(field))) from None


class OfferedChoices:
    """Every value of a multiple select among its choices, refused in the user's language: WTForms' own
    message for it ("'9' is not a valid choice for this field.") is fuzzy in its Chinese catalog, so
    it reached Chinese pages in English with the raw value in it."""

    def __call__(self, form: Any, field: Any) -> None:  # a SelectMultipleField
        if not field.validate_choice or field.choices is None or not field.data:
            return
        offered = {str(choice[0]) for choice in field.iter_choices()}
        if any(str(value) not in offered for value in field.data):
            field.errors = []  # pre_validate's English message, said again below in the user's language
            raise StopValidation(_("%(field)s: choose one of the values offered.", field=_field_label(field)))


class SaneDate:
    """A date typed with ASCII digits (``strptime`` also reads "２０２０") between 1900 and 2100."""

    def __call__(self, form: Any, field: Field) -> None:
        if not " ".join(str(raw) for raw in field.raw_data or []).isascii():
            field.data = None
            field.errors = []
            raise StopValidation(_("%(field)s must be written with the digits 0 to 9.", field=_field_label(field)))
        if field.data is not None:
            try:
                inputs.check_date_range(field.data, field=_field_label(field))
            except inputs.InvalidInput as error:
                raise StopValidation(error.message) from None


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # the value format of <input type="datetime-local"> (HTML)


def _boundary_validators(field: Field) -> list[Any]:
    if isinstance(field, IntegerField | DecimalField):
        return [PlainNumber()]
    if isinstance(field, SelectMultipleField):
        return [PlainChoice(), OfferedChoices()] if field.coerce is int else [OfferedChoices()]
    if isinstance(field, SelectField) and field.coerce is int:
        return [PlainChoice()]
    if isinstance(field, DateField | DateTimeField | DateTimeLocalField):
        return [SaneDate()]
    if isinstance(field, StringField):
        return [PlainText(multiline=isinstance(field, TextAreaField))]
    return []


class _BoundaryMeta(FlaskForm.Meta):
    def wrap_formdata(self, form: Any, formdata: Any) -> Any:
        """Forms read form data and files, never a JSON body. Flask-WTF would fill a form from
        ``request.get_json()``, which fails on anything but an object (a list, a number, deep
        nesting: a 500) and hands nested values to fields that expect text. With a JSON body the
        form stays empty and is refused like an empty form; JSON views parse with ``inputs.json_object``."""
        reads_request = formdata is not None and not hasattr(formdata, "getlist")  # Flask-WTF's "from the request"
        if reads_request and has_request_context() and request.is_json:
            return None
        return super().wrap_formdata(form, formdata)

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        field = super().bind_field(form, unbound_field, options)
        extra = _boundary_validators(field)
        if extra:
            field.validators = [*extra, *field.validators]
        if isinstance(field, DateTimeLocalField):
            # A field renders its value in its first format: the one <input type="datetime-local">
            # accepts (WTForms' first, with a space and seconds, shows as an empty field).
            field.format = [DATETIME_LOCAL, *(f for f in field.format if f != DATETIME_LOCAL)]
        return field


class BaseForm(FlaskForm):
    """FlaskForm (CSRF) with the input boundary on every field."""

    Meta = _BoundaryMeta


_Data = TypeVar("_Data")


def filled(data: _Data | None) -> _Data:
    """The data of a field that a validated form requires (DataRequired, InputRequired): never None."""
    if data is None:
        raise ValueError("a required field has no data: is the form validated?")
    return data
