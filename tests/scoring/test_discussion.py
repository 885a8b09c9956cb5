"""Consensus as a discussion: members agree, disagree with a reason or comment, per item or on the
whole, in entries that are never changed (the latest counts); the team leader sees the open
disagreements and finalizes, acknowledging them with a note. The services are the guard."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from award.audit.models import AuditRecord
from award.auth.models import Role
from award.cycles.services import cycle_rubric
from award.errors import Conflict, Invalid, NotAllowed
from award.limits import REMARK_MAX_CHARS
from award.notifications.kinds import Kind
from award.notifications.models import Notification
from award.rounds.models import AssignmentStatus, CountedRecord, RoundStatus
from award.scoring import discussion
from award.scoring import services as scoring
from award.scoring.models import ConsensusRemark, RemarkKind
from award.scoring.progress import missing_consensus
from award.scoring.services import ConsensusEntry
from tests.rounds.factories import *  # noqa: F403 (fixtures)
from tests.rounds.factories import full_entries

AGREE, DISAGREE, COMMENT = RemarkKind.AGREE, RemarkKind.DISAGREE, RemarkKind.COMMENT


@pytest.fixture
def world(review_world):
    return review_world(experts=6, opened=True)


def submit_all(db, world):
    panel = world.panel(db, world.applications[0])
    for member in panel:
        scoring.sign_pledge(db, actor=member.expert, assignment=member)
        scoring.submit_sheet(db, actor=member.expert, assignment=member, expected_version=1,
                             entries=full_entries(world.cycle, percent_of=lambda item: 50))
    return panel


def propose(db, world, panel):
    leader = next(m for m in panel if m.is_leader)
    scoring.propose_consensus(db, actor=leader.expert, review_round=world.review_round,
                              application=world.applications[0],
                              proposals={i.id: ConsensusEntry(percent=50) for i in cycle_rubric(world.cycle).items})
    return leader


@pytest.fixture
def proposed(db, world):
    panel = submit_all(db, world)
    leader = propose(db, world, panel)
    members = [m for m in panel if not m.is_leader]
    return panel, leader, members


def remark(db, world, who, kind, item_id=None, text=""):
    return discussion.add_remark(db, actor=who, review_round=world.review_round, application=world.applications[0],
                                 kind=kind, item_id=item_id, text=text)


def finalize(db, world, who, **kwargs):
    return discussion.finalize_consensus(db, actor=who, review_round=world.review_round,
                                         application=world.applications[0], **kwargs)


def written(db) -> tuple[int, int]:
    return (db.scalar(select(func.count()).select_from(ConsensusRemark)),
            db.scalar(select(func.count()).select_from(AuditRecord)))


def open_items(db, world):
    remarks = discussion.remarks_of(db, world.review_round, world.applications[0].id)
    panel = scoring.panel_members(db, world.review_round, world.applications[0].id)
    return sorted((d.member.expert_id, d.remark.item_id or "") for d in discussion.open_disagreements(remarks, panel))


# ----------------------------------------------------------------------------- entries


def test_a_disagreement_is_a_row_withdraws_the_confirmation_and_tells_the_rest_of_the_panel(db, world, proposed):
    panel, leader, members = proposed
    scoring.confirm_consensus(db, actor=members[0].expert, review_round=world.review_round,
                              application=world.applications[0])
    entry = remark(db, world, members[0].expert, DISAGREE, "4.7.2", "  市场占有率数据缺少第三方来源  ")
    assert (entry.kind, entry.item_id, entry.text, entry.author_id) == (
        DISAGREE, "4.7.2", "市场占有率数据缺少第三方来源", members[0].expert_id)
    assert members[0].expert_id not in scoring.confirmed_by(db, world.review_round, world.applications[0].id)
    told = db.scalars(select(Notification.user_id).where(
        Notification.kind == Kind.CONSENSUS_DISAGREEMENT.value)).all()
    assert sorted(told) == sorted(m.expert_id for m in panel if m is not members[0])
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "review.consensus_remark")).all()[-1]
    assert audit.after["kind"] == "disagree" and audit.after["item_id"] == "4.7.2"


@pytest.mark.parametrize(("kind", "text", "code"), [
    (DISAGREE, "", "reason_required"),
    (DISAGREE, " \n\t ", "reason_required"),
    (COMMENT, "   ", "text_required"),
    (COMMENT, "x" * (REMARK_MAX_CHARS + 1), "too_long"),
    (DISAGREE, "理由\x00", "bad_text"),
])
def test_bad_input_is_refused_and_nothing_is_written(db, world, proposed, kind, text, code):
    _panel, _leader, members = proposed
    before = written(db)
    with pytest.raises(Invalid) as refused:
        remark(db, world, members[0].expert, kind, "4.1.2", text)
    assert refused.value.code == code
    assert written(db) == before


def test_an_unknown_item_is_refused(db, world, proposed):
    with pytest.raises(Invalid) as refused:
        remark(db, world, proposed[2][0].expert, COMMENT, "9.9.9", "?")
    assert refused.value.code == "unknown_item"


def test_at_the_limit_the_text_is_taken(db, world, proposed):
    entry = remark(db, world, proposed[2][0].expert, COMMENT, None, "好" * REMARK_MAX_CHARS)
    assert len(entry.text) == REMARK_MAX_CHARS


@pytest.mark.parametrize("who", ["office", "off_panel_expert", "removed_member"])
def test_only_active_members_of_the_panel_take_part(db, world, proposed, who):
    _panel, _leader, members = proposed
    if who == "office":
        actor = world.office
    elif who == "off_panel_expert":
        seated = {m.expert_id for m in proposed[0]}
        actor = next(e for e in world.experts if e.id not in seated)
        assert actor.role is Role.EXPERT
    else:
        members[-1].status = AssignmentStatus.REMOVED
        db.flush()
        actor = members[-1].expert
    before = written(db)
    with pytest.raises(NotAllowed):
        remark(db, world, actor, COMMENT, None, "看法")
    with pytest.raises(NotAllowed):
        finalize(db, world, actor)
    assert written(db) == before


def test_nothing_before_every_sheet_is_in(db, world):
    panel = world.panel(db, world.applications[0])
    scoring.sign_pledge(db, actor=panel[1].expert, assignment=panel[1])
    with pytest.raises(Conflict) as refused:
        remark(db, world, panel[1].expert, COMMENT, None, "我先说两句")
    assert refused.value.code == "sheets_missing"


def test_nothing_once_the_round_is_closed(db, world, proposed):
    world.review_round.status = RoundStatus.CLOSED
    with pytest.raises(Conflict) as refused:
        remark(db, world, proposed[2][0].expert, COMMENT, None, "补充")
    assert refused.value.code == "round_not_open"
    with pytest.raises(Conflict):
        finalize(db, world, proposed[1].expert)


def test_comments_before_a_proposal_but_positions_only_on_one(db, world):
    panel = submit_all(db, world)
    member = next(m for m in panel if not m.is_leader)
    remark(db, world, member.expert, COMMENT, "4.1.2", "建议组长参考现场记录")
    with pytest.raises(Conflict) as refused:
        remark(db, world, member.expert, AGREE)
    assert refused.value.code == "no_consensus"


def test_the_leader_comments_but_takes_no_position_on_the_own_proposal(db, world, proposed):
    _panel, leader, _members = proposed
    remark(db, world, leader.expert, COMMENT, "4.7.2", "已按现场核实调整")
    with pytest.raises(Invalid) as refused:
        remark(db, world, leader.expert, DISAGREE, "4.7.2", "自相矛盾")
    assert refused.value.code == "leader_position"


# ----------------------------------------------------------------------------- the latest counts


def test_the_latest_position_counts_per_item(db, world, proposed):
    _panel, _leader, members = proposed
    a, b = members[0].expert, members[1].expert
    remark(db, world, a, DISAGREE, "4.7.2", "偏高")
    remark(db, world, a, DISAGREE, "4.1.2", "偏低")
    remark(db, world, b, DISAGREE, None, "整体偏高")
    remark(db, world, a, COMMENT, "4.7.2", "补充说明")  # a comment is no position
    assert open_items(db, world) == sorted([(a.id, "4.7.2"), (a.id, "4.1.2"), (b.id, "")])
    remark(db, world, a, AGREE, "4.7.2")
    assert open_items(db, world) == sorted([(a.id, "4.1.2"), (b.id, "")])
    remark(db, world, b, AGREE, None)  # the whole: settles b's, and confirms again
    assert open_items(db, world) == [(a.id, "4.1.2")]
    assert b.id in scoring.confirmed_by(db, world.review_round, world.applications[0].id)
    assert len(discussion.remarks_of(db, world.review_round, world.applications[0].id)) == 6  # nothing replaced


def test_anonymous_letters_follow_the_order_of_first_entry():
    rows = [ConsensusRemark(author_id=author) for author in (7, 3, 7, 9, 3)]
    assert discussion.anonymous_labels(rows) == {7: "专家 A", 3: "专家 B", 9: "专家 C"}


# ----------------------------------------------------------------------------- finalizing


def test_only_the_leader_finalizes(db, world, proposed):
    with pytest.raises(NotAllowed):
        finalize(db, world, proposed[2][0].expert)


def test_no_finalizing_without_a_proposal(db, world):
    panel = submit_all(db, world)
    leader = next(m for m in panel if m.is_leader)
    with pytest.raises(Conflict) as refused:
        finalize(db, world, leader.expert)
    assert refused.value.code == "no_consensus"


def test_open_disagreements_need_an_acknowledgement_and_a_note(db, world, proposed):
    _panel, leader, members = proposed
    world.review_round.counts = CountedRecord.CONSENSUS
    remark(db, world, members[0].expert, DISAGREE, "4.7.2", "缺少第三方数据")
    before = written(db)
    with pytest.raises(Conflict) as refused:
        finalize(db, world, leader.expert, note="已讨论")
    assert refused.value.code == "disagreements_open"
    with pytest.raises(Invalid) as refused:
        finalize(db, world, leader.expert, acknowledge=True, note="   ")
    assert refused.value.code == "note_required"
    assert written(db) == before
    assert discussion.finalization_of(db, world.review_round, world.applications[0].id) is None
    assert missing_consensus(db, world.review_round) == [world.applications[0].id]

    final = finalize(db, world, leader.expert, acknowledge=True, note=" 现场复核后维持原分 ")
    assert (final.open_disagreements, final.note) == (1, "现场复核后维持原分")
    audit = db.scalars(select(AuditRecord).where(AuditRecord.action == "review.consensus_finalized")).one()
    assert audit.after["acknowledged"] is True and audit.after["note"] == "现场复核后维持原分"
    assert [d["item_id"] for d in audit.after["open_disagreements"]] == ["4.7.2"]
    assert scoring.consensus_agreed(db, world.review_round, world.applications[0].id)
    assert missing_consensus(db, world.review_round) == []


def test_without_open_disagreements_no_acknowledgement_is_needed(db, world, proposed):
    _panel, leader, members = proposed
    remark(db, world, members[0].expert, DISAGREE, "4.7.2", "偏高")
    remark(db, world, members[0].expert, AGREE, "4.7.2", "组长解释后同意")
    final = finalize(db, world, leader.expert, note="ignored without disagreements")
    assert (final.open_disagreements, final.note) == (0, "")


def test_a_final_consensus_closes_the_discussion_until_a_new_proposal(db, world, proposed):
    panel, leader, members = proposed
    finalize(db, world, leader.expert)
    with pytest.raises(Conflict) as refused:
        remark(db, world, members[0].expert, COMMENT, None, "晚了")
    assert refused.value.code == "consensus_final"
    with pytest.raises(Conflict):
        finalize(db, world, leader.expert)
    with pytest.raises(Conflict):
        scoring.confirm_consensus(db, actor=members[0].expert, review_round=world.review_round,
                                  application=world.applications[0])
    propose(db, world, panel)  # a new proposal reopens it; the thread stays
    assert discussion.finalization_of(db, world.review_round, world.applications[0].id) is None
    remark(db, world, members[0].expert, AGREE)


def test_confirming_is_an_overall_agreement_in_the_thread(db, world, proposed):
    _panel, _leader, members = proposed
    scoring.confirm_consensus(db, actor=members[0].expert, review_round=world.review_round,
                              application=world.applications[0])
    [entry] = discussion.remarks_of(db, world.review_round, world.applications[0].id)
    assert (entry.kind, entry.item_id, entry.author_id) == (AGREE, None, members[0].expert_id)
