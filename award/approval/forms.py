"""Forms of the vote: opening it (office) and one ballot per candidate (leader)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from wtforms import BooleanField, DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from award.approval.models import Choice
from award.cycles.models import Cycle, Stage
from award.cycles.settings import AwardSettings
from award.forms import BaseForm, SelectChoice
from award.i18n import _l

CHOICE_LABELS = {
    Choice.APPROVE: _l("Approve"),
    Choice.REJECT: _l("Reject"),
    Choice.ABSTAIN: _l("Abstain"),
}


class OpenVoteForm(BaseForm):
    closes_at = DateTimeLocalField(_l("The vote closes at (local time)"), validators=[InputRequired()])
    blinded = BooleanField(_l("Blinded vote: candidates by code and scores, names after the vote"))

    @classmethod
    def proposed(cls, cycle: Cycle, *, now: dt.datetime, zone: ZoneInfo) -> OpenVoteForm:
        """The form as the office first sees it: the stage's deadline if still ahead, the cycle's blinding."""
        form = cls()
        due = cycle.deadline(Stage.APPROVAL)
        if due is not None and due > now:
            form.closes_at.data = due.astimezone(zone).replace(tzinfo=None)
        form.blinded.data = AwardSettings.from_dict(cycle.award_settings).blinded
        return form


class BallotForm(BaseForm):
    # The three big buttons of a card submit this field; there is no default on purpose.
    choice = SelectField(_l("Your vote"), validators=[InputRequired()],
                         choices=[SelectChoice(c.value, label) for c, label in CHOICE_LABELS.items()])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])


class EmptyForm(BaseForm):
    """A POST with nothing but the CSRF token (close the vote)."""
