"""`flask --app award archive create|verify|recount`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from award.app_db import get_session
from award.errors import DomainError
from award.i18n import _

archive_cli = AppGroup("archive", help="Archive a closed cycle, and check an archive offline.")


@archive_cli.command("create")
@click.argument("cycle_id", type=int)
@click.option("--out", "target", type=click.Path(dir_okay=False, writable=True), required=True)
def create_command(cycle_id: int, target: str) -> None:
    """Write the archive ZIP of CYCLE_ID."""
    from award.archive.builder import ArchiveStorage, build_archive
    from award.certificates.configured import font_lookup, public_verify_url
    from award.cycles.models import Cycle

    session = get_session()
    cycle = session.get(Cycle, cycle_id)
    if cycle is None:
        raise click.ClickException(f"no cycle {cycle_id}")
    try:
        storage = ArchiveStorage.from_config(current_app.config, current_app.instance_path,
                                             verify_url=public_verify_url)
        summary = build_archive(session, actor=None, cycle=cycle, target=Path(target), storage=storage,
                                font_lookup=font_lookup())
    except DomainError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"{summary.path}: {summary.entries} files, {summary.bytes_written} bytes, "
               f"chain head {summary.chain_head}")
    click.echo(f"manifest SHA-256 {summary.manifest_sha256}")
    for note in summary.notes:
        click.echo(f"NOTE {note}", err=True)


@archive_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_command(path: str) -> None:
    """Check every file against the manifest, the manifest's digest and the audit chain; exit 1 on any difference."""
    from award.archive.verify import verify_archive

    verdict = verify_archive(Path(path))
    for note in verdict.notes:
        click.echo(f"NOTE {note}", err=True)
    if verdict.ok:
        click.echo(f"archive intact: {verdict.checked_files} files, {verdict.checked_records} audit records")
        return
    for problem in verdict.problems:
        click.echo(f"FAIL {problem}", err=True)
    sys.exit(1)


@archive_cli.command("recount")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def recount_command(path: str) -> None:
    """Recount an archive offline (复核): replay the draws, re-check the panels, re-rank, compare the decision."""
    from award.archive.recount import recount_archive

    recount = recount_archive(Path(path))
    for difference in recount.differences:
        click.echo(_("DIFFERENCE %(text)s", text=difference), err=True)
    if not recount.ok:
        click.echo(_("The recount differs from the archive in %(count)s places.", count=len(recount.differences)),
                   err=True)
        sys.exit(1)
    click.echo(_("The recount agrees with the archive."))
    for checked in recount.checked:
        click.echo(f"  {checked}")
