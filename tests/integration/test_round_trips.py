"""Issue 16 §2: a task completion on PostgreSQL in at most five round trips, counted on the wire.

One joined read (task, instance locked, draft, user), the writes pipelined behind it, no pre-ping per checkout
(a killed connection or a restarted server is survived all the same), and the user behind a bearer token or a
session kept in process a few seconds, forgotten at once when this process revokes or ends it.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bench.complete_task import FIVE
from engine.bootstrap import create_context
from engine.clock import FrozenClock, SystemClock
from engine.config import Settings
from engine.context import Context
from engine.errors import Conflict
from engine.identity import users
from engine.mail.smtp import SmtpSettings
from engine.modeling.definitions import SourceFile
from engine.notifications import events, preferences
from engine.store.tables import AuditEvent, Task
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, start_forms, task_pages, tasks, timers, views
from engine.workflow.views import TaskFilter
from tests.pg import PostgresServer
from tests.roundtrips import RoundTripProxy
from tests.sql_count import counting

pytestmark = pytest.mark.postgres
MAX_ROUND_TRIPS = 3  # the joined read, the new task's INSERT … RETURNING, the COMMIT (the rest queued)
MAX_FIRING_ROUND_TRIPS = (
    18  # measured with limit=1 (a batch of one): 18; 17 before the pre-claim had its commit
)
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DATA = {"nota": "revisado", "seguir": True}
Wired = tuple[Context, RoundTripProxy, PostgresServer]


def _context(url: str, **settings: float) -> Context:
    base = Settings(database_url=url, instance_dir=Path(tempfile.mkdtemp()))
    return create_context(Settings(**{**base.__dict__, **settings}), clock=SystemClock())


@pytest.fixture
def wired(postgres_server: PostgresServer) -> Iterator[Wired]:
    proxy = RoundTripProxy(postgres_server.fresh_database(f"rt{time.monotonic_ns()}"))
    ctx = _context(proxy.url)
    outcome = deployments.deploy(ctx, [SourceFile("cinco.bpmn", FIVE.encode())])
    assert outcome.report.ok, outcome.report.format()
    users.add_user(ctx, "bench", groups="bench")
    yield ctx, proxy, postgres_server
    ctx.db.dispose()
    proxy.close()


def _open_task(ctx: Context, instance_id: int | None = None) -> tuple[int, int]:
    if instance_id is None:
        instance_id = instances.start_process(ctx, "cinco").id
    items, _ = views.tasks(ctx, TaskFilter(see_all=True, instance_id=instance_id))
    return instance_id, int(items[0]["id"])


def _names(ctx: Context, instance_id: int) -> list[tuple[str, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(Task.name, Task.state).where(Task.instance_id == instance_id).order_by(Task.id)
        return [(n, s) for n, s in uow.session.execute(query)]


def test_a_completion_takes_at_most_three_round_trips_and_writes_everything(wired: Wired) -> None:
    ctx, proxy, _ = wired
    instance_id, first = _open_task(ctx)
    tasks.complete_task(ctx, first, "bench", DATA)  # warm: the spec cache and a pooled connection
    _, task_id = _open_task(ctx, instance_id)
    proxy.reset()
    with counting(ctx.db) as count:
        done = tasks.complete_task(ctx, task_id, "bench", DATA)
    assert proxy.connections == 0, "no new connection"
    assert proxy.round_trips <= MAX_ROUND_TRIPS, f"{proxy.round_trips} round trips for {count}"
    assert count.commits == 1 and count.write_transactions == 1, count
    assert len(count.statements) <= 7, count  # the group's notices: one INSERT … SELECT, no recipients query
    assert not any(s.startswith("SELECT users") for s in count.statements), count
    assert done.status == "running"
    assert _names(ctx, instance_id) == [
        ("Paso 0", "completed"), ("Paso 1", "completed"), ("Paso 2", "ready"),
    ]  # fmt: skip
    with UnitOfWork(ctx.db, write=False) as uow:
        audited = uow.session.scalar(
            select(func.count()).where(AuditEvent.task_id == task_id, AuditEvent.action == "task_completed")
        )
    assert audited == 1


def test_a_start_takes_at_most_four_round_trips(wired: Wired) -> None:
    """The instance row is one INSERT with its state (no UPDATE after it), and the group task's notices one
    INSERT … SELECT (no query for the members first): 5 round trips and 8 statements before."""
    ctx, proxy, _ = wired
    instances.start_process(ctx, "cinco")
    proxy.reset()
    with counting(ctx.db) as count:
        started = instances.start_process(ctx, "cinco")
    assert proxy.round_trips <= 4, f"{proxy.round_trips} round trips for {count}"
    assert len(count.statements) <= 6, count
    assert not any(s.startswith(("UPDATE process_instances", "SELECT users")) for s in count.statements), (
        count
    )
    assert _names(ctx, started.id) == [("Paso 0", "ready")]
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.execute(
            text("SELECT status, row_version, state <> '{}' FROM process_instances WHERE id = :i"),
            {"i": started.id},
        ).one()
        notices = uow.session.execute(
            text("SELECT recipient FROM notifications WHERE instance_id = :i"), {"i": started.id}
        ).all()
    assert tuple(row) == ("running", 2, True)  # as the INSERT and the UPDATE left it
    assert [n for (n,) in notices] == ["bench"]


def test_a_start_with_mail_on_still_takes_four_round_trips(wired: Wired) -> None:
    """Mail on, the group task's outbox rows are an INSERT … SELECT too: queued, no query for the members."""
    ctx, proxy, _ = wired
    ctx.mail = SmtpSettings(host="127.0.0.1", port=2525, sender="phva@entidad.gov.co")
    users.add_user(ctx, "correo", groups="bench", email="correo@entidad.gov.co")
    preferences.set_preferences(ctx, "correo", {events.GROUP_TASK: events.EMAIL})
    instances.start_process(ctx, "cinco")
    proxy.reset()
    with counting(ctx.db) as count:
        started = instances.start_process(ctx, "cinco")
    assert proxy.round_trips <= 4, f"{proxy.round_trips} round trips for {count}"
    with UnitOfWork(ctx.db, write=False) as uow:
        mail = uow.session.execute(
            text("SELECT recipient, username FROM mail_outbox WHERE instance_id = :i"), {"i": started.id}
        ).all()
        app = uow.session.execute(
            text("SELECT recipient FROM notifications WHERE instance_id = :i"), {"i": started.id}
        ).all()
    assert [tuple(m) for m in mail] == [("correo@entidad.gov.co", "correo")]
    assert [a for (a,) in app] == ["bench"]


