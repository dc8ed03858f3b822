"""Lists at scale on PostgreSQL: every inbox tab, API filter, deep page, overdue timers, the supervision
dashboard and the PQRSD tray, with 1M open tasks: median time and statements per page, EXPLAIN saved.

Run `python -m bench.scale [--tasks 1000000] [--rounds 5]`; it starts a throwaway cluster (tests/pg.py) unless
`--database-url` names one (with `--reuse`, a database this script already populated: measure only).

Population (minutes at 1M): the models are deployed and the people created through the engine's services,
a few instances are started by the engine itself, then the bulk is cloned in set-based statements (the
fixture of bench_supervision: per open task one instance, 4 in 5 PQRSD with their case, one completed task
and one audit event of history, one waiting timer with ⅓ overdue), with the visibility triggers off and the
visibility rows written in one INSERT … SELECT as migration 0016 does, the dashboard's rows and counters by
the rebuild a changed amarillo share runs (supervision_tables.rebuild); a line per step says where the time
goes. Figures: median of the HTTP page (Flask test client, rendering included; API pages with a bearer token),
statements per page; targets at 1M: inbox and API ≤ 50 ms, overdue and dashboard ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.bench_supervision import _SEED, NOW, PASSWORD, add_people, database_ms, explain, recording
from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.pqrsd import legal_data as legal
from engine.store import case_visibility_tables, supervision_tables
from engine.store.metadata import metadata
from engine.store.visibility_tables import backfill_sql
from engine.supervision import items
from engine.supervision.counters import hour_of
from engine.workflow import deployments, instances, task_pages, views

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGETS = {"bandeja": 50.0, "api": 50.0, "vencidos": 200.0, "tablero": 200.0, "pqrsd": 50.0}
_TIMERS = """INSERT INTO timers (instance_id, spiff_id, bpmn_id, name, kind, timer_type, interrupting, due_at, status,
    created_at, attempts)
  SELECT g, md5(g::text)::uuid::text, 'Timer_Vence', 'Vence el término', 'boundary', 'date', false,
    CASE WHEN g % 3 = 0 THEN :now - make_interval(secs => g % 86400) ELSE :now + make_interval(secs => g % 2592000) END,
    'waiting', :now - interval '1 day', 0
  FROM generate_series(1, :n) g"""


def populate(ctx: Context, n: int) -> tuple[float, list[str]]:
    """Seconds in all, and a line per step with its seconds (where the 10 minutes go)."""
    began = time.perf_counter()
    steps: list[str] = []
    mark = began

    def step(label: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps.append(f"    {label:58} {now - mark:7.1f} s")
        print(steps[-1], flush=True)
        mark = now

    legal.ensure_legal_data(ctx, actor="bench")
    with ctx.db.write_engine.begin() as conn:
        term_version = conn.execute(text("SELECT max(version) FROM term_versions")).scalar_one()
        ids: dict[str, int] = dict(
            conn.execute(text("SELECT key, min(id) FROM process_definitions GROUP BY key")).all()
        )
        params = {
            "n": n,
            "now": NOW,
            "tv": term_version,
            "pqrsd": ids["pqrsd"],
            "other": ids["accion_mejora"],
        }
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off for the clone
        for statement in (*_SEED, _TIMERS):
            conn.execute(text(statement), params)
            step(statement.split("(")[0].strip().lower())
        conn.execute(text(backfill_sql("postgresql")))
        step("task_visibility (como la migración 0016)")
        conn.execute(text(case_visibility_tables.backfill_sql("postgresql")))  # as migration 0028 does
        step("case_visibility (como la migración 0028)")
        supervision_tables.rebuild(conn, ctx.settings.semaforo_amarillo, hour_of(NOW))  # rows and counters
        step("tablero: filas y contadores (supervision_tables.rebuild)")
        for table in ("process_instances", "pqrsd_cases", "tasks", "audit_events", "timers"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    step("commit")
    for _ in range(5):  # and a few through the engine, triggers on, on top of the clone
        instances.start_process(ctx, "accion_mejora", data={}, actor="root")
    with ctx.db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    step("5 instancias por el motor, VACUUM ANALYZE")
    return time.perf_counter() - began, steps


def deep_cursor(ctx: Context, offset: int) -> str:
    with ctx.db.read_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT due_key, neg_priority, task_id FROM task_visibility WHERE kind = 'all' "
                "ORDER BY due_key, neg_priority, task_id OFFSET :o LIMIT 1"
            ),
            {"o": offset},
        ).one()
    return task_pages.encode_cursor("due", task_pages.Seek(row[0], row[1], row[2]))


def dashboard_cursor(ctx: Context, offset: int) -> str:
    """The «Siguiente» cursor of the entity's task list after `offset` rows (what paging there would give)."""
    with ctx.db.read_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT e3, item_id FROM supervision_items WHERE section = 'tarea' AND scope = '' AND first "
                "ORDER BY e3, item_id OFFSET :o LIMIT 1"
            ),
            {"o": offset - 1},
        ).one()
    return items.encode_cursor("tareas.e3", row[0], row[1])


