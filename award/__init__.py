"""Mayor's Quality Award (市长质量奖): the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, the domain's runtime and hooks, database, login, CSRF, translations,
    blueprints, CLI."""
    from flask import Flask

    from award import areas, runtime
    from award.config import load_config
    from award.flask_runtime import FLASK_RUNTIME

    app = Flask(
        __name__,
        instance_path=instance_path(test_config),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_config(app, test_config)
    if not app.testing:  # the test suite keeps pytest's log capture
        from award import logs

        logs.configure(level=app.config["LOG_LEVEL"], log_format=app.config["LOG_FORMAT"])
    runtime.install(FLASK_RUNTIME)
    areas.load_hooks()  # not left to the web layer's imports: a command or script gets the same guards

    from award import web
    from award.app_db import Database

    Database(app)
    from award.jobs.configured import init_jobs

    init_jobs(app, areas.JOB_MODULES)
    web.init_web(app)
    Database.commit_after_requests(app)
    return app


def instance_path(test_config: dict[str, Any] | None) -> str:
    """The instance folder (config.py, secret_key, the files): AWARD_INSTANCE_PATH, else instance/ beside
    the code. Two app instances on one machine (the two-instance reliability test) each get their own;
    a test app (test_config given) ignores the environment, as load_config does."""
    configured = os.environ.get("AWARD_INSTANCE_PATH") if test_config is None else None
    return str(Path(configured).resolve()) if configured else str(PROJECT_ROOT / "instance")