def test_a_start_with_its_form_and_next_task_takes_at_most_five_round_trips(wired: Wired) -> None:
    """What the web and the API run: the form's checks, the start and the user's next task, pipelined."""
    ctx, proxy, _ = wired
    user = users.get_user(ctx, "bench")
    start_forms.start_from_form(ctx, "cinco", user, {}, find_next=True)
    proxy.reset()
    with counting(ctx.db) as count:
        started = start_forms.start_from_form(ctx, "cinco", user, {}, find_next=True)
    assert proxy.round_trips <= 5, f"{proxy.round_trips} round trips for {count}"  # 11 unpipelined, then 6
    assert count.commits == 1, count
    assert started.next_task_id is not None
    assert _names(ctx, started.id) == [("Paso 0", "ready")]
    proxy.reset()
    with counting(ctx.db) as count:
        started = start_forms.start_from_form(ctx, "cinco", user, {})  # the API's: no next task
    assert proxy.round_trips <= 4 and started.next_task_id is None, f"{proxy.round_trips} for {count}"


def test_a_page_of_the_inbox_takes_two_round_trips_and_a_full_one_three(wired: Wired) -> None:
    """A page that ends before its limit holds the rest of the list: no count is sent. A full page counts."""
    ctx, proxy, _ = wired
    user = users.get_user(ctx, "bench")
    instances.start_process(ctx, "cinco")
    views.task_page(ctx, views.task_filter_for(user, candidate_me=True, limit=10))
    proxy.reset()
    with counting(ctx.db) as count:
        found = views.task_page(ctx, views.task_filter_for(user, candidate_me=True, limit=10))
    # page, end: BEGIN and JIT off ride along
    assert proxy.round_trips <= 2, f"{proxy.round_trips} for {count}"
    assert not any("count(" in s.lower() for s in count.statements), count
    assert found["total"] == len(found["items"]) >= 1
    instances.start_process(ctx, "cinco")
    proxy.reset()
    with counting(ctx.db) as count:
        full = views.task_page(ctx, views.task_filter_for(user, candidate_me=True, limit=1))
    assert proxy.round_trips <= 3, f"{proxy.round_trips} for {count}"  # page, count, end
    assert (full["total"], len(full["items"])) == (found["total"] + 1, 1)


