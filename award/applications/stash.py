"""The application form posted after its owner's login expired: its text is kept (the stash) and
shown again once they have signed in. Interface level: the request's form, a cookie, the login page.
The rules of the stash (who may keep what, for how long) are in ``services``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from award.app_db import get_session
from award.applications import services
from award.applications.configured import configured_sectors, stash_max_bytes
from award.applications.forms import ApplicationForm, build_application_form
from award.applications.models import Application
from award.auth.access import actor
from award.auth.permissions import is_enterprise
from award.cycles.services import cycle_rubric
from award.i18n import _
from award.views import login_manager

STASH_COOKIE = "award_draft_stash"


def anonymous_body_limit() -> int | None:
    """A signed-in save may carry the whole self-assessment; a post without a login only a stash."""
    return None if current_user.is_authenticated else stash_max_bytes()


def _posted_fields(application_id: int) -> dict[str, str]:
    """The posted values of the application form's own fields (tokens and unknown names left out)."""
    application = get_session().get(Application, application_id)
    if application is None:
        return {}
    names = {field.name for field in build_application_form(cycle_rubric(application.cycle), configured_sectors(),
                                                             formdata=None, meta={"csrf": False})}
    return {key: value for key, value in request.form.items() if key in names}


def enterprise_required_keeping_expired_posts(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``enterprise_required``, except that a form posted after the login expired is kept
    (``keep_after_expired_login``) instead of being sent to the login page and lost."""

    @wraps(view)
    def wrapper(application_id: int) -> Any:
        if not current_user.is_authenticated:
            if request.method == "POST":
                return keep_after_expired_login(application_id)
            return login_manager.unauthorized()
        if not is_enterprise(current_user):
            abort(403)
        return view(application_id)

    return wrapper


def keep_after_expired_login(application_id: int) -> Response:
    """Keep the posted text until its owner signs in again, and send them to sign in; a post that is
    not the owner's own form is refused (403), one too large to keep too (413)."""
    try:
        form_token = request.form.get("stash_token", "")
        fields = _posted_fields(application_id)
    except RequestEntityTooLarge:
        raise services.stash_too_large() from None
    token = services.stash_draft(get_session(), secret_key=current_app.config["SECRET_KEY"], form_token=form_token,
                                 application_id=application_id, form=fields, max_bytes=stash_max_bytes())
    flash(_("Your session had ended. Sign in again: the text you typed is kept and will be shown again."), "info")
    response = redirect(url_for("auth.login", next=url_for("applications.edit", application_id=application_id,
                                                           restore=token)))
    response.set_cookie(STASH_COOKIE, token, max_age=int(services.STASH_LIFETIME.total_seconds()), httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        path=request.path)
    return response


def restored(application: Application) -> tuple[ApplicationForm, services.StashedDraft] | None:
    """The form as typed before the login expired, when the page is opened with its stash (the link
    the login sends back to, and the cookie set with it); None otherwise."""
    token = request.args.get("restore", "")
    if not token or request.cookies.get(STASH_COOKIE) != token:
        return None
    stashed = services.take_stash(get_session(), token=token, application=application, user=actor())
    if stashed is None:
        return None
    form = build_application_form(cycle_rubric(application.cycle), configured_sectors(),
                                  formdata=MultiDict(stashed.form), meta={"csrf": False})
    form.validate()
    return form, stashed


def forget(response: Response) -> Response:
    response.delete_cookie(STASH_COOKIE, path=request.path)
    return response
