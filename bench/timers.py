"""Timers: how late the scheduler fires (fired − due) and how many firings per second, SQLite and PostgreSQL.

Run with `python -m bench.timers [--timers N] [--no-postgres]`.
- on time: N instances wait on timers due evenly over the next `--spread` seconds; one scheduler
  (APScheduler, real clock) fires them; lateness = the timer row's fired_at − due_at.
- burst: N timers already overdue (a restart catch-up); one scheduler drains them; firings per second.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import func, insert, select

from engine.bootstrap import create_context
from engine.clock import FrozenClock, SystemClock
from engine.config import Settings
from engine.context import Context
from engine.modeling.definitions import SourceFile
from engine.scheduler import TimerScheduler
from engine.store.metadata import metadata
from engine.store.tables import ProcessInstance, Timer
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BULK = Path(__file__).resolve().parents[1] / "tests" / "data" / "timers_bulk.bpmn"


def seed_waiting_instances(ctx: Context, dues: Sequence[datetime]) -> list[int]:
    """One `lote` instance per due time, each waiting on its timer; bulk-written as if started singly."""
    if not deployments_done(ctx):
        deployments.deploy(ctx, [SourceFile(BULK.name, BULK.read_bytes())])
    template_due = dues[0]
    starter = create_context(
        ctx.settings, clock=FrozenClock(template_due - timedelta(hours=1)), functions=ctx.functions
    )
    template = instances.start_process(starter, "lote", data={"vence": template_due.isoformat()})
    starter.db.dispose()
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = session.get(ProcessInstance, template.id)
        timer = session.scalar(select(Timer).where(Timer.instance_id == template.id))
        assert row is not None and timer is not None
        clones = [_clone(row.state, template_due, due, timer.spiff_id or "") for due in dues[1:]]
        values: list[dict[str, Any]] = [
            {
                "definition_id": row.definition_id,
                "process_key": row.process_key,
                "version": row.version,
                "business_key": None,
                "status": "running",
                "state": state,
                "row_version": 1,
                "completed_activities": [],
                "waits": row.waits,  # the clones wait on a timer row, like the template
                "started_at": row.started_at,
                "started_by": "bench",
                "updated_at": row.updated_at,
            }
            for state, _ in clones
        ]
        ids = [template.id]
        if values:
            ids += list(
                session.scalars(
                    insert(ProcessInstance).returning(ProcessInstance.id, sort_by_parameter_order=True),
                    values,
                )
            )
            session.execute(
                insert(Timer),
                [
                    {
                        "instance_id": instance_id,
                        "spiff_id": spiff_id,
                        "bpmn_id": timer.bpmn_id,
                        "name": timer.name,
                        "kind": timer.kind,
                        "timer_type": timer.timer_type,
                        "interrupting": timer.interrupting,
                        "due_at": due,
                        "status": "waiting",
                        "created_at": timer.created_at,
                        "attempts": 0,
                    }
                    for instance_id, due, (_, spiff_id) in zip(ids[1:], dues[1:], clones, strict=True)
                ],
            )
        uow.commit()
    return ids


def _clone(state: str, old_due: datetime, due: datetime, timer_task: str) -> tuple[str, str]:
    """The template's state with its own due time and fresh task ids (task ids are unique per database)."""
    fresh = {old: str(uuid4()) for old in set(UUID.findall(state))}
    cloned = UUID.sub(lambda m: fresh[m.group()], state.replace(old_due.isoformat(), due.isoformat()))
    return cloned, fresh.get(timer_task, timer_task)


def deployments_done(ctx: Context) -> bool:
    from engine.store.tables import ProcessDefinition

    with UnitOfWork(ctx.db, write=False) as uow:
        return (
            uow.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "lote"))
            is not None
        )


def fired_count(ctx: Context) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired")) or 0


def lateness(ctx: Context) -> list[float]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(select(Timer.due_at, Timer.fired_at).where(Timer.status == "fired"))
        return sorted((fired - due).total_seconds() * 1000 for due, fired in rows if fired is not None)


def on_time(ctx: Context, n: int, spread: float) -> list[float]:
    start = SystemClock().now() + timedelta(seconds=3)
    seed_waiting_instances(ctx, [start + timedelta(seconds=spread * i / n) for i in range(n)])
    scheduler = TimerScheduler(ctx, worker="bench")
    scheduler.start()
    try:
        deadline = time.monotonic() + 120
        while fired_count(ctx) < n and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    return lateness(ctx)


def burst(ctx: Context, n: int) -> float:
    past = SystemClock().now() - timedelta(minutes=10)
    seed_waiting_instances(ctx, [past + timedelta(milliseconds=i) for i in range(n)])
    scheduler = TimerScheduler(ctx, worker="bench")
    began = time.perf_counter()
    report = scheduler.run_once()
    elapsed = time.perf_counter() - began
    scheduler.shutdown()
    assert report is not None and report.fired == n, report
    return n / elapsed


def fresh_context(url: str, tmp: Path) -> Context:
    ctx = create_context(Settings(database_url=url, instance_dir=tmp / "instance"))
    metadata.create_all(ctx.db.write_engine)
    return ctx


def report_line(name: str, late_ms: list[float], rate: float) -> str:
    q = statistics.quantiles(late_ms, n=100)
    return (
        f"{name:<10} fired−due ms: min {late_ms[0]:6.1f}  p50 {q[49]:6.1f}  p95 {q[94]:6.1f}  "
        f"p99 {q[98]:6.1f}  max {late_ms[-1]:6.1f}   burst: {rate:6.0f} firings/s"
    )


def run(n: int, spread: float, with_postgres: bool) -> None:
    print(f"{n} timers per backend due over {spread:g} s; one scheduler; lateness = fired_at − due_at")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        targets: list[tuple[str, Callable[[str], str]]] = [
            ("SQLite", lambda name: f"sqlite:///{tmp / name}.db")
        ]
        server = None
        if with_postgres:
            from tests.pg import PostgresServer, postgres_unavailable_reason

            reason = postgres_unavailable_reason()
            if reason is None:
                server = PostgresServer.start()
                targets.append(("PostgreSQL", lambda name: server.fresh_database(name)))  # type: ignore[union-attr]
            else:
                print(f"PostgreSQL omitido: {reason}")
        try:
            for label, make_url in targets:
                ctx = fresh_context(make_url("on_time"), tmp)
                late = on_time(ctx, n, spread)
                ctx.db.dispose()
                ctx = fresh_context(make_url("burst"), tmp)
                rate = burst(ctx, n)
                ctx.db.dispose()
                print(report_line(label, late, rate))
        finally:
            if server is not None:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds over which the timers come due")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    run(args.timers, args.spread, not args.no_postgres)


if __name__ == "__main__":
    main()
