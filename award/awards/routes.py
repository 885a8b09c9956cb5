"""Awards for the office (confirm, revoke) and the supervisor (read)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from award.app_db import get_session
from award.approval.forms import EmptyForm
from award.auth.access import actor, office_required, oversight_required
from award.awards import services
from award.awards.forms import LevelsForm, RevokeForm
from award.awards.models import Award
from award.cycles.models import Cycle, Stage
from award.cycles.settings import AwardLevels, AwardSettings
from award.db import utcnow
from award.forms import filled
from award.i18n import _, local_zone
from award.notice.services import award_problems, notice_of
from award.views import get_or_404, on_refusal, submitted, validated

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
