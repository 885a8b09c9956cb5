"""Alembic is the only way the schema is made: upgrade head must equal the models, and downgrade must work."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