def median_ms(call: Callable[[], Any], rounds: int) -> float:
    call()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def pages(ctx: Context, deep: str, board: str) -> list[tuple[str, str, str, str, dict[str, str]]]:
    """(group, label, who, path, query string)."""
    t = "/tareas"
    api = "/api/v1/tasks"
    return [
        ("bandeja", "«mías» (f042)", "f042", t, {"vista": "mias"}),
        ("bandeja", "«de mi dependencia» (f042)", "f042", t, {"vista": "dependencia"}),
        ("bandeja", "«todas las que puedo ver» (f042)", "f042", t, {"vista": "todas"}),
        ("bandeja", "«todas» (supervisora de una dependencia)", "jefa.dep_03", t, {"vista": "todas"}),
        ("bandeja", "«todas» (admin: la entidad)", "root", t, {"vista": "todas"}),
        ("bandeja", "dependencia · vencidas", "f042", t, {"vista": "dependencia", "vencimiento": "vencidas"}),
        ("bandeja", "dependencia · vencen hoy", "f042", t, {"vista": "dependencia", "vencimiento": "hoy"}),
        ("bandeja", "dependencia · esta semana", "f042", t, {"vista": "dependencia", "vencimiento": "semana"}),
        ("bandeja", "dependencia · prioridad alta (ninguna)", "f042", t, {"vista": "dependencia", "prioridad": "alta"}),
        ("bandeja", "dependencia · por prioridad", "f042", t, {"vista": "dependencia", "orden": "priority"}),
        ("bandeja", "todas (admin) · proceso accion_mejora", "root", t, {"vista": "todas", "proceso": "accion_mejora"}),
        ("bandeja", "todas (admin) · página profunda (cursor, fila 50.000)", "root", t, {"vista": "todas", "desde": deep}),
        ("bandeja", "todas (admin) · página 200 por OFFSET (la última así)", "root", t, {"vista": "todas", "pagina": "200"}),
        ("api", "tasks?candidate=me (f042)", "f042", api, {"candidate": "me"}),
        ("api", "tasks?assignee=me (f042)", "f042", api, {"assignee": "me"}),
        ("api", "tasks (f042: todo lo visible)", "f042", api, {}),
        ("api", "tasks?overdue=true (f042)", "f042", api, {"overdue": "true"}),
        ("api", "tasks?process_key=pqrsd (admin)", "root", api, {"process_key": "pqrsd"}),
        ("api", "tasks?order=priority (admin)", "root", api, {"order": "priority"}),
        ("api", "tasks?cursor=… (admin, fila 50.000)", "root", api, {"cursor": deep}),
        ("api", "tasks?offset=5000 (admin: el mayor admitido)", "root", api, {"offset": "5000"}),
        ("tablero", "resumen (entidad)", "u.supervision", "/supervision", {}),
        ("tablero", "resumen (una dependencia)", "jefa.dep_03", "/supervision", {}),
        ("tablero", "lista PQRSD vencidas", "u.supervision", "/supervision/lista", {"ver": "casos", "semaforo": "rojo"}),
        ("tablero", "lista tareas por dependencia", "u.supervision", "/supervision/lista", {"ver": "tareas", "dependencia": "dep_07"}),
        ("tablero", "lista tareas en alerta (una dependencia)", "jefa.dep_03", "/supervision/lista", {"ver": "tareas", "semaforo": "alerta"}),
        ("tablero", "lista tareas de un funcionario", "u.supervision", "/supervision/lista", {"ver": "tareas", "funcionario": "f042"}),
        ("tablero", "lista PQRSD en amarillo (entidad)", "u.supervision", "/supervision/lista", {"ver": "casos", "semaforo": "amarillo"}),
        ("tablero", "lista PQRSD verdes (una dependencia)", "jefa.dep_03", "/supervision/lista", {"ver": "casos", "semaforo": "verde"}),
        ("tablero", "lista tareas (entidad, página 40)", "u.supervision", "/supervision/lista", {"ver": "tareas", "pagina": "40"}),
        ("tablero", "lista tareas (entidad, cursor tras la fila 50.000)", "u.supervision", "/supervision/lista", {"ver": "tareas", "desde": board}),
        ("tablero", "API items tareas, cursor tras la fila 50.000", "u.supervision", "/api/v1/supervision/items", {"ver": "tareas", "cursor": board}),
        ("tablero", "API summary (entidad)", "u.supervision", "/api/v1/supervision/summary", {}),
        ("tablero", "API items tareas vencidas de dep_07", "u.supervision", "/api/v1/supervision/items", {"ver": "tareas", "semaforo": "rojo", "dependencia": "dep_07"}),
        ("pqrsd", "bandeja PQRSD (supervisión)", "u.supervision", "/pqrsd", {}),
        ("pqrsd", "bandeja PQRSD (f042)", "f042", "/pqrsd", {}),
        ("pqrsd", "bandeja PQRSD vencidas (supervisión)", "u.supervision", "/pqrsd", {"semaforo": "rojo"}),
        ("pqrsd", "bandeja PQRSD en trámite, página 20 (supervisión)", "u.supervision", "/pqrsd", {"estado": "en_tramite", "pagina": "20"}),
        ("pqrsd", "API pqrsd (f042)", "f042", "/api/v1/pqrsd", {}),
    ]  # fmt: skip


