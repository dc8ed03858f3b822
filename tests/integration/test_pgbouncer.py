"""Issue 16 §5: the scale-out shape through PgBouncer in transaction mode — two web processes (gunicorn) and two
`phva scheduler` processes, every connection through one PgBouncer (`pool_mode = transaction`, a handful of
server connections), `PHVA_DB_PGBOUNCER=on`.

Transaction pooling hands each transaction whichever server connection is free, so nothing may outlive a
transaction: psycopg's server-side prepared statements are off (`prepare_threshold=None`), and the advisory
locks phva takes (sign-in attempts per user name, the start-timer sync) are `pg_advisory_xact_lock`, released
at commit. The load mixes starts, claims racing for one task, completions, timers fired by both schedulers
and concurrent sign-ins; it holds when no answer is a 500, each timer fired once, each race had one winner and
the audit matches what the clients were told.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.bootstrap import create_context
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.identity.sign_in import sign_in
from engine.modeling.definitions import SourceFile
from engine.store.tables import AuditEvent, ProcessInstance, Timer
from engine.store.uow import UnitOfWork
from engine.workflow import deployments
from tests.pg import PostgresServer
from tests.pgbouncer import PgBouncer, pgbouncer_unavailable_reason
from tests.processes import Processes, call, free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LOAD_SECONDS = 8.0
CLIENTS = 4
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Defs_pool" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="pool" name="Por PgBouncer" isExecutable="true">
    <bpmn:startEvent id="Inicio"/>
    <bpmn:parallelGateway id="Abrir"/>
    <bpmn:userTask id="Revisar" name="Revisar" camunda:candidateGroups="pool">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="phva:variables" value="nota"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="Espera" name="Espera">
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1S</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="Cerrar"/>
    <bpmn:endEvent id="Fin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Inicio" targetRef="Abrir"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Abrir" targetRef="Revisar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Abrir" targetRef="Espera"/>
    <bpmn:sequenceFlow id="f4" sourceRef="Revisar" targetRef="Cerrar"/>
    <bpmn:sequenceFlow id="f5" sourceRef="Espera" targetRef="Cerrar"/>
    <bpmn:sequenceFlow id="f6" sourceRef="Cerrar" targetRef="Fin"/>
  </bpmn:process>
</bpmn:definitions>"""


@dataclass
class Deployment:
    ctx: Context
    bouncer: PgBouncer
    ports: list[int]
    processes: Processes


@pytest.fixture
def deployment(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Deployment]:
    reason = pgbouncer_unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the PgBouncer test must run in CI: {reason}")
        pytest.skip(reason)
    database = f"bouncer{os.getpid()}_{time.monotonic_ns()}"
    postgres_server.fresh_database(database)
    bouncer = PgBouncer(postgres_server, pool_size=4)
    url = bouncer.url_for(database)
    settings = Settings(database_url=url, instance_dir=tmp_path / "instance", db_pgbouncer=True)
    ctx = create_context(settings)
    processes = Processes(url, tmp_path, PHVA_DB_PGBOUNCER="on")
    found = Deployment(ctx, bouncer, [free_port(), free_port()], processes)
    try:
        for n, port in enumerate(found.ports):
            processes.web(f"web{n}", port)
        for name in ("s1", "s2"):
            processes.scheduler(name)
        yield found
    finally:
        processes.stop_all()
        ctx.db.dispose()
        bouncer.stop()


