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
