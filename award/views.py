"""What every routes module shares: the extensions its views are decorated with, the request's
locale, loading or 404, and the one answer to a refused domain rule.

A view does four things: load (``get_or_404``), check the permission (a decorator of
``auth.access``), call one service, and answer. It never catches a ``DomainError``: it names
the page that shows a refusal (``on_refusal``), and ``refused`` below, the app's handler of every
``DomainError``, answers with the status of the error's kind and its message:

- a page: the message is flashed (or shown by the form field it names) and the view's page is
  rendered again with what was typed; a view whose refusal is a redirect keeps the redirect;
- JSON (``json_errors`` views, or a client that asks for it): ``{"ok": false, "message": ...}``,
  the same body as every other JSON refusal of the app;
- no page named: the error page.

``web.py`` wires these into the app; nothing here imports a routes module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from flask import (
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import IntegrityError

from award.app_db import get_session
from award.db import is_unique_violation
from award.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, TooLarge, Unavailable
from award.i18n import _, _l
from award.inputs import InvalidInput

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"
csrf = CSRFProtect()
# Counts live in Redis when AWARD_REDIS_URL is set, so gunicorn workers share them; in memory
# for the single-process demo.
limiter = Limiter(key_func=get_remote_address)

V = TypeVar("V", bound=Callable[..., Any])
M = TypeVar("M")
E = TypeVar("E", bound=Enum)


# --- the request ------------------------------------------------------------------------------

def current_locale() -> str:
    """Chosen language: the session's choice, then the account's, then zh_CN."""
    if not has_request_context():  # CLI and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if isinstance(user_locale, str) and user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def json_errors(view: V) -> V:
    """Mark a view whose callers read JSON: its refusals come back as JSON whatever was sent."""
    view.json_errors = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return (getattr(view, "json_errors", False) or request.is_json
            or request.accept_mimetypes.best == "application/json")


def body_limit(limit: Callable[[], int | None]) -> Callable[[V], V]:
    """A view's own, smaller ceiling for its request body: ``limit()`` gives bytes, or None for the
    app's ceiling. It is applied before any before-request hook reads the body."""

    def mark(view: V) -> V:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def page_url(number: int) -> str:
    """This page's address with only `page` changed (left out for page 1): filters survive paging.

    The query string is encoded here rather than passed to url_for, so no query argument can be
    taken for one of url_for's own parameters (`endpoint`, `_external`, ...).
    """
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    if number > 1:
        query.append(("page", str(number)))
    path = url_for(request.endpoint, **(request.view_args or {}))  # type: ignore[arg-type]
    return f"{path}?{urlencode(query)}" if query else path


def rubric_language() -> str:
    """The language of a rubric's own texts on this request's pages: "en" or "zh"."""
    return "en" if current_locale() == "en" else "zh"


def get_or_404(model: type[M], object_id: int, **belongs_to: object) -> M:
    """The row with this id, or a 404; also a 404 when it lacks one of the ``belongs_to`` values
    (a file asked for under another application's address)."""
    found = get_session().get(model, object_id)
    if found is None or any(getattr(found, name) != value for name, value in belongs_to.items()):
        abort(404)
    return found


def enum_or_404(kind: type[E], value: str) -> E:
    """The member of an enum named by a path segment, or a 404."""
    try:
        return kind(value)
    except ValueError:
        abort(404)


# --- answers ------------------------------------------------------------------------------------

def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(data: bytes | str, filename: str, mimetype: str) -> Response:
    """A download: ``data`` saved under ``filename`` by the browser."""
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": content_disposition(filename)})


# A file shown in the browser (its own PDF viewer, an image): nothing in it may run or load anything.
INLINE_FILE_POLICY = "default-src 'none'; img-src 'self'; object-src 'self'; style-src 'unsafe-inline'; " \
                     "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"


def inline_file(data: bytes, filename: str, mimetype: str) -> Response:
    """A file the browser shows itself (PDF, JPEG, PNG as judged by content at upload), in a strict policy."""
    disposition = content_disposition(filename).replace("attachment", "inline", 1)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": disposition, "Content-Security-Policy": INLINE_FILE_POLICY,
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"})


