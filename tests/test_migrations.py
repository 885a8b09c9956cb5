"""Alembic is the only way the schema is made: upgrade head must equal the models, and downgrade must work."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from award import migrate
from award.db import create_db_engine
from award.models import metadata


def test_single_head():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_upgrade_head_yields_the_models_schema_and_downgrade_base_empties_it(new_database_url):
    url = new_database_url()
    migrate.upgrade(url, "head")
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        assert differences == []
        assert migrate.current_revision(engine) == migrate.head_revision()

        migrate.downgrade(url, "base")
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()


def test_existing_rounds_keep_counting_what_their_rankings_showed(new_database_url, app):
    """0074: a round holding a consensus counts it (the consensus used to replace the sheets' scores);
    every other round counts its independent sheets. The rounds' panels and consensus stay: on SQLite
    the column is added in place, since copying review_rounds would cascade into them."""
    from decimal import Decimal

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from award.applications.models import Application, ApplicationStatus
    from award.auth.models import Role
    from award.rounds.models import Assignment, AssignmentSource, ReviewRound, RoundKind, RoundStatus
    from award.scoring.models import ConsensusScore
    from tests.conftest import cycle_factory, organization_factory, user_factory

    url = new_database_url()
    migrate.upgrade(url, "head")
    engine = create_db_engine(url)
    try:
        with app.app_context(), Session(engine) as session:
            make_organization = organization_factory(session)
            cycle = cycle_factory(session)(onsite_review=True)
            expert = user_factory(session, make_organization)(Role.EXPERT)
            organization = make_organization()
            application = Application(cycle_id=cycle.id, organization_id=organization.id,
                                      status=ApplicationStatus.ELIGIBLE, org_name=organization.name)
            agreed = ReviewRound(cycle_id=cycle.id, kind=RoundKind.ONSITE, status=RoundStatus.CLOSED)
            plain = ReviewRound(cycle_id=cycle.id, kind=RoundKind.DOCUMENT, status=RoundStatus.CLOSED)
            session.add_all([application, agreed, plain])
            session.flush()
            session.add(ConsensusScore(round_id=agreed.id, application_id=application.id, item_id="4.1.2",
                                       percent=60, points=Decimal("30"), proposed_by_id=expert.id))
            session.add(Assignment(round_id=agreed.id, application_id=application.id, expert_id=expert.id,
                                   source=AssignmentSource.MANUAL))
            session.commit()
            ids = {"agreed": agreed.id, "plain": plain.id}
        migrate.downgrade(url, "0073_notice_chain_anchors")
        migrate.upgrade(url, "head")
        with engine.connect() as connection:
            counts = dict(connection.execute(text("SELECT id, counts FROM review_rounds")).all())
            kept = [connection.scalar(text(f"SELECT count(*) FROM {table}"))
                    for table in ("assignments", "consensus_scores")]
            with pytest.raises(IntegrityError):  # the enum's CHECK holds on both databases
                connection.execute(text("UPDATE review_rounds SET counts = 'median'"))
        assert counts == {ids["agreed"]: "consensus", ids["plain"]: "independent"}
        assert kept == [1, 1]
    finally:
        engine.dispose()


def test_existing_cycles_get_the_procedure_they_ran_and_votes_survive(new_database_url):
    """0088: each cycle's procedure is today's shape (on-site per its flag, weights per its ranking
    settings); existing votes and their ballots are the leading group's and stay; the new stages fit."""
    import json

    from sqlalchemy import text

    url = new_database_url()
    migrate.upgrade(url, "0085_stored_files")
    engine = create_db_engine(url)
    now = "2026-12-01 08:00:00"
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO users (id, email, full_name, phone, role, password_hash, is_enabled, locale, "
                           "created_at) VALUES (1, 'l@x.cn', 'L', '', 'leader', 'x', true, 'zh_CN', :now)"),
                      {"now": now})
            for cycle_id, onsite in ((1, False), (2, True), (3, True)):
                c.execute(text("INSERT INTO cycles (id, year, title, stage, rubric_key, rubric_text, rubric_hash, "
                               "awards_count, cutoff_score, experts_per_application, onsite_review, eligibility, "
                               "created_at, award_settings) VALUES (:id, 2026, :title, 'approval', 'r', '', 'h', 3, "
                               "600, 5, :onsite, '{}', :now, '{}')"),
                          {"id": cycle_id, "title": f"c{cycle_id}", "onsite": onsite, "now": now})
            c.execute(text("INSERT INTO ranking_settings (cycle_id, combine_mode, onsite_weight, sector_limits, "
                           "min_sheets_for_leniency) VALUES (3, 'weighted', 0.3, '{}', 5)"))
            c.execute(text("INSERT INTO ranking_snapshots (id, cycle_id, version, method, cutoff_score, awards_count,"
                           " frozen_at, settings, content_hash) VALUES (1, 1, 1, 'mean', 600, 3, :now, '{}', 'h')"),
                      {"now": now})
            c.execute(text("INSERT INTO vote_sessions (id, cycle_id, snapshot_id, opened_at, closes_at, blinded, "
                           "rule) VALUES (1, 1, 1, :now, '2026-12-09 08:00:00', false, '{}')"), {"now": now})
            c.execute(text("INSERT INTO vote_members (session_id, leader_id) VALUES (1, 1)"))
        migrate.upgrade(url, "head")
        with engine.begin() as c:
            procedures = {i: json.loads(p) if isinstance(p, str) else p
                          for i, p in c.execute(text("SELECT id, procedure FROM cycles")).all()}
            votes = c.execute(text("SELECT id, body FROM vote_sessions")).all()
            members = c.scalar(text("SELECT count(*) FROM vote_members"))
            c.execute(text("UPDATE cycles SET stage = 'social_evaluation' WHERE id = 2"))
            c.execute(text("INSERT INTO vote_sessions (id, cycle_id, snapshot_id, opened_at, closes_at, blinded, "
                           "rule, body) VALUES (2, 1, 1, :now, '2026-12-09 08:00:00', false, '{}', 'committee')"),
                      {"now": now})
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text("UPDATE cycles SET stage = 'voting' WHERE id = 2"))
        assert procedures[1] == {"steps": ["screening", "document_review", "leading_group", "notice", "award"],
                                 "weights": {"document_review": "1"}, "combine": "weighted"}
        assert procedures[2]["steps"][2] == "onsite_review" and procedures[2]["combine"] == "replace"
        assert procedures[3]["weights"] == {"document_review": "0.700", "onsite_review": "0.300"}
        assert votes == [(1, "leading_group")] and members == 1
        migrate.downgrade(url, "0085_stored_files")
        with engine.begin() as c:
            assert c.scalar(text("SELECT count(*) FROM vote_sessions")) == 1
            assert c.scalar(text("SELECT count(*) FROM vote_members")) == 1
            assert c.scalar(text("SELECT stage FROM cycles WHERE id = 2")) == "deliberation"
    finally:
        engine.dispose()


