"""Life after the award: the holders' yearly follow-up reports with their reminders, and the public list
of current holders.

A holder reports once a year on the year before (经验分享, improvement results), with an optional file
judged by content like evidence. The report of year N is due by 31 March of year N + 1; the holder's
enterprise accounts are reminded 30 and 7 days before. The public list shows only what a certificate
prints: the organization, the title, the year and the last day it is held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from award.applications.evidence import EvidenceRejected, EvidenceStore, display_name, sniff
from award.applications.services import REJECTION_MESSAGES
from award.audit.services import record
from award.auth.models import Role, User
from award.awards.models import Award, AwardStatus, FollowUpReport
from award.cycles.models import Cycle
from award.db import utcnow
from award.errors import Conflict, Invalid, NotAllowed, NotFound
from award.files import Blob, keep
from award.i18n import _, local_zone
from award.inputs import text_problem
from award.limits import PDF_CHECK, ProcessLimits
from award.notifications.kinds import Kind
from award.notifications.reminders import Reminder, reminder_source
from award.runtime import path_for

MiB = 1024 * 1024
MAX_REPORT_FILE_BYTES = 20 * MiB
MAX_REPORT_TEXT = 20000
DUE_MONTH_DAY = (3, 31)  # a year's report is due by 31 March of the next year
REMINDER_WINDOWS: tuple[tuple[str, int], ...] = (("7d", 7), ("30d", 30))  # the tightest that applies wins


# --- who may see and write -----------------------------------------------------------------------


def is_holder(actor: User | None, award: Award) -> bool:
    """The enterprise account of the organization that holds the award."""
    return actor is not None and actor.role is Role.ENTERPRISE and actor.organization_id == award.organization_id


def can_read_reports(actor: User | None, award: Award) -> bool:
    """The holder, the office and discipline inspection read an award's follow-up reports."""
    return actor is None or actor.role in (Role.OFFICE, Role.SUPERVISOR) or is_holder(actor, award)


def require_read(actor: User | None, award: Award) -> None:
    if not can_read_reports(actor, award):
        raise NotAllowed(_("Only the organization that holds the title, the award office and discipline "
                           "inspection read its follow-up reports."))


# --- the years a holder reports on --------------------------------------------------------------


def due_date(year: int) -> dt.date:
    """The last day to send the report on `year`."""
    return dt.date(year + 1, *DUE_MONTH_DAY)


def reportable_years(award: Award, today: dt.date) -> list[int]:
    """The years the holder may report on now: from the award's year to this one, while the title is held.

    Nothing for a revoked award; nothing past the title's last year.
    """
    if award.status is not AwardStatus.VALID:
        return []
    last = min(today.year, award.valid_until.year)
    return list(range(award.awarded_on.year, last + 1))


def reports_of(session: Session, award: Award) -> list[FollowUpReport]:
    return list(session.scalars(select(FollowUpReport).where(FollowUpReport.award_id == award.id)
                                .order_by(FollowUpReport.year.desc())))


def open_years(session: Session, award: Award, today: dt.date) -> list[int]:
    """The years the holder may still send a report on: reportable and not sent yet."""
    sent = set(session.scalars(select(FollowUpReport.year).where(FollowUpReport.award_id == award.id)))
    return [year for year in reportable_years(award, today) if year not in sent]


def missing_years(session: Session, award: Award, today: dt.date) -> list[int]:
    """Years whose report is due (today or earlier, or within the reminder windows) and not yet sent."""
    sent = set(session.scalars(select(FollowUpReport.year).where(FollowUpReport.award_id == award.id)))
    return [year for year in reportable_years(award, today) if year < today.year and year not in sent]


# --- writing a report ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReportInput:
    year: int
    experience: str
    improvements: str
    data: bytes = b""  # the file, if any
    filename: str = ""


