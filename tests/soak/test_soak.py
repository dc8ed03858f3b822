"""Issue 15 §10: a soak of the scale-out shape — gunicorn workers and two `phva scheduler` processes on one
PostgreSQL — under 60 s of mixed load from client threads (starts, claims, completions, messages, timers), with
a worker killed with -9, a scheduler killed with -9 and the database restarted once along the way.

It holds when no client result is lost or doubled in the audit, every due timer fired exactly once, no answer
was a 500 (or a dropped connection) outside the fault windows, and while the database was down every failed
answer was a 503 in the API's error envelope (never a 500, never a dropped connection), with no traceback in
the web log and one warning per worker for the outage. The counts are printed for the note.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.bootstrap import create_context
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.store.metadata import metadata
from engine.store.tables import AuditEvent, Incident, ProcessInstance, Task, Timer
from engine.store.uow import UnitOfWork
from engine.workflow import deployments
from tests.pg import PostgresServer, postgres_unavailable_reason
from tests.processes import Processes, call, children, free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LOAD_SECONDS = 60.0
CLIENTS = 6
WEB_WORKERS = 3
KILL_WORKER_AT, KILL_SCHEDULER_AT, DB_DOWN_AT, DB_DOWN_FOR = 12.0, 22.0, 34.0, 3.0
RECOVERY = 2.0  # after the database is back: the pools' stale connections are replaced on first use
TIMER = "PT3S"
STAFF = [f"soak{n}" for n in range(CLIENTS)]

MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Defs_soak" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Msg_Aviso" name="aviso"/>
  <bpmn:process id="soak" name="Carga sostenida" isExecutable="true">
    <bpmn:startEvent id="Inicio"/>
    <bpmn:parallelGateway id="Abrir"/>
    <bpmn:userTask id="Revisar" name="Revisar" camunda:candidateGroups="soak">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="phva:variables" value="nota"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="Espera" name="Espera">
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{TIMER}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="Aviso" name="Aviso">
      <bpmn:messageEventDefinition messageRef="Msg_Aviso"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="Cerrar"/>
    <bpmn:endEvent id="Fin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Inicio" targetRef="Abrir"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Abrir" targetRef="Revisar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Abrir" targetRef="Espera"/>
    <bpmn:sequenceFlow id="f4" sourceRef="Abrir" targetRef="Aviso"/>
    <bpmn:sequenceFlow id="f5" sourceRef="Revisar" targetRef="Cerrar"/>
    <bpmn:sequenceFlow id="f6" sourceRef="Espera" targetRef="Cerrar"/>
    <bpmn:sequenceFlow id="f7" sourceRef="Aviso" targetRef="Cerrar"/>
    <bpmn:sequenceFlow id="f8" sourceRef="Cerrar" targetRef="Fin"/>
  </bpmn:process>
</bpmn:definitions>"""


# ---- what the clients saw ------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    op: str  # start | list | claim | complete | message
    key: Any  # business key (start), task id (claim, complete), instance id (message)
    who: str
    status: int | None  # None: the connection failed or was dropped
    began: float  # seconds since the load started
    ended: float
    body: Any = None


@dataclass
class Timeline:
    t0: float = field(default_factory=time.monotonic)
    worker_killed: float | None = None
    scheduler_killed: float | None = None
    db_down: float | None = None
    db_up: float | None = None

    def now(self) -> float:
        return time.monotonic() - self.t0

    def window(self, result: Result) -> str:
        """Which fault a request overlapped, if any."""
        down, up = self.db_down, self.db_up
        if down is not None and up is not None and result.began <= up + RECOVERY and result.ended >= down:
            return "outage"
        if self.worker_killed is not None and result.began <= self.worker_killed <= result.ended + 0.5:
            return "worker_killed"
        return "normal"


