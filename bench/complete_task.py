"""Complete-task round trip: phva's service call vs raw SpiffWorkflow, on SQLite and PostgreSQL.

Run with `make bench` (or `python -m bench.complete_task [--rounds N] [--no-postgres]`).
Raw SpiffWorkflow = deserialize (spec embedded, stock serializer) → complete → engine steps → serialize.
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


def report(label: str, ours: list[float], raw: list[float]) -> None:
    (om, op), (rm, rp) = _stats(ours), _stats(raw)
    print(
        f"{label:<42} phva {om * 1000:6.2f} ms (p95 {op * 1000:6.2f})   raw SpiffWorkflow {rm * 1000:6.2f} ms "
        f"(p95 {rp * 1000:6.2f})   ratio {om / rm:4.2f}"
    )


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
        for name, url in backends:
            ctx = make_context(url())
            phva_rounds(ctx, "cinco", 5, 3, data)  # warm-up: caches, connections
            # raw SpiffWorkflow measured next to each backend, so a busy machine weighs on both sides alike
            raw_five = raw_rounds(FIVE, "cinco", 5, rounds, data)
            five = phva_rounds(ctx, "cinco", 5, rounds, data)
            # Raw SpiffWorkflow evaluates conditions as Python: same model, condition written `seguir`.
            raw_loop = raw_rounds(LOOP.replace("${seguir}", "seguir"), "bucle", 50, max(5, rounds // 4), data)
            loop = phva_rounds(ctx, "bucle", 50, max(5, rounds // 4), data)
            print(f"\n== {name} ({rounds} rounds) ==")
            report("5-task process, any step", [t for s in five for t in s], [t for s in raw_five for t in s])
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
