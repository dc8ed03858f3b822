"""Fixtures: a fresh real database per test — SQLite file, or PostgreSQL (throwaway cluster or PHVA_TEST_DATABASE_URL)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.store.db import Database
from engine.store.metadata import metadata
from tests.pg import PostgresServer, postgres_unavailable_reason
from tests.smtp_server import start_server  # noqa: F401  (fixture: a real SMTP server)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data")
IN_CI = os.environ.get("CI", "").lower() == "true"
_counter = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    metadata.create_all(db.write_engine)  # migrations are checked against the models in test_schema.py
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    url = os.environ.get("PHVA_TEST_DATABASE_URL")
    if url:
        server = PostgresServer.external(url)
    else:
        reason = postgres_unavailable_reason()
        if reason:
            if IN_CI:
                pytest.fail(f"PostgreSQL tests must run in CI: {reason}")
            pytest.skip(reason)
        server = PostgresServer.start()
    template = Database(server.url_for(server.template_name))
    metadata.create_all(template.write_engine)
    template.dispose()
    yield server
    server.stop()


def make_database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        target = tmp_path / "phva.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.fresh_database(f"t{os.getpid()}_{next(_counter)}")


def make_empty_database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, for tests of `phva init` and the migrations."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.empty_database(f"e{os.getpid()}_{next(_counter)}")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))  # Monday 08:00 in Bogotá


def build_context(url: str, tmp_path: Path, clock: FrozenClock) -> Context:
    settings = Settings(database_url=url, instance_dir=tmp_path / "instance")
    return create_context(settings, clock=clock)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Context]:
    """An engine context on a fresh database, once per backend."""
    context = build_context(make_database_url(request.param, request, tmp_path), tmp_path, clock)
    yield context
    context.db.dispose()


@pytest.fixture
def worker(ctx: Context) -> Iterator[Callable[[], Context]]:
    """`worker()` is a new engine context on the same database, as another web worker or scheduler would
    be: no spec or state cached in memory."""
    made: list[Context] = []

    def new() -> Context:
        made.append(create_context(ctx.settings, clock=ctx.clock))
        return made[-1]

    yield new
    for context in made:
        context.db.dispose()


@pytest.fixture
def sqlite_ctx(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Context]:
    context = build_context(make_database_url("sqlite", request, tmp_path), tmp_path, clock)
    yield context
    context.db.dispose()


@pytest.fixture
def pg_ctx(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Context]:
    """PostgreSQL only: for behaviour that needs its row locks."""
    context = build_context(make_database_url("postgres", request, tmp_path), tmp_path, clock)
    yield context
    context.db.dispose()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Tests hash hundreds of passwords; production cost stays in users._SCRYPT (hashes carry their cost)."""
    from engine.identity import users

    production = dict(users._SCRYPT)
    users._SCRYPT.update(n=2**8)
    yield
    users._SCRYPT.update(production)
