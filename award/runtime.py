"""What code below the web layer needs from the program that runs it: settings, page paths, languages.

Domain and service modules import no Flask (docs/architecture.md, "Layers"). They ask this module,
and the program that runs them installs the answers once: the app factory installs the Flask app's
(`award.flask_runtime`: the configuration of the app in context, its URL map, Flask-Babel's
language of the request). A program that builds no app gets `PLAIN`: the defaults of
`award.config`, the catalogs of `award/translations`, and no page paths.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import Translations

from award.config import DEFAULTS

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


@dataclass(frozen=True)
class Runtime:
    """The program's answers; each is asked at the moment of use, so one install serves every app."""

    settings: Callable[[], Mapping[str, Any]]  # the configuration (award.config's keys)
    path_for: Callable[[str, Mapping[str, Any]], str]  # the path of a page by its endpoint and values
    translations: Callable[[], gettext.NullTranslations]  # the catalog of the language in force
    locale: Callable[[], Locale | None]  # the language in force
    force_locale: Callable[[str], AbstractContextManager[None]]  # another language for a while


_plain_locale: ContextVar[str] = ContextVar("plain_locale", default=DEFAULTS["BABEL_DEFAULT_LOCALE"])


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [Locale.parse(locale)])  # zh_CN is in zh_Hans_CN/


def catalog(locale: str) -> gettext.NullTranslations:
    """The catalog of ``locale`` itself, whatever the language in force (a printed document's language)."""
    return _catalog(locale)


@contextmanager
def _force_plain_locale(locale: str) -> Iterator[None]:
    token = _plain_locale.set(locale)
    try:
        yield
    finally:
        _plain_locale.reset(token)


def _no_paths(endpoint: str, values: Mapping[str, Any]) -> str:
    raise LookupError(f"no page paths without an app: {endpoint}")


PLAIN = Runtime(
    settings=lambda: DEFAULTS,
    path_for=_no_paths,
    translations=lambda: _catalog(_plain_locale.get()),
    locale=lambda: Locale.parse(_plain_locale.get()),
    force_locale=_force_plain_locale,
)

_installed: Runtime = PLAIN


def install(runtime: Runtime) -> None:
    """Called by the program that runs the domain (the app factory), before any request or command."""
    global _installed
    _installed = runtime


def current() -> Runtime:
    return _installed


def settings() -> Mapping[str, Any]:
    return _installed.settings()


def path_for(endpoint: str, /, **values: Any) -> str:
    """The path of a page ("/applications/7"), for links that services store (notices, e-mails)."""
    return _installed.path_for(endpoint, values)
