"""Configuration order, the generated secret key, and start-up errors as one clear line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from flask import Flask

from award import PROJECT_ROOT, instance_path
from award.config import ConfigError, instance_secret_key, load_config


def make_flask(instance) -> Flask:
    return Flask("award_test_config", instance_path=str(instance))


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path):
    first = instance_secret_key(tmp_path)
    assert len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert instance_secret_key(tmp_path) == first


def test_order_is_defaults_then_instance_file_then_environment(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("PASSWORD_MIN_LENGTH = 12\nDATABASE_URL = 'sqlite:///from-file'\n")
    monkeypatch.setenv("AWARD_DATABASE_URL", "sqlite:///from-env")
    monkeypatch.delenv("AWARD_SECRET_KEY", raising=False)
    app = make_flask(tmp_path)
    load_config(app, None)
    assert app.config["PASSWORD_MIN_LENGTH"] == 12  # from the file
    assert app.config["DATABASE_URL"] == "sqlite:///from-env"  # the environment wins
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_instance_folder_is_named_by_the_environment_and_its_config_read(tmp_path, monkeypatch):
    """Two instances from one checkout (the two-instance test): each reads its own folder's config.py."""
    folder = tmp_path / "host-b" / "instance"
    folder.mkdir(parents=True)
    (folder / "config.py").write_text("PASSWORD_MIN_LENGTH = 13\n")
    monkeypatch.setenv("AWARD_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("AWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("AWARD_SECRET_KEY", raising=False)
    assert instance_path(None) == str(folder)
    app = make_flask(instance_path(None))
    load_config(app, None)
    assert app.config["PASSWORD_MIN_LENGTH"] == 13
    assert app.config["DATABASE_URL"] == f"sqlite:///{folder}/award.sqlite"
    assert (folder / "secret_key").exists()  # generated in that folder, not beside the code


def test_a_test_app_ignores_the_instance_folder_of_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWARD_INSTANCE_PATH", str(tmp_path))
    assert instance_path({"TESTING": True}) == str(PROJECT_ROOT / "instance")
    monkeypatch.delenv("AWARD_INSTANCE_PATH")
    assert instance_path(None) == str(PROJECT_ROOT / "instance")


def test_default_database_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("AWARD_DATABASE_URL", raising=False)
    app = make_flask(tmp_path)
    load_config(app, None)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/award.sqlite"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("AWARD_SESSION_COOKIE_SECURE", "maybe", "is not a boolean"),
    ("AWARD_PASSWORD_MIN_LENGTH", "ten", "is not a whole number"),
    ("AWARD_PASSWORD_MIN_LENGTH", "4", "at least 8"),
    ("AWARD_PASSWORD_HASH_METHOD", "md5", "scrypt or pbkdf2"),
])
def test_bad_environment_values_are_refused(tmp_path, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config(make_flask(tmp_path), None)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def run_wsgi(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "-c", "import award.wsgi"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_unmigrated_schema_stops_start_up_with_one_line(tmp_path):
    result = run_wsgi({"AWARD_DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite", "AWARD_SECRET_KEY": "x"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "db upgrade" in result.stderr


def test_unreachable_database_stops_start_up_with_one_line():
    result = run_wsgi({"AWARD_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                       "AWARD_SECRET_KEY": "x"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach the database" in result.stderr and result.stderr.strip().count("\n") == 0


def test_bad_configuration_stops_start_up_with_one_line():
    result = run_wsgi({"AWARD_PASSWORD_MIN_LENGTH": "short", "AWARD_SECRET_KEY": "x"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "is not a whole number" in result.stderr


def test_migrated_database_starts(tmp_path, new_database_url):
    from award import migrate

    url = f"sqlite:///{tmp_path}/ready.sqlite"
    migrate.upgrade(url)
    result = run_wsgi({"AWARD_DATABASE_URL": url, "AWARD_SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
