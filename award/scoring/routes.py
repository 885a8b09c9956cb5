"""Scoring on the web: experts sign the pledge, score and agree a consensus; the office follows a
round's progress, reopens sheets and closes the round."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from award import inputs
from award.applications.models import Application
from award.auth.models import Role, User
from award.auth.permissions import (
    actor,
    can_read_oversight,
    expert_required,
    is_expert,
    login_required,
    office_required,
    oversight_required,
)
from award.cycles.models import Stage
from award.cycles.services import cycle_rubric
from award.db import get_session
from award.errors import DomainError, NotAllowed
from award.i18n import _
from award.main.dashboard import Task, active_cycles, task_provider
from award.rounds import panels
from award.rounds import services as rounds
from award.rounds.forms import KIND_LABELS
from award.rounds.models import (
    Assignment,
    ReviewRound,
    RoundStatus,
)
from award.rounds.routes import round_page
from award.scoring import progress, queries
from award.scoring import services as scoring
from award.scoring.forms import (
    ReasonForm,
    consensus_entries,
    posted_version,
    sheet_entries,
)
from award.scoring.models import ScoreSheet, SheetStatus
from award.views import json_errors


def _own(assignment_id: int) -> Assignment:
    """The expert's own live seat; 404 for anything else, so ids cannot be probed."""
    return queries.own_assignment(get_session(), actor(), assignment_id) or abort(404)

bp = Blueprint("scoring", __name__, url_prefix="/review")


def _load(model: type, object_id: int) -> Any:
    return get_session().get(model, object_id) or abort(404)


# --------------------------------------------------------------------------- office: rounds
















@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@office_required
def close_round(round_id: int):
    review_round = _load(ReviewRound, round_id)
    try:
        scoring.close_round(get_session(), actor=actor(), review_round=review_round)
    except DomainError as error:
        flash(error.message, "error")
        return round_page(review_round, status=409)
    flash(_("The round is closed."), "success")
    return redirect(url_for("rounds.show_round", round_id=review_round.id))


@bp.route("/rounds/<int:round_id>/progress")
@oversight_required
def round_progress(round_id: int):
    review_round = _load(ReviewRound, round_id)
    session = get_session()
    return render_template("scoring/progress.html", review_round=review_round,
                           progress=progress.round_progress(session, review_round),
                           missing=progress.missing_sheets(session, review_round),
                           sheets={s.assignment_id: s for s in session.scalars(
                               select(ScoreSheet).join(Assignment).where(Assignment.round_id == review_round.id))},
                           reopen_form=ReasonForm())