def test_existing_cycles_and_awards_keep_one_level_and_are_award_cycles(new_database_url, app):
    """0090: an existing cycle is an award cycle with no levels; its awards, notice candidates and shortlist
    entries keep their rows with no level (one level, the cycle's quota and cut-off). On SQLite the
    columns are added in place, so nothing that hangs on a cycle is copied or cascaded."""
    import datetime as dt

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from award.applications.models import Application, ApplicationStatus
    from award.awards.models import Award
    from award.cycles.models import Stage
    from tests.conftest import cycle_factory, organization_factory

    url = new_database_url()
    migrate.upgrade(url, "head")
    engine = create_db_engine(url)
    try:
        with app.app_context(), Session(engine) as session:
            organization = organization_factory(session)()
            cycle = cycle_factory(session)(stage=Stage.AWARDED)
            application = Application(cycle_id=cycle.id, organization_id=organization.id,
                                      status=ApplicationStatus.ELIGIBLE, org_name=organization.name)
            session.add(application)
            session.flush()
            session.add(Award(cycle_id=cycle.id, application_id=application.id, organization_id=organization.id,
                              organization_name=organization.name, title="市长质量奖", awarded_on=dt.date(2025, 1, 1),
                              valid_until=dt.date(2028, 12, 31), certificate_number="2025-ABCDEFGH-J"))
            session.commit()
        migrate.downgrade(url, "0089_visits_social")
        migrate.upgrade(url, "head")
        with engine.connect() as connection:
            kinds = connection.execute(text("SELECT kind FROM cycles")).scalars().all()
            levels = connection.execute(text("SELECT level FROM awards")).scalars().all()
            with pytest.raises(IntegrityError):  # the kind's CHECK holds on both databases
                connection.execute(text("UPDATE cycles SET kind = 'other'"))
        assert kinds == ["award"] and levels == [None]
    finally:
        engine.dispose()
