"""The audit trail in the browser: office and supervisor filter it, read it and verify the chain."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from award.app_db import get_session
from award.audit.presenters import filter_choices, readable_records
from award.audit.queries import FILTER_ARGS, TrailFilter, trail_page
from award.audit.services import ChainVerdict, verify_chain
from award.auth.access import oversight_required
from award.i18n import local_zone
from award.inputs import arg_page

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


def _trail_page(verdict: ChainVerdict | None = None) -> str:
    session = get_session()
    criteria = TrailFilter.from_args(request.args, zone=local_zone())
    page = trail_page(session, criteria, arg_page(request.args), PAGE_SIZE)
    own_filters = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}  # to fill the form
    all_objects = {name: value for name, value in own_filters.items() if name != "target_id"}
    return render_template("audit/trail.html", shown=readable_records(session, page["records"]),
                           choices=filter_choices(session, page["actions"]), args=own_filters,
                           all_objects=all_objects, verdict=verdict, **page)


@bp.route("/")
@oversight_required
def trail():
    return _trail_page()


@bp.route("/verify", methods=["POST"])
@oversight_required
def verify():
    """The same check as `flask --app award audit verify`, its verdict shown above the trail."""
    return _trail_page(verify_chain(get_session()))
