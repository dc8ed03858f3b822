"""Deploys that scale (issue 15 §3): check and deploy time, memory and database growth for large models.

Run with `python -m bench.deploy [--tasks N] [--branches N] [--processes N] [--start] [--no-postgres]`. On SQLite
(a file, so its growth is measured): a chain of N tasks (≈2N elements with its flows, plus its diagram), a parallel
split into N branches and its start, and one file holding N small processes, each drawn as Camunda Modeler draws it.
Targets: a 10,000-element model deploys in < 10 s; a 5,000-process file in < 60 s and < 100 MB more database.

With --start, starting them (`instances.start_process`, as `phva start` and the API do) on SQLite and PostgreSQL
(a throwaway cluster, tests/pg.py): the chain and the split of script tasks run to their end, the split of user
tasks stops at its N tasks. Time, CPU, statements, the Python heap's peak (tracemalloc, a second start), and
raw SpiffWorkflow running the same model: in this process (with phva's scaling patches, engine.runtime.spiff_scaling)
and stock, in a child process, at --raw-branches (stock SpiffWorkflow is quadratic, so at full size it would not end).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from engine.bootstrap import create_context
from engine.config import Settings
from engine.context import Context
from engine.modeling.definitions import SourceFile
from engine.store.metadata import metadata
from engine.workflow import deployments, instances
from tests.sql_count import counting

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
    ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
    ' id="Definitions_bench" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler"'
    ' exporterVersion="5.20.0">\n'
)


def _shape(element: str, x: int, y: int, w: int = 100, h: int = 80) -> str:
    return (
        f'<bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}">'
        f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>\n'
    )


def _edge(flow: str, x1: int, y1: int, x2: int, y2: int) -> str:
    return (
        f'<bpmndi:BPMNEdge id="{flow}_di" bpmnElement="{flow}"><di:waypoint x="{x1}" y="{y1}"/>'
        f'<di:waypoint x="{x2}" y="{y2}"/></bpmndi:BPMNEdge>\n'
    )


def _diagram(process: str, shapes: list[str]) -> str:
    return (
        f'<bpmndi:BPMNDiagram id="Diagram_{process}"><bpmndi:BPMNPlane id="Plane_{process}" '
        f'bpmnElement="{process}">\n{"".join(shapes)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n'
    )


def chain(tasks: int, key: str = "cadena") -> bytes:
    """start → N script tasks in a row → end; every flow drawn."""
    nodes = ["Inicio", *(f"T{i}" for i in range(tasks)), "Fin"]
    xml, di = [f'<bpmn:process id="{key}" isExecutable="true">\n'], []
    for i, node in enumerate(nodes):
        flows = (f"<bpmn:incoming>F{i}</bpmn:incoming>" if i else "") + (
            f"<bpmn:outgoing>F{i + 1}</bpmn:outgoing>" if i < len(nodes) - 1 else ""
        )
        if i == 0:
            xml.append(f'<bpmn:startEvent id="{node}">{flows}</bpmn:startEvent>\n')
        elif i == len(nodes) - 1:
            xml.append(f'<bpmn:endEvent id="{node}">{flows}</bpmn:endEvent>\n')
        else:
            xml.append(f'<bpmn:scriptTask id="{node}" name="Paso {i}" scriptFormat="python">{flows}'
                       f"<bpmn:script>n = {i}</bpmn:script></bpmn:scriptTask>\n")  # fmt: skip
        di.append(_shape(node, 150 * i, 100))
        if i:
            xml.append(f'<bpmn:sequenceFlow id="F{i}" sourceRef="{nodes[i - 1]}" targetRef="{node}"/>\n')
            di.append(_edge(f"F{i}", 150 * i - 50, 140, 150 * i, 140))
    xml.append("</bpmn:process>\n")
    return (HEAD + "".join(xml) + _diagram(key, di) + "</bpmn:definitions>\n").encode()


def parallel(branches: int, key: str = "ramas") -> bytes:
    """start → parallel split into N script tasks → parallel join → end."""
    outs = "".join(f"<bpmn:outgoing>A{i}</bpmn:outgoing>" for i in range(branches))
    ins = "".join(f"<bpmn:incoming>Z{i}</bpmn:incoming>" for i in range(branches))
    xml = [
        f'<bpmn:process id="{key}" isExecutable="true">\n'
        '<bpmn:startEvent id="Inicio"><bpmn:outgoing>F_in</bpmn:outgoing></bpmn:startEvent>\n'
        f'<bpmn:parallelGateway id="Split"><bpmn:incoming>F_in</bpmn:incoming>{outs}</bpmn:parallelGateway>\n'
        f'<bpmn:parallelGateway id="Join">{ins}<bpmn:outgoing>F_out</bpmn:outgoing></bpmn:parallelGateway>\n'
        '<bpmn:endEvent id="Fin"><bpmn:incoming>F_out</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:sequenceFlow id="F_in" sourceRef="Inicio" targetRef="Split"/>\n'
        '<bpmn:sequenceFlow id="F_out" sourceRef="Join" targetRef="Fin"/>\n'
    ]
    di = [
        _shape("Inicio", 0, 100),
        _shape("Split", 100, 100),
        _shape("Join", 400, 100),
        _shape("Fin", 500, 100),
    ]
    for i in range(branches):
        xml.append(
            f'<bpmn:scriptTask id="B{i}" scriptFormat="python"><bpmn:incoming>A{i}</bpmn:incoming>'
            f"<bpmn:outgoing>Z{i}</bpmn:outgoing><bpmn:script>r{i} = 1</bpmn:script></bpmn:scriptTask>\n"
            f'<bpmn:sequenceFlow id="A{i}" sourceRef="Split" targetRef="B{i}"/>\n'
            f'<bpmn:sequenceFlow id="Z{i}" sourceRef="B{i}" targetRef="Join"/>\n'
        )
        di.append(_shape(f"B{i}", 250, 100 * i))
    xml.append("</bpmn:process>\n")
    return (HEAD + "".join(xml) + _diagram(key, di) + "</bpmn:definitions>\n").encode()


def many_processes(count: int) -> bytes:
    """N processes in one file, each start → user task → end, with its diagram and documentation."""
    xml, diagrams = [], []
    for n in range(count):
        p = f"proceso_{n}"
        xml.append(
            f'<bpmn:process id="{p}" name="Proceso {n}" isExecutable="true">\n'
            f"<bpmn:documentation>Proceso de prueba número {n}.</bpmn:documentation>\n"
            f'<bpmn:startEvent id="S{n}"><bpmn:outgoing>A{n}</bpmn:outgoing></bpmn:startEvent>\n'
            f'<bpmn:userTask id="U{n}" name="Atender {n}" camunda:candidateGroups="atencion">'
            f"<bpmn:incoming>A{n}</bpmn:incoming><bpmn:outgoing>B{n}</bpmn:outgoing></bpmn:userTask>\n"
            f'<bpmn:endEvent id="E{n}"><bpmn:incoming>B{n}</bpmn:incoming></bpmn:endEvent>\n'
            f'<bpmn:sequenceFlow id="A{n}" sourceRef="S{n}" targetRef="U{n}"/>\n'
            f'<bpmn:sequenceFlow id="B{n}" sourceRef="U{n}" targetRef="E{n}"/>\n</bpmn:process>\n'
        )
        shapes = [_shape(f"S{n}", 0, 0, 36, 36), _shape(f"U{n}", 100, 0), _shape(f"E{n}", 250, 0, 36, 36)]
        diagrams.append(
            _diagram(p, [*shapes, _edge(f"A{n}", 36, 18, 100, 40), _edge(f"B{n}", 200, 40, 250, 18)])
        )
    return (HEAD + "".join(xml) + "".join(diagrams) + "</bpmn:definitions>\n").encode()


def user_split(branches: int, key: str = "tareas") -> bytes:
    """The split with a user task for group 'atencion' on every branch: a start stops at its N tasks."""
    content = parallel(branches, key).replace(
        b'<bpmn:scriptTask id="B', b'<bpmn:userTask camunda:candidateGroups="atencion" id="B'
    )
    content = re.sub(rb"<bpmn:script>r\d+ = 1</bpmn:script></bpmn:scriptTask>", b"</bpmn:userTask>", content)
    return content.replace(b' scriptFormat="python"', b"")


def _context(tmp: Path, name: str, url: str | None = None) -> tuple[Context, Path]:
    db = tmp / f"{name}.db"
    ctx = create_context(Settings(database_url=url or f"sqlite:///{db}", instance_dir=tmp / "instance"))
    metadata.create_all(ctx.db.write_engine)
    return ctx, db


def _timed_deploy(ctx: Context, file: SourceFile) -> tuple[str, str, deployments.DeployOutcome]:
    began, cpu = time.perf_counter(), time.process_time()
    checked = deployments.deploy(ctx, [file], check_only=True)
    check_s = _took(began, cpu)
    assert checked.report.ok, checked.report.problems[:5]
    began, cpu = time.perf_counter(), time.process_time()
    outcome = deployments.deploy(ctx, [file])
    assert outcome.report.ok, outcome.report.problems[:5]
    return check_s, _took(began, cpu), outcome


def _took(began: float, cpu: float) -> str:
    # CPU seconds too: on a shared machine the wall clock measures the neighbours as well.
    return f"{time.perf_counter() - began:6.2f} s ({time.process_time() - cpu:5.2f} s CPU)"


_RAW = """
import sys, time
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
parser = CamundaParser()
parser.add_bpmn_str(sys.stdin.buffer.read(), "m.bpmn")
key = sys.argv[1]
spec, subs = parser.get_spec(key), parser.get_subprocess_specs(key)
began = time.perf_counter()
wf = BpmnWorkflow(spec, subs)
wf.do_engine_steps()
print(f"{time.perf_counter() - began:.2f}")
"""


def raw_stock(content: bytes, key: str, timeout: float) -> str:
    """Stock SpiffWorkflow (no engine import, so none of its patches) in a child process."""
    try:
        done = subprocess.run([sys.executable, "-c", _RAW, key], input=content, capture_output=True,
                              timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"not done after {timeout:.0f} s"
    if done.returncode:
        return "failed: " + done.stderr.decode().strip().splitlines()[-1][:100]
    return f"{float(done.stdout):6.2f} s"


def raw_patched(ctx: Context, key: str) -> float:
    """SpiffWorkflow on the deployed spec, in this process (so with engine.runtime's patches), no database."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    from engine.store import definitions
    from engine.store.uow import UnitOfWork

    with UnitOfWork(ctx.db) as uow:
        definition = definitions.latest_definition(uow.session, key)
        spec, subs = ctx.specs(definition.id, lambda: definitions.spec_json(uow.session, definition.id))
    began = time.perf_counter()
    wf = BpmnWorkflow(spec, subs, script_engine=ctx.script_engine)
    wf.do_engine_steps()
    return time.perf_counter() - began


def start_figures(
    label: str, url: Callable[[], str], tmp: Path, models: list[tuple[str, bytes, str]]
) -> None:
    print(f"\n== starting them: {label} ==")
    for name, content, key in models:
        ctx, _ = _context(tmp, f"start_{key}", url())
        assert deployments.deploy(ctx, [SourceFile(f"{key}.bpmn", content)]).report.ok
        instances.start_process(ctx, key, data={})  # warm-up: the spec cache, connections
        began, cpu = time.perf_counter(), time.process_time()
        with counting(ctx.db) as sql:
            started = instances.start_process(ctx, key, data={})
        took = _took(began, cpu)
        tracemalloc.start()
        instances.start_process(ctx, key, data={})
        heap = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        raw = raw_patched(ctx, key) if started.status == "completed" else None
        ratio = f"  raw SpiffWorkflow {raw:5.2f} s (×{float(took.split()[0]) / raw:4.1f})" if raw else ""
        print(
            f"{name:<34} start {took}  {len(sql.statements):>3} statements  heap peak {heap:6.1f} MB  "
            f"{started.status}{ratio}"
        )
        ctx.db.dispose()


def run(tasks: int, branches: int, processes: int, start: bool, postgres: bool = True,
        raw_branches: int = 1000) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for label, name, content, _key in (
            (f"chain of {tasks} tasks", "cadena.bpmn", chain(tasks), "cadena"),
            (f"parallel split into {branches}", "ramas.bpmn", parallel(branches), "ramas"),
        ):
            ctx, _ = _context(tmp, name)
            # flow nodes and sequence flows (incoming/outgoing references are not elements)
            elements = sum(
                content.count(t) for t in (b"<bpmn:scriptTask", b"<bpmn:sequenceFlow", b"Event ", b"Gateway ")
            )
            check_s, deploy_s, _ = _timed_deploy(ctx, SourceFile(name, content))
            print(
                f"{label:<34} {elements:>6} elements {len(content) / 1e6:5.2f} MB  check {check_s}  "
                f"deploy {deploy_s}"
            )
            ctx.db.dispose()
        ctx, db = _context(tmp, "muchos")
        content = many_processes(processes)
        before = db.stat().st_size
        check_s, deploy_s, outcome = _timed_deploy(ctx, SourceFile("muchos.bpmn", content))
        grown = (db.stat().st_size - before) / 1e6
        print(
            f"{f'{processes} processes in one file':<34} {len(content) / 1e6:5.2f} MB  check {check_s}  "
            f"deploy {deploy_s}  versions {len(outcome.new_versions)}  database +{grown:.1f} MB"
        )
        began = time.perf_counter()
        again = deployments.deploy(ctx, [SourceFile("muchos.bpmn", content)])
        print(
            f"{'  the same file again':<34} {time.perf_counter() - began:6.2f} s, {len(again.unchanged)} unchanged"
        )
        ctx.db.dispose()
        if start:
            models = [
                (f"chain of {tasks} script tasks", chain(tasks), "cadena"),
                (f"split into {branches} script tasks", parallel(branches), "ramas"),
                (f"split into {branches} user tasks", user_split(branches), "tareas"),
            ]
            start_figures("SQLite", lambda: f"sqlite:///{tmp}/start_{time.monotonic_ns()}.db", tmp, models)
            if postgres:
                from tests.pg import PostgresServer, postgres_unavailable_reason

                if (reason := postgres_unavailable_reason()) is None:
                    server = PostgresServer.start()
                    try:
                        start_figures("PostgreSQL", lambda: server.empty_database("bench_start"), tmp, models)
                    finally:
                        server.stop()
                else:
                    print(f"PostgreSQL: {reason}")
            print(f"\n== stock SpiffWorkflow (a child process, no phva patches), at {raw_branches} ==")
            for name, content, key in (
                (f"chain of {raw_branches} script tasks", chain(raw_branches), "cadena"),
                (f"split into {raw_branches} script tasks", parallel(raw_branches), "ramas"),
            ):
                print(f"{name:<34} {raw_stock(content, key, 120)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the run: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--branches", type=int, default=3333)
    parser.add_argument("--processes", type=int, default=5000)
    parser.add_argument("--start", action="store_true", help="also start the chain and the splits")
    parser.add_argument("--no-postgres", action="store_true", help="starts on SQLite only")
    parser.add_argument("--raw-branches", type=int, default=1000, help="size for stock SpiffWorkflow")
    args = parser.parse_args()
    run(args.tasks, args.branches, args.processes, args.start, not args.no_postgres, args.raw_branches)


if __name__ == "__main__":
    main()
