"""The demo of stages 6–9: an open vote with a ballot for every leader, a running notice, awards."""

from __future__ import annotations

from sqlalchemy import select

from award.applications.models import Application
from award.approval.models import VoteSession
from award.auth.models import Role, User
from award.awards.demo import AWARDED, NOTICE, VOTE
from award.awards.models import Award
from award.awards.numbers import is_well_formed_certificate_number
from award.cycles.models import Cycle
from award.db import utcnow
from award.notice.models import PublicNotice
from award.visits.demo import FULL_PROCEDURE_TITLE


def test_decision_demo(demo_db):
    leaders = demo_db.scalars(select(User).where(User.role == Role.LEADER)).all()
    open_vote = demo_db.scalars(select(VoteSession).where(VoteSession.closed_at.is_(None))).one()
    assert {m.leader_id for m in open_vote.members} == {leader.id for leader in leaders}
    names = {a.id: a.org_name for a in demo_db.scalars(select(Application))}
    assert sorted(names[c.application_id] for c in open_vote.candidates) == sorted(VOTE)
    running = [notice for notice in demo_db.scalars(select(PublicNotice)) if notice.is_open(utcnow())]
    assert [sorted(c.organization_name for c in notice.listed) for notice in running] == [sorted(NOTICE)]
    # the decision demo's own awards; the full-procedure demo cycle (award/visits/demo.py) awards its own
    awards = demo_db.scalars(select(Award).join(Cycle, Award.cycle_id == Cycle.id)
                             .where(Cycle.title != FULL_PROCEDURE_TITLE)).all()
    assert sorted(a.organization_name for a in awards) == sorted(AWARDED)
    assert all(is_well_formed_certificate_number(a.certificate_number) for a in awards)
