"""The demo of stages 6–9: an open vote with a ballot for every leader, a running notice, awards."""

from __future__ import annotations

from sqlalchemy import select

from award.approval.models import VoteSession
from award.auth.models import Role
from award.awards.demo import AWARDED, NOTICE, VOTE, seed_decision_demo
from award.awards.models import Award
from award.awards.numbers import is_well_formed_certificate_number
from award.db import utcnow
from award.notice.models import PublicNotice


def test_decision_demo(db, make_user, make_organization):
    office = make_user(Role.OFFICE)
    leaders = [make_user(Role.LEADER) for _ in range(3)]
    for name in VOTE + NOTICE + AWARDED:
        make_organization(name=name)
    now = utcnow()
    seed_decision_demo(db, office=office, now=now)
    vote = db.scalars(select(VoteSession)).one()
    assert {m.leader_id for m in vote.members} == {leader.id for leader in leaders} and len(vote.candidates) == 3
    notice = db.scalars(select(PublicNotice)).one()
    assert notice.is_open(now) and len(notice.listed) == 2
    awards = db.scalars(select(Award)).all()
    assert len(awards) == 2 and all(is_well_formed_certificate_number(a.certificate_number) for a in awards)
