"""The leading group's vote on a frozen shortlist: the session, its members, candidates, ballots, outcome.

One vote per cycle and body (the review committee, the leading group: the procedure says which).
The electorate (the enabled leaders when the vote opened) and the candidates
(the snapshot's shortlist) are fixed at opening, so a leader added later cannot tip a vote and the
tally's base is known. Composite foreign keys make the database refuse a ballot from a non-member
or on a non-candidate; the unique triple refuses a second ballot.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from award.auth.models import User, enum_column
from award.cycles.models import Cycle
from award.db import Base, UTCDateTime, utcnow


class Choice(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ABSTAIN = "abstain"


class VoteBody(enum.StrEnum):
    """Who votes: the review committee (评委会审议) or the leading group (领导小组审定); the same machinery."""

    COMMITTEE = "committee"
    LEADING_GROUP = "leading_group"


class VoteSession(Base):
    __tablename__ = "vote_sessions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "body"),
        CheckConstraint("closes_at > opened_at", name="closes_after_opening"),
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("ranking_snapshots.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the announced deadline
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    blinded: Mapped[bool] = mapped_column(Boolean, default=False)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)  # rules.VoteRule, frozen at opening
    body: Mapped[VoteBody] = mapped_column(enum_column(VoteBody, "vote_body"), default=VoteBody.LEADING_GROUP)

    cycle: Mapped[Cycle] = relationship()
    members: Mapped[list[VoteMember]] = relationship(cascade="all, delete-orphan", order_by="VoteMember.id")
    candidates: Mapped[list[VoteCandidate]] = relationship(
        cascade="all, delete-orphan", order_by="VoteCandidate.position"
    )

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class VoteMember(Base):
    """A leading-group member entitled to vote in this session."""

    __tablename__ = "vote_members"
    __table_args__ = (UniqueConstraint("session_id", "leader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    leader: Mapped[User] = relationship()


class VoteCandidate(Base):
    """One shortlisted application on the ballot, with its code for the blinded mode."""

    __tablename__ = "vote_candidates"
    __table_args__ = (
        UniqueConstraint("session_id", "application_id"),
        UniqueConstraint("session_id", "code"),
        UniqueConstraint("session_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("shortlist_entries.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8))  # "C01", "C02", ... in a random order per session

    entry = relationship("ShortlistEntry", lazy="joined")  # the ballot shows every figure


class Ballot(Base):
    """One leader's vote on one candidate. Cast once; never changed."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("session_id", "leader_id", "application_id"),
        ForeignKeyConstraint(["session_id", "leader_id"], ["vote_members.session_id", "vote_members.leader_id"],
                             name="fk_ballots_member_vote_members", ondelete="CASCADE"),
        ForeignKeyConstraint(["session_id", "application_id"],
                             ["vote_candidates.session_id", "vote_candidates.application_id"],
                             name="fk_ballots_candidate_vote_candidates", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    choice: Mapped[Choice] = mapped_column(enum_column(Choice, "choice"))
    comment: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VoteOutcome(Base):
    """The computed result per candidate, recorded when the office closes the vote."""

    __tablename__ = "vote_outcomes"
    __table_args__ = (
        UniqueConstraint("session_id", "application_id"),
        CheckConstraint("approve >= 0 AND reject >= 0 AND abstain >= 0", name="counts_not_negative"),
        CheckConstraint("approve + reject + abstain <= members", name="votes_within_members"),
        CheckConstraint("quorum_met OR NOT passed", name="passed_needs_quorum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    members: Mapped[int] = mapped_column(Integer)
    approve: Mapped[int] = mapped_column(Integer)
    reject: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    quorum_met: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)

    @property
    def voted(self) -> int:
        return self.approve + self.reject + self.abstain
