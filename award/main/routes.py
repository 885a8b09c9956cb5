"""Landing page, role dashboards and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from award.app_db import get_database, get_session
from award.auth.access import actor, login_required
from award.auth.services import set_locale
from award.calls.presenters import deadline_rows
from award.calls.queries import open_calls
from award.cycles.queries import active_cycles
from award.cycles.tasks import tasks_for
from award.db import utcnow
from award.inputs import local_path
from award.main.health import DOWN, health_report
from award.views import csrf, limiter

bp = Blueprint("main", __name__)


def _open_calls() -> list:
    """The published calls of cycles taking applications, each with its application deadline and time left."""
    now = utcnow()
    return [(call, deadline_rows(call.cycle, now)[:1]) for call in open_calls(get_session(), now)]


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html", cycles=active_cycles(get_session()), open_calls=_open_calls())


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template("main/dashboard.html", tasks=tasks_for(get_session(), actor()), open_calls=_open_calls())


@bp.route("/language/<locale>", methods=["POST"])
def set_language(locale: str):
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = locale
    if current_user.is_authenticated:
        set_locale(get_session(), user=actor(), locale=locale)
    return redirect(local_path(request.form.get("next")) or url_for("main.index"))


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """For the proxy, systemd and monitoring: no login, no cookie, no rate limit; 503 when down."""
    config = current_app.config
    report = health_report(get_database().session_factory, redis_url=config["REDIS_URL"], now=utcnow(),
                           sender_max_age_seconds=int(config["OUTBOX_HEARTBEAT_MAX_AGE_SECONDS"]),
                           job_worker_max_age_seconds=(None if config["JOBS_IMMEDIATE"]
                                                       else int(config["JOB_HEARTBEAT_MAX_AGE_SECONDS"])))
    return report, 503 if report["status"] == DOWN else 200
