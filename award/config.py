"""Configuration: defaults, then instance/config.py, then AWARD_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Protocol


class ConfigurableApp(Protocol):
    """The part of a Flask app that load_config fills; the domain reads DEFAULTS here without Flask."""

    instance_path: str
    config: Any  # flask.Config


class ConfigError(RuntimeError):
    """A configuration problem that stops start-up with one clear line."""


DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: sqlite under instance/
    "SECRET_KEY": None,  # None: generated once into instance/secret_key
    # Where every stored file lives (award/files.py): evidence, objection evidence, call files, seals,
    # archives, job results. None: instance/files. Several hosts: one shared volume, the same path.
    "FILES_ROOT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ("zh_CN", "en"),
    "PASSWORD_MIN_LENGTH": 10,
    # Werkzeug's method string. The test suite uses a cheap "pbkdf2:sha256:1000", as Django suites
    # swap in a fast hasher: hundreds of accounts would otherwise cost a scrypt run each.
    "PASSWORD_HASH_METHOD": "scrypt",
    # How long the links sent by e-mail stay valid: an invitation to set the first password, a password
    # reset, an enterprise's e-mail confirmation. Each is used once.
    "INVITATION_VALID_HOURS": 7 * 24,
    "PASSWORD_RESET_VALID_MINUTES": 60,
    "EMAIL_CONFIRMATION_VALID_HOURS": 7 * 24,
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "MAX_BODY_WITHOUT_FILES": 16 * 1024 * 1024,
    # A form or JSON body from someone not signed in (sign-in, registration, password reset, objection
    # lookup): decoding 16 MiB of %-escapes costs about 1.5 s of CPU, which nobody may spend anonymously.
    "MAX_BODY_ANONYMOUS": 256 * 1024,
    "DEMO_DATABASE": False,
    "MAIL_TO_CONSOLE": False,  # `outbox send` prints messages instead of sending them
    "MAIL_SERVER": "localhost",  # the SMTP relay
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # implicit TLS (SMTPS, usually port 465)
    "MAIL_USE_STARTTLS": False,  # STARTTLS after connecting (usually port 587)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "award-office@localhost",
    "MAIL_TIMEOUT": 30,  # seconds per SMTP conversation step
    "MAIL_MAX_ATTEMPTS": 8,  # then the message is marked failed
    "MAIL_RETRY_BASE_SECONDS": 60,  # back-off: base, 2×base, 4×base … capped at 6 hours
    "MAIL_LEASE_SECONDS": 600,  # a claimed message is claimable again this long after a sender stopped
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",  # where e-mailed links point
    "REDIS_URL": None,
    "CHECK_SCHEMA_AT_STARTUP": True,
    # Login throttling, never a lock-out: one address may fail LOGIN_FREE_FAILURES times for one account,
    # then waits LOGIN_DELAY_SECONDS before trying that account again, doubling with each further failure
    # up to LOGIN_DELAY_MAX_SECONDS; the failures are forgotten after LOGIN_FAILURES_MEMORY_SECONDS or at
    # a successful sign-in. Other addresses (the real owner) are not held up. One address may fail
    # LOGIN_FAILURES_PER_ADDRESS across all accounts before it waits for the window to end.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_DELAY_SECONDS": 30,
    "LOGIN_DELAY_MAX_SECONDS": 15 * 60,
    "LOGIN_FAILURES_MEMORY_SECONDS": 24 * 60 * 60,
    "LOGIN_FAILURES_PER_ADDRESS": "30 per 15 minutes",
    # Registrations accepted per address; the form answers the same whether or not an account exists.
    "REGISTRATIONS_PER_ADDRESS": "10 per hour",
    "RATELIMIT_ENABLED": True,
    # How many reverse proxies set X-Forwarded-For in front of the app (0: the app faces clients).
    "TRUSTED_PROXIES": 0,
    # Logs: one JSON object per line on stderr ("json"), or "text" for reading in a terminal; secrets,
    # ID card numbers and phone numbers are redacted either way (award/logs.py).
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    # /healthz calls the outbox sender stalled when its heartbeat is older than this; keep it well above
    # `outbox send --loop --interval` (or the cron period of `outbox send`).
    "OUTBOX_HEARTBEAT_MAX_AGE_SECONDS": 300,
    # Background jobs (award/jobs): the queue is huey on a SQLite file under instance/ unless
    # JOBS_QUEUE_URL names Redis ("redis://host:6379/0"; every host of a deployment the same). A worker
    # renews its hold on a running job every third of JOB_LEASE_SECONDS; a job whose worker died is taken
    # back once the lease has run out. Results are kept in the file store (FILES_ROOT), which several hosts
    # share; the job's row names the result's SHA-256. JOBS_IMMEDIATE runs each job in the process that
    # starts it (the tests).
    "JOBS_QUEUE_URL": None,
    "JOBS_IMMEDIATE": False,
    "JOB_LEASE_SECONDS": 60,
    # /healthz calls the job worker stalled when its heartbeat (stamped as it reaps, every minute) is older.
    "JOB_HEARTBEAT_MAX_AGE_SECONDS": 300,
    "JOB_MODULES": (),  # more modules that register job kinds (tests)
    "REMINDERS_EVERY_MINUTES": 15,  # the worker sends due reminders this often
    # A draw of panels whose problem is larger than this (applications × pool experts) runs as a job of the
    # worker; smaller ones run in the office's request (the solver takes under a second up to this size:
    # 0.3 s for 100 × 200, 0.9 s for 200 × 300; 10–25 s for 500 × 2,000). 0: every draw is a job.
    "DRAW_JOB_ABOVE": 50_000,
}

# Environment variables read as AWARD_<NAME>; booleans accept 1/0, true/false, yes/no.
ENV_KEYS: dict[str, type] = {
    "INSTANCE_PATH": str,  # read by create_app before the configuration (it holds instance/config.py)
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "FILES_ROOT": str,
    "SESSION_COOKIE_SECURE": bool,
    "PASSWORD_MIN_LENGTH": int,
    "PASSWORD_HASH_METHOD": str,
    "INVITATION_VALID_HOURS": int,
    "PASSWORD_RESET_VALID_MINUTES": int,
    "EMAIL_CONFIRMATION_VALID_HOURS": int,
    "MAX_CONTENT_LENGTH": int,
    "DEMO_DATABASE": bool,
    "MAIL_TO_CONSOLE": bool,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_STARTTLS": bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_FROM": str,
    "MAIL_TIMEOUT": int,
    "MAIL_MAX_ATTEMPTS": int,
    "MAIL_RETRY_BASE_SECONDS": int,
    "MAIL_LEASE_SECONDS": int,
    "PUBLIC_BASE_URL": str,
    "REDIS_URL": str,
    "TRUSTED_PROXIES": int,
    "BABEL_DEFAULT_LOCALE": str,
    "CHECK_SCHEMA_AT_STARTUP": bool,
    "LOG_FORMAT": str,
    "LOG_LEVEL": str,
    "OUTBOX_HEARTBEAT_MAX_AGE_SECONDS": int,
    "JOBS_QUEUE_URL": str,
    "JOBS_IMMEDIATE": bool,
    "JOB_LEASE_SECONDS": int,
    "JOB_HEARTBEAT_MAX_AGE_SECONDS": int,
    "JOB_MODULES": str,  # comma-separated
    "REMINDERS_EVERY_MINUTES": int,
    "DRAW_JOB_ABOVE": int,
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_env(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigError(f"AWARD_{name}={raw!r} is not a boolean (use 1 or 0)")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"AWARD_{name}={raw!r} is not a whole number") from None
    return raw


def load_config(app: ConfigurableApp, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in order: defaults, instance/config.py, environment, test_config."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        config_file = Path(app.instance_path) / "config.py"
        if config_file.exists():
            try:
                app.config.from_pyfile(str(config_file))
            except Exception as error:  # a syntax error in the file: say so in one line
                raise ConfigError(f"instance/config.py cannot be read: {error}") from None
        for name, kind in ENV_KEYS.items():
            raw = os.environ.get(f"AWARD_{name}")
            if raw is not None:
                app.config[name] = _parse_env(name, raw, kind)
    else:
        app.config.from_mapping(test_config)

    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "award.sqlite")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if isinstance(app.config["JOB_MODULES"], str):
        app.config["JOB_MODULES"] = tuple(name.strip() for name in app.config["JOB_MODULES"].split(",") if name.strip())
    if not int(app.config["JOB_LEASE_SECONDS"]) >= 2 or not 1 <= int(app.config["REMINDERS_EVERY_MINUTES"]) <= 59:
        raise ConfigError("JOB_LEASE_SECONDS must be at least 2, REMINDERS_EVERY_MINUTES between 1 and 59")
    if app.config["PASSWORD_MIN_LENGTH"] < 8:
        raise ConfigError("PASSWORD_MIN_LENGTH must be at least 8")
    if app.config["LOG_FORMAT"] not in {"json", "text"}:
        raise ConfigError(f"LOG_FORMAT={app.config['LOG_FORMAT']!r}: use \"json\" or \"text\"")
    if str(app.config["LOG_LEVEL"]).upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL={app.config['LOG_LEVEL']!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    if str(app.config["PASSWORD_HASH_METHOD"]).split(":")[0] not in {"scrypt", "pbkdf2"}:
        raise ConfigError("PASSWORD_HASH_METHOD must be Werkzeug's scrypt or pbkdf2 (for example "
                          "\"scrypt\" or \"pbkdf2:sha256:600000\")")


def instance_secret_key(instance: Path) -> str:
    """Read instance/secret_key, generating it once with owner-only permissions."""
    path = instance / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two workers starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
