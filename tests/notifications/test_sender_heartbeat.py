"""The outbox sender's heartbeat, which /healthz reads: stamped by every pass of `outbox send`."""

from __future__ import annotations

import datetime as dt

from award.app_db import get_database
from award.auth.models import Role
from award.db import utcnow
from award.heartbeats import OUTBOX_SENDER, last_beat
from award.notifications import outbox
from award.notifications.kinds import Kind
from award.notifications.services import notify


class SteppingClock:
    """Each reading is `step` later than the one before: a pass that takes its time."""

    def __init__(self, step: dt.timedelta) -> None:
        self.now, self.step, self.readings = utcnow(), step, []

    def __call__(self) -> dt.datetime:
        self.now += self.step
        self.readings.append(self.now)
        return self.now


def _beat(db) -> dt.datetime | None:
    db.expire_all()
    return last_beat(db, worker=OUTBOX_SENDER)


def test_the_command_stamps_the_heartbeat_even_with_nothing_to_send(app, db, smtp_server):
    assert _beat(db) is None
    before = utcnow()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert before <= _beat(db) <= utcnow()
    assert app.test_client().get("/healthz").get_json()["checks"]["outbox_sender"]["status"] == "ok"


def test_a_pass_without_heartbeat_stamps_nothing(app, db, smtp_server):
    outbox.send_due(get_database(app).session_factory, outbox.MailSettings.from_config(app.config))
    assert _beat(db) is None


def test_a_long_pass_stamps_again_as_it_goes(app, db, make_user, smtp_server):
    user = make_user(Role.OFFICE)
    for n in range(4):
        notify(db, user=user, kind=Kind.OBJECTION_RECEIVED, context={"organization": f"X{n}"}, link="/",
               dedupe_key=f"beat-{n}")
    db.commit()
    clock = SteppingClock(dt.timedelta(seconds=10))  # each message takes a few readings: well over 15 s apiece
    result = outbox.send_due(get_database(app).session_factory, outbox.MailSettings.from_config(app.config),
                             now=clock, heartbeat=True)
    assert result.sent == 4
    # Stamped at the start and again during the pass, not only when it began.
    assert _beat(db) > clock.readings[0] + outbox.HEARTBEAT_EVERY
