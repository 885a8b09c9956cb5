"""The production files of deploy/ and docs/deployment.md: they parse, and they agree with award/config.py."""

from __future__ import annotations

import logging
import logging.config
import re
import runpy
import shutil
import subprocess

import pytest

from award import PROJECT_ROOT
from award.config import DEFAULTS, ENV_KEYS

DEPLOY = PROJECT_ROOT / "deploy"
DOCS = PROJECT_ROOT / "docs" / "deployment.md"
UNITS = ("award-web.service", "award-outbox.service", "award-jobs.service", "award-reminders.service",
         "award-reminders.timer")
# Settings a production host leaves unset, with the reason; every other setting is named in the docs.
DEMO_ONLY = {
    "DEMO_DATABASE": "allows `demo seed` on the database",
    "MAIL_TO_CONSOLE": "prints e-mails instead of sending them",
}
AWARD_NAME = re.compile(r"\bAWARD_([A-Z][A-Z0-9_]*[A-Z0-9])\b")


def settings_named(text: str) -> set[str]:
    return set(AWARD_NAME.findall(text))


def test_every_setting_the_docs_name_exists_in_config():
    named = settings_named(DOCS.read_text(encoding="utf-8"))
    assert named, "docs/deployment.md names no AWARD_ setting"
    assert named - set(ENV_KEYS) == set(), "named in docs/deployment.md but not read from the environment"


def test_every_setting_of_config_is_named_in_the_docs():
    named = settings_named(DOCS.read_text(encoding="utf-8"))
    assert set(ENV_KEYS) - named == set(), "settings of award/config.py missing from docs/deployment.md"
    assert set(DEMO_ONLY) <= set(ENV_KEYS)


def test_the_environment_file_sets_only_real_settings_and_no_demo_ones():
    lines = [line for line in (DEPLOY / "award.env.example").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    names = {line.split("=", 1)[0] for line in lines}
    assert all(name.startswith("AWARD_") for name in names)
    keys = {name.removeprefix("AWARD_") for name in names}
    assert keys - set(ENV_KEYS) == set()
    assert not keys & set(DEMO_ONLY)
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "PUBLIC_BASE_URL", "SESSION_COOKIE_SECURE"} <= keys


def _section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_points_to_the_deployment_guide_and_names_real_settings():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    production, configuration = _section(readme, "Production"), _section(readme, "Configuration")
    assert "docs/deployment.md" in production and "docs/deployment.md" in configuration
    assert (settings_named(production) | settings_named(configuration)) - set(ENV_KEYS) == set()


def _mebibytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit.lower()]


def test_nginx_takes_exactly_the_largest_body_the_app_takes():
    site = (DEPLOY / "nginx-award.conf").read_text(encoding="utf-8")
    sizes = re.findall(r"^\s*client_max_body_size\s+(\S+);", site, re.MULTILINE)
    assert len(sizes) == 1
    assert _mebibytes(sizes[0]) == DEFAULTS["MAX_CONTENT_LENGTH"]


def test_nginx_and_gunicorn_wait_as_long_for_a_page():
    site = (DEPLOY / "nginx-award.conf").read_text(encoding="utf-8")
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    location = site.split("location / {", 1)[1]
    assert re.search(r"proxy_read_timeout\s+(\d+)s;", location).group(1) == str(gunicorn["timeout"])


def test_the_fuzz_sends_urls_as_long_as_gunicorn_lets_through():
    """The fuzz holds path and query values to what one request line can carry: the server's limit."""
    from tests.fuzz.strategies import REQUEST_LINE_LIMIT

    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert 0 < gunicorn["limit_request_line"] <= REQUEST_LINE_LIMIT


def test_gunicorn_logs_through_the_apps_redacting_json_handler():
    """gunicorn builds its loggers from logconfig_dict over its defaults: the result must load and use
    award.logs' handler (gunicorn's own lines redacted too)."""
    from gunicorn.glogging import CONFIG_DEFAULTS

    from award import logs

    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["accesslog"] is None
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    error_log = logging.getLogger("gunicorn.error")
    saved_error = (error_log.level, list(error_log.handlers), error_log.propagate)
    try:
        logging.config.dictConfig({**CONFIG_DEFAULTS, **settings["logconfig_dict"]})
        handler = next(h for h in root.handlers if h.get_name() == logs.HANDLER_NAME)
        assert isinstance(handler.formatter, logs.JsonFormatter)
        assert any(isinstance(f, logs.RedactingFilter) for f in handler.filters)
        assert error_log.propagate and not error_log.handlers
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(saved[0])
        for handler in saved[1]:
            root.addHandler(handler)
        error_log.setLevel(saved_error[0])
        error_log.handlers[:] = saved_error[1]
        error_log.propagate = saved_error[2]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze on this machine")
def test_systemd_units_verify(tmp_path):
    """`systemd-analyze verify` on the units as installed under /srv/award; the executables they start
    must exist, so they are laid out (as stand-ins) in a copy of that tree."""
    root = tmp_path / "srv-award"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "instance").mkdir()
    for program in ("gunicorn", "flask"):
        path = root / ".venv" / "bin" / program
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        assert "/srv/award" in text
        (units / name).write_text(text.replace("/srv/award", str(root)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(units / name) for name in UNITS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # a warning (an unknown key, a typo) fails too


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx on this machine")
def test_nginx_site_is_valid(tmp_path):
    """`nginx -t` on the site inside a minimal http block, with a throw-away certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a test certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx-award.conf").read_text(encoding="utf-8")
    site = (site.replace("/etc/ssl/award/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/ssl/award/privkey.pem", str(tmp_path / "key.pem"))
            .replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
