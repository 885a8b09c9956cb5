"""Awards for the office (confirm, revoke) and the supervisor (read)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from award.app_db import get_session
from award.approval.forms import EmptyForm
from award.auth.access import actor, login_required, office_required, oversight_required
from award.awards import after, reassessment, services
from award.awards.configured import follow_up_store
from award.awards.forms import (
    DecideReassessmentForm,
    FollowUpForm,
    LevelsForm,
    ReassessmentForm,
    RevokeForm,
)
from award.awards.models import Award, FollowUpReport, Reassessment, ReassessmentOutcome
from award.cycles.models import Cycle, CycleKind, Stage
from award.cycles.settings import AwardLevels, AwardSettings
from award.db import utcnow
from award.forms import filled
from award.i18n import _, local_zone
from award.inputs import arg_int
from award.notice.services import award_problems, notice_of
from award.views import attachment, get_or_404, on_refusal, submitted, validated

bp = Blueprint("awards", __name__, url_prefix="/awards")


def _cycle_page(cycle: Cycle) -> str:
    session = get_session()
    return render_template(
        "awards/cycle.html", cycle=cycle, notice=notice_of(session, cycle),
        awards=services.awards_of_cycle(session, cycle),
        problems=award_problems(session, cycle, utcnow(), local_zone()) if cycle.stage is Stage.NOTICE else [],
        settings=AwardSettings.from_dict(cycle.award_settings), form=EmptyForm(),
    )


def _award_page(award: Award, form: RevokeForm | None = None) -> str:
    return render_template("awards/show.html", award=award, form=form or RevokeForm(formdata=None))


@bp.route("/cycles/<int:cycle_id>")
@oversight_required
def cycle_awards(cycle_id: int):
    return _cycle_page(get_or_404(Cycle, cycle_id))


@bp.route("/cycles/<int:cycle_id>/confirm", methods=["POST"])
@office_required
def confirm(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    on_refusal(lambda _: _cycle_page(cycle))
    services.confirm_awards(get_session(), actor=actor(), cycle=cycle, zone=local_zone())
    flash(_("The final list is confirmed and the cycle is awarded."), "success")
    return redirect(url_for("awards.cycle_awards", cycle_id=cycle.id))


@bp.route("/<int:award_id>")
@oversight_required
def show(award_id: int):
    return _award_page(get_or_404(Award, award_id))


@bp.route("/<int:award_id>/revoke", methods=["POST"])
@office_required
def revoke(award_id: int):
    award = get_or_404(Award, award_id)
    form = RevokeForm()
    on_refusal(lambda _: _award_page(award, form))
    validated(form)
    services.revoke_award(get_session(), actor=actor(), award=award, reason=filled(form.reason.data), zone=local_zone())
    flash(_("The award is revoked; the re-application ban has started."), "success")
    return redirect(url_for("awards.show", award_id=award.id))


def _levels_page(cycle: Cycle, form: LevelsForm) -> str:
    return render_template("awards/levels.html", cycle=cycle, form=form,
                           locked=cycle.stage in services.LEVELS_LOCKED)


@bp.route("/cycles/<int:cycle_id>/levels", methods=["GET", "POST"])
@office_required
def edit_levels(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = LevelsForm.for_levels(AwardLevels.of(cycle.award_settings))
    on_refusal(lambda _: _levels_page(cycle, form), form=form)
    if not submitted(form):
        return _levels_page(cycle, form)
    services.update_levels(get_session(), actor=actor(), cycle=cycle, levels=form.to_levels())
    flash(_("The award levels are saved."), "success")
    return redirect(url_for("awards.edit_levels", cycle_id=cycle.id))


# --- after the award ------------------------------------------------------------------------------


def _today():
    return utcnow().astimezone(local_zone()).date()


@bp.route("/holders")
def holders():
    """Public: the organizations holding a title today, by year and title."""
    session, today = get_session(), _today()
    years, titles = after.holder_filters(session, today=today)
    year = arg_int(request.args, "year", default=None, minimum=1900, maximum=2200, field=_("Year"))
    title = after.pick(request.args.get("title"), titles)
    rows = after.current_holders(session, today=today, year=year, title=title)
    return render_template("awards/holders.html", rows=rows, years=years, titles=titles, year=year, title=title)


def _follow_up_page(award: Award, form: FollowUpForm) -> str:
    session = get_session()
    return render_template("awards/follow_up.html", award=award, form=form, reports=after.reports_of(session, award),
                           holder=after.is_holder(actor(), award),
                           missing=after.missing_years(session, award, _today()))


def _readable(award: Award) -> Award:
    """The award if the user may read its follow-up reports; another organization's award is not there (404)."""
    if not after.can_read_reports(actor(), award):
        abort(404)
    return award


