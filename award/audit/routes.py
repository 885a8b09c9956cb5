"""The audit trail in the browser: office and supervisor filter and read it."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from award.app_db import get_session
from award.audit.queries import FILTER_ARGS, TrailFilter, trail_page
from award.auth.access import oversight_required
from award.auth.queries import users_by_id
from award.i18n import local_zone
from award.inputs import arg_page

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


@bp.route("/")
@oversight_required
def trail():
    criteria = TrailFilter.from_args(request.args, zone=local_zone())
    page = trail_page(get_session(), criteria, arg_page(request.args), PAGE_SIZE)
    actors = users_by_id(get_session(), (record.actor_id for record in page["records"]))
    own_filters = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}  # to fill the form
    return render_template("audit/trail.html", actors=actors, args=own_filters, **page)
