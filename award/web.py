"""Wiring of the web layer: extensions, blueprints, error pages, security headers, CLI. The helpers
that views share live in `award.views`; in award/, only the app factory imports this module."""

from __future__ import annotations

import base64
import logging
import re
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from award.errors import DomainError
from award.i18n import _, format_date, format_datetime
from award.inputs import ID_MAX, InvalidInput
from award.logs import REQUEST_ID, request_id_from
from award.numbers import format_score
from award.views import (
    clashed,
    csrf,
    current_locale,
    error_page,
    limiter,
    login_manager,
    page_url,
    refused,
)

babel = Babel()

# No inline script or style anywhere: everything is served from /static.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


@login_manager.user_loader
def _load_user(session_id: str) -> Any:
    """The session's user, unless that user's sessions were ended since (logout, password, role)."""
    from award.app_db import get_session
    from award.auth.services import user_for_session

    return user_for_session(get_session(), session_id)


request_log = logging.getLogger("award.request")


def _start_request() -> None:
    """The request's id (the proxy's X-Request-ID when it is a safe token) for every log line it causes."""
    REQUEST_ID.set(request_id_from(request.headers.get("X-Request-ID")))
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    """Echo the request id and log one line per request (the path only: a query may hold what was typed)."""
    request_id = REQUEST_ID.get() or request_id_from(None)
    response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000) if started is not None else None
    quiet = request.endpoint == "main.healthz" and response.status_code < 400  # probes every few seconds
    request_log.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s %sms", request.method, request.path,
                    response.status_code, duration_ms,
                    extra={"method": request.method, "path": request.path, "status": response.status_code,
                           "duration_ms": duration_ms, "endpoint": request.endpoint, "request_id": request_id})
    return response


def _forget_request_id(_error: BaseException | None) -> None:
    REQUEST_ID.set(None)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits only, within the INTEGER range of the database,
    so "/applications/١٢" and a 25-digit id are a 404 instead of an alias or an overflow."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=0 if min is None else min,
                         max=ID_MAX if max is None else max, signed=False)


def _bound_body() -> None:
    """Only uploads may use the full MAX_CONTENT_LENGTH; a form or JSON body is held to a smaller
    ceiling before anything parses it (the largest legitimate one, a self-assessment of a million
    characters, is about 9 MB URL-encoded), and to a small one when nobody is signed in, unless the
    view sets its own."""
    ceiling = current_app.config["MAX_CONTENT_LENGTH"]
    own = getattr(current_app.view_functions.get(request.endpoint or ""), "body_limit", None)
    if request.mimetype != "multipart/form-data":
        ceiling = min(ceiling, current_app.config["MAX_BODY_WITHOUT_FILES"])
        if own is None and not current_user.is_authenticated:
            ceiling = min(ceiling, current_app.config["MAX_BODY_ANONYMOUS"])
    own_limit = own() if own else None
    request.max_content_length = ceiling if own_limit is None else min(ceiling, own_limit)


def _carries_nul(values: Any) -> bool:
    """Whether a MultiDict holds NUL in a name or in any of its values (repeated ones too)."""
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def _refuse_nul() -> None:
    """NUL is never typed by a person, and PostgreSQL cannot store or even compare it: a request
    that carries one in its path, query or form is refused before any view reads it. The form is
    parsed once (Werkzeug keeps it for the view) and scanned where it lies, without copying it."""
    refused = "\x00" in request.path or _carries_nul(request.args)
    if not refused and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            refused = _carries_nul(request.form)
        except RequestEntityTooLarge:
            return  # the view meets the same refusal when it reads the form, and words it for its page
    if refused:
        raise InvalidInput(_("The request contains a NUL character, which is not allowed."))


# What a user whose password someone else set may still open before choosing their own.
_OPEN_BEFORE_OWN_PASSWORD = frozenset({"auth.change_password", "auth.logout", "static", "main.set_language",
                                       "main.healthz"})


def _own_password_first() -> Any:
    """A password set by someone else (the office, the command line) is changed at the first sign-in:
    until then every page leads to the change-password page."""
    user = current_user
    if (getattr(user, "is_authenticated", False) and getattr(user, "must_change_password", False)
            and request.endpoint not in _OPEN_BEFORE_OWN_PASSWORD):
        return redirect(url_for("auth.change_password"))
    return None


