"""In a real browser: a panel member disagrees with the consensus on one item, with a reason; the
team leader sees the disagreement on the consensus page, acknowledges it with a note and finalizes.

The sheets and the proposal go through the services (other tests click them); the discussion is
clicked, at desktop and at phone width."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from award.app_db import get_database
from award.audit.models import AuditRecord
from award.auth.models import User
from award.cycles.models import Cycle
from award.cycles.services import cycle_rubric
from award.rounds.models import Assignment, ReviewRound
from award.scoring import services as scoring
from award.scoring.models import ConsensusFinalization, ConsensusRemark, RemarkKind
from tests.e2e import pages
from tests.e2e.test_panel_scoring import PASSWORD, Panel, _set_up_open_round
from tests.rounds.factories import full_entries

pytestmark = pytest.mark.e2e
REASON = "4.7.2 的市场占有率数据缺少第三方来源，共识分偏高"
NOTE = "组长已现场复核统计局数据，维持共识分"


@pytest.fixture
def proposed(live_app) -> Panel:
    with live_app.app_context():
        session = get_database(live_app).session_factory()
        try:
            panel = _set_up_open_round(session, "gbt19580-2012:discussion")
            cycle = session.get(Cycle, panel.cycle_id)
            review_round = session.get(ReviewRound, panel.round_id)
            for assignment_id, _email, _leader in panel.seats:
                seat = session.get(Assignment, assignment_id)
                scoring.sign_pledge(session, actor=seat.expert, assignment=seat)
                scoring.submit_sheet(session, actor=seat.expert, assignment=seat, expected_version=1,
                                     entries=full_entries(cycle))
            leader = session.get(Assignment, next(a for a, _e, is_leader in panel.seats if is_leader))
            scoring.propose_consensus(session, actor=leader.expert, review_round=review_round,
                                      application=leader.application,
                                      proposals={i.id: scoring.ConsensusEntry(percent=50)
                                                 for i in cycle_rubric(cycle).items})
            session.commit()
            return panel
        finally:
            session.close()


def sign_in(page, email: str) -> None:
    pages.sign_in(page, email, PASSWORD)
    page.wait_for_url("**/dashboard")


def test_a_member_disagrees_and_the_leader_sees_it_and_finalizes(proposed, new_page, live_app, screenshot):
    consensus = f"/review/rounds/{proposed.round_id}/applications/{proposed.application_id}/consensus"
    member_email = next(email for _id, email, leader in proposed.seats if not leader)
    leader_email = next(email for _id, email, leader in proposed.seats if leader)

    member = new_page()
    sign_in(member, member_email)
    member.goto(consensus)
    member.select_option("select[name=kind]", "disagree")
    member.select_option("select[name=item]", "4.7.2")
    member.click("form.remark-form button[type=submit]")  # no reason yet: refused, in Chinese
    member.wait_for_load_state()
    assert "请说明不同意的理由。" in member.content()
    member.select_option("select[name=kind]", "disagree")
    member.select_option("select[name=item]", "4.7.2")
    member.fill("textarea[name=text]", REASON)
    member.click("form.remark-form button[type=submit]")
    member.wait_for_load_state()
    assert "您的意见已加入讨论。" in member.content() and REASON in member.content()
    screenshot(member, "consensus-discussion-member")
    member.context.close()

    for mobile in (True, False):
        leader = new_page(mobile=mobile)
        sign_in(leader, leader_email)
        leader.goto(consensus)
        disagreements = leader.locator(".disagreements")
        assert "未解决的不同意见：1 条" in disagreements.inner_text() and REASON in disagreements.inner_text()
        screenshot(leader, f"consensus-discussion-leader-{390 if mobile else 1280}")
        if mobile:
            leader.context.close()
            continue
        leader.click("form.finalize-form button[type=submit]")  # not acknowledged: refused
        leader.wait_for_load_state()
        assert "仍有 1 条不同意见未解决" in leader.content()
        leader.check("input[name=acknowledge]")
        leader.fill("textarea[name=note]", NOTE)
        leader.click("form.finalize-form button[type=submit]")
        leader.wait_for_load_state()
        assert "共识已确定。" in leader.content() and "讨论已关闭" in leader.content() and NOTE in leader.content()
        assert leader.locator("form.remark-form").count() == 0
        screenshot(leader, "consensus-discussion-final")
        leader.context.close()

    with live_app.app_context():
        session = get_database(live_app).session_factory()
        [remark] = session.scalars(select(ConsensusRemark).where(ConsensusRemark.round_id == proposed.round_id)
                                   .where(ConsensusRemark.kind == RemarkKind.DISAGREE)).all()
        assert (remark.item_id, remark.text) == ("4.7.2", REASON)
        assert session.scalars(select(User.email).where(User.id == remark.author_id)).one() == member_email
        final = session.scalars(select(ConsensusFinalization).where(
            ConsensusFinalization.round_id == proposed.round_id)).one()
        assert (final.open_disagreements, final.note) == (1, NOTE)
        audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "review.consensus_finalized")).one()
        assert audit.after["acknowledged"] is True and audit.after["note"] == NOTE
        session.close()
