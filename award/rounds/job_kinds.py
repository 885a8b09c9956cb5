"""A large draw of a round's panels as a job of the worker: the solver runs there, not in the office's
request; the draw, its panels and its audit record are committed with the job's "done", exactly as a draw
in the request would store them (so it replays the same way). The job's page then shows the round."""

from __future__ import annotations

from award.auth.models import User
from award.errors import NotFound
from award.i18n import _, lazy_gettext
from award.jobs.kinds import JobContext, job_kind
from award.rounds import panels
from award.rounds.models import ReviewRound


@job_kind(panels.DRAW_KIND, title=lazy_gettext("Drawing the panels of a round"),
          follow=("rounds.show_round", "round_id", "round_id"))
def draw_panels(context: JobContext) -> None:
    session = context.session
    review_round = session.get(ReviewRound, int(context.inputs["round_id"]))
    if review_round is None:
        raise NotFound(_("No such round."))
    starter = session.get(User, context.started_by_id) if context.started_by_id is not None else None
    # No progress figures: the solver gives none, and the job's page shows it working until the draw is stored.
    panels.run_draw_job(session, actor=starter, review_round=review_round, inputs=context.inputs,
                        end_read=context.end_read)