def error_page(status: int, message: str) -> tuple[Any, int]:
    """The answer to a refused request without a page of its own: JSON or the error page."""
    if wants_json():
        return {"ok": False, "message": message}, status
    return render_template("error.html", status=status, message=message), status


# The one table from a kind of refusal to its status; the first kind that matches wins.
STATUS_OF_KIND: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 400),  # a raw value from outside (award.inputs) that no rule can even read
    (TooLarge, 413),
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 422),
    (Unavailable, 503),
)
UNCLASSIFIED_STATUS = 409  # a bare DomainError (services raise a kind; tests/test_view_pattern.py checks)


def status_of(error: DomainError) -> int:
    return next((status for kind, status in STATUS_OF_KIND if isinstance(error, kind)), UNCLASSIFIED_STATUS)


class InvalidForm(Invalid):
    """A posted form that failed validation: its fields say why, `message` (if any) is flashed."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message, code="invalid_form")


def validated(form: FlaskForm, message: str | Callable[[FlaskForm], str] = "") -> None:
    """Refuse the request (422, the refusal page again) when the posted form is not valid; `message`
    is flashed, or computed from the form once it was validated (``form_errors``)."""
    if not form.validate():
        raise InvalidForm(message(form) if callable(message) else message)


def form_errors(form: FlaskForm) -> str:
    """Every message of a validated form, for a page that does not show the form again."""
    return " ".join(message for messages in form.errors.values() for message in messages)


def submitted(form: FlaskForm, message: str | Callable[[FlaskForm], str] = "") -> bool:
    """For a page that shows its form and takes it back: False while only shown, True when posted
    and valid; a posted form that is not valid is refused as ``validated`` does."""
    if not form.is_submitted():
        return False
    validated(form, message)
    return True


_REFUSAL_PAGE = "award.refusal_page"  # kept in the request's environ: it lives exactly as long as the request


@dataclass(frozen=True)
class _RefusalPage:
    render: Callable[[DomainError], Any]
    form: FlaskForm | None
    flashed: bool


def on_refusal(page: Callable[[DomainError], Any], *, form: FlaskForm | None = None, flashed: bool = True) -> None:
    """Name this request's answer to a refusal: ``page(error)`` renders the page again (it gets the
    status of the error's kind) or returns a redirect (kept as it is).

    The message is flashed, unless the error names a field of ``form`` (then it is shown by that
    field) or ``flashed`` is False (the page shows ``error.message`` itself)."""
    request.environ[_REFUSAL_PAGE] = _RefusalPage(page, form, flashed)


def refused(error: DomainError) -> Any:
    """The app's handler of every DomainError: a status by the error's kind, and its message."""
    status = status_of(error)
    if status >= 500:
        current_app.logger.error("Request refused for want of something on this machine: %s", error)
    page: _RefusalPage | None = request.environ.pop(_REFUSAL_PAGE, None)
    if page is None:
        return error_page(status, error.message)
    if page.form is not None and error.field and error.field in page.form:
        field = page.form[error.field]
        field.errors = [*field.errors, error.message]
    elif page.flashed and error.message and not wants_json():
        flash(error.message, "error")
    try:
        answer = page.render(error)
    except DomainError as unshown:  # the page itself refuses (a bad query argument): answer that instead
        return error_page(status_of(unshown), unshown.message)
    if isinstance(answer, Response) and answer.status_code < 400:  # a redirect says where the message is shown
        return answer
    return answer, status


def clashed(error: IntegrityError) -> Any:
    """The app's handler of a unique constraint met by a request, at a flush in its view or at its
    commit (``app_db``): another request saved the same thing at the same moment, after this one's
    duplicate check had passed. Nothing of this request is saved; a 409, never a 500. Any other broken
    constraint is a fault of ours, raised on to the 500 page and the log."""
    get_session().rollback()
    if not is_unique_violation(error):
        raise error
    return error_page(409, _("This was saved at the same moment by another request, so nothing was saved. "
                             "Please reload the page and check what is there now."))
