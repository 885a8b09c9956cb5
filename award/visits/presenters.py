"""What the visit pages show: the cycle's visits with their teams, and one visit's checklist."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from award.auth.models import User
from award.cycles.models import Cycle
from award.forms import SelectChoice
from award.i18n import _
from award.rounds.models import RoundStatus
from award.visits import services
from award.visits.forms import CheckForm, PhotoForm, ScheduleForm, check_prefix, schedule_prefix
from award.visits.models import SiteVisit


def cycle_page(session: Session, cycle: Cycle, forms: dict[int, ScheduleForm]) -> dict[str, Any]:
    """Each application of the on-site round: its team, its visit (if scheduled) and the form to set it."""
    review_round = services.onsite_round(session, cycle)
    rows = []
    if review_round is not None:
        visits = services.visits_of_round(session, review_round)
        for application in services.panel_applications(session, review_round):
            visit = visits.get(application.id)
            form = forms.get(application.id)
            if form is None:
                saved = {"visit_on": visit.visit_on, "itinerary": visit.itinerary} if visit else None
                form = ScheduleForm(formdata=None, prefix=schedule_prefix(application.id), data=saved)
            rows.append({"application": application, "visit": visit, "form": form,
                         "team": services.team_of(session, review_round.id, application.id)})
    return {"cycle": cycle, "review_round": review_round, "rows": rows,
            "can_schedule": review_round is not None and review_round.status is not RoundStatus.CLOSED}


def visit_page(session: Session, visit: SiteVisit, user: User, *, photo_form: PhotoForm | None = None
               ) -> dict[str, Any]:
    lines = services.checklist(session, visit)
    forms = {}
    for line in lines:
        saved = {"status": line.check.status.value, "note": line.check.note} if line.check else None
        forms[line.item.id] = CheckForm(formdata=None, prefix=check_prefix(line.item.id), data=saved)
    if photo_form is None:
        photo_form = PhotoForm(formdata=None)
    photo_form.item_id.choices = [SelectChoice(line.item.id, f"{line.item.id} {line.item.display_name()}")
                                  for line in lines]
    at_work = services.is_team_member(session, user, visit) and visit.round.status is RoundStatus.OPEN
    seat = services.seat_of(session, user, visit)
    pledge_seat = seat if at_work and seat is not None and seat.pledge_signed_at is None else None
    at_work = at_work and pledge_seat is None  # saving would be refused until the pledge is signed
    return {
        "visit": visit, "application": visit.application, "cycle": visit.round.cycle, "lines": lines,
        "forms": forms, "photo_form": photo_form, "at_work": at_work, "pledge_seat": pledge_seat,
        "team": services.team_of(session, visit.round_id, visit.application_id),
        "status_labels": {k.value: str(v) for k, v in services.STATUS_LABELS.items()},
        "work_note": None if at_work or pledge_seat else _(
            "Only the visit's team fills the checklist, while the on-site round is open."),
    }
