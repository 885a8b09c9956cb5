"""The commands cron and systemd run: `outbox send`, `outbox status`, `outbox requeue`, `reminders run`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from award.applications.models import Application, ApplicationStatus
from award.auth.models import Role
from award.cycles.models import Stage
from award.db import utcnow
from award.notifications.kinds import Kind
from award.notifications.models import OutboxMessage, OutboxStatus
from award.notifications.services import notify


def test_outbox_send_delivers_and_reports(app, db, make_user, smtp_server):
    notify(db, user=make_user(Role.OFFICE), kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"}, link="/")
    db.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "outbox: sent 1, to retry 0, failed 0" in result.output
    assert len(smtp_server.received) == 1
    status = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert "sent 1" in status.output


def test_requeue_sends_a_failed_message_again(app, db, make_user, smtp_server):
    notify(db, user=make_user(Role.OFFICE), kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"}, link="/")
    db.commit()
    message = db.scalars(select(OutboxMessage)).one()
    message.status, message.attempts, message.last_error = OutboxStatus.FAILED, 4, "550 no such user"
    db.commit()
    runner = app.test_cli_runner()
    assert "requeued 1" in runner.invoke(args=["outbox", "requeue", str(message.id)]).output
    assert "sent 1" in runner.invoke(args=["outbox", "send"]).output


def test_console_mode_prints_the_message(app, db, make_user, smtp_server):
    app.config["MAIL_TO_CONSOLE"] = True
    notify(db, user=make_user(Role.OFFICE), kind=Kind.OBJECTION_RECEIVED, context={"organization": "X"}, link="/")
    db.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert "An objection was filed: X" in result.output and smtp_server.received == []


def test_reminders_run_is_idempotent(app, db, make_cycle, make_user):
    cycle = make_cycle(stage=Stage.APPLICATION, deadlines={Stage.APPLICATION: utcnow() + dt.timedelta(days=2)})
    user = make_user(Role.ENTERPRISE)
    db.add(Application(cycle_id=cycle.id, organization_id=user.organization_id, status=ApplicationStatus.DRAFT))
    db.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reminders", "run"]).output == "reminders: 1 new\n"
    assert runner.invoke(args=["reminders", "run"]).output == "reminders: 0 new\n"