@bp.route("/sheets/<int:sheet_id>/reopen", methods=["POST"])
@office_required
def reopen_sheet(sheet_id: int):
    sheet = _load(ScoreSheet, sheet_id)
    form = ReasonForm()
    try:
        if not form.validate():
            raise DomainError(_("Give a reason for reopening the sheet."), code="reason_required")
        scoring.reopen_sheet(get_session(), actor=actor(), sheet=sheet, reason=form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
        return render_template("error.html", status=409, message=error.message), 409
    flash(_("The sheet is reopened; the expert has been asked to submit it again."), "success")
    return redirect(url_for("scoring.round_progress", round_id=sheet.assignment.round_id))


# --------------------------------------------------------------------------- experts


@bp.route("/mine")
@expert_required
def my_assignments():
    session = get_session()
    seats = queries.expert_assignments(session, actor())
    sheets = {s.assignment_id: s for s in session.scalars(
        select(ScoreSheet).where(ScoreSheet.assignment_id.in_([a.id for a in seats])))}
    return render_template("scoring/mine.html", seats=seats, sheets=sheets)


def _pledge_page(assignment: Assignment, *, status: int = 200, conflict_form: ReasonForm | None = None):
    return render_template("scoring/pledge.html", assignment=assignment,
                           facts=queries.pledge_facts(get_session(), assignment),
                           conflict_form=conflict_form or ReasonForm()), status


@bp.route("/assignments/<int:assignment_id>/pledge", methods=["GET", "POST"])
@expert_required
def pledge(assignment_id: int):
    assignment = _own(assignment_id)
    if request.method == "POST":
        if request.form.get("agree") != "yes":
            flash(_("Tick the box to sign the pledge."), "error")
            return _pledge_page(assignment, status=422)
        try:
            scoring.sign_pledge(get_session(), actor=actor(), assignment=assignment)
        except DomainError as error:
            flash(error.message, "error")
            return _pledge_page(assignment, status=409)
        flash(_("Pledge signed. You may now open the application."), "success")
        return redirect(url_for("scoring.sheet", assignment_id=assignment.id))
    return _pledge_page(assignment)


@bp.route("/assignments/<int:assignment_id>/conflict", methods=["POST"])
@expert_required
def declare_conflict(assignment_id: int):
    assignment = _own(assignment_id)
    form = ReasonForm()
    try:
        if not form.validate():
            raise DomainError(_("Describe the conflict of interest."), code="reason_required")
        scoring.declare_conflict(get_session(), actor=actor(), assignment=assignment, reason=form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
        return _pledge_page(assignment, status=422, conflict_form=form)
    flash(_("Your conflict is recorded and the office will appoint a replacement. Thank you."), "success")
    return redirect(url_for("scoring.my_assignments"))


def _sheet_page(assignment: Assignment, *, status: int = 200, posted: dict[str, str] | None = None,
                problems: dict[str, list[str]] | None = None, conflict: scoring.VersionConflict | None = None):
    sheet = scoring.sheet_of(assignment)
    assert sheet is not None
    rubric = cycle_rubric(assignment.round.cycle)
    return render_template(
        "scoring/sheet.html", assignment=assignment, sheet=sheet, rubric=rubric,
        application=assignment.application, stored={i.item_id: i for i in sheet.items},
        posted=posted, problems=problems or {}, conflict=conflict,
        version=conflict.current_version if conflict else sheet.version,
        editable=queries.can_score(actor(), assignment),
    ), status


@bp.route("/assignments/<int:assignment_id>/sheet", methods=["GET", "POST"])
@expert_required
def sheet(assignment_id: int):
    assignment = _own(assignment_id)
    if not queries.can_open(actor(), assignment):
        if assignment.pledge_signed_at is None:
            flash(_("Sign the no-conflict and confidentiality pledge first."), "info")
            return redirect(url_for("scoring.pledge", assignment_id=assignment.id))
        abort(403)
    if request.method == "GET":
        return _sheet_page(assignment)
    rubric = cycle_rubric(assignment.round.cycle)
    entries, bad = sheet_entries(request.form, rubric)
    posted = request.form.to_dict()
    version = posted_version(request.form)
    if bad or version is None:
        if version is None:
            bad["version"] = _("The form is incomplete; reload the page.")
        return _sheet_page(assignment, status=422, posted=posted, problems={k: [v] for k, v in bad.items()})
    submitting = request.form.get("action") == "submit"
    service = scoring.submit_sheet if submitting else scoring.save_draft
    try:
        service(get_session(), actor=actor(), assignment=assignment, entries=entries, expected_version=version)
    except scoring.VersionConflict as error:
        flash(error.message, "error")
        return _sheet_page(assignment, status=409, posted=posted, conflict=error)
    except scoring.SheetInvalid as error:
        flash(error.message, "error")
        return _sheet_page(assignment, status=422, posted=posted,
                           problems={k: [str(p) for p in v] for k, v in error.problems.items()})
    except DomainError as error:
        flash(error.message, "error")
        return _sheet_page(assignment, status=409, posted=posted)
    if submitting:
        flash(_("Sheet submitted and locked. Thank you."), "success")
        return redirect(url_for("scoring.my_assignments"))
    flash(_("Draft saved."), "success")
    return redirect(url_for("scoring.sheet", assignment_id=assignment.id))


@bp.route("/assignments/<int:assignment_id>/autosave", methods=["POST"])
@expert_required
@json_errors
def autosave(assignment_id: int):
    """The page's background save: JSON in, JSON out; a stale version answers 409 with the differences."""
    assignment = _own(assignment_id)
    if not queries.can_open(actor(), assignment):
        abort(403)
    data = inputs.json_object(request.get_data())
    form = {str(k): inputs.json_scalar_text(v, str(k)) for k, v in inputs.json_mapping(data, "fields").items()}
    form["version"] = inputs.json_scalar_text(data.get("version"), "version")
    rubric = cycle_rubric(assignment.round.cycle)
    entries, bad = sheet_entries(form, rubric)
    version = posted_version(form)
    if bad or version is None:
        return jsonify(ok=False, problems=bad or {"version": _("The form is incomplete; reload the page.")}), 422
    try:
        saved = scoring.save_draft(get_session(), actor=actor(), assignment=assignment, entries=entries,
                                   expected_version=version)
    except scoring.VersionConflict as error:
        return jsonify(ok=False, message=error.message, version=error.current_version,
                       differences=[{"item": d.item_id, "field": d.field, "mine": d.mine, "saved": d.saved}
                                    for d in error.differences]), 409
    except scoring.SheetInvalid as error:
        return jsonify(ok=False, message=error.message,
                       problems={k: [str(p) for p in v] for k, v in error.problems.items()}), 422
    except DomainError as error:
        return jsonify(ok=False, message=error.message), 409
    return jsonify(ok=True, version=saved.version, total=format(saved.total, ".2f"),
                   points={i.item_id: None if i.points is None else format(i.points, ".2f") for i in saved.items},
                   message=_("Draft saved."))


# --------------------------------------------------------------------------- consensus


def _consensus_viewer(review_round: ReviewRound, application: Application) -> Assignment | None:
    """The viewer's seat (None for the office and the supervisor). Experts off the panel get 404;
    a member who has not submitted gets 403: independence comes first."""
    user = actor()
    if can_read_oversight(user):
        return None
    if not is_expert(user):
        abort(403)
    seat = next((m for m in scoring.panel_members(get_session(), review_round, application.id)
                 if m.expert_id == user.id), None)
    if seat is None or queries.own_assignment(get_session(), user, seat.id) is None:
        abort(404)
    own = scoring.sheet_of(seat)
    if own is None or own.status is not SheetStatus.SUBMITTED:
        abort(403)
    return seat


def _consensus_page(review_round: ReviewRound, application: Application, seat: Assignment | None, *,
                    status: int = 200, posted: dict[str, str] | None = None):
    session = get_session()
    return render_template(
        "scoring/consensus.html", review_round=review_round, application=application, seat=seat,
        rubric=cycle_rubric(review_round.cycle),
        spread={s.item_id: s for s in scoring.panel_spread(session, review_round, application.id)},
        complete=scoring.sheets_complete(session, review_round, application.id),
        consensus=scoring.consensus_scores(session, review_round, application.id),
        confirmed=scoring.confirmed_by(session, review_round, application.id),
        members=scoring.panel_members(session, review_round, application.id), posted=posted,
    ), status


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/consensus", methods=["GET", "POST"])
@login_required
def consensus(round_id: int, application_id: int):
    review_round = _load(ReviewRound, round_id)
    application = _load(Application, application_id)
    if application.cycle_id != review_round.cycle_id:
        abort(404)
    seat = _consensus_viewer(review_round, application)
    if request.method == "GET":
        return _consensus_page(review_round, application, seat)
    if seat is None:
        abort(403)
    try:
        scoring.propose_consensus(get_session(), actor=actor(), review_round=review_round, application=application,
                                  proposals=consensus_entries(request.form, cycle_rubric(review_round.cycle)))
    except NotAllowed:
        abort(403)
    except DomainError as error:
        flash(error.message, "error")
        return _consensus_page(review_round, application, seat, status=422, posted=request.form.to_dict())
    flash(_("Consensus proposed; the panel members are asked to confirm it."), "success")
    return redirect(url_for("scoring.consensus", round_id=round_id, application_id=application_id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/consensus/confirm", methods=["POST"])
@expert_required
def confirm_consensus(round_id: int, application_id: int):
    review_round = _load(ReviewRound, round_id)
    application = _load(Application, application_id)
    if application.cycle_id != review_round.cycle_id:
        abort(404)
    seat = _consensus_viewer(review_round, application)
    try:
        scoring.confirm_consensus(get_session(), actor=actor(), review_round=review_round, application=application)
    except DomainError as error:
        flash(error.message, "error")
        return _consensus_page(review_round, application, seat, status=409)
    flash(_("You confirmed the consensus."), "success")
    return redirect(url_for("scoring.consensus", round_id=round_id, application_id=application_id))


# --------------------------------------------------------------------------- dashboard tasks


def _expert_seats(session, user: User) -> list[Assignment]:
    return [a for a in queries.expert_assignments(session, user) if a.round.status is RoundStatus.OPEN]


@task_provider(Role.EXPERT)
def _expert_tasks(session, user: User) -> list[Task]:
    tasks = []
    for seat in _expert_seats(session, user):
        name = seat.application.org_name or f"#{seat.application_id}"
        own = scoring.sheet_of(seat)
        if seat.pledge_signed_at is None:
            tasks.append(Task(_("Sign the pledge for %(name)s", name=name),
                              url_for("scoring.pledge", assignment_id=seat.id)))
        elif own is not None and own.status is SheetStatus.DRAFT:
            tasks.append(Task(_("Score %(name)s", name=name), url_for("scoring.sheet", assignment_id=seat.id)))
        elif scoring.sheets_complete(session, seat.round, seat.application_id):
            link = url_for("scoring.consensus", round_id=seat.round_id, application_id=seat.application_id)
            agreed = scoring.consensus_scores(session, seat.round, seat.application_id)
            if seat.is_leader and not agreed:
                tasks.append(Task(_("Propose the consensus for %(name)s", name=name), link))
            elif agreed and user.id not in scoring.confirmed_by(session, seat.round, seat.application_id):
                tasks.append(Task(_("Confirm the consensus for %(name)s", name=name), link))
    return tasks


@task_provider(Role.OFFICE)
def _office_review_tasks(session, user: User) -> list[Task]:
    tasks = []
    for cycle in active_cycles(session):
        if cycle.stage not in (Stage.SCREENING, Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW):
            continue
        for review_round in rounds.rounds_of(session, cycle):
            label = f"{cycle.year} {cycle.title} · {KIND_LABELS[review_round.kind]}"
            link = url_for("rounds.show_round", round_id=review_round.id)
            views = panels.panels_of_round(session, review_round)
            due = sum(p.replacements_due for p in views)
            if review_round.status is RoundStatus.SETUP and panels.panel_problems_of_round(session, review_round):
                tasks.append(Task(_("Form the panels: %(round)s", round=label), link))
            if due:
                tasks.append(Task(_("%(count)s replacements due: %(round)s", count=due, round=label), link))
            if review_round.status is RoundStatus.OPEN:
                missing = len(progress.missing_sheets(session, review_round))
                tasks.append(Task(_("Follow the progress: %(round)s", round=label),
                                  url_for("scoring.round_progress", round_id=review_round.id),
                                  _("%(count)s sheets missing", count=missing)))
    return tasks