def submit_report(session: Session, *, actor: User | None, award: Award, report: ReportInput, store: EvidenceStore,
                  zone: ZoneInfo, now: dt.datetime | None = None, pdf_check: ProcessLimits = PDF_CHECK,
                  max_file_bytes: int = MAX_REPORT_FILE_BYTES) -> FollowUpReport:
    """The holder sends its report on one year: both texts, and a file (PDF, JPEG or PNG) if it has one."""
    if actor is not None and not is_holder(actor, award):
        raise NotAllowed(_("Only the organization that holds the title writes its follow-up reports."))
    now = now or utcnow()
    today = now.astimezone(zone).date()
    if award.status is AwardStatus.REVOKED:
        raise Conflict(_("This award was revoked; no follow-up report is taken for it."), code="revoked")
    years = reportable_years(award, today)
    if report.year not in years:
        raise Invalid(_("Choose a year from %(first)s to %(last)s: the years the title is held.",
                        first=years[0] if years else award.awarded_on.year,
                        last=years[-1] if years else award.valid_until.year), code="report_year", field="year")
    if session.scalar(select(FollowUpReport.id).where(FollowUpReport.award_id == award.id,
                                                      FollowUpReport.year == report.year)) is not None:
        raise Conflict(_("The report on %(year)s was already sent.", year=report.year), code="report_exists")
    experience, improvements = report.experience.strip(), report.improvements.strip()
    problems = [problem for problem in (
        text_problem(experience, multiline=True, field=_("Experience shared")),
        text_problem(improvements, multiline=True, field=_("Improvement results"))) if problem]
    if not experience or not improvements:
        problems.append(_("Write both the experience you shared and the results of your improvements."))
    if len(experience) > MAX_REPORT_TEXT or len(improvements) > MAX_REPORT_TEXT:
        problems.append(_("Keep each text under %(count)s characters.", count=MAX_REPORT_TEXT))
    if problems:
        raise Invalid(" ".join(problems), code="report_text")
    row = FollowUpReport(award_id=award.id, year=report.year, experience=experience, improvements=improvements,
                         submitted_at=now, submitted_by_id=actor.id if actor else None)
    if report.data:
        if len(report.data) > max_file_bytes:
            raise Invalid(_("The file is larger than %(limit)s.", limit=f"{max_file_bytes / MiB:.1f} MB"),
                          code="file_too_large", field="file")
        try:
            content_type = sniff(report.data, pdf_check=pdf_check)
        except EvidenceRejected as rejected:
            raise Invalid(REJECTION_MESSAGES[rejected.reason](), code=f"file_{rejected.reason}",
                          field="file") from None
        stored = store.save(report.data)
        keep(session, Blob(stored.sha256, stored.size_bytes), "follow_up_report")
        row.stored_name, row.sha256, row.size_bytes = stored.stored_name, stored.sha256, stored.size_bytes
        row.content_type, row.display_name = content_type, display_name(report.filename, content_type)
    session.add(row)
    session.flush()
    record(session, actor=actor, action="award.follow_up_submitted", target_type="award", target_id=award.id,
           cycle_id=award.cycle_id,
           after={"report": row.id, "year": row.year, "file_sha256": row.sha256, "file_bytes": row.size_bytes})
    return row


def report_file(session: Session, *, actor: User | None, report: FollowUpReport,
                store: EvidenceStore) -> tuple[FollowUpReport, bytes]:
    """A report's file for whoever may read the report; its download is recorded."""
    require_read(actor, report.award)
    if report.stored_name is None or report.sha256 is None:
        raise NotFound(_("This report has no file."))
    data = store.read_checked(report.sha256)
    if data is None:
        raise NotFound(_("The file of this report is missing or was changed on disk; tell the award office."))
    record(session, actor=actor, action="award.follow_up_file_downloaded", target_type="award",
           target_id=report.award_id, cycle_id=report.award.cycle_id, after={"report": report.id})
    return report, data


# --- reminders -------------------------------------------------------------------------------------


def reminder_window(due: dt.date, today: dt.date) -> str | None:
    """"7d" or "30d" when the due day is that close and not past; None otherwise."""
    days = (due - today).days
    if days < 0:
        return None
    return next((name for name, lead in REMINDER_WINDOWS if days <= lead), None)


@reminder_source
def follow_up_due(session: Session, now: dt.datetime) -> Iterable[Reminder]:
    """Holders whose report on last year is not sent, 30 and 7 days before 31 March."""
    today = now.astimezone(local_zone()).date()
    year = today.year - 1
    window = reminder_window(due_date(year), today)
    if window is None:
        return
    sent = select(FollowUpReport.award_id).where(FollowUpReport.year == year)
    rows = session.execute(
        select(Award, User).join(User, (User.organization_id == Award.organization_id) & (User.role == Role.ENTERPRISE))
        .where(Award.status == AwardStatus.VALID, Award.valid_until >= dt.date(year, 1, 1),
               Award.awarded_on <= dt.date(year, 12, 31), Award.id.not_in(sent), User.is_enabled.is_(True))
        .order_by(Award.id, User.id))
    for award, user in rows:
        yield Reminder(user, Kind.FOLLOW_UP_DUE,
                       {"title": award.title, "valid_until": award.valid_until.isoformat(), "year": str(year),
                        "due": due_date(year).isoformat()},
                       path_for("awards.follow_up", award_id=award.id), f"followup{award.id}:{year}:{window}")


# --- the public list of current holders --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Holder:
    """One line of the public list: what the certificate itself prints, and nothing more."""

    organization_name: str
    title: str
    year: int
    valid_until: dt.date


def current_holders(session: Session, *, today: dt.date, year: int | None = None,
                    title: str | None = None) -> list[Holder]:
    """Organizations holding a title today (awarded, not revoked, not expired), newest year first."""
    stmt = (select(Award.organization_name, Award.title, Cycle.year, Award.valid_until)
            .join(Cycle, Cycle.id == Award.cycle_id)
            .where(Award.status == AwardStatus.VALID, Award.awarded_on <= today, Award.valid_until >= today))
    if year is not None:
        stmt = stmt.where(Cycle.year == year)
    if title is not None:
        stmt = stmt.where(Award.title == title)
    stmt = stmt.order_by(Cycle.year.desc(), Award.title, Award.organization_name, Award.id)
    return [Holder(organization_name=name, title=award_title, year=cycle_year, valid_until=until)
            for name, award_title, cycle_year, until in session.execute(stmt)]


def holder_filters(session: Session, *, today: dt.date) -> tuple[list[int], list[str]]:
    """The years and the titles the public list can be filtered by (those of today's holders)."""
    holders = current_holders(session, today=today)
    return sorted({h.year for h in holders}, reverse=True), sorted({h.title for h in holders})


def pick(value: str | None, choices: Sequence[str]) -> str | None:
    """A filter value from the query string if it is one of the choices; anything else is no filter."""
    return value if value in choices else None