@pytest.mark.parametrize("pipelined", [True, False])
def test_a_list_turns_jit_off_for_its_own_transaction_only(wired: Wired, pipelined: bool) -> None:
    ctx, _, _ = wired
    with UnitOfWork(ctx.db, write=False, pipelined=pipelined) as uow:
        task_pages.jit_off(uow.session)
        assert uow.session.execute(text("SHOW jit")).scalar() == "off"
    with UnitOfWork(ctx.db, write=False, pipelined=pipelined) as uow:
        assert uow.session.execute(text("SHOW jit")).scalar() == "on"


def test_a_refused_completion_writes_nothing(wired: Wired) -> None:
    ctx, _, _ = wired
    instance_id, task_id = _open_task(ctx)
    users.add_user(ctx, "otra", groups="otra")
    with pytest.raises(Exception, match="no está asignada"):
        tasks.complete_task(ctx, task_id, "otra", DATA)
    with pytest.raises(Exception, match="No existe el usuario"):
        tasks.complete_task(ctx, task_id, "nadie", DATA)
    assert _names(ctx, instance_id) == [("Paso 0", "ready")]
    tasks.complete_task(ctx, task_id, "bench", DATA)  # the connection is clean for the next one
    assert _names(ctx, instance_id)[-1] == ("Paso 1", "ready")


def test_two_completions_of_one_task_at_once_one_wins_and_nothing_is_half_written(wired: Wired) -> None:
    ctx, _, _ = wired
    instance_id, task_id = _open_task(ctx)
    outcomes: list[str] = []
    gate = threading.Barrier(4)

    def complete() -> None:
        gate.wait()
        try:
            tasks.complete_task(ctx, task_id, "bench", DATA)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=complete) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    assert _names(ctx, instance_id) == [("Paso 0", "completed"), ("Paso 1", "ready")]


def test_a_killed_connection_is_replaced_without_an_error(wired: Wired) -> None:
    ctx, proxy, server = wired
    instance_id, task_id = _open_task(ctx)
    tasks.complete_task(ctx, task_id, "bench", DATA)
    database = ctx.db.write_engine.url.database
    with server._admin() as admin:  # what an administrator, a failover or an idle timeout does
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    time.sleep(0.2)
    proxy.reset()
    _, task_id = _open_task(ctx, instance_id)  # no error: the pool saw the closed socket and reconnected
    tasks.complete_task(ctx, task_id, "bench", DATA)
    assert proxy.connections >= 1
    assert _names(ctx, instance_id)[-1] == ("Paso 2", "ready")


def test_a_connection_lost_at_a_pipelined_commit_is_dropped_not_handed_back_to_the_pool(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    """The server goes away between a transaction's last statement and its COMMIT (a restart, a failover): the
    error comes out as SQLAlchemy's, with the connection invalidated like any other statement's, so the pool
    does not try to roll a dead connection back and log a traceback, and the next action gets a new one."""
    ctx, _, server = wired
    instance_id, task_id = _open_task(ctx)
    caplog.set_level(logging.WARNING, logger="sqlalchemy.pool")
    with pytest.raises(DBAPIError) as lost, UnitOfWork(ctx.db, pipelined=True) as uow:
        pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar()
        uow.session.execute(text("UPDATE tasks SET name = name WHERE id = :t"), {"t": task_id})  # queued
        with server._admin() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.2)
        uow.commit()
    assert lost.value.connection_invalidated
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.pool")] == []
    tasks.complete_task(ctx, task_id, "bench", DATA)
    assert _names(ctx, instance_id)[-1] == ("Paso 1", "ready")