class Client:
    """One person at the API: starts cases, delivers their messages, claims and completes tasks of the group."""

    def __init__(
        self, name: str, token: str, messenger: str, port: int, timeline: Timeline, seed: int
    ) -> None:
        self.name, self.token, self.messenger, self.port = name, token, messenger, port
        self.timeline, self.rng = timeline, random.Random(seed)
        self.results: list[Result] = []
        self.waiting_message: list[int] = []  # instances this client started, their message not yet sent
        self.claimed: list[int] = []  # tasks this client holds and has not completed yet
        self.serial = itertools.count()

    def call(
        self, op: str, key: Any, method: str, path: str, payload: Any = None, token: str | None = None
    ) -> Result:
        began = self.timeline.now()
        status, body = call(self.port, method, path, token or self.token, payload)
        result = Result(op, key, self.name, status, began, self.timeline.now(), body)
        self.results.append(result)
        return result

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            roll = self.rng.random()
            if roll < 0.25:
                self.start()
            elif roll < 0.4 and self.waiting_message:
                self.message()
            elif self.claimed and roll < 0.7:
                self.complete(self.claimed[0])
            else:
                self.claim_one()
            time.sleep(self.rng.uniform(0.0, 0.02))

    def start(self) -> None:
        key = f"{self.name}-{next(self.serial)}"
        result = self.call("start", key, "POST", "/api/v1/process-instances",
                           {"process_key": "soak", "business_key": key})  # fmt: skip
        if result.status == 201:
            self.waiting_message.append(int(result.body["id"]))

    def message(self) -> None:
        instance_id = self.waiting_message[0]
        result = self.call("message", instance_id, "POST", "/api/v1/messages",
                           {"name": "aviso", "instance_id": instance_id, "payload": {"de": self.name}},
                           token=self.messenger)  # fmt: skip
        if result.status is not None and result.status < 500:
            self.waiting_message.pop(0)  # delivered, or refused for good: not sent again

    def claim_one(self) -> None:
        listed = self.call("list", None, "GET", "/api/v1/tasks?candidate=me&limit=20")
        if listed.status != 200:
            return
        free = [t["id"] for t in listed.body["items"] if t["assignee"] is None]
        if not free:
            return
        task_id = self.rng.choice(free)  # several clients may pick the same one: one claim wins
        if self.call("claim", task_id, "POST", f"/api/v1/tasks/{task_id}/claim").status == 200:
            self.claimed.append(task_id)

    def complete(self, task_id: int) -> None:
        note = f"{self.name}:{task_id}"
        result = self.call(
            "complete", task_id, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": {"nota": note}}
        )
        if result.status != 409 or "cambió" not in str(result.body):  # a concurrent change: try again later
            self.claimed.remove(task_id)


# ---- the processes -------------------------------------------------------------------------------
@dataclass
class Cluster:
    server: PostgresServer
    ctx: Context
    processes: Processes


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    reason = postgres_unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the soak test must run in CI: {reason}")
        pytest.skip(reason)
    server = PostgresServer.start()  # its own cluster: the restart must not touch the other tests' one
    try:
        url = server.empty_database("soak")
        with server._admin() as admin:  # an acknowledged commit survives the crash of an immediate stop
            admin.execute('ALTER DATABASE "soak" SET synchronous_commit = on')
        ctx = create_context(Settings(database_url=url, instance_dir=tmp_path / "instance"))
        metadata.create_all(ctx.db.write_engine)
        found = Cluster(server, ctx, Processes(url, tmp_path))
        yield found
        found.processes.stop_all()
        ctx.db.dispose()
    finally:
        server.stop()


def _prepare(ctx: Context) -> tuple[dict[str, str], str]:
    outcome = deployments.deploy(ctx, [SourceFile("soak.bpmn", MODEL.encode())])
    assert outcome.report.ok, outcome.report.format()
    tokens = {}
    for name in STAFF:
        users.add_user(ctx, name, groups="soak", password="clave-segura-1", create_groups=True)
        tokens[name] = users.issue_token(ctx, name)
    users.add_user(ctx, "integracion", roles="mensajes", password="clave-segura-1")
    return tokens, users.issue_token(ctx, "integracion")


