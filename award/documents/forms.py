"""Forms of the documents area: a document's texts, the overlay positions, a printer's calibration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from award.cycles.settings import IssuerSettings
from award.documents.official import DocumentTexts
from award.documents.overlay import FieldPosition, Layout
from award.forms import BaseForm, PrintableName, SelectChoice, filled
from award.i18n import _l

TEXT_FIELDS = ("issuing_office", "document_number", "title", "opening", "closing", "issued_on")
POSITIONED = ("organization", "number", "date")  # the texts an overlay prints, each with its own position

PLACEHOLDER_HINT = _l("You may write {count}, {award_title}, {year}, {cycle_title}, {period_start}, {period_end}, "
                      "{contact}, {city}, {government}, {regulator}, {award_office} and {decided_by} (the votes of "
                      "the cycle's procedure: 领导小组审定, 评委会审议 or both); they are filled in when "
                      "the document is printed. In the document number, {year} is the year of its date.")


class IssuersForm(BaseForm):
    """The city and the bodies that issue a cycle's documents; an empty body is named after the city."""

    city = StringField(_l("City (e.g. 苏州市)"), validators=[PrintableName(_l("City")), DataRequired(),
                                                              Length(max=60)])
    government = StringField(_l("The city's government (empty: the city + 人民政府)"),
                             validators=[PrintableName(_l("Government")), Optional(), Length(max=60)])
    regulator = StringField(_l("Market regulation bureau (empty: the city + 市场监督管理局)"),
                            validators=[PrintableName(_l("Market regulation bureau")), Optional(), Length(max=60)])
    award_office = StringField(_l("Award office (empty: the city + 市长质量奖评审委员会办公室)"),
                               validators=[PrintableName(_l("Award office")), Optional(), Length(max=60)])

    @classmethod
    def for_issuers(cls, current: IssuerSettings) -> IssuersForm:
        form = cls()
        if not form.is_submitted():
            for name in ("city", "government", "regulator", "award_office"):
                getattr(form, name).data = getattr(current, name)
        return form

    def to_issuers(self) -> IssuerSettings:
        return IssuerSettings(city=self.city.data or "", government=self.government.data or "",
                              regulator=self.regulator.data or "", award_office=self.award_office.data or "")


class TextsForm(BaseForm):
    issuing_office = StringField(_l("Issuing office"), validators=[PrintableName(), DataRequired(), Length(max=100)])
    document_number = StringField(_l("Document number (for example 质奖办〔2026〕3号)"),
                                  validators=[PrintableName(_l("Document number")), Optional(), Length(max=60)])
    title = StringField(_l("Title"), validators=[PrintableName(), DataRequired(), Length(max=200)])
    opening = TextAreaField(_l("Opening paragraph (before the table)"), validators=[Optional(), Length(max=5000)])
    closing = TextAreaField(_l("Closing paragraph (after the table)"), validators=[Optional(), Length(max=5000)])
    issued_on = DateField(_l("Date of the document (empty: the date of the notice or of the awards)"),
                          validators=[Optional()])
    seal = FileField(_l("Seal image (PNG or JPEG, at most 1 MiB; optional)"))
    remove_seal = BooleanField(_l("Remove the seal image"))

    @classmethod
    def for_texts(cls, current: DocumentTexts) -> TextsForm:
        """The form as posted, or filled with the document's texts until it is."""
        form = cls()
        if not form.is_submitted():
            for name in TEXT_FIELDS:
                getattr(form, name).data = getattr(current, name)
        return form

    def to_texts(self) -> DocumentTexts:
        return DocumentTexts(**{name: getattr(self, name).data or "" for name in TEXT_FIELDS if name != "issued_on"},
                             issued_on=self.issued_on.data)

    def seal_upload(self, max_bytes: int) -> bytes | None:
        """The uploaded seal (no more than one byte past ``max_bytes`` is read), or None without one."""
        upload = self.seal.data
        return upload.stream.read(max_bytes + 1) if upload and upload.filename else None


