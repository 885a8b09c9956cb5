"""The e-mail preferences form: one switch per kind the user may turn off."""

from __future__ import annotations

from typing import cast

from wtforms import BooleanField, SubmitField

from award.forms import BaseForm
from award.i18n import _l
from award.notifications.kinds import Kind
from award.notifications.services import Preference


class PreferencesForm(BaseForm):
    submit = SubmitField(_l("Save e-mail settings"))

    def choices(self) -> dict[Kind, bool]:
        kinds = {kind.value for kind in Kind}
        return {Kind(field.name): bool(field.data) for field in self if field.name in kinds}


def preferences_form(preferences: list[Preference]) -> PreferencesForm:
    """A form with a switch per optional kind; mandatory kinds have none (the template shows them fixed)."""

    class Form(PreferencesForm):
        pass

    for preference in preferences:
        if not preference.spec.mandatory:
            label = cast(str, preference.spec.label)  # a lazy string, which WTForms uses as its text
            setattr(Form, preference.spec.kind.value, BooleanField(label, default=preference.email_enabled))
    return Form()
