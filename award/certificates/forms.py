"""Forms of the certificates: the cycle's texts, the seal upload, and the public check."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from award.forms import BaseForm, PrintableName
from award.i18n import _l


class CertificateTextsForm(BaseForm):
    award_title = StringField(
        _l("Award title (printed after the year, e.g. 苏州市市长质量奖; empty: the award's own title)"),
        validators=[PrintableName(_l("Award title")), Optional(), Length(max=200)])
    authority = StringField(_l("Issuing authority (e.g. 苏州市人民政府; empty: 市人民政府)"),
                            validators=[PrintableName(_l("Issuing authority")), Optional(), Length(max=200)])
    issue_date = DateField(_l("Issue date (empty: the day the awards were confirmed)"), validators=[Optional()])


class SealForm(BaseForm):
    seal = FileField(_l("Seal image (PNG or JPEG, transparent background recommended)"),
                     validators=[FileRequired(_l("Choose an image file."))])
