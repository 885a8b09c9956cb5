"""`flask --app award backup FILE` and `restore FILE` round-trip to an identical database."""

from __future__ import annotations

from sqlalchemy import MetaData, select, text

from award import migrate
from award.app_db import get_database
from award.audit.services import record
from award.auth.models import Role
from award.auth.services import create_staff_user
from award.db import create_db_engine
from tests.conftest import make_test_app


def snapshot(engine) -> dict[str, list[tuple]]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(str, row)) for row in connection.execute(select(table)))
            for name, table in metadata.tables.items()
        }


def test_backup_and_restore_round_trip(new_database_url, tmp_path):
    url = new_database_url()
    migrate.upgrade(url)
    app = make_test_app(url)
    with app.app_context():
        session = get_database(app).session_factory()
        office = create_staff_user(session, actor=None, role=Role.OFFICE, email="office@gov.cn",
                                   full_name="林主任", password="office-password", password_min_length=10)
        record(session, actor=office, action="test.before_backup", target_type="x", target_id=1)
        session.commit()
        session.close()
    engine = create_db_engine(url)
    before = snapshot(engine)
    runner = app.test_cli_runner()

    backup_file = tmp_path / "award.backup"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    with engine.begin() as connection:  # damage after the backup
        connection.execute(text("DELETE FROM audit_records"))
        connection.execute(text("UPDATE users SET full_name = 'changed'"))
    assert snapshot(engine) != before

    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    engine.dispose()
    assert snapshot(engine) == before
    engine.dispose()
    get_database(app).engine.dispose()


def test_restore_from_a_missing_file_says_so(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "nope"), "--yes"])
    assert result.exit_code != 0 and "no backup file" in result.output
