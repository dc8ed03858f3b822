"""Throughput on PostgreSQL: completions per second with N gunicorn workers × M client threads, and the CPU
(application + database) one completion costs, counting its share of the start and the list before it.

    python -m bench.throughput [--seconds 15] [--workers 2,4] [--threads 8] [--cores 1,2] [--floor] [--repeat N]

Each configuration runs in its own process under `taskset` (the cores given: 1 → CPU 0, 2 → CPUs 0-1), with
its own PostgreSQL cluster, so the web workers and the database share exactly those cores (the client threads
too: they are light, and their CPU is not counted). A client loop is start → list `candidate=me` → complete
over the JSON API with a bearer token. CPU is read from /proc (utime + stime of the gunicorn workers and the
PostgreSQL processes). The last lines extrapolate from the CPU per completion to more cores.

`--floor` runs every configuration a second time against `bench.floor_app`: the same three calls served by
Flask, SpiffWorkflow and psycopg alone, in the same harness, so the table shows what the stack costs before
anything phva does, and what phva adds to it. `--repeat N` alternates the runs N times: on a shared VM whose
speed drifts, only runs taken side by side compare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D_rendimiento" targetNamespace="x">
  <bpmn:process id="rendimiento" name="Rendimiento" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Revisar" camunda:candidateGroups="bench">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="phva:variables" value="nota"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def _phva_setup(url: str, tmp: Path, threads: int) -> list[str]:
    """phva's schema, the bench model deployed, and a user with a token per client thread."""
    from engine.bootstrap import create_context
    from engine.config import Settings
    from engine.identity import users
    from engine.modeling.definitions import SourceFile
    from engine.store.metadata import metadata
    from engine.workflow import deployments

    ctx = create_context(Settings(database_url=url, instance_dir=tmp / "instance"))
    metadata.create_all(ctx.db.write_engine)
    outcome = deployments.deploy(ctx, [SourceFile("rendimiento.bpmn", MODEL.encode())])
    assert outcome.report.ok, outcome.report.format()
    tokens = []
    for n in range(threads):
        users.add_user(ctx, f"carga{n}", groups="bench", create_groups=True)
        tokens.append(users.issue_token(ctx, f"carga{n}"))
    ctx.db.dispose()
    return tokens


def one(seconds: float, workers: int, threads: int, floor: bool = False) -> dict[str, Any]:
    """One configuration, in this process (already under taskset): phva, or with `floor` the bare stack."""
    from tests.pg import PostgresServer
    from tests.processes import GUNICORN, Processes, call, free_port

    server = PostgresServer.start()
    processes: Processes | None = None
    port = free_port()
    try:
        url = server.empty_database("rendimiento")
        tmp = Path(tempfile.mkdtemp())
        if floor:
            from bench import floor_app

            libpq = url.replace("postgresql+psycopg://", "postgresql://")
            floor_app.create_schema(libpq)
            tokens = [f"suelo{n}" for n in range(threads)]
            processes = Processes(url, tmp, FLOOR_DATABASE_URL=libpq, FLOOR_TOKENS=",".join(tokens))
            web = processes.spawn("web", GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                  "--no-control-socket", "bench.floor_app:create_app()")  # fmt: skip
        else:
            tokens = _phva_setup(url, tmp, threads)
            processes = Processes(url, tmp)
            web = processes.web("web", port, workers)
        processes.wait_ready([port], schedulers=[])
        postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])  # type: ignore[operator]
        counts = {"complete": 0, "errors": 0}
        lock = threading.Lock()

        def loop(token: str, stop: float) -> None:
            n = 0
            while time.monotonic() < stop:
                status, started = call(port, "POST", "/api/v1/process-instances", token,
                                        {"process_key": "rendimiento"})  # fmt: skip
                ok = status == 201
                status, listed = call(port, "GET", "/api/v1/tasks?candidate=me&limit=10", token)
                ok = ok and status == 200
                mine = [
                    t["id"]
                    for t in (listed or {}).get("items", [])
                    if t["instance_id"] == (started or {}).get("id")
                ]
                if mine:
                    status, _ = call(
                        port, "POST", f"/api/v1/tasks/{mine[0]}/complete", token, {"data": {"nota": str(n)}}
                    )
                    ok = ok and status == 200
                with lock:
                    counts["complete"] += 1 if ok and mine else 0
                    counts["errors"] += 0 if ok and mine else 1
                n += 1

        warm = time.monotonic() + 3  # connections, caches and specs in every worker
        warming = [threading.Thread(target=loop, args=(tok, warm)) for tok in tokens]
        for t in warming:
            t.start()
        for t in warming:
            t.join()
        counts.update(complete=0, errors=0)
        pids = _tree(web.pid) + _tree(postmaster)
        before = _cpu_seconds(pids)
        began = time.monotonic()
        stop = began + seconds
        running = [threading.Thread(target=loop, args=(tok, stop)) for tok in tokens]
        for t in running:
            t.start()
        for t in running:
            t.join()
        wall = time.monotonic() - began
        app_pids = set(_tree(web.pid))
        after = _cpu_seconds(list(app_pids) + _tree(postmaster))
        spent = {p: after[p] - before.get(p, 0.0) for p in after}
        cpu = sum(spent.values())
        app = sum(v for p, v in spent.items() if p in app_pids)
        done = counts["complete"]
        per = (lambda seconds: 1000 * seconds / done) if done else (lambda _s: float("nan"))
        return {"floor": floor, "workers": workers, "threads": threads, "completions": done, "errors": counts["errors"],
                "per_second": done / wall, "cpu_ms": per(cpu), "app_ms": per(app), "db_ms": per(cpu - app),
                "cpu_busy": cpu / wall}  # fmt: skip
    finally:
        if processes is not None:
            processes.stop_all()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--threads", default="8")
    parser.add_argument("--cores", default="1,2")
    parser.add_argument("--floor", action="store_true", help="también el suelo de la pila (bench.floor_app)")
    parser.add_argument("--repeat", type=int, default=1, help="corridas alternadas de cada configuración")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.seconds, int(args.workers), int(args.threads), args.floor)))
        return
    rows = []
    available = len(os.sched_getaffinity(0))
    for cores in [int(c) for c in args.cores.split(",") if int(c) <= available]:
        for workers in [int(w) for w in args.workers.split(",")]:
            for threads in [int(t) for t in args.threads.split(",")]:
                for floor in ([False, True] if args.floor else [False]) * args.repeat:
                    row = _run_one(args.seconds, cores, workers, threads, floor)
                    if row is not None:
                        rows.append(row)
    _print_table(rows)
    for floor in [False, True]:
        _print_scaling([r for r in rows if r["floor"] == floor], "suelo: " if floor else "")


