"""Forms of the awards: revoking one, with the reason."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from award.forms import BaseForm
from award.i18n import _l


class RevokeForm(BaseForm):
    reason = TextAreaField(_l("Reason for the revocation (for example fraud or a major accident)"),
                           validators=[DataRequired(), Length(max=5000)])
