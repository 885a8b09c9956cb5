"""`flask --app award outbox send [--loop --interval 30]`, `outbox status`, `outbox requeue`, `reminders run`."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup

from award.app_db import get_database, get_session
from award.db import utcnow
from award.notifications import outbox

outbox_cli = AppGroup("outbox", help="Send the e-mails waiting in the outbox.")
reminders_cli = AppGroup("reminders", help="Send due reminders (deadlines, votes).")
log = logging.getLogger("award.mail")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending every INTERVAL seconds (for systemd).")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(min=1))
def send_command(loop: bool, interval: int) -> None:
    """Send every due message once (one pass), or keep doing so with --loop."""
    settings = outbox.MailSettings.from_config(current_app.config)
    factory = get_database().session_factory
    while True:
        result = outbox.send_due(factory, settings, transport=outbox.make_transport(settings, click.echo),
                                 heartbeat=True)
        if not loop:
            click.echo(f"outbox: {result}")
            return
        if result.sent + result.retried + result.failed:
            log.info("outbox: %s", result)  # a service's output: one structured log line (award/logs.py)
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return


@outbox_cli.command("status")
@click.option("--failed", "failed_shown", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many of the newest failed messages to list with their reason.")
def status_command(failed_shown: int) -> None:
    """Count messages per status; list those a stopped sender left and the failed ones with their reason."""
    session = get_session()
    counts = outbox.status_counts(session)
    click.echo(", ".join(f"{status.value} {count}" for status, count in counts.items()))
    for message in outbox.stuck_messages(session, now=utcnow()):
        claimed = f"{message.claimed_at:%Y-%m-%d %H:%M} UTC" if message.claimed_at else "?"
        click.echo(f"stuck {message.id}: {message.recipient} “{outbox.header_text(message.subject)}” "
                   f"claimed {claimed}, lease expired; the next pass sends it again")
    for message in outbox.failed_messages(session, limit=failed_shown):
        # One line per message, whatever the subject or the relay's answer contains.
        click.echo(f"failed {message.id}: {message.recipient} “{outbox.header_text(message.subject)}” after "
                   f"{message.attempts} attempt(s): {outbox.header_text(message.last_error) or '?'}")


@outbox_cli.command("requeue")
@click.argument("message_ids", nargs=-1, type=int, required=True)
def requeue_command(message_ids: tuple[int, ...]) -> None:
    """Send failed messages again with fresh attempts (a stuck one at once; it may then arrive twice)."""
    session = get_session()
    count = outbox.requeue(session, message_ids=list(message_ids), now=utcnow())
    session.commit()
    click.echo(f"requeued {count} message(s)")


@reminders_cli.command("run")
def run_command() -> None:
    """Create every reminder due now that was not created before (safe to run as often as you like)."""
    from award.notifications.reminders import run_reminders

    base_url = current_app.config["PUBLIC_BASE_URL"]
    with current_app.test_request_context("/", base_url=base_url):  # sources may link with url_for
        session = get_session()
        created = run_reminders(session)
        session.commit()
    click.echo(f"reminders: {created} new")