def _mm(label, low: float, high: float) -> DecimalField:  # noqa: ANN001
    return DecimalField(label, places=1, validators=[InputRequired(), NumberRange(min=low, max=high)])


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


class LayoutForm(BaseForm):
    page_width_mm = _mm(_l("Sheet width (mm)"), 50, 500)
    page_height_mm = _mm(_l("Sheet height (mm)"), 50, 500)
    organization_x_mm = _mm(_l("Organization name: x (mm from the left edge)"), 0, 500)
    organization_y_mm = _mm(_l("Organization name: y (mm from the top edge)"), 0, 500)
    organization_pt = _mm(_l("Organization name: font size (pt)"), 6, 72)
    organization_max_width_mm = _mm(_l("Organization name: widest (mm; a longer name is set smaller)"), 10, 500)
    number_x_mm = _mm(_l("Certificate number: x (mm)"), 0, 500)
    number_y_mm = _mm(_l("Certificate number: y (mm)"), 0, 500)
    number_pt = _mm(_l("Certificate number: font size (pt)"), 6, 72)
    date_x_mm = _mm(_l("Issue date: x (mm)"), 0, 500)
    date_y_mm = _mm(_l("Issue date: y (mm)"), 0, 500)
    date_pt = _mm(_l("Issue date: font size (pt)"), 6, 72)
    date_style = SelectField(_l("Issue date written as"), validators=[InputRequired()], choices=[
        SelectChoice("chinese", _l("Chinese numerals (二〇二六年三月十八日)")),
        SelectChoice("arabic", _l("Arabic numerals (2026年3月18日)")),
    ])

    @classmethod
    def for_layout(cls, layout: Layout) -> LayoutForm:
        """The form as posted, or filled with the cycle's positions until it is."""
        form = cls()
        if not form.is_submitted():
            form.page_width_mm.data = _decimal(layout.page_width_mm)
            form.page_height_mm.data = _decimal(layout.page_height_mm)
            for name in POSITIONED:
                position: FieldPosition = getattr(layout, name)
                getattr(form, f"{name}_x_mm").data = _decimal(position.x_mm)
                getattr(form, f"{name}_y_mm").data = _decimal(position.y_mm)
                getattr(form, f"{name}_pt").data = _decimal(position.size_pt)
            form.organization_max_width_mm.data = _decimal(layout.organization_max_width_mm)
            form.date_style.data = layout.date_style
        return form

    def _position(self, name: str) -> FieldPosition:
        return FieldPosition(x_mm=float(getattr(self, f"{name}_x_mm").data),
                             y_mm=float(getattr(self, f"{name}_y_mm").data),
                             size_pt=float(getattr(self, f"{name}_pt").data))

    def to_layout(self) -> Layout:
        return Layout(page_width_mm=float(filled(self.page_width_mm.data)),
                      page_height_mm=float(filled(self.page_height_mm.data)),
                      organization=self._position("organization"), number=self._position("number"),
                      date=self._position("date"),
                      organization_max_width_mm=float(filled(self.organization_max_width_mm.data)),
                      date_style=self.date_style.data)


class PrinterForm(BaseForm):
    name = StringField(_l("Printer name"), validators=[PrintableName(), DataRequired(), Length(max=100)])
    offset_x_mm = _mm(_l("Offset x (mm; positive moves the print right)"), -50, 50)
    offset_y_mm = _mm(_l("Offset y (mm; positive moves the print down)"), -50, 50)
    note = TextAreaField(_l("Note (tray, paper, when calibrated)"), validators=[Optional(), Length(max=1000)])

    def to_values(self) -> dict[str, Any]:
        """The keyword arguments of services.create_printer and update_printer (but the actor)."""
        return {"name": self.name.data or "", "offset_x_mm": self.offset_x_mm.data,
                "offset_y_mm": self.offset_y_mm.data, "note": self.note.data or ""}