def _label(row: dict[str, Any]) -> str:
    return "suelo (Flask + SpiffWorkflow + psycopg)" if row["floor"] else "phva"


def _run_one(seconds: float, cores: int, workers: int, threads: int, floor: bool) -> dict[str, Any] | None:
    command = ["taskset", "-c", f"0-{cores - 1}", sys.executable, "-m", "bench.throughput", "--one",
               "--seconds", str(seconds), "--workers", str(workers), "--threads", str(threads)]  # fmt: skip
    done = subprocess.run(command + (["--floor"] if floor else []), capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    row["cores"] = cores
    print(
        f"{_label(row)}: {cores} núcleo(s)  {workers} workers × {threads} hilos: {row['per_second']:7.1f} "
        f"completadas/s  CPU {row['cpu_ms']:5.2f} ms/completada (app {row['app_ms']:.2f}, BD {row['db_ms']:.2f})  "
        f"errores {row['errors']}",
        flush=True,
    )
    return row


def _print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "\n| pila | núcleos | workers × hilos | completadas/s | CPU ms por completada (app + BD) | app | BD | errores |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {_label(r)} | {r['cores']} | {r['workers']} × {r['threads']} | {r['per_second']:.0f} | "
            f"{r['cpu_ms']:.2f} | {r['app_ms']:.2f} | {r['db_ms']:.2f} | {r['errors']} |"
        )
    for i, r in enumerate(rows):  # each phva run against the floor's run taken right after it
        twin = next((f for f in rows[i + 1:] if f["floor"] and not r["floor"] and
                     (f["cores"], f["workers"], f["threads"]) == (r["cores"], r["workers"], r["threads"])), None)  # fmt: skip
        if twin is not None and twin["cpu_ms"]:
            print(
                f"{r['cores']} núcleo(s), {r['workers']} × {r['threads']}: phva cuesta {r['cpu_ms'] / twin['cpu_ms']:.2f}× "
                f"la CPU del suelo y logra {r['per_second'] / twin['per_second']:.0%} de sus completadas/s"
            )


def _print_scaling(rows: list[dict[str, Any]], prefix: str) -> None:
    best = {
        c: max((r for r in rows if r["cores"] == c), key=lambda r: r["per_second"])
        for c in {r["cores"] for r in rows}
    }
    if 1 in best and 2 in best and best[1]["per_second"]:
        gain = best[2]["per_second"] / best[1]["per_second"]
        print(f"\n{prefix}2 núcleos / 1 núcleo: {gain:.2f}× (lineal: 2×)")
    if rows:
        cpu = min(r["cpu_ms"] for r in rows)
        print(
            f"{prefix}extrapolación por CPU: {1000 / cpu:.0f} completadas/s por núcleo; "
            f"{2000 / cpu:.0f} en 2, {4000 / cpu:.0f} en 4, {8000 / cpu:.0f} en 8 (si la BD escala igual)."
        )


if __name__ == "__main__":
    main()
