"""The notices page (with the unread count in every page's navigation) and the e-mail settings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user

from award.app_db import get_session
from award.auth.access import actor, login_required
from award.i18n import _
from award.inputs import arg_page
from award.notifications import services
from award.notifications.forms import preferences_form
from award.notifications.kinds import SPECS
from award.views import on_refusal, submitted

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PAGE_SIZE = 50


def nav_context() -> dict[str, Any]:
    """For base.html: a callable, so the count is queried only when a page shows the navigation."""

    def unread_notifications() -> int:
        if not has_request_context() or not current_user.is_authenticated:
            return 0
        return services.unread_count(get_session(), actor())

    return {"unread_notifications": unread_notifications}


def _load(notification_id: int):  # noqa: ANN202
    # Someone else's notice is "not found", never "forbidden": ids reveal nothing.
    return services.notification_of(get_session(), actor(), notification_id) or abort(404)


@bp.route("/")
@login_required
def list_notifications():
    page = arg_page(request.args)
    session = get_session()
    notices = services.notifications_for(session, actor(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max((services.notification_count(session, actor()) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("notifications/list.html", notices=notices, specs=SPECS, page=page, pages=pages,
                           unread=services.unread_count(session, actor()))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    notice = _load(notification_id)
    services.mark_read(get_session(), actor=actor(), notification=notice)
    return redirect(notice.link)  # a path inside the app: notify() refuses anything else


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    services.mark_read(get_session(), actor=actor(), notification=_load(notification_id))
    return redirect(url_for("notifications.list_notifications"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = services.mark_all_read(get_session(), actor=actor())
    flash(_("%(count)s notices marked as read.", count=count), "success")
    return redirect(url_for("notifications.list_notifications"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    current = services.preferences_for(get_session(), actor())
    form = preferences_form(current)
    on_refusal(lambda _: render_template("notifications/preferences.html", form=form, preferences=current))
    if not submitted(form):
        return render_template("notifications/preferences.html", form=form, preferences=current)
    services.set_email_preferences(get_session(), actor=actor(), choices=form.choices())
    flash(_("E-mail settings saved."), "success")
    return redirect(url_for("notifications.preferences"))