# ---- the soak ------------------------------------------------------------------------------------
def test_soak_with_a_killed_worker_a_killed_scheduler_and_a_database_restart(cluster: Cluster) -> None:
    ctx = cluster.ctx
    tokens, messenger = _prepare(ctx)
    port, processes = free_port(), cluster.processes
    web = processes.web("web", port, WEB_WORKERS)
    for name in ("s1", "s2"):
        processes.scheduler(name)
    processes.wait_ready([port], ["s1", "s2"])
    wait_until(lambda: len(children(web.pid)) == WEB_WORKERS, 10, "the web workers")

    timeline = Timeline()
    clients = [Client(n, tokens[n], messenger, port, timeline, seed) for seed, n in enumerate(STAFF)]
    stop = threading.Event()
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()

    def at(moment: float) -> None:
        time.sleep(max(0.0, moment - timeline.now()))

    at(KILL_WORKER_AT)
    victim = random.Random(1).choice(children(web.pid))
    timeline.worker_killed = timeline.now()
    os.kill(victim, signal.SIGKILL)
    at(KILL_SCHEDULER_AT)
    timeline.scheduler_killed = timeline.now()
    os.kill(processes.running["s1"].pid, signal.SIGKILL)
    processes.running["s1"].wait()
    at(DB_DOWN_AT)
    timeline.db_down = timeline.now()
    cluster.server.halt()
    time.sleep(DB_DOWN_FOR)
    cluster.server.resume()
    timeline.db_up = timeline.now()
    at(LOAD_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    ended = timeline.now()

    # the surviving scheduler catches up with every timer due by now
    due_by = datetime.now(UTC)
    wait_until(lambda: _waiting_due(ctx, due_by) == 0, 30, "the timers due at the end of the load")
    processes.stop_all()

    results = [r for c in clients for r in c.results]
    report = _report(ctx, results, timeline, ended, due_by, victim, web.pid)
    print("\n" + "\n".join(report["lines"]))
    assert report["problems"] == [], "\n".join(report["problems"])
    assert "Traceback" not in processes.log("s2")
    web_log = processes.log("web")
    assert "Traceback" not in web_log, web_log[-3000:]
    outages, recoveries = web_log.count("no está disponible"), web_log.count("disponible de nuevo")
    assert 1 <= outages <= WEB_WORKERS and recoveries == outages, web_log[-3000:]  # once per worker


def _unavailable(r: Result) -> bool:
    """The answer the web gives while its database is down (web/http.py): 503, the API's envelope."""
    body = r.body if isinstance(r.body, dict) else {}
    return r.status == 503 and set(body) == {"error", "details"} and "base de datos" in body["error"]


def _waiting_due(ctx: Context, due_by: datetime) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return int(uow.session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == "waiting", Timer.due_at <= due_by)
        ) or 0)  # fmt: skip