def _layout_of(locale: str, role: Any) -> dict[str, Any]:
    """What base.html shows around every page for a language and a role (None: not signed in), the same
    on every request: the addresses and translated words of the navigation, the site's style sheets."""
    from award.main.navigation import PUBLIC_PAGES, role_pages

    def word(text: str) -> Markup:  # as Jinja's _() gives it: a translation is the page's own markup
        return Markup(_(text))

    other = "en" if locale == "zh_CN" else "zh_CN"
    links = role_pages(role) + PUBLIC_PAGES if role is not None else PUBLIC_PAGES
    return {
        "html_lang": "zh-CN" if locale == "zh_CN" else "en",
        "site": word("Mayor's Quality Award"),
        "pico_css": url_for("static", filename="vendor/pico/pico.min.css"),
        "app_css": url_for("static", filename="css/app.css"),
        "app_js": url_for("static", filename="js/app.js"),
        "main_navigation": word("Main navigation"),
        "index": url_for("main.index"),
        "dashboard": url_for("main.dashboard"),
        "my_tasks": word("My tasks"),
        "notifications": url_for("notifications.list_notifications"),
        "notices": word("Notices"),
        "links": tuple((link.endpoint, url_for(link.endpoint), Markup(str(link.label))) for link in links),
        "change_password": url_for("auth.change_password"),
        "password": word("Password"),
        "logout": url_for("auth.logout"),
        "sign_out": word("Sign out"),
        "login": url_for("auth.login"),
        "sign_in": word("Sign in"),
        "register": url_for("auth.register"),
        "register_label": word("Register an enterprise"),
        "other_locale_url": url_for("main.set_language", locale=other),
        "other_lang": "en" if other == "en" else "zh-CN",
        "other_label": "English" if other == "en" else "中文",
        "footer": word("Every step is recorded in the audit trail."),
    }


def page_layout() -> dict[str, Any]:
    """base.html's layout for this request's language and role, built once per (language, role, script
    root) and kept by the app: the navigation costs a dictionary lookup instead of 15 url_for and 10
    translations per page. What differs per request (the current page, unread count, CSRF token, the
    language switch's return path) stays in the template."""
    locale = current_locale()
    user = current_user
    role = user.role if user.is_authenticated else None
    key = (locale, role, request.script_root)
    layouts: dict[tuple[str, Any, str], dict[str, Any]] = current_app.extensions.setdefault("award_layouts", {})
    layout = layouts.get(key)
    if layout is None:
        layout = layouts[key] = _layout_of(locale, role)
    return layout


