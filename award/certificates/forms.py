"""Forms of the certificates: the cycle's texts, the seal upload, and the public check."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from award.certificates.models import CertificateSettings
from award.forms import BaseForm, PrintableName
from award.i18n import _l


class CertificateTextsForm(BaseForm):
    award_title = StringField(
        _l("Award title (printed after the year, e.g. 苏州市市长质量奖; empty: the award's own title)"),
        validators=[PrintableName(_l("Award title")), Optional(), Length(max=200)])
    authority = StringField(
        _l("Issuing authority (e.g. 苏州市人民政府; empty: the city's government, from the issuing bodies)"),
                            validators=[PrintableName(_l("Issuing authority")), Optional(), Length(max=200)])
    issue_date = DateField(_l("Issue date (empty: the day the awards were confirmed)"), validators=[Optional()])

    @classmethod
    def for_settings(cls, settings: CertificateSettings) -> CertificateTextsForm:
        """The form filled with the cycle's texts as stored."""
        return cls(formdata=None, data={"award_title": settings.award_title, "authority": settings.authority,
                                        "issue_date": settings.issue_date})

    def to_texts(self) -> dict[str, Any]:
        """The keyword arguments of services.update_certificate_texts (but the actor and the cycle)."""
        return {"award_title": self.award_title.data or "", "authority": self.authority.data or "",
                "issue_date": self.issue_date.data}


class SealForm(BaseForm):
    seal = FileField(_l("Seal image (PNG or JPEG, transparent background recommended)"),
                     validators=[FileRequired(_l("Choose an image file."))])