def test_two_web_processes_and_two_schedulers_through_pgbouncer_in_transaction_mode(
    deployment: Deployment,
) -> None:
    ctx, ports = deployment.ctx, deployment.ports
    outcome = deployments.deploy(ctx, [SourceFile("pool.bpmn", MODEL.encode())])
    assert outcome.report.ok, outcome.report.format()
    staff = [f"pool{n}" for n in range(CLIENTS)]
    tokens = {}
    for name in staff:
        users.add_user(ctx, name, groups="pool", password="clave-segura-1", create_groups=True)
        tokens[name] = users.issue_token(ctx, name)
    deployment.processes.wait_ready(ports, ["s1", "s2"])

    results: list[tuple[str, Any, int | None, Any]] = []
    lock = threading.Lock()
    stop = time.monotonic() + LOAD_SECONDS

    def client(n: int, name: str) -> None:
        token, serial = tokens[name], 0
        while time.monotonic() < stop:
            port = ports[serial % 2]  # every client talks to both web processes
            key = f"{name}-{serial}"
            status, body = call(port, "POST", "/api/v1/process-instances", token,
                                 {"process_key": "pool", "business_key": key})  # fmt: skip
            got: list[tuple[str, Any, int | None, Any]] = [("start", key, status, body)]
            status, listed = call(ports[(serial + 1) % 2], "GET", "/api/v1/tasks?candidate=me&limit=5", token)
            got.append(("list", None, status, None))
            free = (
                [t["id"] for t in (listed or {}).get("items", []) if t["assignee"] is None]
                if status == 200
                else []
            )
            if free:
                task_id = free[-1]  # the clients pick the same newest tasks: claims race
                status, _ = call(port, "POST", f"/api/v1/tasks/{task_id}/claim", token)
                got.append(("claim", task_id, status, None))
                if status == 200:
                    status, body = call(ports[(serial + 1) % 2], "POST", f"/api/v1/tasks/{task_id}/complete",
                                         token, {"data": {"nota": key}})  # fmt: skip
                    got.append(("complete", task_id, status, body))
            with lock:
                results.extend(got)
            serial += 1

    def signing_in() -> None:  # concurrent sign-ins of one name: the per-name advisory lock, per transaction
        while time.monotonic() < stop:
            wrong = sign_in(ctx, "pool0", "no-es-la-clave", "10.0.0.9")
            right = sign_in(ctx, "pool0", "clave-segura-1", "10.0.0.8")
            with lock:
                results.append(("sign_in", None, 200 if wrong is None and right is not None else 0, None))
            time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(n, name)) for n, name in enumerate(staff)]
    threads += [threading.Thread(target=signing_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    def waiting() -> int:
        with UnitOfWork(ctx.db, write=False) as uow:
            return int(uow.session.scalar(select(func.count()).where(Timer.status == "waiting")) or 0)

    wait_until(lambda: waiting() == 0, 30, "the schedulers to fire every timer")

    counts = Counter((op, status) for op, _, status, _ in results)
    print("\nPgBouncer (transaction mode), 2 web + 2 schedulers:", dict(sorted(counts.items(), key=str)))
    failures = [
        (op, key, status, body) for op, key, status, body in results if status is None or status >= 500
    ]
    assert failures == [], failures[:5]
    assert counts[("sign_in", 0)] == 0
    started = {key: body["id"] for op, key, status, body in results if op == "start" and status == 201}
    completed = Counter(key for op, key, status, _ in results if op == "complete" and status == 200)
    claims = Counter(key for op, key, status, _ in results if op == "claim" and status == 200)
    assert len(started) >= CLIENTS and sum(completed.values()) >= 2, counts
    assert all(n == 1 for n in claims.values()), "a task claimed twice"
    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        keys = Counter(s.scalars(select(ProcessInstance.business_key)))
        fired = Counter(s.scalars(select(Timer.instance_id).where(Timer.status == "fired")))
        audited = Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "task_completed")))
    assert set(keys) == set(started) and all(n == 1 for n in keys.values())
    assert set(fired) == set(started.values()) and all(n == 1 for n in fired.values()), "each timer once"
    assert audited == completed
    for name in ("s1", "s2", "web0", "web1"):
        assert "Traceback" not in deployment.processes.log(name), deployment.processes.log(name)[-3000:]
    assert "prepared statement" not in deployment.bouncer.log()