def init_web(app: Flask) -> None:
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],  # type: ignore[method-assign]
                                x_proto=app.config["TRUSTED_PROXIES"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.before_request(_start_request)  # first: whatever follows logs with the request's id
    app.after_request(_finish_request)
    app.teardown_request(_forget_request_id)
    app.before_request(_bound_body)  # before the limiter and CSRF read the form
    limiter.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=current_locale)
    app.after_request(_security_headers)
    app.before_request(_refuse_nul)
    app.before_request(_own_password_first)
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules

    from award.applications.routes import bp as applications_bp
    from award.approval.routes import bp as approval_bp
    from award.archive.routes import bp as archive_bp
    from award.audit.routes import bp as audit_bp
    from award.auth.routes import bp as auth_bp
    from award.awards.routes import bp as awards_bp
    from award.calls.routes import bp as calls_bp
    from award.certificates.routes import bp as certificates_bp
    from award.conflicts.routes import bp as conflicts_bp
    from award.cycles.routes import bp as cycles_bp
    from award.documents.routes import bp as documents_bp
    from award.jobs.routes import bp as jobs_bp
    from award.main.routes import bp as main_bp
    from award.notice.routes import bp as notice_bp
    from award.notifications.routes import bp as notifications_bp
    from award.notifications.routes import nav_context as notifications_nav
    from award.outreach.routes import bp as outreach_bp
    from award.pool.routes import bp as pool_bp
    from award.ranking.routes import bp as ranking_bp
    from award.rounds.routes import bp as rounds_bp
    from award.scoring.routes import bp as scoring_bp
    from award.social.routes import bp as social_bp
    from award.visits.routes import bp as visits_bp

    for blueprint in (main_bp, auth_bp, cycles_bp, audit_bp, archive_bp, applications_bp, ranking_bp, pool_bp,
                      conflicts_bp, rounds_bp, scoring_bp, approval_bp, notice_bp, awards_bp, certificates_bp,
                      documents_bp, outreach_bp, calls_bp, visits_bp, social_bp, jobs_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(notifications_bp)
    app.context_processor(notifications_nav)  # the unread count in the navigation

    @app.errorhandler(400)
    def _bad_request(_error: Exception) -> tuple[str, int]:
        return error_page(400, _("The request could not be understood. Please go back and try again."))

    app.register_error_handler(DomainError, refused)  # InvalidInput too: a 400
    app.register_error_handler(IntegrityError, clashed)  # a 409: another request saved the same first

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: Exception) -> tuple[str, int]:
        return error_page(400, _("The form expired. Please go back, reload the page and submit again; "
                                  "your typed text is still in the browser's back page."))

    @app.errorhandler(403)
    def _forbidden(_error: Exception) -> tuple[str, int]:
        return error_page(403, _("You do not have permission to open this page."))

    @app.errorhandler(404)
    def _not_found(_error: Exception) -> tuple[str, int]:
        return error_page(404, _("This page does not exist."))

    @app.errorhandler(413)
    def _too_large(_error: Exception) -> tuple[str, int]:
        return error_page(413, _("What was sent is too large. Nothing was saved; please send less and try again."))

    @app.errorhandler(429)
    def _too_many(error: Exception) -> Response | tuple[str, int]:
        own_page = getattr(error, "response", None)  # a limit that answers with its form and what was typed
        if isinstance(own_page, Response):
            return own_page
        return error_page(429, _("Too many attempts. Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def _server_error(_error: Exception) -> tuple[str, int]:
        return error_page(500, _("Something went wrong on our side. Nothing was saved; please try again."))

    def cycle_name(cycle_id: int) -> str:
        """A cycle's year and title, for a page of an area below the cycles (a job's page) that knows its id."""
        from award.app_db import get_session
        from award.cycles.models import Cycle

        cycle = get_session().get(Cycle, cycle_id)
        return f"{cycle.year} {cycle.title}" if cycle is not None else _("Cycle")

    def colon() -> str:
        """A label's colon: the full-width "：" after Chinese, ": " in English."""
        return "：" if current_locale() == "zh_CN" else ": "

    from award.applications.sectors import GBT4754_SECTIONS
    from award.auth.models import Role
    from award.auth.roles import ROLE_LABELS
    from award.cycles.stages import STAGE_LABELS
    from award.main.navigation import PUBLIC_PAGES, role_pages

    # The same for every page: globals set once rather than a context processor run at each render.
    app.jinja_env.globals.update({
        "current_locale": current_locale,
        "Role": Role,
        "STAGE_LABELS": STAGE_LABELS,
        "SECTORS": GBT4754_SECTIONS,
        "ROLE_LABELS": ROLE_LABELS,
        "role_pages": role_pages,
        "PUBLIC_PAGES": PUBLIC_PAGES,
        "colon": colon,
        "page_layout": page_layout,
        "cycle_name": cycle_name,
    })

    # The one way a page shows a moment: Beijing time, one format (award.i18n.format_datetime).
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value) if value else ""
    app.jinja_env.filters["date"] = lambda value: format_date(value) if value else ""
    app.jinja_env.globals["page_url"] = page_url
    # The one way a page shows a score: rounded half up (四舍五入), award.numbers.format_score.
    app.jinja_env.filters["score"] = format_score
    # The site's icon inside each page (a data: URI, allowed by img-src): no request, no 404, no
    # download a browser abandons half-way when it moves to the next page.
    icon = (Path(app.static_folder or "static") / "favicon.svg").read_bytes()
    app.jinja_env.globals["FAVICON"] = "data:image/svg+xml;base64," + base64.b64encode(icon).decode()
    # A hint that names what a person must type ({placeholders}, a file's column names) shows it as code.
    app.jinja_env.filters["as_code"] = lambda text: Markup(
        re.sub(r"(\{[a-z_]+\}|\b[a-z]+(?:_[a-z]+)+\b)", r"<code>\1</code>", str(escape(text))))

    from award.cli import register_cli

    register_cli(app)
