"""Command-line entry points: `flask --app award <group> <command>`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from award.app_db import get_database, get_session
from award.auth.models import Role
from award.errors import DomainError
from award.files import FileStore

users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Check the audit trail.")
db_cli = AppGroup("db", help="Migrate the database schema (Alembic).")
demo_cli = AppGroup("demo", help="The demo cycle.")
files_cli = AppGroup("files", help="The file store: check every stored file, move older files into it.")


@users_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role if r is not Role.ENTERPRISE]), required=True)
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--phone", default="")
@click.password_option(prompt="Password")
def create_user_command(role: str, email: str, full_name: str, phone: str, password: str) -> None:
    """Create an office, expert, leader or supervisor account."""
    from award.auth.services import create_staff_user

    session = get_session()
    try:
        user = create_staff_user(session, actor=None, role=Role(role), email=email, full_name=full_name,
                                 phone=phone, password=password,
                                 password_min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except DomainError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"created {user.role.value} account {user.email} (id {user.id})")


def _anchor_option(_context: click.Context, _parameter: click.Parameter, values: tuple[str, ...]) -> list:
    from award.audit.anchors import parse_anchor

    try:
        return [parse_anchor(value) for value in values]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@audit_cli.command("verify")
@click.option("--anchor", "anchors", multiple=True, callback=_anchor_option, metavar="N:HASH",
              help="An anchor printed on an official document or the public notice page; repeatable.")
def verify_command(anchors: list) -> None:
    """Exit 0 when the hash chain is intact (and holds every anchor given); otherwise name the first
    bad record and exit 1."""
    from award.audit.services import verify_anchor, verify_chain

    session = get_session()
    verdicts = [verify_anchor(session, anchor) for anchor in anchors] or [verify_chain(session)]
    broken = [verdict for verdict in verdicts if not verdict.ok]
    if not broken:
        verdict = verdicts[0]
        held = f", holding {len(anchors)} anchor(s)" if anchors else ""
        click.echo(f"audit chain intact: {verdict.checked} records, head {verdict.head_hash}{held}")
        return
    for verdict in broken:
        click.echo(f"audit chain BROKEN at record {verdict.first_bad_seq}: {verdict.problem}", err=True)
    sys.exit(1)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from award import migrate

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the schema)."""
    from award import migrate

    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("current")
def current_command() -> None:
    """Print the database's revision and the code's head."""
    from award import migrate

    current = migrate.current_revision(get_database().engine)
    click.echo(f"database: {current or '(empty)'}; code head: {migrate.head_revision()}")


@demo_cli.command("seed")
def seed_command() -> None:
    """Seed the demo cycle once (refuses a database that is not a demo one)."""
    from award.demo import DemoRefused, seed_demo

    try:
        summary = seed_demo(get_session(), demo_database=current_app.config["DEMO_DATABASE"])
    except DemoRefused as error:
        raise click.ClickException(str(error)) from None
    get_session().commit()
    click.echo(summary)


