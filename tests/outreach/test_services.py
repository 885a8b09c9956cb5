"""The office's bulk tools: exactly the right recipients, through the outbox, one audit record per action."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.applications.models import ApplicationStatus
from award.audit.models import AuditRecord
from award.auth.models import Role
from award.errors import Conflict, Invalid, NotAllowed
from award.notifications.kinds import Kind
from award.notifications.models import Notification, OutboxMessage
from award.outreach import services
from award.outreach.services import Message
from award.rounds.models import RoundStatus
from tests.notifications.test_review_events import _open, _submit
from tests.rounds.factories import *  # noqa: F403 (fixtures)


def _told(db, kind: Kind) -> list[int]:
    return sorted(db.scalars(select(Notification.user_id).where(Notification.kind == kind.value)))


def _audits(db, action: str) -> list[AuditRecord]:
    return list(db.scalars(select(AuditRecord).where(AuditRecord.action == action)))


@pytest.fixture
def opened(review_world, db):
    world = review_world(applications=2, experts=10, panels_drawn=True)
    _open(db, world)
    return world


def test_the_reminder_reaches_exactly_the_experts_with_a_missing_or_late_sheet(db, opened):
    seats = [seat for application in opened.applications for seat in opened.panel(db, application)]
    done, draft = seats[:3], seats[3]
    for seat in done:
        _submit(db, opened, seat)
    from award.scoring import services as scoring
    scoring.sign_pledge(db, actor=draft.expert, assignment=draft)  # pledged, sheet still a draft: missing
    finished = {seat.expert_id for seat in done} - {seat.expert_id for seat in seats[3:]}
    expected = sorted({seat.expert_id for seat in seats[3:]})

    result = services.remind_late_experts(db, actor=opened.office, review_round=opened.review_round)

    assert result.recipient_ids == expected and result.count == len(expected)
    assert _told(db, Kind.SHEETS_LATE) == expected and not finished & set(expected)
    mails = db.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == Kind.SHEETS_LATE.value))
    assert sorted(mails) == expected


def test_one_audit_record_holds_the_count_and_the_recipients(db, opened):
    result = services.remind_late_experts(db, actor=opened.office, review_round=opened.review_round)
    [audit] = _audits(db, "outreach.experts_reminded")
    assert audit.after["count"] == result.count == 10 and audit.after["recipients"] == result.recipient_ids
    assert audit.actor_id == opened.office.id and audit.target_id == str(opened.review_round.id)


def test_a_round_with_every_sheet_in_or_not_open_reminds_nobody(db, opened):
    opened.review_round.status = RoundStatus.CLOSED
    with pytest.raises(Conflict, match="while the round is open"):
        services.remind_late_experts(db, actor=opened.office, review_round=opened.review_round)
    opened.review_round.status = RoundStatus.OPEN
    for application in opened.applications:
        for seat in opened.panel(db, application):
            _submit(db, opened, seat)
    with pytest.raises(Conflict, match="nobody to remind"):
        services.remind_late_experts(db, actor=opened.office, review_round=opened.review_round)
    assert _audits(db, "outreach.experts_reminded") == []


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.EXPERT, Role.ENTERPRISE, Role.LEADER])
def test_only_the_office_sends(db, opened, make_user, role):
    with pytest.raises(NotAllowed):
        services.remind_late_experts(db, actor=make_user(role), review_round=opened.review_round)
    with pytest.raises(NotAllowed):
        services.send_message(db, actor=make_user(role), cycle=opened.cycle, expected_count=0,
                              message=Message(status=None, subject="通知", body="请注意"))


@pytest.fixture
def applicants(db, review_world, make_user):
    """Three applications of the cycle: one returned (two accounts), one submitted, one eligible."""
    world = review_world(applications=3, experts=5)
    statuses = [ApplicationStatus.RETURNED, ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE]
    accounts = {}
    for application, status in zip(world.applications, statuses, strict=True):
        application.status = status
        count = 2 if status is ApplicationStatus.RETURNED else 1
        accounts[status] = [make_user(Role.ENTERPRISE, organization=application.organization) for _ in range(count)]
    db.flush()
    return world, accounts


def test_the_returned_reminder_reaches_the_returned_applications_accounts_only(db, applicants):
    world, accounts = applicants
    result = services.remind_returned_applicants(db, actor=world.office, cycle=world.cycle)
    expected = sorted(u.id for u in accounts[ApplicationStatus.RETURNED])
    assert result.recipient_ids == expected and _told(db, Kind.RETURNED_WAITING) == expected
    [audit] = _audits(db, "outreach.returned_reminded")
    assert audit.after["count"] == 2 and audit.after["recipients"] == expected


@pytest.mark.parametrize(("status", "groups"), [
    (None, [ApplicationStatus.RETURNED, ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE]),
    (ApplicationStatus.SUBMITTED, [ApplicationStatus.SUBMITTED]),
    (ApplicationStatus.RETURNED, [ApplicationStatus.RETURNED]),
])
def test_a_message_reaches_its_status_group_after_a_preview(db, applicants, status, groups):
    world, accounts = applicants
    expected = sorted(u.id for group in groups for u in accounts[group])
    message = Message(status=status, subject="关于现场评审安排", body="请于 12 月 20 日前确认联系人。")

    preview = services.preview_message(db, actor=world.office, cycle=world.cycle, message=message)
    assert preview.count == len(expected) and "关于现场评审安排" in preview.notice.title
    assert preview.notice.body == "请于 12 月 20 日前确认联系人。"
    assert _told(db, Kind.OFFICE_MESSAGE) == []  # the preview sends nothing

    result = services.send_message(db, actor=world.office, cycle=world.cycle, message=message,
                                   expected_count=preview.count)
    assert result.recipient_ids == expected and _told(db, Kind.OFFICE_MESSAGE) == expected
    outbox = sorted(db.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == Kind.OFFICE_MESSAGE.value)))
    assert outbox == expected
    [audit] = _audits(db, "outreach.message_sent")
    assert audit.after["count"] == len(expected) and audit.after["recipients"] == expected
    assert audit.after["group"] == (status.value if status else "all")


def test_a_group_that_changed_since_the_preview_is_refused(db, applicants):
    world, accounts = applicants
    message = Message(status=ApplicationStatus.SUBMITTED, subject="通知", body="请注意")
    with pytest.raises(Conflict, match="changed since the preview"):
        services.send_message(db, actor=world.office, cycle=world.cycle, message=message, expected_count=5)
    assert _told(db, Kind.OFFICE_MESSAGE) == [] and _audits(db, "outreach.message_sent") == []


@pytest.mark.parametrize(("subject", "body"), [("", "正文"), ("标题", "  "), ("标\u202e题", "正文"),
                                               ("标题", "正文\x07"), ("标" * 200, "正文")])
def test_a_bad_message_is_refused_with_the_reason(db, applicants, subject, body):
    world, _accounts = applicants
    with pytest.raises(Invalid):
        services.preview_message(db, actor=world.office, cycle=world.cycle,
                                 message=Message(status=None, subject=subject, body=body))


def test_the_office_queues_a_message_the_worker_sends_once(app, db, client, login, applicants):
    """The page queues the message as a job (run by the worker; here, in the request); a second click
    gives the same job while it is active, and the group is checked again when the job runs."""
    from award.jobs.models import Job, JobState

    world, accounts = applicants
    expected = sorted(u.id for u in accounts[ApplicationStatus.SUBMITTED])
    message = Message(status=ApplicationStatus.SUBMITTED, subject="关于现场评审安排", body="请确认联系人。")
    job, created = services.queue_message(db, actor=world.office, cycle=world.cycle, message=message,
                                          expected_count=len(expected))
    again, created_again = services.queue_message(db, actor=world.office, cycle=world.cycle, message=message,
                                                  expected_count=len(expected))
    assert created and not created_again and again.id == job.id and job.kind == services.MESSAGE_KIND
    assert _told(db, Kind.OFFICE_MESSAGE) == []  # nothing sent before the job runs
    db.commit()  # the job is handed to the queue; in the tests it runs at once
    db.expire_all()
    done = db.get(Job, job.id)
    count = len(expected)
    assert (done.state, done.done, done.total, done.result_sha256) == (JobState.DONE, count, count, None)
    assert _told(db, Kind.OFFICE_MESSAGE) == expected
    [audit] = _audits(db, "outreach.message_sent")
    assert audit.actor_id == world.office.id and audit.after["recipients"] == expected

    login(world.office)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f"Done: {count} of {count}." in page and f"/jobs/{job.id}/result" not in page.split("hidden")[0]
    assert client.get(f"/jobs/{job.id}/status").get_json()["download_url"] is None


def test_the_send_button_opens_the_job_and_a_changed_group_is_refused_at_once(app, db, client, login, applicants):
    from award.jobs.models import Job

    world, accounts = applicants
    login(world.office)
    page = client.get(f"/outreach/cycles/{world.cycle.id}")
    assert page.status_code == 200
    form = {"group": ApplicationStatus.SUBMITTED.value, "subject": "通知", "body": "请注意"}
    refused = client.post(f"/outreach/cycles/{world.cycle.id}/message", data={**form, "expected_count": "5"})
    assert refused.status_code == 409 and "preview it again" in refused.get_data(as_text=True)
    assert db.scalar(select(Job.id).where(Job.kind == services.MESSAGE_KIND)) is None
    sent = client.post(f"/outreach/cycles/{world.cycle.id}/message", data={**form, "expected_count": "1"})
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/jobs/")
    assert client.get(sent.headers["Location"] + "/status").get_json()["state"] == "done"
    assert _told(db, Kind.OFFICE_MESSAGE) == [u.id for u in accounts[ApplicationStatus.SUBMITTED]]