def test_a_restarted_server_is_survived_without_an_error(wired: Wired) -> None:
    ctx, _, server = wired
    with server._admin() as admin:  # the test cluster runs with synchronous_commit off: an immediate stop
        admin.execute(f'ALTER DATABASE "{ctx.db.write_engine.url.database}" SET synchronous_commit = on')
    ctx.db.dispose()  # would lose the last commits, which this test reads back
    instance_id, task_id = _open_task(ctx)
    tasks.complete_task(ctx, task_id, "bench", DATA)
    server.halt()
    server.resume()
    _, task_id = _open_task(ctx, instance_id)
    tasks.complete_task(ctx, task_id, "bench", DATA)
    assert _names(ctx, instance_id)[-1] == ("Paso 2", "ready")


def test_the_user_behind_a_token_is_read_once_and_forgotten_on_revoke(wired: Wired) -> None:
    ctx, _, _ = wired
    token = users.issue_token(ctx, "bench")
    assert users.user_for_token(ctx, token) is not None
    with counting(ctx.db) as count:
        seen = users.user_for_token(ctx, token)
    assert seen is not None and seen.username == "bench"
    assert count.statements == [] and count.transactions == 0, count
    [listed] = users.list_tokens(ctx, "bench")
    users.revoke_token(ctx, listed.id)
    assert users.user_for_token(ctx, token) is None  # this process forgot it at once


def test_a_revocation_by_another_process_is_seen_within_the_cache_time(wired: Wired) -> None:
    _, proxy, _ = wired
    short = _context(proxy.url, auth_cache_seconds=1)
    other = _context(proxy.url)  # the CLI, or another worker
    try:
        token = users.issue_token(short, "bench")
        assert users.user_for_token(short, token) is not None
        [listed] = users.list_tokens(other, "bench")
        users.revoke_token(other, listed.id)
        assert users.user_for_token(short, token) is not None  # still in this process's cache…
        time.sleep(1.1)
        assert users.user_for_token(short, token) is None  # …for at most PHVA_AUTH_CACHE_SECONDS
    finally:
        short.db.dispose()
        other.db.dispose()


def test_a_session_is_forgotten_when_it_ends_or_the_password_changes(wired: Wired) -> None:
    ctx, _, _ = wired
    view = users.get_user(ctx, "bench")
    version = str(view.session_version)
    assert users.signed_in_user(ctx, "bench", version) is not None
    with counting(ctx.db) as count:
        assert users.signed_in_user(ctx, "bench", version) is not None
    assert count.transactions == 0
    users.end_sessions(ctx, "bench")
    assert users.signed_in_user(ctx, "bench", version) is None
    fresh = str(users.get_user(ctx, "bench").session_version)
    assert users.signed_in_user(ctx, "bench", fresh) is not None
    users.set_password(ctx, "bench", "otra-clave-segura")
    assert users.signed_in_user(ctx, "bench", fresh) is None


def test_a_timer_firing_counts_its_attempt_first_in_a_few_round_trips(
    postgres_server: PostgresServer,
) -> None:
    """Issue 15 finding 1: the pre-claim is its own commit before the firing's, and costs few round trips."""
    proxy = RoundTripProxy(postgres_server.fresh_database(f"rt{time.monotonic_ns()}"))
    clock = FrozenClock(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    ctx = create_context(Settings(database_url=proxy.url, instance_dir=Path(tempfile.mkdtemp())), clock=clock)
    try:
        deployments.deploy(ctx, [SourceFile("e.bpmn", (DATA_DIR / "timers_escalation.bpmn").read_bytes())])
        warm, measured = (instances.start_process(ctx, "escalamiento").id for _ in range(2))
        clock.advance(seconds=4)
        assert timers.fire_due_timers(ctx, worker="rt", limit=1).fired == 1  # warm: spec cache, connection
        proxy.reset()
        with counting(ctx.db) as count:
            report = timers.fire_due_timers(ctx, worker="rt", limit=1)
        assert report.fired == 1 and proxy.connections == 0
        assert count.commits == 2, count  # the pre-claim, then the firing
        assert proxy.round_trips <= MAX_FIRING_ROUND_TRIPS, f"{proxy.round_trips} round trips for {count}"
        assert warm != measured
    finally:
        ctx.db.dispose()
        proxy.close()
