"""Translation, dates and the local time zone for every layer, without Flask.

Texts are translated in the language the running program has in force (award.runtime: the
request's language in the web app) and dates are shown in the app's time zone, the one setting
BABEL_DEFAULT_TIMEZONE (Beijing time): `local_zone()` is the one way to get it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates

from award import runtime

__all__ = ["_", "_l", "LazyString", "current_locale", "force_locale", "format_date", "format_datetime",
           "gettext", "gettext_in", "install_in_jinja", "lazy_gettext", "local_zone", "ngettext"]


def gettext(string: str, **variables: Any) -> str:
    text = runtime.current().translations().gettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = runtime.current().translations().ngettext(singular, plural, num)
    return text % variables


def gettext_in(locale: str, string: str) -> str:
    """``string`` in ``locale`` whatever the language of the request: the printed documents are in Chinese
    and name things as the Chinese pages do, with the same msgid."""
    return runtime.catalog(locale).gettext(string)


class LazyString:
    """A text translated each time it is used, in the language in force then (for module-level labels).

    It behaves as Flask-Babel's lazy string does: like the translated str, and safe in templates.
    """

    def __init__(self, func: Callable[..., str], *args: Any, **kwargs: Any) -> None:
        self._func = func
        self._args = args
        self._kwargs = kwargs

    def __getattr__(self, attr: str) -> Any:
        if attr == "__setstate__":
            raise AttributeError(attr)
        string = str(self)
        if hasattr(string, attr):
            return getattr(string, attr)
        raise AttributeError(attr)

    def __repr__(self) -> str:
        return f"l'{self}'"

    def __str__(self) -> str:
        return str(self._func(*self._args, **self._kwargs))

    def __len__(self) -> int:
        return len(str(self))

    def __getitem__(self, key: Any) -> str:
        return str(self)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(str(self))

    def __contains__(self, item: str) -> bool:
        return item in str(self)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mul__(self, other: int) -> str:
        return str(self) * other

    def __rmul__(self, other: int) -> str:
        return other * str(self)

    def __lt__(self, other: str) -> bool:
        return str(self) < other

    def __le__(self, other: str) -> bool:
        return str(self) <= other

    def __eq__(self, other: object) -> bool:
        return str(self) == other

    def __ne__(self, other: object) -> bool:
        return str(self) != other

    def __gt__(self, other: str) -> bool:
        return str(self) > other

    def __ge__(self, other: str) -> bool:
        return str(self) >= other

    def __html__(self) -> str:
        return str(self)

    def __hash__(self) -> int:
        return hash(str(self))

    def __mod__(self, other: Any) -> str:
        return str(self) % other

    def __rmod__(self, other: str) -> str:
        return other + str(self)


def lazy_gettext(string: str, **variables: Any) -> Any:
    """A LazyString, typed Any as Flask-Babel's is: WTForms' stubs want a str label, and it acts as one."""
    return LazyString(gettext, string, **variables)


_ = gettext
_l = lazy_gettext


def install_in_jinja(environment: Any) -> None:
    """Give a Jinja environment (with jinja2.ext.i18n) `_()` and `ngettext()` in the language in force,
    as Flask-Babel gives the app's: Jinja itself fills the placeholders and escapes the values."""
    environment.install_gettext_callables(
        gettext=lambda string: runtime.current().translations().gettext(string),
        ngettext=lambda singular, plural, num: runtime.current().translations().ngettext(singular, plural, num),
        newstyle=True,
    )


def current_locale() -> Locale | None:
    """The language in force (None in the web app outside a request, as Flask-Babel answers)."""
    return runtime.current().locale()


def force_locale(locale: str) -> AbstractContextManager[None]:
    """Translate in `locale` for a while: a notice is written in its recipient's language."""
    return runtime.current().force_locale(locale)


def local_zone() -> ZoneInfo:
    """The app's time zone: deadlines are typed and shown in it."""
    return ZoneInfo(runtime.settings()["BABEL_DEFAULT_TIMEZONE"])


# Every moment the app shows (pages, notices, e-mails, refusals) is written this one way, in Beijing
# time (local_zone()), whatever the language: 2026-12-07 09:30. A naive value is taken as UTC, as
# the database stores it.
DATETIME_PATTERN = "yyyy-MM-dd HH:mm"


def format_datetime(value: dt.datetime) -> str:
    """A moment in the app's time zone, in the app's one format (DATETIME_PATTERN)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return dates.format_datetime(value, DATETIME_PATTERN, tzinfo=local_zone(), locale=current_locale())


def format_date(value: dt.date) -> str:
    """A calendar day in the same format as a moment's date: 2026-12-07."""
    return dates.format_date(value, DATETIME_PATTERN.split(" ")[0], locale=current_locale())
