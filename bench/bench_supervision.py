"""Supervision dashboard at scale on PostgreSQL: page time and statements with 100k (and 1M) open tasks.

Run with `python -m bench.bench_supervision [--tasks 100000] [--million] [--rounds 5]`; it starts a throwaway
PostgreSQL cluster (tests/pg.py) unless PHVA_TEST_DATABASE_URL names a server. The fixture is bulk-written
with INSERT … SELECT generate_series (a benchmark, not a scenario), triggers off, then the visibility and
dashboard rows and counters backfilled as the migrations do: per open task one instance; 4 in 5 are
PQRSD with their case (dependencia, type, channel, legal moments spread over 30 days), 1 in 5 tasks of another
process with their own due date; one completed task per instance and one audit event, as history would leave.
Figures: median over the rounds of the service call and of the HTTP page (Flask test client, rendering
included), statements per page; EXPLAIN (ANALYZE, BUFFERS) of every statement under bench/results/.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.pqrsd import legal_data as legal
from engine.store import case_visibility_tables, supervision_tables, visibility_tables
from engine.store.metadata import metadata
from engine.supervision import dashboard, items
from engine.supervision.counters import hour_of
from engine.supervision.filters import parse_filters
from engine.workflow import deployments, inbox

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
NOW = datetime(2026, 3, 16, 14, 0, tzinfo=UTC)  # Monday 09:00 in Bogotá
PASSWORD = "clave-segura-1"
DEPENDENCIAS = 20
STAFF = 200
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "resumen (entidad)": ("u.supervision", {}),
    "resumen (una dependencia)": ("jefa.dep_03", {}),
    "lista PQRSD vencidas": ("u.supervision", {"ver": "casos", "semaforo": "rojo"}),
    "lista tareas por dependencia": ("u.supervision", {"ver": "tareas", "dependencia": "dep_07"}),
    "lista tareas en alerta (una dependencia)": ("jefa.dep_03", {"ver": "tareas", "semaforo": "alerta"}),
    "lista tareas de un funcionario": ("u.supervision", {"ver": "tareas", "funcionario": "f042"}),
    "lista PQRSD en amarillo (entidad)": ("u.supervision", {"ver": "casos", "semaforo": "amarillo"}),
    "resumen filtrado por canal (filas exactas)": ("u.supervision", {"canal": "telefonico"}),
}


def seed(ctx: Context, n: int) -> None:
    """n open tasks (and n instances, ≈0.8 n cases, n completed tasks, n audit events) in a few statements."""
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
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off for the bulk
        for statement in _SEED:
            conn.execute(text(statement), params)
        conn.execute(text(visibility_tables.backfill_sql("postgresql")))
        conn.execute(text(case_visibility_tables.backfill_sql("postgresql")))
        supervision_tables.rebuild(conn, ctx.settings.semaforo_amarillo, hour_of(NOW))
        for table in ("process_instances", "pqrsd_cases", "tasks", "audit_events"):  # later inserts go on
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    with ctx.db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


# g: the instance and its open task; g + n: its completed task. Case share, spreads and groups by modulo.
_SEED = (
    """INSERT INTO process_instances (id, definition_id, process_key, version, business_key, status, state,
         row_version, completed_activities, waits, started_at, started_by, updated_at)
       SELECT g, CASE WHEN g % 5 = 0 THEN :other ELSE :pqrsd END, CASE WHEN g % 5 = 0 THEN 'accion_mejora'
         ELSE 'pqrsd' END, 1, 'B' || g, 'running', '{}', 1, '[]', 0,
         :now - make_interval(secs => (g::bigint * 7919 % 2592000)), 'bench', :now
       FROM generate_series(1, :n) g""",
    """INSERT INTO pqrsd_cases (id, radicado, kind, channel, anonymous, priority, received_at, radicacion_date,
         radicacion_policy, term_version, term_key, term, due_at, original_due_at, explanation, status,
         suspensions, instance_id, subject, dependencia, amarillo_at, alerta_at, created_at, updated_at)
       SELECT g, '2026-' || lpad(g::text, 7, '0'),
         (ARRAY['peticion_general','queja','reclamo','consulta','peticion_documentos','denuncia'])[1 + g % 6],
         (ARRAY['formulario_web','correo_electronico','presencial_ventanilla','telefonico','verbal_presencial'])[1 + (g / 3) % 5],
         false, 'normal', r, r::date, 'A', :tv, 'peticion_general', '{}',
         CASE WHEN g % 97 = 0 THEN NULL ELSE r + interval '21 days' END, r + interval '21 days', '{}',
         CASE WHEN g % 97 = 0 THEN 'en_requerimiento' ELSE 'en_tramite' END, '[]', g,
         'Asunto de prueba ' || g, 'dep_' || lpad((g % 20)::text, 2, '0'),
         r + interval '10 days 12 hours', r + interval '14 days', r, :now
       FROM (SELECT g, :now - make_interval(secs => (g::bigint * 7919 % 2592000)) AS r
             FROM generate_series(1, :n) g WHERE g % 5 <> 0) s""",
    """INSERT INTO tasks (id, spiff_id, instance_id, process_key, bpmn_id, name, lane, state, assignee,
         candidate_users, candidate_groups, due_at, priority, created_at)
       SELECT g, md5(g::text)::uuid::text, g, CASE WHEN g % 5 = 0 THEN 'accion_mejora' ELSE 'pqrsd' END,
         CASE WHEN g % 5 = 0 THEN 'Task_Ejecutar' ELSE 'Task_ProyectarRespuesta' END,
         CASE WHEN g % 5 = 0 THEN 'Ejecutar la acción' ELSE 'Proyectar la respuesta' END, NULL, 'ready',
         CASE WHEN g % 3 = 0 THEN 'f' || lpad((g % 200)::text, 3, '0') END, '[]',
         json_build_array('dep_' || lpad((g % 20)::text, 2, '0')),
         c + interval '21 days', 50, c
       FROM (SELECT g, :now - make_interval(secs => (g::bigint * 7919 % 2592000)) AS c FROM generate_series(1, :n) g) s""",
    """INSERT INTO tasks (id, spiff_id, instance_id, process_key, bpmn_id, name, state, candidate_users,
         candidate_groups, priority, created_at, completed_at, completed_by)
       SELECT g + :n, md5('c' || g)::uuid::text, g, CASE WHEN g % 5 = 0 THEN 'accion_mejora' ELSE 'pqrsd' END,
         'Task_Verificar', 'Verificar competencia, completitud y nivel', 'completed', '[]',
         '["atencion_ciudadano"]', 50, :now - interval '31 days',
         :now - make_interval(secs => (g::bigint * 7919 % 2592000)), 'bench'
       FROM generate_series(1, :n) g""",
    """INSERT INTO task_candidates (task_id, kind, value)
       SELECT g, 'group', 'dep_' || lpad((g % 20)::text, 2, '0') FROM generate_series(1, :n) g""",
    """INSERT INTO audit_events (instance_id, task_id, at, actor, action, summary)
       SELECT g, g + :n, :now - make_interval(secs => (g::bigint * 7919 % 2592000)), 'bench', 'task_completed',
         'Completó la verificación' FROM generate_series(1, :n) g""",
)


def add_people(ctx: Context) -> None:
    users.add_user(ctx, "u.supervision", password=PASSWORD, roles="supervisor", groups="supervision")
    users.add_user(ctx, "jefa.dep_03", password=PASSWORD, roles="supervisor", groups="dep_03")
    for i in range(STAFF):
        users.add_user(ctx, f"f{i:03d}", password=PASSWORD, groups=f"dep_{i % DEPENDENCIAS:02d}")


@contextmanager
def recording(ctx: Context) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "EXPLAIN")):
            seen.append((statement, parameters))

    engines = {ctx.db.read_engine, ctx.db.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", hook)


def median_ms(call: Callable[[], Any], rounds: int) -> float:
    call()  # warm: caches, the legal calendar, the plan
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def database_ms(plan: str) -> float:
    """Planning and execution time of a page's statements, as EXPLAIN ANALYZE reports them."""
    return sum(float(m) for m in re.findall(r"(?:Planning|Execution) Time: ([\d.]+) ms", plan))


