"""The web while its database is unavailable (issue 15 §6, "no 500 on any input"): 503 with Retry-After, a
Spanish page or the API's error envelope drawn without the database, one warning per outage and one line
when it is back. Here the SQLite file's directory goes away (a volume unmounted); with a real gunicorn and a
crashed PostgreSQL in tests/integration/test_web_outage.py. And the classifier on real driver errors."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engine.bootstrap import create_context
from engine.config import Settings
from engine.store import db
from engine.store.availability import Availability, unavailable
from engine.store.db import Database
from engine.workflow import views
from tests.pg import PostgresServer
from tests.pgbouncer import PgBouncer, pgbouncer_unavailable_reason
from tests.processes import free_port
from tests.web.conftest import add_staff, bearer, deploy_solicitud, sign_in
from web import create_app

OUTAGE_LOG = "engine.store.availability"


@pytest.fixture
def movable_app(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """The app on a SQLite file in a directory of its own, which the test can take away and put back."""
    volume = tmp_path / "volumen"
    volume.mkdir()
    shutil.copy(sqlite_template, volume / "phva.db")
    ctx = create_context(
        Settings(database_url=f"sqlite:///{volume / 'phva.db'}", instance_dir=tmp_path / "i")
    )
    deploy_solicitud(ctx)
    add_staff(ctx)
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx), volume
    ctx.db.dispose()


def test_sqlite_file_gone_answers_503_with_retry_after_and_logs_one_warning_then_recovers(
    movable_app: tuple[Flask, Path], caplog: pytest.LogCaptureFixture
) -> None:
    app, volume = movable_app
    ctx = app.extensions["phva"]
    page, api = app.test_client(), app.test_client()
    sign_in(page, "ana")
    token = bearer(ctx, "ana")
    assert page.get("/tareas").status_code == 200

    volume.rename(volume.with_name("desmontado"))
    ctx.db.dispose()  # as a restarted worker would: its pooled connections still hold the old file open
    caplog.set_level(logging.INFO)
    for _ in range(3):  # TESTING propagates any unhandled error: a 500 would raise here
        html = page.get("/tareas")
        assert html.status_code == 503
        assert html.headers["Retry-After"] == "5"
        assert html.headers["Cache-Control"] == "no-store"
        body = html.get_data(as_text=True)
        assert "Servicio no disponible" in body and "la base de datos no responde" in body
        assert "ana" not in body  # nothing of the signed-in user: drawn without loading them
        listed = api.get("/api/v1/tasks", headers=token)
        assert listed.status_code == 503 and listed.headers["Retry-After"] == "5"
        assert listed.json is not None and set(listed.json) == {"error", "details"}
        assert "la base de datos no responde" in listed.json["error"]
    modeler = api.get("/engine-rest/deployment", headers={"Authorization": token["Authorization"]})
    assert modeler.status_code == 503 and modeler.headers["Retry-After"] == "5"
    assert modeler.json is not None and modeler.json["type"] == "RestException"  # Camunda's error shape
    started = api.post("/api/v1/process-instances", headers=token, json={"process_key": "atender_solicitud"})
    assert started.status_code == 503
    assert started.json is not None and "no hayan quedado guardados" in started.json["error"]

    outage = [r for r in caplog.records if r.name == OUTAGE_LOG]
    assert [r.levelno for r in outage] == [logging.WARNING]
    assert "unable to open database file" in outage[0].getMessage()
    assert not any(r.exc_info for r in caplog.records) and not any(
        r.levelno >= logging.ERROR for r in caplog.records
    )

    volume.with_name("desmontado").rename(volume)
    assert page.get("/tareas").status_code == 200
    assert api.get("/api/v1/tasks", headers=token).status_code == 200
    outage = [r for r in caplog.records if r.name == OUTAGE_LOG]
    assert [r.levelno for r in outage] == [logging.WARNING, logging.INFO]
    assert "disponible de nuevo" in outage[1].getMessage() and "8 solicitud(es)" in outage[1].getMessage()


def test_an_error_that_is_not_an_outage_is_still_a_500(movable_app: tuple[Flask, Path]) -> None:
    app, _ = movable_app

    @app.get("/roto")
    def broken() -> str:
        raise ZeroDivisionError("no es la base de datos")

    with pytest.raises(ZeroDivisionError):  # TESTING: Flask hands it on, as it does to gunicorn's 500
        app.test_client().get("/roto")


# ---- the classifier, on errors the drivers really raise --------------------------------------------
def test_sqlite_unopenable_file_is_an_outage_and_a_lock_is_busy_and_integrity_is_neither(
    tmp_path: Path,
) -> None:
    gone = create_engine(f"sqlite:///{tmp_path / 'no-existe' / 'phva.db'}")
    with pytest.raises(DBAPIError) as opening:
        gone.connect()
    found = unavailable(opening.value)
    assert found is not None and found.outage and found.retry_after == 5

    path = tmp_path / "bloqueada.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")
    waiting = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with pytest.raises(DBAPIError) as locked, waiting.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    busy = unavailable(locked.value)
    assert busy is not None and not busy.outage and busy.retry_after == 2
    holder.execute("INSERT INTO t VALUES (1)")
    holder.execute("COMMIT")

    with pytest.raises(IntegrityError) as duplicate, waiting.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert unavailable(duplicate.value) is None
    assert unavailable(ValueError("database is locked")) is None  # only the drivers' errors count
    gone.dispose()
    waiting.dispose()
    holder.close()


@pytest.mark.postgres
def test_postgres_refused_terminated_and_starting_up_are_outages_constraint_errors_are_not(
    postgres_server: PostgresServer,
) -> None:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host="127.0.0.1", port=free_port(), user="postgres", connect_timeout=2)
    found = unavailable(refused.value)
    assert found is not None and found.outage

    url = postgres_server.fresh_database("clasificador")
    engine = create_engine(url)
    with engine.connect() as victim, engine.connect() as admin:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with pytest.raises(DBAPIError) as terminated:
            victim.execute(text("SELECT 1"))
        assert terminated.value.connection_invalidated
        found = unavailable(terminated.value)
        assert found is not None and found.outage
        assert "terminating connection" in found.reason

        admin.execute(text("CREATE TEMP TABLE u (id int PRIMARY KEY)"))
        admin.execute(text("INSERT INTO u VALUES (1)"))
        with pytest.raises(IntegrityError) as duplicate:
            admin.execute(text("INSERT INTO u VALUES (1)"))
        assert unavailable(duplicate.value) is None
        admin.rollback()
        with pytest.raises(DBAPIError) as cancelled:
            admin.execute(text("SET LOCAL statement_timeout = 10"))
            admin.execute(text("SELECT pg_sleep(1)"))
        assert unavailable(cancelled.value) is None  # a statement timeout is the statement's, not an outage
    engine.dispose()
    starting = psycopg.errors.CannotConnectNow("FATAL:  the database system is starting up")
    assert (found := unavailable(starting)) is not None and found.outage


def test_pgbouncer_with_no_server_to_give_is_an_outage(tmp_path: Path) -> None:
    """PgBouncer keeps a client waiting for a server connection up to its query_wait_timeout (120 s by
    default, past gunicorn's timeout: README says to lower it), then refuses it with its own error."""
    if pgbouncer_unavailable_reason():
        pytest.skip(pgbouncer_unavailable_reason() or "")
    nowhere = PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres", None, [])
    bouncer = PgBouncer(nowhere, query_wait_timeout=1)
    db = Database(bouncer.url_for("phva"), pgbouncer=True)
    try:
        with pytest.raises(DBAPIError) as refused, db.read() as session:
            session.execute(text("SELECT 1"))
        assert "query_wait_timeout" in str(refused.value)
        found = unavailable(refused.value)
        assert found is not None and found.outage and found.retry_after == 5
    finally:
        db.dispose()
        bouncer.stop()


def test_one_warning_per_outage_one_line_when_back_and_busy_at_most_once_a_minute(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    moment = [0.0]
    watch = Availability(monotonic=lambda: moment[0])
    gone = create_engine(f"sqlite:///{tmp_path / 'no-existe' / 'phva.db'}")
    with pytest.raises(DBAPIError) as opening:
        gone.connect()
    caplog.set_level(logging.INFO, OUTAGE_LOG)
    for second in range(10):
        moment[0] = float(second)
        assert watch.failed(opening.value) is not None
    watch.answered()
    watch.answered()
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert (
        "9.0 s después de la primera solicitud rechazada; 10 solicitud(es)" in caplog.records[1].getMessage()
    )
    assert watch.failed(ValueError("otra cosa")) is None

    caplog.clear()
    locked = sqlite3.OperationalError("database is locked")
    for second in (100, 110, 159, 161):
        moment[0] = float(second)
        watch.failed(locked)
    assert [r.getMessage().split(": ")[1][:1] for r in caplog.records] == ["1", "3"]  # counts per warning
    assert not watch.down
    gone.dispose()


def test_a_write_on_sqlite_locked_by_another_process_is_a_busy_503_and_changes_nothing(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock past the busy timeout: the database is busy, said as such
    with Retry-After, not a 409 "another user changed these data"."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    shutil.copy(sqlite_template, tmp_path / "phva.db")
    ctx = create_context(
        Settings(database_url=f"sqlite:///{tmp_path / 'phva.db'}", instance_dir=tmp_path / "i")
    )
    deploy_solicitud(ctx)
    add_staff(ctx)
    token = bearer(ctx, "ana")
    api = create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx).test_client()
    start = {
        "process_key": "atender_solicitud",
        "data": {"solicitante": "ana", "asunto": "Certificado", "tipo": "peticion"},
    }
    holder = sqlite3.connect(tmp_path / "phva.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        refused = api.post("/api/v1/process-instances", headers=token, json=start)
        assert refused.status_code == 503, refused.json
        assert refused.headers["Retry-After"] == "2"
        assert refused.json is not None and "no hayan quedado guardados" in refused.json["error"]
        assert "la base de datos está ocupada" in refused.json["error"]
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert views.instances(ctx) == []
    assert api.post("/api/v1/process-instances", headers=token, json=start).status_code == 201
    ctx.db.dispose()


@pytest.mark.postgres
def test_a_page_held_past_the_operators_lock_timeout_is_a_busy_503_then_answers(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """With `lock_timeout` set for phva's role (README), a dashboard page that meets its tables taken (by a
    rebuild after PHVA_SEMAFORO_AMARILLO changed, say) says the database is busy instead of hanging until
    gunicorn kills the worker; once the lock is gone the page answers."""
    url = postgres_server.fresh_database("bloqueado")
    ctx = create_context(
        Settings(database_url=f"{url}?options=-c%20lock_timeout%3D300", instance_dir=tmp_path / "i")
    )
    add_staff(ctx)
    client = create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx).test_client()
    sign_in(client, "sara")
    assert client.get("/supervision").status_code == 200
    holder = create_engine(url)
    with holder.connect() as conn:
        conn.execute(text("LOCK TABLE supervision_counts, supervision_items IN ACCESS EXCLUSIVE MODE"))
        held = client.get("/supervision")
        assert held.status_code == 503 and held.headers["Retry-After"] == "2"
        assert "Traceback" not in held.get_data(as_text=True)
        assert "la base de datos está ocupada" in held.get_data(as_text=True)
        conn.rollback()
    assert client.get("/supervision").status_code == 200
    holder.dispose()
    ctx.db.dispose()