# ---- checking the results against the database ------------------------------------------------------
def _audits(ctx: Context, action: str, column: Any) -> Counter[Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return Counter(uow.session.scalars(select(column).where(AuditEvent.action == action)))


def _report(ctx: Context, results: list[Result], timeline: Timeline, ended: float, due_by: datetime,
            victim: int, master: int) -> dict[str, Any]:  # fmt: skip
    problems: list[str] = []
    by_op: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_op[r.op].append(r)

    # errors: a 500 or a dropped connection only inside a fault window
    errors = Counter((timeline.window(r), "conexión" if r.status is None else r.status) for r in results
                     if r.status is None or r.status >= 500)  # fmt: skip
    for r in results:
        failed, window = r.status is None or r.status >= 500, timeline.window(r)
        if failed and window == "normal":
            problems.append(
                f"{r.op} {r.key} → {r.status} at {r.began:.2f}–{r.ended:.2f} s outside the faults: {r.body}"
            )
        elif failed and window == "outage" and not _unavailable(r):
            problems.append(f"{r.op} {r.key} → {r.status} at {r.began:.2f}–{r.ended:.2f} s during the outage, "
                            f"not a 503 saying the database is unavailable: {r.body}")  # fmt: skip

    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        instances = {k: (i, st) for k, i, st in s.execute(select(ProcessInstance.business_key, ProcessInstance.id,
                                                                  ProcessInstance.status))}  # fmt: skip
        keys = Counter(s.scalars(select(ProcessInstance.business_key)))
        tasks = {i: (st, by) for i, st, by in s.execute(select(Task.id, Task.state, Task.completed_by))}
        states = dict(s.execute(select(ProcessInstance.id, ProcessInstance.state)).all())
        timers = list(s.execute(select(Timer.instance_id, Timer.status, Timer.due_at, Timer.attempts)))
        incidents = list(s.scalars(select(Incident.message)))

    # starts: every 201 is there once; nothing is there that no client asked for; nothing twice
    started_ok = {r.key: r.body["id"] for r in by_op["start"] if r.status == 201}
    started_maybe = {r.key for r in by_op["start"] if r.status is None or r.status >= 500}
    problems += [f"business key {k} started {n} times" for k, n in keys.items() if n > 1]
    problems += [f"start {k} answered 201 but is not there (lost)" for k, i in started_ok.items()
                 if instances.get(k, (None,))[0] != i]  # fmt: skip
    problems += [f"instance {k} exists but no client started it" for k in instances
                 if k not in started_ok and k not in started_maybe]  # fmt: skip
    started_audits = _audits(ctx, "instance_started", AuditEvent.instance_id)
    problems += [f"instance {i} audited as started {n} times" for i, n in started_audits.items() if n != 1]

    # claims and completions: at most one winner per task, and the audit holds exactly the winners
    for op, action in (("claim", "task_claimed"), ("complete", "task_completed")):
        won = Counter(r.key for r in by_op[op] if r.status == 200)
        maybe = Counter(r.key for r in by_op[op] if r.status is None or r.status >= 500)
        audited = _audits(ctx, action, AuditEvent.task_id)
        problems += [f"{op} of task {t} succeeded {n} times" for t, n in won.items() if n > 1]
        problems += [f"{op} of task {t}: {n} audit events" for t, n in audited.items() if n > 1]
        problems += [
            f"{op} of task {t} answered 200 but left no audit (lost)" for t in won if audited[t] != 1
        ]
        problems += [f"task {t} audited as {action} though no client's {op} succeeded" for t in audited
                     if t not in won and t not in maybe]  # fmt: skip
    for r in by_op["complete"]:
        if r.status == 200:
            state, by = tasks[r.key]
            instance_id = r.body["instance_id"]
            if state != "completed" or by != r.who or f"{r.who}:{r.key}" not in states[instance_id]:
                problems.append(f"completion of task {r.key} by {r.who}: the task is {state} by {by} (lost)")

    # messages: delivered once to each instance, and the audit says so
    delivered = Counter(r.key for r in by_op["message"] if r.status == 200)
    maybe_delivered = Counter(r.key for r in by_op["message"] if r.status is None or r.status >= 500)
    correlated = _audits(ctx, "message_correlated", AuditEvent.instance_id)
    problems += [f"message to {i} delivered {n} times" for i, n in delivered.items() if n > 1]
    problems += [f"message to {i}: {n} audit events" for i, n in correlated.items() if n > 1]
    problems += [
        f"message to {i} answered 200 but left no audit (lost)" for i in delivered if correlated[i] != 1
    ]
    problems += [f"instance {i} audited a message no client delivered" for i in correlated
                 if i not in delivered and i not in maybe_delivered]  # fmt: skip

    # timers: every one due by the end fired, once; a firing is audited by the scheduler that made it, or fired
    # inside a client's request that found it due (that save marks it fired; see the note on the audit)
    fired_audits = _audits(ctx, "timer_fired", AuditEvent.instance_id)
    due = [t for t in timers if t.due_at <= due_by]
    per_instance = Counter(t.instance_id for t in timers)
    problems += [f"instance {i} has {n} timer rows" for i, n in per_instance.items() if n != 1]
    problems += [f"timer of instance {t.instance_id} due {t.due_at} is {t.status} (attempts {t.attempts})"
                 for t in due if t.status != "fired"]  # fmt: skip
    problems += [f"timer of instance {i} fired {n} times" for i, n in fired_audits.items() if n > 1]
    fired_at = {t.instance_id for t in timers if t.status == "fired"}
    problems += [
        f"instance {i}: a firing audited, its timer not fired" for i in fired_audits if i not in fired_at
    ]
    fired_rows = len(fired_at)
    problems += [f"incident: {m}" for m in incidents]

    status_counts = Counter((r.op, r.status) for r in results)
    completed = sum(st == "completed" for _, st in instances.values())
    lines = [
        f"soak: {len(results)} requests in {ended:.1f} s ({len(results) / ended:.0f}/s) from {CLIENTS} clients, "
        f"{WEB_WORKERS} gunicorn workers, 2 schedulers",
        f"  starts {len(started_ok)} ok of {len(by_op['start'])}; claims {sum(s == 200 for (o, s) in [(r.op, r.status) for r in by_op['claim']])} ok "
        f"of {len(by_op['claim'])} ({status_counts[('claim', 409)]} lost the race); completions "
        f"{sum(r.status == 200 for r in by_op['complete'])} of {len(by_op['complete'])}; messages "
        f"{sum(delivered.values())} of {len(by_op['message'])}; task lists {len(by_op['list'])}",
        f"  timers due {len(due)}, fired {fired_rows}: {sum(fired_audits.values())} by a scheduler, "
        f"{fired_rows - sum(fired_audits.values())} inside a client's request; "
        f"instances completed {completed} of {len(instances)}",
        f"  faults at: worker {victim} of {master} killed {timeline.worker_killed:.1f} s, scheduler s1 killed "
        f"{timeline.scheduler_killed:.1f} s, database down {timeline.db_down:.1f}–{timeline.db_up:.1f} s",
        "  errors by window: "
        + (", ".join(f"{w} {s}: {n}" for (w, s), n in sorted(errors.items(), key=str)) or "none"),
        "  answers: " + ", ".join(f"{o} {s}: {n}" for (o, s), n in sorted(status_counts.items(), key=str)),
    ]
    return {"problems": problems, "lines": lines}
