"""Real `phva scheduler` and `phva serve` processes in real time: exactly once, kill -9, catch-up."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import distinct, func, select

from bench.timers import seed_waiting_instances
from engine.bootstrap import create_context
from engine.config import Settings
from engine.context import Context
from engine.store.metadata import metadata
from engine.store.tables import AuditEvent, Task, Timer
from engine.store.uow import UnitOfWork
from tests.pg import PostgresServer
from tests.processes import PHVA, Processes, free_port, healthy, wait_until

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data"


def scalar(ctx: Context, query: Any) -> Any:
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(query)


def fired(ctx: Context) -> int:
    return int(scalar(ctx, select(func.count()).select_from(Timer).where(Timer.status == "fired")))


def firings(ctx: Context) -> list[tuple[int, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return [
            (i, a)
            for i, a in uow.session.execute(
                select(AuditEvent.instance_id, AuditEvent.actor)
                .where(AuditEvent.action == "timer_fired")
                .order_by(AuditEvent.id)
            )
        ]


def assert_each_fired_exactly_once(ctx: Context, ids: list[int]) -> None:
    done = firings(ctx)
    assert len(done) == len(ids)
    assert sorted(i for i, _ in done) == sorted(ids)
    assert fired(ctx) == len(ids)
    ready = scalar(ctx, select(func.count(distinct(Task.instance_id))).where(Task.state == "ready"))
    assert ready == scalar(ctx, select(func.count()).select_from(Task)) == len(ids)


@pytest.fixture
def pg(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[tuple[Context, Processes]]:
    url = postgres_server.fresh_database(f"procs_{os.getpid()}_{random.randrange(10**9)}")
    ctx = create_context(Settings(database_url=url, instance_dir=tmp_path / "instance"))
    processes = Processes(url, tmp_path)
    yield ctx, processes
    processes.stop_all()
    ctx.db.dispose()


def overdue(n: int, shuffle: bool = False) -> list[datetime]:
    start = datetime.now(UTC) - timedelta(minutes=5)
    dues = [start + timedelta(milliseconds=10 * i) for i in range(n)]
    if shuffle:
        random.Random(4).shuffle(dues)
    return dues


@pytest.mark.postgres
def test_three_schedulers_fire_a_thousand_timers_each_exactly_once(pg: tuple[Context, Processes]) -> None:
    ctx, processes = pg
    ids = seed_waiting_instances(ctx, overdue(1000))
    for name in ("s1", "s2", "s3"):
        processes.scheduler(name, "--batch-size", "50")
    wait_until(lambda: fired(ctx) == 1000, 45, "1000 firings")
    processes.stop_all()
    assert_each_fired_exactly_once(ctx, ids)
    assert len({actor for _, actor in firings(ctx)}) >= 2, "the schedulers did not share the work"


@pytest.mark.postgres
def test_a_scheduler_killed_mid_batch_loses_nothing_and_doubles_nothing(
    pg: tuple[Context, Processes],
) -> None:
    ctx, processes = pg
    ids = seed_waiting_instances(ctx, overdue(1000))
    # The instance the victim was firing stays claimed until its lease ends (a firing that never returned
    # counts as an attempt): a short lease lets the survivor fire it within the wait below.
    victim = processes.scheduler("victima", "--batch-size", "500", "--lease", "5")
    processes.scheduler("superviviente", "--batch-size", "500", "--lease", "5")
    wait_until(lambda: sum(a == "victima" for _, a in firings(ctx)) >= 100, 30, "the victim to be busy")
    os.kill(victim.pid, signal.SIGKILL)  # mid-batch, most likely mid-transaction
    victim.wait()
    wait_until(lambda: fired(ctx) == 1000, 45, "the survivor to finish")
    processes.stop_all()
    assert_each_fired_exactly_once(ctx, ids)


@pytest.mark.postgres
def test_restart_catches_up_overdue_timers_once_in_due_order(pg: tuple[Context, Processes]) -> None:
    ctx, processes = pg
    dues = overdue(200, shuffle=True)
    ids = seed_waiting_instances(ctx, dues)
    out = processes.run("scheduler", "--once", "--name", "arranque").stdout
    assert "200 temporizador(es) disparado(s)" in out
    due_of = dict(zip(ids, dues, strict=True))
    assert [due_of[i] for i, _ in firings(ctx)] == sorted(dues)
    assert "0 temporizador(es) disparado(s)" in processes.run("scheduler", "--once").stdout
    assert_each_fired_exactly_once(ctx, ids)


# ---- done when: `phva serve` on SQLite, real time ----------------------------------------------
def escalation_timer(ctx: Context, instance_id: int) -> Timer | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.scalar(
            select(Timer).where(Timer.instance_id == instance_id, Timer.bpmn_id == "Recordar")
        )
        uow.session.expunge_all()
        return row


def escalated_at(ctx: Context, instance_id: int) -> datetime | None:
    return scalar(
        ctx, select(Task.created_at).where(Task.instance_id == instance_id, Task.bpmn_id == "Escalar")
    )


def test_serve_escalates_within_a_second_and_a_restarted_scheduler_catches_up_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'phva.db'}"
    ctx = create_context(Settings(database_url=url, instance_dir=tmp_path / "instance"))
    metadata.create_all(ctx.db.write_engine)
    processes = Processes(url, tmp_path, PHVA_SCHEDULER="on")  # `phva serve` with its embedded scheduler
    try:
        processes.run("deploy", str(DATA / "timers_escalation.bpmn"))
        port = free_port()
        processes.spawn("serve", PHVA, "serve", "--port", str(port))
        wait_until(lambda: healthy(port), 20, "the server")
        first = json.loads(processes.run("start", "escalamiento", "--json").stdout)["id"]
        wait_until(lambda: escalated_at(ctx, first) is not None, 10, "the escalation task")
        timer = escalation_timer(ctx, first)
        assert timer is not None and timer.fired_at is not None
        assert timedelta(0) < timer.fired_at - timer.due_at < timedelta(seconds=1)
        assert escalated_at(ctx, first) - timer.due_at < timedelta(seconds=1)  # type: ignore[operator]
        processes.stop("serve")

        second = json.loads(processes.run("start", "escalamiento", "--json").stdout)["id"]
        due = escalation_timer(ctx, second).due_at  # type: ignore[union-attr]
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1.0)  # everything stopped past due
        assert escalated_at(ctx, second) is None
        started = datetime.now(UTC)
        processes.scheduler("uno")
        processes.scheduler("dos")
        wait_until(lambda: escalated_at(ctx, second) is not None, 15, "the catch-up")
        wait_until(
            lambda: "queda en espera" in processes.log("uno") + processes.log("dos"), 10, "the standby"
        )
        time.sleep(1.5)  # a second chance to double-fire, if there were one
        assert escalated_at(ctx, second) - started < timedelta(seconds=5)  # type: ignore[operator]
        assert sorted(i for i, _ in firings(ctx)) == [first, second]
        assert len({a for _, a in firings(ctx)}) == 2  # the embedded scheduler, then one standalone
    finally:
        processes.stop_all()
        ctx.db.dispose()


# ---- the database goes away while the scheduler runs --------------------------------------------
@pytest.mark.postgres
def test_a_database_outage_logs_one_warning_and_the_scheduler_catches_up_within_a_second(
    tmp_path: Path,
) -> None:
    """Issue 15 finding 10: not a traceback per poll, and no firing 13 s late once the database is back."""
    server = PostgresServer.start()  # its own cluster: the outage must not touch the other tests' one
    try:
        url = server.empty_database("outage")
        ctx = create_context(Settings(database_url=url, instance_dir=tmp_path / "instance"))
        metadata.create_all(ctx.db.write_engine)
        due = datetime.now(UTC) + timedelta(seconds=6)
        ids = seed_waiting_instances(ctx, [due + timedelta(milliseconds=i) for i in range(20)])
        ctx.db.dispose()
        processes = Processes(url, tmp_path)
        processes.scheduler("vigia")
        wait_until(lambda: "en marcha" in processes.log("vigia"), 20, "the scheduler")
        server.halt()
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2.0)  # down past the due time
        server.resume()
        back = datetime.now(UTC)
        wait_until(lambda: fired(ctx) == 20, 15, "the catch-up")
        processes.stop_all()
        last = scalar(ctx, select(func.max(Timer.fired_at)))
        assert last - back < timedelta(seconds=1.5), last - back  # within a poll of the database's return
        log = processes.log("vigia")
        assert "Traceback" not in log
        assert log.count("no responde") == 1 and "volvió" in log
        assert_each_fired_exactly_once(ctx, ids)
        ctx.db.dispose()
    finally:
        server.stop()


# ---- a firing that never finishes: the process is killed in the middle of it ----------------------
HANGS = """def register(registry):
    import pathlib, time

    def hang(data):
        with pathlib.Path(__file__).with_name("firings.txt").open("a") as marks:
            marks.write("x\\n")
        time.sleep(300)  # the firing never returns; the test kills the scheduler here
        return {}

    registry.register("cuelga", hang)
