"""`flask --app award pool …`: the pool's and the group links' files from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from award.app_db import get_session
from award.errors import DomainError
from award.pool import io as pool_io

pool_cli = AppGroup("pool", help="The expert pool's files and the group links (see docs/expert-pool-format.md).")


def _format_of(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in pool_io.FORMATS:
        raise click.ClickException("use a .xlsx or .csv file")
    return fmt


_Result = TypeVar("_Result")


def _run_import(action: Callable[[Session], _Result]) -> _Result:
    session = get_session()
    try:
        result = action(session)
    except pool_io.ImportRejected as error:
        session.rollback()
        for problem in error.problems:
            click.echo(f"row {problem.row}: {problem.message}", err=True)
        click.echo(error.message, err=True)
        sys.exit(1)
    except DomainError as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    session.commit()
    return result


@pool_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write the expert pool to PATH (.xlsx or .csv)."""
    path.write_bytes(pool_io.export_pool(get_session(), _format_of(path)))
    click.echo(f"wrote {path}")


@pool_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import the expert pool from PATH, all or nothing; e-mails each new account an invitation."""
    fmt = _format_of(path)
    result = _run_import(lambda session: pool_io.import_pool(
        session, actor=None, data=path.read_bytes(), fmt=fmt,
        password_min_length=current_app.config["PASSWORD_MIN_LENGTH"]))
    click.echo(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
               f"relations added {result.relations_added}")
    for email in result.invited:
        click.echo(f"  new account {email}: invitation e-mailed")


@pool_cli.command("groups-export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def groups_export_command(path: Path) -> None:
    """Write the enterprise-group links to PATH (.xlsx or .csv)."""
    path.write_bytes(pool_io.export_groups(get_session(), _format_of(path)))
    click.echo(f"wrote {path}")


@pool_cli.command("groups-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def groups_import_command(path: Path) -> None:
    """Import enterprise-group links from PATH, all or nothing."""
    fmt = _format_of(path)
    result = _run_import(lambda session: pool_io.import_groups(session, actor=None, data=path.read_bytes(),
                                                               fmt=fmt))
    click.echo(f"links added {result.added}, already known {result.already_known}")
