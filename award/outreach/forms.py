"""The office's message to a group of applicants: written, previewed, then sent as previewed."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from award.applications.models import ApplicationStatus
from award.forms import BaseForm, PrintableName, SelectChoice, filled
from award.i18n import _, _l
from award.outreach.services import MESSAGE_MAX, SUBJECT_MAX, Message, group_label


class MessageForm(BaseForm):
    group = SelectField(_l("To"), validators=[Optional()])
    subject = StringField(_l("Subject"), validators=[PrintableName(_l("Subject")), DataRequired(),
                                                     Length(max=SUBJECT_MAX)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MESSAGE_MAX)])

    def __init__(self, *args: object, counts: dict[ApplicationStatus | None, int] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        counts = counts or {}

        def label(status: ApplicationStatus | None) -> str:
            if not counts:
                return group_label(status)
            return _("%(name)s (%(count)s)", name=group_label(status), count=counts.get(status, 0))

        self.group.choices = [SelectChoice("", label(None))] + [
            SelectChoice(status.value, label(status)) for status in ApplicationStatus]

    def to_message(self) -> Message:
        group = self.group.data or ""
        return Message(status=ApplicationStatus(group) if group else None, subject=filled(self.subject.data),
                       body=filled(self.body.data))


class SendForm(MessageForm):
    """The preview's confirmation: the same message, and the count the office saw."""

    expected_count = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
