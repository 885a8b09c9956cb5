"""The office's application list as XLSX, through the shared safe writer (award.exports).

Numbers stay numbers, dates stay dates (submission times in local time), and text a spreadsheet
would run as a formula is neutralized.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from award.applications.models import Application
from award.exports import write_xlsx
from award.i18n import _


def _rows(applications: Iterable[Application], *, status_labels: Mapping[Any, str],
          sectors: Mapping[str, str]) -> Iterator[list[Any]]:
    for application in applications:
        yield [
            application.id,
            application.org_name,
            application.organization.credit_code,
            str(status_labels[application.status]),
            application.sector,
            sectors.get(application.sector, ""),
            application.district,
            application.address,
            application.employees,
            application.revenue,
            application.founded_on,
            application.qms_certified_on,
            application.submitted_at,
            application.self_assessment_length(),
            len(application.files),
        ]


def _headers() -> list[str]:
    return [_("No."), _("Organization name"), _("Credit code"), _("Status"), _("Sector code"), _("Sector"),
            _("District"), _("Registered address"), _("Employees"), _("Annual revenue (10,000 yuan)"),
            _("Founding date"), _("Quality management system certified on"), _("Submitted at"),
            _("Self-assessment characters"), _("Files")]


def applications_workbook(
    applications: Iterable[Application], *, status_labels: Mapping[Any, str], sectors: Mapping[str, str],
    zone: ZoneInfo,
) -> bytes:
    rows = _rows(applications, status_labels=status_labels, sectors=sectors)
    return write_xlsx(_headers(), rows, title="applications", column_width=18, zone=zone)
