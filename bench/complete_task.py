"""Complete-task round trip: phva's service call vs raw SpiffWorkflow, on SQLite and PostgreSQL.

Run with `make bench` (or `python -m bench.complete_task [--rounds N] [--no-postgres]`).
Raw SpiffWorkflow = deserialize (spec embedded, stock serializer) → complete → engine steps → serialize.
Floor = raw SpiffWorkflow plus what no service on a database can skip: the state read under the instance's
lock and written back with its open task rows, in one transaction on one held DB-API connection.
phva = tasks.complete_task: load row, restore (cached spec), validate form, complete, engine steps,
compact, serialize, save instance + task + timer + audit rows in one transaction.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.bootstrap import create_context
from engine.clock import SystemClock
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.runtime import spiff_scaling
from engine.runtime.scripting import make_script_engine
from engine.store.metadata import metadata
from engine.workflow import deployments, instances, tasks, views
from engine.workflow.views import TaskFilter

GROUP = 'camunda:candidateGroups="bench"'
FORM = (
    '<bpmn:extensionElements><camunda:formData><camunda:formField id="nota" label="Nota" type="string">'
    '<camunda:validation><camunda:constraint name="maxlength" config="50"/></camunda:validation>'
    '</camunda:formField><camunda:formField id="seguir" label="Seguir" type="boolean"/></camunda:formData>'
    "</bpmn:extensionElements>"
)


def _process(pid: str, body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        f'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        f'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D_{pid}" targetNamespace="x">'
        f'<bpmn:process id="{pid}" name="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
    )


def _flows(*pairs: tuple[str, str], cond: dict[str, str] | None = None) -> str:
    out = []
    for i, (a, b) in enumerate(pairs):
        expr = (cond or {}).get(f"{a}>{b}")
        inner = f"<bpmn:conditionExpression>{expr}</bpmn:conditionExpression>" if expr else ""
        out.append(
            f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}">{inner}</bpmn:sequenceFlow>'
        )
    return "".join(out)


FIVE = _process(
    "cinco",
    '<bpmn:startEvent id="s"/>'
    + "".join(f'<bpmn:userTask id="t{i}" name="Paso {i}" {GROUP}>{FORM}</bpmn:userTask>' for i in range(5))
    + '<bpmn:endEvent id="e"/>'
    + _flows(("s", "t0"), *((f"t{i}", f"t{i + 1}") for i in range(4)), ("t4", "e")),
)
LOOP = _process(
    "bucle",
    f'<bpmn:startEvent id="s"/><bpmn:userTask id="t" name="Revisar" {GROUP}>{FORM}'
    '</bpmn:userTask><bpmn:exclusiveGateway id="g" default="f3"/><bpmn:endEvent id="e"/>'
    + _flows(("s", "t"), ("t", "g"), ("g", "t"), ("g", "e"), cond={"g>t": "${seguir}"}),
)


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


# ---- raw SpiffWorkflow -------------------------------------------------------------------------------
def raw_rounds(xml: str, pid: str, steps: int, rounds: int, data: dict[str, Any]) -> list[list[float]]:
    """Per step index, the time of deserialize → complete → engine steps → serialize, in SpiffWorkflow as
    shipped (without the tree-walk patches phva installs, engine/runtime/spiff_scaling.py)."""
    with spiff_scaling.stock():
        return _raw_rounds(xml, pid, steps, rounds, data)


def _raw_rounds(xml: str, pid: str, steps: int, rounds: int, data: dict[str, Any]) -> list[list[float]]:
    parser = CamundaParser()
    parser.add_bpmn_str(xml.encode(), f"{pid}.bpmn")
    spec, subs = parser.get_spec(pid), parser.get_subprocess_specs(pid)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    times: list[list[float]] = [[] for _ in range(steps)]
    for _ in range(rounds):
        wf = BpmnWorkflow(spec, subs)
        wf.do_engine_steps()
        state = serializer.serialize_json(wf)
        for step in range(steps):
            start = time.perf_counter()
            wf = serializer.deserialize_json(state)
            [task] = wf.get_tasks(state=TaskState.READY, manual=True)
            task.set_data(**data, seguir=step < steps - 1)
            task.run()
            wf.do_engine_steps()
            state = serializer.serialize_json(wf)
            times[step].append(time.perf_counter() - start)
    return times


# ---- the floor: raw SpiffWorkflow with its state in the database ------------------------------------
FLOOR_SCHEMA = (
    "CREATE TABLE floor_instances (id integer PRIMARY KEY, state text NOT NULL)",
    "CREATE TABLE floor_tasks (instance_id integer NOT NULL, spiff_id varchar(36) NOT NULL)",
    "CREATE INDEX floor_tasks_instance ON floor_tasks (instance_id)",
)


def floor_rounds(
    connection: Any, lock: str, xml: str, pid: str, steps: int, rounds: int, data: dict[str, Any]
) -> list[list[float]]:
    """Per step index, the time of: read the state (`lock`: the dialect's row lock) → deserialize → complete →
    engine steps → serialize → write the state, replace the task rows, commit. `connection` is a DB-API
    connection with the `format` paramstyle and `FLOOR_SCHEMA` created."""
    with spiff_scaling.stock():
        parser = CamundaParser()
        parser.add_bpmn_str(xml.encode(), f"{pid}.bpmn")
        spec, subs = parser.get_spec(pid), parser.get_subprocess_specs(pid)
        serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        times: list[list[float]] = [[] for _ in range(steps)]
        cur = connection.cursor()
        cur.execute("SELECT coalesce(max(id), 0) + 1 FROM floor_instances")
        first = cur.fetchone()[0]
        connection.commit()
        for instance in range(first, first + rounds):
            wf = BpmnWorkflow(spec, subs)
            wf.do_engine_steps()
            cur.execute("INSERT INTO floor_instances (id, state) VALUES (%s, %s)",
                        (instance, serializer.serialize_json(wf)))  # fmt: skip
            connection.commit()
            for step in range(steps):
                start = time.perf_counter()
                cur.execute(f"SELECT state FROM floor_instances WHERE id = %s{lock}", (instance,))
                wf = serializer.deserialize_json(cur.fetchone()[0])
                [task] = wf.get_tasks(state=TaskState.READY, manual=True)
                task.set_data(**data, seguir=step < steps - 1)
                task.run()
                wf.do_engine_steps()
                cur.execute("UPDATE floor_instances SET state = %s WHERE id = %s",
                            (serializer.serialize_json(wf), instance))  # fmt: skip
                cur.execute("DELETE FROM floor_tasks WHERE instance_id = %s", (instance,))
                for ready in wf.get_tasks(state=TaskState.READY, manual=True):
                    cur.execute("INSERT INTO floor_tasks (instance_id, spiff_id) VALUES (%s, %s)",
                                (instance, str(ready.id)))  # fmt: skip
                connection.commit()
                times[step].append(time.perf_counter() - start)
        return times


def _floor_connection(url: str) -> tuple[Any, str]:
    """A DB-API connection to `url` with the floor's tables, and the dialect's row lock."""
    raw: Any
    if url.startswith("sqlite"):
        import sqlite3

        class _Format(sqlite3.Cursor):  # sqlite3 takes qmark; the floor's SQL is written in `format`
            def execute(self, sql: str, params: Any = ()) -> Any:  # type: ignore[override]
                return super().execute(sql.replace("%s", "?"), params)

        class _Connection(sqlite3.Connection):
            def cursor(self, factory: Any = _Format) -> Any:  # type: ignore[override]
                return super().cursor(factory)

        raw = sqlite3.connect(
            url.removeprefix("sqlite:///"), isolation_level="IMMEDIATE", factory=_Connection
        )
        raw.execute("PRAGMA journal_mode=WAL")  # as phva's own connections (engine/store/db.py)
        raw.execute("PRAGMA synchronous=NORMAL")
        lock = ""  # BEGIN IMMEDIATE takes the write lock
    else:
        import psycopg

        raw = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        lock = " FOR UPDATE"
    cur = raw.cursor()
    for statement in FLOOR_SCHEMA:
        cur.execute(statement)
    raw.commit()
    return raw, lock


# ---- phva ---------------------------------------------------------------------------------------------
def phva_rounds(ctx: Context, pid: str, steps: int, rounds: int, data: dict[str, Any]) -> list[list[float]]:
    times: list[list[float]] = [[] for _ in range(steps)]
    for _ in range(rounds):
        started = instances.start_process(ctx, pid)
        for step in range(steps):
            items, _ = views.tasks(ctx, TaskFilter(see_all=True, instance_id=started.id))
            start = time.perf_counter()
            tasks.complete_task(ctx, items[0]["id"], "bench", {**data, "seguir": step < steps - 1})
            times[step].append(time.perf_counter() - start)
    return times


def make_context(url: str) -> Context:
    ctx = create_context(
        Settings(database_url=url, instance_dir=Path(tempfile.mkdtemp())), clock=SystemClock()
    )
    metadata.create_all(ctx.db.write_engine)
    outcome = deployments.deploy(
        ctx, [SourceFile("cinco.bpmn", FIVE.encode()), SourceFile("bucle.bpmn", LOOP.encode())]
    )
    if not outcome.report.ok:
        raise SystemExit(outcome.report.format())
    users.add_user(ctx, "bench", groups="bench")
    return ctx


def report(label: str, ours: list[float], raw: list[float], floor: list[float] | None = None) -> None:
    (om, op), (rm, rp) = _stats(ours), _stats(raw)
    line = (
        f"{label:<42} phva {om * 1000:6.2f} ms (p95 {op * 1000:6.2f})   raw SpiffWorkflow {rm * 1000:6.2f} ms "
        f"(p95 {rp * 1000:6.2f})   ratio {om / rm:4.2f}"
    )
    if floor:
        fm, _ = _stats(floor)
        line += f"   floor {fm * 1000:6.2f} ms (ratio {fm / rm:4.2f}; phva/floor {om / fm:4.2f})"
    print(line)


BLOCK = 5  # rounds per alternating block


def run(rounds: int, with_postgres: bool) -> None:
    data = {"nota": "revisado"}
    backends: list[tuple[str, Callable[[], str]]] = [
        ("SQLite", lambda: f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    ]
    server = None
    if with_postgres:
        from tests.pg import PostgresServer, postgres_unavailable_reason

        if postgres_unavailable_reason() is None:
            server = PostgresServer.start()
            backends.append(("PostgreSQL", lambda: server.empty_database("bench")))  # type: ignore[union-attr]
    try:
        for name, make_url in backends:
            url = make_url()
            ctx = make_context(url)
            phva_rounds(ctx, "cinco", 5, 3, data)  # warm-up: caches, connections
            # Raw SpiffWorkflow, phva and the floor measured in alternating blocks next to each backend, so a
            # machine whose speed drifts (a shared VM) weighs on all three alike.
            floor_db, lock = _floor_connection(url)
            raw_five: list[list[float]] = [[] for _ in range(5)]
            five: list[list[float]] = [[] for _ in range(5)]
            floor_five: list[list[float]] = [[] for _ in range(5)]
            for block in range(0, rounds, BLOCK):
                n = min(BLOCK, rounds - block)
                for into, measured in (
                    (raw_five, raw_rounds(FIVE, "cinco", 5, n, data)),
                    (five, phva_rounds(ctx, "cinco", 5, n, data)),
                    (floor_five, floor_rounds(floor_db, lock, FIVE, "cinco", 5, n, data)),
                ):
                    for step, times in enumerate(measured):
                        into[step] += times
            floor_db.close()
            # Raw SpiffWorkflow evaluates conditions as Python: same model, condition written `seguir`.
            raw_loop = raw_rounds(LOOP.replace("${seguir}", "seguir"), "bucle", 50, max(5, rounds // 4), data)
            loop = phva_rounds(ctx, "bucle", 50, max(5, rounds // 4), data)
            print(f"\n== {name} ({rounds} rounds) ==")
            report(
                "5-task process, any step",
                [t for s in five for t in s],
                [t for s in raw_five for t in s],
                [t for s in floor_five for t in s],
            )
            report("user-task loop, iteration 1", loop[0], raw_loop[0])
            report("user-task loop, iteration 50", loop[49], raw_loop[49])
            growth_ours = statistics.median(loop[49]) / statistics.median(loop[0])
            growth_raw = statistics.median(raw_loop[49]) / statistics.median(raw_loop[0])
            print(
                f"{'loop growth 50th/1st':<42} phva {growth_ours:4.2f}x   raw SpiffWorkflow {growth_raw:4.2f}x"
            )
            ctx.db.dispose()
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    _ = make_script_engine  # the service path uses the restricted engine, as in production
    run(args.rounds, not args.no_postgres)


if __name__ == "__main__":
    main()