@bp.route("/<int:award_id>/follow-up", methods=["GET", "POST"])
@login_required
def follow_up(award_id: int):
    award = _readable(get_or_404(Award, award_id))
    session, today = get_session(), _today()
    form = FollowUpForm.for_years(after.open_years(session, award, today),
                                  due=after.missing_years(session, award, today))
    on_refusal(lambda _: _follow_up_page(award, form), form=form)
    if not submitted(form):
        return _follow_up_page(award, form)
    after.submit_report(get_session(), actor=actor(), award=award, report=form.to_report(), store=follow_up_store(),
                        zone=local_zone())
    flash(_("The follow-up report is sent."), "success")
    return redirect(url_for("awards.follow_up", award_id=award.id))


@bp.route("/follow-up/<int:report_id>/file")
@login_required
def follow_up_file(report_id: int):
    found = get_or_404(FollowUpReport, report_id)
    _readable(found.award)
    report, data = after.report_file(get_session(), actor=actor(), report=found, store=follow_up_store())
    return attachment(data, report.display_name, report.content_type)


def _new_reassessment_page(form: ReassessmentForm, awards: list[Award], days: int) -> str:
    return render_template("awards/reassessment_new.html", form=form, awards=awards, days=days)


@bp.route("/reassessments/new", methods=["GET", "POST"])
@office_required
def new_reassessment():
    days = arg_int(request.args, "days", default=reassessment.NEAR_EXPIRY_DAYS, minimum=1,
                   maximum=reassessment.MAX_HORIZON_DAYS, field=_("Days ahead")) or reassessment.NEAR_EXPIRY_DAYS
    awards = reassessment.near_expiry(get_session(), today=_today(), days=days)
    form = ReassessmentForm.for_awards(awards)
    on_refusal(lambda _: _new_reassessment_page(form, awards, days), form=form)
    if not submitted(form):
        return _new_reassessment_page(form, awards, days)
    cycle = reassessment.open_reassessment(get_session(), actor=actor(), plan=form.to_plan(), today=_today())
    flash(_("The re-assessment cycle is open; each holder has a draft application in it."), "success")
    return redirect(url_for("awards.reassessment_cycle", cycle_id=cycle.id))


def _reassessment_page(cycle: Cycle) -> str:
    return render_template("awards/reassessment.html", cycle=cycle, form=DecideReassessmentForm(formdata=None),
                           rows=reassessment.reassessments_of(get_session(), cycle),
                           decidable=cycle.stage in reassessment.DECISION_STAGES)


@bp.route("/reassessments/<int:cycle_id>")
@oversight_required
def reassessment_cycle(cycle_id: int):
    return _reassessment_page(get_or_404(Cycle, cycle_id, kind=CycleKind.REASSESSMENT))


@bp.route("/reassessments/decide/<int:reassessment_id>", methods=["POST"])
@office_required
def decide_reassessment(reassessment_id: int):
    row = get_or_404(Reassessment, reassessment_id)
    form = DecideReassessmentForm()
    on_refusal(lambda _: _reassessment_page(row.cycle))
    validated(form)
    reassessment.decide_reassessment(get_session(), actor=actor(), reassessment=row,
                                     outcome=ReassessmentOutcome(form.outcome.data), reason=form.reason.data or "",
                                     zone=local_zone())
    flash(_("The outcome is recorded."), "success")
    return redirect(url_for("awards.reassessment_cycle", cycle_id=row.cycle_id))