def cli_overdue(url: str, workdir: Path, rounds: int) -> tuple[float, int]:
    env = {**os.environ, "PHVA_DATABASE_URL": url, "PHVA_INSTANCE_DIR": str(workdir / "instance")}
    command = [str(Path(sys.executable).with_name("phva")), "timers", "--overdue", "--limit", "100"]
    times, lines = [], 0
    for _ in range(rounds + 1):
        began = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        times.append((time.perf_counter() - began) * 1000)
        lines = len(done.stdout.splitlines())
    return statistics.median(times[1:]), lines


def run(n: int, rounds: int, url: str, workdir: Path, reuse: bool, groups: set[str]) -> list[str]:
    settings = Settings(database_url=url, instance_dir=workdir / "instance")
    ctx = create_context(settings, clock=FrozenClock(NOW))
    seeded = ""
    steps: list[str] = []
    if not reuse:
        metadata.create_all(ctx.db.write_engine)
        outcome = deployments.deploy(
            ctx, deployments.read_sources([ROOT / "bpmn", ROOT / "forms"]), actor="bench"
        )
        assert outcome.report.ok, outcome.report.format()
        add_people(ctx)
        users.add_user(ctx, "root", password=PASSWORD, roles="admin")
        seconds, steps = populate(ctx, n)
        seeded = f" (poblado en {seconds:.0f} s)"
    with ctx.db.read_engine.connect() as conn:
        open_tasks = conn.execute(text("SELECT count(*) FROM tasks WHERE state = 'ready'")).scalar_one()
    lines = [
        f"{open_tasks:,} tareas abiertas en PostgreSQL{seeded}; mediana de {rounds} rondas".replace(",", ".")
    ]
    print(lines[0], flush=True)
    lines.extend(steps)
    from web import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}, context=ctx)
    clients: dict[str, Any] = {}
    tokens: dict[str, str] = {}
    plans: list[str] = []
    deep = deep_cursor(ctx, min(50_000, open_tasks // 2))
    board = dashboard_cursor(ctx, min(50_000, open_tasks // 2))
    for group, label, who, path, args in pages(ctx, deep, board):
        if group not in groups:
            continue
        if who not in clients:
            clients[who] = app.test_client()
            clients[who].post("/ingresar", data={"usuario": who, "contrasena": PASSWORD})
            tokens[who] = users.issue_token(ctx, who)
        headers = {"Authorization": f"Bearer {tokens[who]}"} if path.startswith("/api/") else {}
        get = partial(clients[who].get, path, query_string=args, headers=headers)
        response = get()
        assert response.status_code == 200, (
            label,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )
        ms = median_ms(get, rounds)
        with recording(ctx) as seen:
            get()
        statements = [
            s for s in seen if not s[0].lstrip().upper().startswith(("SELECT SET_CONFIG", "ROLLBACK"))
        ]
        target = TARGETS[group]
        mark = "✓" if ms <= target else "✗"
        plan = explain(ctx, statements)
        lines.append(
            f"  {group:8} {label:56} {ms:8.1f} ms {mark} (≤ {target:.0f}) · {len(statements)} sentencias"
            f" · BD {database_ms(plan):7.1f} ms"
        )
        plans.append(f"==== {group}: {label} ====\n{plan}")
        print(lines[-1], flush=True)
    overdue = partial(views.timers, ctx, overdue=True, limit=100)
    ms = median_ms(overdue, rounds)
    with recording(ctx) as seen:
        overdue()
    mark = "✓" if ms <= TARGETS["vencidos"] else "✗"
    lines.append(
        f"  vencidos {'temporizadores vencidos (servicio, 100)':56} {ms:8.1f} ms {mark} (≤ 200) · {len(seen)} sentencias"
    )
    plans.append(f"==== vencidos ====\n{explain(ctx, seen)}")
    print(lines[-1], flush=True)
    cli_ms, printed = cli_overdue(url, workdir, rounds)
    mark = "✓" if cli_ms <= 300 else "✗"
    lines.append(f"  cli      phva timers --overdue --limit 100 (arranque incluido)        {cli_ms:8.1f} ms {mark} (≤ 300) · {printed} líneas")  # fmt: skip
    print(lines[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scale_{n}_explain.txt").write_text("\n".join(plans))
    (RESULTS / f"scale_{n}.txt").write_text("\n".join(lines) + "\n")
    ctx.db.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to populate (or, with --reuse, to read)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="the database is already populated: measure only"
    )
    parser.add_argument("--groups", default=",".join(TARGETS), help=f"which pages ({', '.join(TARGETS)})")
    options = parser.parse_args()
    server = None
    url = options.database_url
    if url is None:
        from tests.pg import PostgresServer, postgres_unavailable_reason

        if reason := postgres_unavailable_reason():
            raise SystemExit(f"PostgreSQL no disponible: {reason}")
        server = PostgresServer.start()
        url = server.empty_database(f"bench_scale_{options.tasks}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(options.tasks, options.rounds, url, Path(tmp), options.reuse, set(options.groups.split(",")))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
