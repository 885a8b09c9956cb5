"""`flask --app award assign solve INSTANCE.json`: solve an assignment instance, no database."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from award.assignment.instance import (
    InvalidInstance,
    instance_hash,
    parse_instance,
    result_to_json,
    solve_instance,
)

assign_cli = AppGroup("assign", help="Assign experts to applications (optimal or seeded draw).")


@assign_cli.command("solve")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
def solve_command(path: str) -> None:
    """Read INSTANCE (a JSON file, "-" for stdin) and print the result JSON to stdout.

    With a "seed" in the instance the seeded random draw runs; the output then also carries
    the input hash for the draw record.
    """
    try:
        with click.open_file(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path}: not valid JSON: {error}") from None
    try:
        instance = parse_instance(data)
    except InvalidInstance as error:
        raise click.ClickException(f"{path}: invalid instance: {error}") from None
    result = solve_instance(instance)
    digest = instance_hash(instance) if instance.seed is not None else None
    json.dump(result_to_json(result, input_hash=digest), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