"""
HANGING_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Defs_cuelga" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="cuelga" name="Cuelga" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateCatchEvent id="Espera" name="Un segundo">
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1S</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:serviceTask id="Colgar" name="Colgar" camunda:type="external" camunda:topic="cuelga"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Espera"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Espera" targetRef="Colgar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Colgar" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _hanging_timer(ctx: Context, instance_id: int) -> Timer:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.scalar(select(Timer).where(Timer.instance_id == instance_id))
        uow.session.expunge_all()
        assert row is not None
        return row


def _kill_mid_firing_until_incident(ctx: Context, processes: Processes, tmp_path: Path) -> None:
    """Issue 15 finding 1: a timer whose firing kills the scheduler each time ends as an incident after its
    attempts (3), is not fired a fourth time, and the other timers fire all along."""
    (tmp_path / "cuelga_handlers.py").write_text(HANGS)
    processes.env["PHVA_SERVICE_HANDLERS"] = "cuelga_handlers"
    processes.env["PYTHONPATH"] = str(tmp_path)
    (tmp_path / "cuelga.bpmn").write_text(HANGING_MODEL)
    processes.run("deploy", str(tmp_path / "cuelga.bpmn"))
    hanging = json.loads(processes.run("start", "cuelga", "--json").stdout)["id"]
    others = seed_waiting_instances(ctx, overdue(20))
    marks = tmp_path / "firings.txt"
    time.sleep(1.2)  # the hanging timer is due
    flags = ("--lease", "1", "--max-attempts", "3", "--poll", "0.2")
    for attempt in (1, 2, 3):
        victim = processes.scheduler(f"victima{attempt}", *flags)
        wait_until(lambda n=attempt: marks.exists() and len(marks.read_text().split()) == n, 30, "the hang")
        os.kill(victim.pid, signal.SIGKILL)  # in the middle of the firing
        victim.wait()
        processes.running.pop(f"victima{attempt}")
        row = _hanging_timer(ctx, hanging)
        assert (row.attempts, row.status, row.claimed_by) == (attempt, "waiting", f"victima{attempt}")
    processes.scheduler("ultimo", *flags)
    wait_until(lambda: fired(ctx) == len(others), 30, "the other timers")
    wait_until(lambda: _hanging_timer(ctx, hanging).claimed_at is None, 30, "the incident")
    time.sleep(1.5)  # a chance to fire it a fourth time, if there were one
    processes.stop_all()
    assert len(marks.read_text().split()) == 3
    row = _hanging_timer(ctx, hanging)
    assert (row.attempts, row.status) == (3, "waiting")
    assert "no terminó de dispararse en 3 intentos" in (row.last_error or "")
    out = processes.run("incidents", "--json").stdout
    [incident] = json.loads(out)
    assert incident["instance_id"] == hanging and "murió" in incident["message"]
    assert sorted(i for i, _ in firings(ctx)) == sorted(others)  # each other timer once
    assert "Traceback" not in processes.log("ultimo")


def test_a_firing_killed_every_time_counts_its_attempts_and_ends_as_an_incident_sqlite(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'phva.db'}"
    ctx = create_context(Settings(database_url=url, instance_dir=tmp_path / "instance"))
    metadata.create_all(ctx.db.write_engine)
    processes = Processes(url, tmp_path)
    try:
        _kill_mid_firing_until_incident(ctx, processes, tmp_path)
    finally:
        processes.stop_all()
        ctx.db.dispose()


@pytest.mark.postgres
def test_a_firing_killed_every_time_counts_its_attempts_and_ends_as_an_incident_postgres(
    pg: tuple[Context, Processes], tmp_path: Path
) -> None:
    ctx, processes = pg
    _kill_mid_firing_until_incident(ctx, processes, tmp_path)
