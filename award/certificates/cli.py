"""`flask --app award certificates CYCLE_ID --out FILE.pdf`: the batch PDF of a cycle from the command line."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from award.certificates.fonts import MissingFontError


@click.command("certificates")
@with_appcontext
@click.argument("cycle_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF.")
def certificates_command(cycle_id: int, out: str) -> None:
    """Write all valid certificates of cycle CYCLE_ID into one PDF for the printer."""
    from award.app_db import get_session
    from award.certificates import services
    from award.certificates.configured import font_lookup, public_verify_url, seal_store
    from award.certificates.render import render_certificates_batch
    from award.cycles.models import Cycle
    from award.errors import DomainError

    session = get_session()
    try:
        cycle = session.get(Cycle, cycle_id)
        if cycle is None:
            raise click.ClickException(f"no cycle with id {cycle_id}")
        certificates = services.cycle_certificates(session, cycle, verify_url=public_verify_url,
                                                   seal_store=seal_store())
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    finally:
        session.rollback()  # read only: no transaction (on SQLite, no write lock) is held while rendering
    started = time.perf_counter()
    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = done * 100 // total
        if percent // 10 != shown // 10 or done == total:
            click.echo(f"{done}/{total} certificates laid out", err=True)
            shown = percent

    try:
        pdf = render_certificates_batch(certificates, progress, font_lookup=font_lookup())
    except MissingFontError as error:
        raise click.ClickException(str(error)) from None
    target = Path(out)
    temporary = target.with_name(target.name + ".part")
    temporary.write_bytes(pdf)
    temporary.replace(target)
    click.echo(f"{len(certificates)} certificates written to {target} "
               f"({len(pdf) // 1024} KiB, {time.perf_counter() - started:.1f} s)")
