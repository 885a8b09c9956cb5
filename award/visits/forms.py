"""Forms of the on-site visits: scheduling (office), a checklist line and a photo (the team)."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from award.forms import BaseForm, SelectChoice
from award.i18n import _l
from award.visits.models import CheckStatus
from award.visits.services import ITINERARY_MAX, NOTE_MAX, STATUS_LABELS


def schedule_prefix(application_id: int) -> str:
    """One form per application on the page: each with its own field names and ids."""
    return f"visit{application_id}"


def check_prefix(item_id: str) -> str:
    return "item" + "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in item_id)


class ScheduleForm(BaseForm):
    visit_on = DateField(_l("Visit date"), validators=[InputRequired()])
    itinerary = TextAreaField(_l("Itinerary"), validators=[InputRequired(), Length(max=ITINERARY_MAX)],
                              description=_l("Where the team goes and when, whom it meets, which records it reads."))
    save = SubmitField(_l("Save and tell the enterprise and the team"))


class CheckForm(BaseForm):
    status = SelectField(_l("Found on site"), choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in CheckStatus],
                         validators=[InputRequired()])
    note = TextAreaField(_l("Notes"), validators=[Length(max=NOTE_MAX)])
    save = SubmitField(_l("Save"))


class PhotoForm(BaseForm):
    item_id = SelectField(_l("Rubric item"), coerce=str, validate_choice=False, validators=[InputRequired()])
    photo = FileField(_l("Photo (JPEG or PNG)"), validators=[FileRequired(_l("Choose a file."))])
    strip_location = BooleanField(_l("Remove the location (EXIF GPS) from the photo"), default=True)
    upload = SubmitField(_l("Add the photo"))
