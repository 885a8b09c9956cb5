"""Forms of the call: its text (office), a file to attach (office)."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from award.calls.models import CycleCall
from award.calls.services import CONTACT_MAX, TEXT_MAX, TITLE_MAX, CallText
from award.cycles.models import Cycle
from award.forms import BaseForm, PrintableName
from award.i18n import _, _l


class CallForm(BaseForm):
    title = StringField(_l("Title of the call"), validators=[PrintableName(), DataRequired(), Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Text of the call"), validators=[Length(max=TEXT_MAX)],
                         description=_l("Plain text: a blank line starts a new paragraph."))
    guidelines = TextAreaField(_l("Guidelines for applicants"), validators=[Length(max=TEXT_MAX)])
    contact = TextAreaField(_l("Contact"), validators=[Length(max=CONTACT_MAX)])
    save = SubmitField(_l("Save the call"))

    @classmethod
    def for_call(cls, cycle: Cycle, call: CycleCall | None) -> CallForm:
        """The saved text, or a first title made of the cycle's year and name."""
        if call is None:
            return cls(data={"title": _("Call for applications: %(year)s %(title)s", year=cycle.year,
                                        title=cycle.title)})
        return cls(data={"title": call.title, "body": call.body, "guidelines": call.guidelines,
                         "contact": call.contact})

    def to_text(self) -> CallText:
        return CallText(title=self.title.data or "", body=self.body.data or "", guidelines=self.guidelines.data or "",
                        contact=self.contact.data or "")


class AttachmentForm(BaseForm):
    file = FileField(_l("File (PDF, DOCX, XLSX, JPEG or PNG)"), validators=[FileRequired(_l("Choose a file."))])
    upload = SubmitField(_l("Attach"))
