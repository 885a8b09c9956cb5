"""The serving entry point (gunicorn 'award.wsgi:app', make run): refuses to start when not ready."""

from __future__ import annotations

import sys

from award import create_app
from award.config import ConfigError
from award.startup import StartupError, check_ready


def _build():
    try:
        application = create_app()
        check_ready(application)
    except (ConfigError, StartupError) as error:
        print(f"award: cannot start: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    from award.certificates.fonts import check_pdf_system

    for warning in check_pdf_system():
        application.logger.warning("PDF: %s", warning)
    return application


app = _build()
