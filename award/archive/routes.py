"""The office's archive button on a cycle: it queues the archive as a job and shows the job's page."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from award.app_db import get_session
from award.archive.builder import queue_archive
from award.auth.access import actor, office_required
from award.cycles.models import Cycle
from award.views import get_or_404, on_refusal

bp = Blueprint("archive", __name__)


@bp.route("/cycles/<int:cycle_id>/archive", methods=["POST"])
@office_required
def create_archive(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: redirect(url_for("cycles.show_cycle", cycle_id=cycle.id)))
    job, _created = queue_archive(get_session(), actor=actor(), cycle=cycle)
    return redirect(url_for("jobs.job_page", job_id=job.id))
