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

from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeField, DateTimeLocalField, DecimalField, Field, IntegerField, StringField
from wtforms.fields import TextAreaField
from wtforms.validators import StopValidation

from award import inputs

__all__ = ["BaseForm", "PrintableName"]

# Integer form fields hold counts, seeds, years and ids: all fit a 32-bit INTEGER column.
_INT_BOUND = inputs.ID_MAX
_DECIMAL_BOUND = 10**12


def _field_label(field: Field) -> str:
    return str(field.label.text) if field.label else field.name


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
    """What was typed must be a plain ASCII number in a bounded range, before any other rule."""

    def __call__(self, form: Any, field: Field) -> None:
        raw = (field.raw_data or [""])[0]
        if raw is None or not str(raw).strip():
            return
        try:
            if isinstance(field, DecimalField):
                inputs.parse_decimal(raw, minimum=-_DECIMAL_BOUND, maximum=_DECIMAL_BOUND, places=9,
                                     field=_field_label(field))
            else:
                inputs.parse_int(raw, minimum=-_INT_BOUND, maximum=_INT_BOUND, field=_field_label(field))
        except inputs.InvalidInput as error:
            field.data = None
            field.errors.clear()  # WTForms' own "not a valid integer" would say the same twice
            raise StopValidation(error.message) from None


class SaneDate:
    def __call__(self, form: Any, field: Field) -> None:
        if field.data is not None:
            try:
                inputs.check_date_range(field.data, field=_field_label(field))
            except inputs.InvalidInput as error:
                raise StopValidation(error.message) from None


def _boundary_validators(field: Field) -> list[Any]:
    if isinstance(field, IntegerField | DecimalField):
        return [PlainNumber()]
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
        return field


class BaseForm(FlaskForm):
    """FlaskForm (CSRF) with the input boundary on every field."""

    Meta = _BoundaryMeta
