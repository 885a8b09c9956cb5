"""The Flask app's answers to award.runtime: its configuration, its URL map, Flask-Babel's language.

Each answer is looked up in the app in context when asked, so the one install by the app factory
serves every app of the process (the tests make many); outside any app context the settings are
award.config's defaults and the texts stay untranslated, as Flask-Babel's are there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_babel
from flask import current_app, has_app_context

from award import runtime
from award.config import DEFAULTS


def _settings() -> Mapping[str, Any]:
    return current_app.config if has_app_context() else DEFAULTS


def _path_for(endpoint: str, values: Mapping[str, Any]) -> str:
    # Unlike url_for it needs no request, so services called from commands build the same paths.
    return current_app.url_map.bind("").build(endpoint, dict(values))


FLASK_RUNTIME = runtime.Runtime(
    settings=_settings,
    path_for=_path_for,
    translations=flask_babel.get_translations,
    locale=flask_babel.get_locale,
    force_locale=flask_babel.force_locale,
)
