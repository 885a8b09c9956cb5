"""The decision stages' events, through their services, reach people in-app and through a real SMTP
relay: vote opened (leaders) and shortlisted (applicants), the vote-closing reminder, an objection
(the office), awarded or not (applicants, linked to their feedback report)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from award.app_db import get_database
from award.applications.evidence import EvidenceStore
from award.applications.models import Application
from award.applications.notices import result_link
from award.approval import services as approval
from award.approval.models import Choice
from award.auth.models import Role
from award.awards import services as awards
from award.cycles.models import Cycle, Stage
from award.db import utcnow
from award.notice.models import Objection, ObjectionOutcome, PublicNotice
from award.notice.services import ObjectionInput, file_objection
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.notifications.outbox import MailSettings, send_due
from award.notifications.reminders import run_reminders
from tests.approval.access_world import applications_of, decision_world, frozen_snapshot
from tests.approval.world import pdf_bytes

ZONE = ZoneInfo("Asia/Shanghai")


def _deliver(app, db, now=None) -> None:
    db.commit()
    result = send_due(get_database(app).session_factory, MailSettings.from_config(app.config), now=now or utcnow)
    assert result.failed == 0 and result.retried == 0


def _told(db, kind: Kind) -> dict[int, str]:
    return {user_id: link for user_id, link in db.execute(
        select(Notification.user_id, Notification.link).where(Notification.kind == kind.value))}


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _mails(smtp_server, subject_part: str) -> list[str]:
    return sorted(m["To"] for m in smtp_server.received if subject_part in m["Subject"])


def test_vote_opened_shortlisted_and_closing_reminder(app, db, make_user, make_cycle, make_organization,
                                                      smtp_server):
    office = make_user(Role.OFFICE)
    leaders = [make_user(Role.LEADER) for _ in range(3)]
    cycle = make_cycle(stage=Stage.APPROVAL)
    candidates = applications_of(db, cycle, make_organization, 2)
    staff = [make_user(Role.ENTERPRISE, organization=a.organization) for a in candidates]
    frozen_snapshot(db, cycle, candidates)
    closes = utcnow() + dt.timedelta(days=2)

    vote = approval.open_vote(db, actor=office, cycle=cycle, closes_at=closes)
    _deliver(app, db)

    ballot = f"/approval/cycles/{cycle.id}/ballot"
    assert _told(db, Kind.VOTE_OPENED) == {leader.id: ballot for leader in leaders}
    assert _mails(smtp_server, "Voting is open") == sorted(leader.email for leader in leaders)
    assert _told(db, Kind.APPLICATION_SHORTLISTED) == {
        user.id: f"/applications/{a.id}" for user, a in zip(staff, candidates, strict=True)}
    assert _mails(smtp_server, "on the shortlist") == sorted(user.email for user in staff)

    # A day before the close, the leaders who have not voted on every candidate are reminded, once.
    for application in candidates:
        approval.cast_ballot(db, actor=leaders[0], vote=vote, application_id=application.id,
                             choice=Choice.APPROVE)
    db.commit()
    reminder_time = closes - dt.timedelta(hours=20)
    with app.test_request_context("/"):
        assert run_reminders(db, now=reminder_time) == 2
        assert run_reminders(db, now=reminder_time) == 0
    _deliver(app, db, now=lambda: reminder_time)
    assert set(_told(db, Kind.VOTE_CLOSING)) == {leaders[1].id, leaders[2].id}
    assert _mails(smtp_server, "Voting closes soon") == sorted([leaders[1].email, leaders[2].email])


@pytest.fixture
def notice_world(db, app, make_user, make_cycle, make_organization, tmp_path):
    users = {role.value: make_user(role) for role in Role}
    root = tmp_path / "objections"
    built = decision_world(db, app, users=users, make_cycle=make_cycle, make_organization=make_organization,
                           root=root)
    return {**built, "users": users, "root": root, "cycle": db.get(Cycle, built["notice_cycle_id"]),
            "notice": db.get(PublicNotice, built["notice_id"])}


def test_objection_tells_the_office(app, db, notice_world, make_user, smtp_server):
    offices = [notice_world["users"]["office"], make_user(Role.OFFICE)]
    _deliver(app, db)
    smtp_server.received.clear()
    notice = notice_world["notice"]
    data = ObjectionInput(
        candidate_id=notice.candidates[0].id, name="张三", id_number="11010519491231002X", organization="",
        phone="13912345678", text="质量数据与实际不符", evidence=pdf_bytes(), filename="证据.pdf")

    objection = file_objection(db, notice=notice, data=data, store=EvidenceStore(notice_world["root"]),
                                               remote_addr="203.0.113.9", zone=ZONE)
    _deliver(app, db)

    link = f"/notices/objections/{objection.id}"
    assert _told(db, Kind.OBJECTION_RECEIVED) == {office.id: link for office in offices}
    assert _mails(smtp_server, "An objection was filed") == sorted(office.email for office in offices)
    assert f"http://127.0.0.1:5000{link}" in smtp_server.received[0].get_body(("plain",)).get_content()


def test_awarded_or_not_tells_each_applicant_with_the_result_link(app, db, notice_world, make_user, smtp_server,
                                                                  login):
    cycle, notice = notice_world["cycle"], notice_world["notice"]
    listed = db.get(Application, notice.candidates[0].application_id)
    other = db.scalars(select(Application).where(Application.cycle_id == cycle.id, Application.id != listed.id)).one()
    frozen_snapshot(db, cycle, [listed, other])  # both were ranked; only the listed one is on the notice
    winner, runner_up = (make_user(Role.ENTERPRISE, organization=a.organization) for a in (listed, other))
    for objection in db.scalars(select(Objection)):
        objection.outcome, objection.outcome_reason, objection.decided_at = (
            ObjectionOutcome.DISMISSED, "无事实依据", utcnow())
    notice.published_at, notice.ends_at = utcnow() - dt.timedelta(days=10), utcnow() - dt.timedelta(minutes=1)
    _deliver(app, db)
    smtp_server.received.clear()

    awards.confirm_awards(db, actor=notice_world["users"]["office"], cycle=cycle, zone=ZONE)
    _deliver(app, db)

    assert _told(db, Kind.APPLICATION_AWARDED) == {winner.id: result_link(listed)}
    assert _told(db, Kind.APPLICATION_NOT_AWARDED) == {runner_up.id: result_link(other)}
    assert result_link(listed) == f"/certificates/applications/{listed.id}/feedback.pdf"
    [won] = [m for m in smtp_server.received if m["To"] == winner.email]
    [lost] = [m for m in smtp_server.received if m["To"] == runner_up.email]
    assert "has won the award" in won["Subject"] and "feedback report" in won.get_body(("plain",)).get_content()
    assert "The result of your application" in lost["Subject"]
    assert f"http://127.0.0.1:5000{result_link(other)}" in lost.get_body(("plain",)).get_content()
    report = login(runner_up).get(result_link(other))  # the link opens the report the mail announces
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    text = _pdf_text(report.data)
    assert "评审反馈报告" in text and other.org_name in text
