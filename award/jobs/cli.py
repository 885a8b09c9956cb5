"""`flask --app award worker`: the job worker (huey's consumer, inside the app); `jobs list`, `jobs reap`."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from award.app_db import get_session
from award.jobs.configured import job_queue

jobs_cli = AppGroup("jobs", help="Background jobs.")


@click.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 32),
              help="Jobs run at once by this worker.")
@with_appcontext
def worker_command(threads: int) -> None:
    """Run the job worker until stopped (SIGINT or SIGTERM): queued jobs, the reaper, reminders."""
    queue = job_queue()
    if queue.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is on: jobs run where they are started, no worker needed")
    taken = queue.reap(starting=True)  # jobs of a worker that died before this one started
    click.echo(f"job worker: {threads} thread(s); {len(taken)} job(s) handed out again at start", err=True)
    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                                          check_worker_health=True)
    consumer.run()


@jobs_cli.command("reap")
def reap_command() -> None:
    """Take back the jobs of dead workers now (the worker does it every minute)."""
    ids = job_queue().reap()
    click.echo(f"{len(ids)} job(s) handed to the queue again")


@jobs_cli.command("list")
def list_command() -> None:
    """The queued and running jobs."""
    from award.jobs.services import jobs_of

    for job in jobs_of(get_session()):
        click.echo(f"{job.id}\t{job.kind}\t{job.state.value}\t{job.done}/{job.total}\tattempt {job.attempts}")