@click.command("backup")
@with_appcontext
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def backup_command(target: str) -> None:
    """Write a consistent copy of the database and every stored file to TARGET (one tar file)."""
    from award.backup import BackupError, backup_all

    try:
        written = backup_all(current_app.config["DATABASE_URL"], _file_store(), target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {target}: the database and {written['files']} files")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: str, yes: bool) -> None:
    """Replace the database's content with the backup SOURCE and put its files back (stop the app first)."""
    from award.backup import BackupError, restore_all

    if not yes:
        click.confirm("This replaces everything in the database. Continue?", abort=True)
    get_database().engine.dispose()  # no pooled connection may hold the old content
    try:
        restored = restore_all(current_app.config["DATABASE_URL"], _file_store(), source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"database and {restored['files']} files restored from {source}")


def _file_store() -> FileStore:
    return FileStore.from_config(current_app.config, current_app.instance_path)


@files_cli.command("verify")
def files_verify_command() -> None:
    """Check every file the database records; name each missing or altered one and exit 1."""
    from award.files import verify_files

    checked, problems = verify_files(get_session(), _file_store())
    for problem in problems:
        click.echo(f"FAIL {problem.problem} {problem.kind} {problem.sha256}", err=True)
    if problems:
        click.echo(f"{len(problems)} of {checked} files missing or altered", err=True)
        sys.exit(1)
    click.echo(f"all {checked} files intact")


# The folders files were kept in before the file store, each with how a row's file was found there.
_LEGACY = (  # (config key, folder under instance/, model path, kind, sharded by two characters)
    ("EVIDENCE_ROOT", "evidence", "award.applications.models:EvidenceFile", "evidence", True),
    ("OBJECTION_EVIDENCE_ROOT", "objections", "award.notice.models:Objection", "objection", True),
    ("CALL_FILES_ROOT", "calls", "award.calls.models:CallAttachment", "call_file", True),
    ("CERTIFICATE_SEAL_ROOT", "seals", "award.certificates.models:CertificateSettings", "seal", False),
)


@files_cli.command("import")
@click.option("--remove-old", is_flag=True, help="Delete each old file once its copy is in the store.")
def files_import_command(remove_old: bool) -> None:
    """Move the files of an older deployment (instance/evidence, objections, calls, seals, archives) into
    the file store, checking each against the SHA-256 the database recorded. Old certificate batches are
    left alone: a batch is printed again as a job."""
    import importlib
    import shutil
    from pathlib import Path

    from sqlalchemy import select

    from award.files import Blob, keep

    session, store = get_session(), _file_store()
    instance = Path(current_app.instance_path)
    moved = present = 0
    problems: list[str] = []
    for key, folder, model_path, kind, sharded in _LEGACY:
        module, name = model_path.split(":")
        model = getattr(importlib.import_module(module), name)
        root = Path(current_app.config.get(key) or instance / folder)
        stored_column, digest_column = ((model.stored_name, model.sha256) if kind != "seal"
                                        else (model.seal_stored_name, model.seal_sha256))
        rows = session.execute(select(stored_column, digest_column).where(stored_column.is_not(None)))
        for stored_name, digest in rows:
            old = root / stored_name[:2] / stored_name if sharded else root / stored_name
            try:
                present_already = store.check(digest) is None
            except ValueError:  # the recorded value is no SHA-256 at all
                problems.append(f"altered {kind} {digest!r} (the database holds no SHA-256 for {stored_name})")
                continue
            if present_already:
                keep(session, Blob(digest, store.path_of(digest).stat().st_size), kind)
                present += 1
            elif not old.is_file():
                problems.append(f"missing {kind} {digest} (no {old})")
                continue
            else:
                scratch = store.scratch_path()
                shutil.copyfile(old, scratch)
                try:
                    keep(session, store.adopt(scratch, expected=digest), kind)
                except ValueError:
                    problems.append(f"altered {kind} {digest} ({old} differs from the recorded SHA-256)")
                    continue
                moved += 1
            if remove_old:
                old.unlink(missing_ok=True)
    for old in sorted((instance / "archives").glob("*.zip")):  # archives made by the button, named by cycle
        scratch = store.scratch_path(".zip")
        shutil.copyfile(old, scratch)
        keep(session, store.adopt(scratch), "archive")
        moved += 1
        if remove_old:
            old.unlink()
    session.commit()
    click.echo(f"{moved} files moved into {store.root}, {present} already there")
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    if problems:
        sys.exit(1)


def register_cli(app: Flask) -> None:
    from award.archive.cli import archive_cli
    from award.assignment.cli import assign_cli
    from award.certificates.cli import certificates_command
    from award.conflicts.cli import conflicts_command
    from award.jobs.cli import jobs_cli, worker_command
    from award.notifications.cli import outbox_cli, reminders_cli
    from award.pool.cli import pool_cli

    pool_cli.add_command(conflicts_command)
    groups = (users_cli, audit_cli, db_cli, demo_cli, files_cli, assign_cli, pool_cli, archive_cli, outbox_cli,
              reminders_cli, jobs_cli)
    for command in (*groups, backup_command, restore_command, certificates_command, worker_command):
        app.cli.add_command(command)
