"""`flask --app award pool conflicts CYCLE_ID`: a cycle's conflicted pairs from the command line (the command
joins the pool's group in `award.cli`)."""

from __future__ import annotations

import click

from award.app_db import get_session
from award.conflicts import services as conflicts
from award.cycles.models import Cycle


@click.command("conflicts")
@click.argument("cycle_id", type=int)
def conflicts_command(cycle_id: int) -> None:
    """List the conflicted (application, expert) pairs of a cycle, hard and soft, with their reasons."""
    session = get_session()
    cycle = session.get(Cycle, cycle_id)
    if cycle is None:
        raise click.ClickException(f"no cycle {cycle_id}")
    found = conflicts.conflicts_for_cycle(session, cycle, include_soft=True)
    click.echo(f"cycle {cycle.id}: {len(found)} conflicted pairs, review date "
               f"{conflicts.reference_date_for(session, cycle).isoformat()}")
    for (application_id, expert_id), items in found.items():
        for conflict in items:
            click.echo(f"application {application_id}\texpert {expert_id}\t{conflict.type.value}\t"
                       f"{conflict.severity.value}\t{conflict.source.value}\t{conflict.reason}")
