"""A background job's page for the office: its progress, its download when done, its reason and a retry
when it failed. The pages of the areas that start jobs send the office here (a certificate batch has its
own page, with the same parts)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from award.app_db import get_session
from award.auth.access import actor, office_required
from award.jobs.configured import job_download
from award.jobs.models import Job
from award.jobs.presenters import follow_target, job_message, job_status, job_title
from award.jobs.services import load_job, retry_job
from award.views import on_refusal

bp = Blueprint("jobs", __name__)


def _load(job_id: int) -> Job:
    return load_job(get_session(), job_id) or abort(404)


def _follow_url(job: Job) -> str | None:
    target = follow_target(job)
    return url_for(target[0], **target[1]) if target else None


@bp.route("/jobs/<int:job_id>")
@office_required
def job_page(job_id: int):
    job = _load(job_id)
    return render_template("jobs/page.html", job=job, title=job_title(job), message=job_message(job),
                           follow_url=_follow_url(job))


@bp.route("/jobs/<int:job_id>/status")
@office_required
def job_status_json(job_id: int):
    job = _load(job_id)
    return job_status(job, message=job_message(job), download_url=url_for("jobs.job_result", job_id=job.id),
                      follow_url=_follow_url(job))


@bp.route("/jobs/<int:job_id>/result")
@office_required
def job_result(job_id: int):
    return job_download(_load(job_id))


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@office_required
def retry(job_id: int):
    job = _load(job_id)
    on_refusal(lambda _: redirect(url_for("jobs.job_page", job_id=job.id)))
    job = retry_job(get_session(), actor=actor(), job=job)
    return redirect(url_for("jobs.job_page", job_id=job.id))
