"""The audit trail in the browser: office and supervisor filter and read it."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from award.audit.models import AuditRecord
from award.audit.queries import TrailFilter, trail_query
from award.auth.models import User
from award.auth.permissions import oversight_required
from award.cycles.forms import local_zone
from award.db import get_session
from award.i18n import _
from award.inputs import arg_date, arg_id, arg_page

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50
FILTER_ARGS = ("action", "actor", "target_type", "target_id", "cycle", "since", "until")


def _date_arg(name: str, field: str) -> dt.datetime | None:
    day = arg_date(request.args, name, field=field)
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()) if day else None


@bp.route("/")
@oversight_required
def trail():
    until = _date_arg("until", _("The end date"))
    criteria = TrailFilter(
        action=request.args.get("action", "").strip()[:80],
        actor_id=arg_id(request.args, "actor", field=_("The actor")),
        target_type=request.args.get("target_type", "").strip()[:40],
        target_id=request.args.get("target_id", "").strip()[:40],
        cycle_id=arg_id(request.args, "cycle", field=_("The cycle")),
        since=_date_arg("since", _("The start date")),
        until=until + dt.timedelta(days=1) if until else None,
    )
    page = arg_page(request.args)
    db = get_session()
    query = trail_query(criteria)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    records = db.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    actors = {u.id: u for u in db.scalars(select(User).where(
        User.id.in_({r.actor_id for r in records if r.actor_id is not None})))}
    actions = db.scalars(select(AuditRecord.action).distinct().order_by(AuditRecord.action)).all()
    return render_template("audit/trail.html", records=records, actors=actors, criteria=criteria,
                           page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), total=total,
                           actions=actions, args=_filter_args())


def _filter_args() -> dict[str, str]:
    """The trail's own filters from the query, to fill the filter form again."""
    return {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}
