"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.store.db import Database
from engine.store.metadata import metadata
from engine.store.schema import current_revision, head_revision, upgrade
from tests.conftest import IN_CI, make_empty_database_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return Database(make_empty_database_url(request.param, request, tmp_path))


def test_migrations_create_the_schema_of_the_models_and_rerun_harmlessly(empty_db: Database) -> None:
    upgrade(empty_db)
    upgrade(empty_db)  # `phva init` is idempotent
    assert current_revision(empty_db) == head_revision(empty_db)
    with empty_db.write_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"
    empty_db.dispose()


def test_ci_runs_postgres_tests() -> None:
    if IN_CI:
        assert "PHVA_SKIP_POSTGRES" not in __import__("os").environ


def test_upgrading_to_waits_flags_keeps_existing_timers_visible(empty_db: Database) -> None:
    """Instances saved before revision 0003 keep their timers and messages found by the next save."""
    from alembic import command
    from sqlalchemy import text

    from engine.store.schema import alembic_config

    config = alembic_config(empty_db.url)
    with empty_db.write_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(
            text(
                "INSERT INTO deployments (id, created_at, files, summary) VALUES (1, '2026-03-02 13:00:00', '[]', '{}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO process_definitions (id, deployment_id, key, version, name, file, content_hash, spec_json,"
                " sources, properties, form_refs, deployed_at) VALUES (1, 1, 'p', 1, 'p', 'p.bpmn', 'h', '{}', '[]',"
                " '{}', '[]', '2026-03-02 13:00:00')"
            )
        )
        for iid in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO process_instances (id, definition_id, process_key, version, status, state, row_version,"
                    f" completed_activities, started_at, updated_at) VALUES ({iid}, 1, 'p', 1, 'running', '{{}}', 1,"
                    " '[]', '2026-03-02 13:00:00', '2026-03-02 13:00:00')"
                )
            )
        conn.execute(
            text(
                "INSERT INTO timers (instance_id, spiff_id, bpmn_id, kind, timer_type, interrupting, due_at, status,"
                " created_at, attempts) VALUES (1, 'x', 't', 'boundary', 'duration', true, '2026-03-03 13:00:00',"
                " 'waiting', '2026-03-02 13:00:00', 0)"
            )
        )
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()
        flags = dict(conn.execute(text("SELECT id, waits FROM process_instances ORDER BY id")).all())
    assert flags == {1: 1, 2: 0}
    empty_db.dispose()


def test_upgrading_to_group_rows_lists_every_users_groups(empty_db: Database) -> None:
    """Users stored before revision 0024 are found by their groups' notices: their membership rows are
    written from their lists."""
    from alembic import command
    from sqlalchemy import text

    from engine.store.schema import alembic_config

    config = alembic_config(empty_db.url)
    with empty_db.write_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0023")
        for uid, name, groups in (
            (1, "ana", '["planeacion", "juridica"]'),
            (2, "beto", "[]"),
            (3, "carla", '["juridica"]'),
        ):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, roles, groups, active, created_at, "
                    "session_version) VALUES (:i, :n, :n, '[]', :g, true, '2026-03-02 13:00:00', 0)"
                ),
                {"i": uid, "n": name, "g": groups},
            )
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()
        rows = sorted(tuple(r) for r in conn.execute(text("SELECT group_code, user_id FROM user_groups")))
    assert rows == [("juridica", 1), ("juridica", 3), ("planeacion", 1)]
    empty_db.dispose()