def explain(ctx: Context, statements: list[tuple[str, Any]]) -> str:
    out = []
    raw = ctx.db.read_engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            out.append(f"-- {' '.join(statement.split())[:300]}\n{plan}\n")
        raw.rollback()
    finally:
        raw.close()
    return "\n".join(out)


def run(n: int, rounds: int, url: str, workdir: Path) -> list[str]:
    ctx = create_context(
        Settings(database_url=url, instance_dir=workdir / "instance"), clock=FrozenClock(NOW)
    )
    metadata.create_all(ctx.db.write_engine)
    outcome = deployments.deploy(
        ctx, deployments.read_sources([ROOT / "bpmn", ROOT / "forms"]), actor="bench"
    )
    assert outcome.report.ok, outcome.report.format()
    add_people(ctx)
    began = time.perf_counter()
    seed(ctx, n)
    lines = [f"{n:,} tareas abiertas en PostgreSQL (fixture: {time.perf_counter() - began:.0f} s); "
             f"mediana de {rounds} rondas".replace(",", ".")]  # fmt: skip
    from web import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}, context=ctx)
    clients: dict[str, Any] = {}
    for name in ("u.supervision", "jefa.dep_03", "f042"):
        clients[name] = app.test_client()
        clients[name].post("/ingresar", data={"usuario": name, "contrasena": PASSWORD})
    plans: list[str] = []

    def measure(label: str, service: Callable[[], Any], page: Callable[[], Any]) -> None:
        call_ms, page_ms = median_ms(service, rounds), median_ms(page, rounds)
        with recording(ctx) as seen:
            service()
        reads = [s for s in seen if not s[0].lstrip().upper().startswith(("SELECT SET_CONFIG", "ROLLBACK"))]
        plan = explain(ctx, reads)
        lines.append(
            f"  {label:44} servicio {call_ms:7.1f} ms · página {page_ms:7.1f} ms · {len(reads)} sentencias"
            f" · BD {database_ms(plan):7.1f} ms"
        )
        plans.append(f"==== {label} ====\n{plan}")

    for label, (who, args) in PAGES.items():
        user, query, client = users.get_user(ctx, who), parse_filters(args), clients[who]
        path = "/supervision/lista" if args.get("ver") else "/supervision"
        assert client.get(path, query_string=args).status_code == 200
        reader: Callable[..., Any] = items.items if args.get("ver") else dashboard.summary
        measure(label, partial(reader, ctx, user, query), partial(client.get, path, query_string=args))
    f042 = users.get_user(ctx, "f042")
    for label, view in (
        ("bandeja «mis tareas» (f042)", "mias"),
        ("bandeja «de mi dependencia» (f042)", "dependencia"),
    ):
        measure(label, partial(inbox.inbox, ctx, f042, inbox.InboxQuery(view=view)),
                partial(clients["f042"].get, "/tareas", query_string={"vista": view}))  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"supervision_{n}_explain.txt").write_text("\n".join(plans))
    (RESULTS / f"supervision_{n}.txt").write_text("\n".join(lines) + "\n")
    ctx.db.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also 1.000.000 open tasks")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    from tests.pg import PostgresServer, postgres_unavailable_reason

    external = os.environ.get("PHVA_TEST_DATABASE_URL")
    if not external and (reason := postgres_unavailable_reason()):
        raise SystemExit(f"PostgreSQL no disponible: {reason}")
    server = PostgresServer.external(external) if external else PostgresServer.start()
    try:
        for n in [options.tasks] + ([1_000_000] if options.million else []):
            with tempfile.TemporaryDirectory() as tmp:
                for line in run(
                    n, options.rounds, server.empty_database(f"bench_supervision_{n}"), Path(tmp)
                ):
                    print(line, flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
