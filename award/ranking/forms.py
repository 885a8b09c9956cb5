"""The ranking settings form: how rounds combine, per-sector limits, the leniency threshold."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from wtforms import DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from award.applications.sectors import GBT4754_SECTIONS
from award.forms import BaseForm, SelectChoice
from award.i18n import _, _l
from award.ranking.models import CombineMode, RankingSettings

_LIMIT = re.compile(r"^([A-Z])\s*[=:：]\s*([0-9]{1,3})$")  # ASCII digits only: "١" is no count here


def parse_sector_limits(text: str) -> dict[str, int]:
    """'C=2, I=1' (commas, semicolons or spaces between pairs) → {"C": 2, "I": 1}."""
    limits: dict[str, int] = {}
    for part in re.split(r"[,;，；\s]+(?=[A-Za-z])", text.strip()):
        if not part.strip():
            continue
        match = _LIMIT.match(part.strip().rstrip(",;，；").upper())
        if match is None or match.group(1) not in GBT4754_SECTIONS:
            raise ValueError(part.strip())
        limits[match.group(1)] = int(match.group(2))
    return limits


class RankingSettingsForm(BaseForm):
    combine_mode = SelectField(
        _l("How the on-site score combines with the document score"),
        choices=[SelectChoice(CombineMode.REPLACE.value, _l("The on-site score replaces the document score")),
                 SelectChoice(CombineMode.WEIGHTED.value, _l("Weighted: document and on-site scores are mixed"))],
    )
    onsite_weight = DecimalField(_l("On-site share when weighted (0 to 1)"), places=3,
                                 validators=[InputRequired(), NumberRange(min=0, max=1)])
    sector_limits = StringField(_l("Most shortlisted per sector, e.g. C=2, I=1 (empty: no limit)"),
                                validators=[Length(max=300)])
    min_sheets_for_leniency = IntegerField(_l("Sheets an expert needs for the leniency view"),
                                           validators=[InputRequired(), NumberRange(min=2, max=500)])
    submit = SubmitField(_l("Save ranking settings"))

    def validate_sector_limits(self, field: StringField) -> None:
        try:
            limits = parse_sector_limits(field.data or "")
        except ValueError as error:
            raise ValidationError(_("Cannot read “%(part)s”; write a sector letter, = and a number.",
                                    part=str(error))) from None
        if any(n < 1 for n in limits.values()):
            raise ValidationError(_("A sector limit must be at least 1."))

    @classmethod
    def for_settings(cls, row: RankingSettings) -> RankingSettingsForm:
        """The form as posted, or filled from the cycle's settings until it is."""
        form = cls()
        if not form.is_submitted():
            form.fill_from(row)
        return form

    def to_settings(self) -> dict[str, Any]:
        """The keyword arguments of services.update_ranking_settings."""
        return {"combine_mode": CombineMode(self.combine_mode.data), "onsite_weight": self.onsite_weight.data,
                "sector_limits": parse_sector_limits(self.sector_limits.data or ""),
                "min_sheets_for_leniency": self.min_sheets_for_leniency.data}

    def fill_from(self, row: RankingSettings) -> None:
        self.combine_mode.data = CombineMode(row.combine_mode).value
        self.onsite_weight.data = Decimal(row.onsite_weight)
        self.sector_limits.data = ", ".join(f"{k}={v}" for k, v in sorted((row.sector_limits or {}).items()))
        self.min_sheets_for_leniency.data = row.min_sheets_for_leniency
