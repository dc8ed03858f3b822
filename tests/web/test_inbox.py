"""Inbox: bandejas, filters, order, semáforo, pagination — and a constant number of queries per page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from engine.context import Context
from engine.workflow import tasks
from engine.workflow.inbox import semaforo
from tests.web.conftest import engine, sign_in, start_solicitud

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # Monday 08:00 Bogotá


def task_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/tareas/(\d+)">', html)]


def test_semaforo_is_green_then_yellow_from_half_the_term_then_red_when_due() -> None:
    due = T0 + timedelta(days=14)  # ten business days
    assert semaforo(T0, due, T0 + timedelta(days=1))[0] == "verde"
    colour, share = semaforo(T0, due, T0 + timedelta(days=8))
    assert colour == "amarillo" and share is not None and 0.5 <= share < 1
    assert semaforo(T0, due, due)[0] == "rojo"
    assert semaforo(T0, None, T0) == (None, None)


def test_semaforo_counts_business_days_not_weekends() -> None:
    friday = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
    due = friday + timedelta(days=7)  # next Friday: five business days
    # Monday after a weekend: one business day of five used, though three calendar days passed
    assert semaforo(friday, due, friday + timedelta(days=3)) == ("verde", 0.2)


def test_short_terms_use_elapsed_time() -> None:
    colour, share = semaforo(T0, T0 + timedelta(hours=2), T0 + timedelta(hours=1, minutes=30))
    assert colour == "amarillo" and share == pytest.approx(0.75)


def test_my_tasks_and_my_dependencias_tasks_are_separate_bandejas(app: Flask) -> None:
    ctx = engine(app)
    start_solicitud(ctx)
    client = app.test_client()
    sign_in(client, "ana")
    group = client.get("/tareas?vista=dependencia").get_data(as_text=True)
    assert "Revisar solicitud" in group and "En término" in group
    assert "Revisar solicitud" not in client.get("/tareas").get_data(as_text=True)
    tasks.claim_task(ctx, task_ids(group)[0], "ana")
    assert "Revisar solicitud" in client.get("/tareas?vista=mias").get_data(as_text=True)
    assert "No hay tareas" in client.get("/tareas?vista=dependencia").get_data(as_text=True)


def test_other_dependencias_see_nothing(app: Flask) -> None:
    start_solicitud(engine(app))
    client = app.test_client()
    sign_in(client, "beto")
    for view in ("mias", "dependencia", "todas"):
        assert "Revisar solicitud" not in client.get(f"/tareas?vista={view}").get_data(as_text=True)


def test_filters_by_text_process_due_and_priority(app: Flask) -> None:
    ctx = engine(app)
    start_solicitud(ctx)
    client = app.test_client()
    sign_in(client, "ana")
    base = "/tareas?vista=dependencia"
    assert task_ids(client.get(base + "&texto=revisar").get_data(as_text=True))
    assert not task_ids(client.get(base + "&texto=zzz").get_data(as_text=True))
    assert task_ids(client.get(base + "&proceso=atender_solicitud").get_data(as_text=True))
    assert not task_ids(client.get(base + "&proceso=otro").get_data(as_text=True))
    assert not task_ids(client.get(base + "&vencimiento=vencidas").get_data(as_text=True))
    assert task_ids(client.get(base + "&prioridad=normal").get_data(as_text=True))
    assert not task_ids(client.get(base + "&prioridad=alta").get_data(as_text=True))
    ctx.clock.advance(days=16)  # type: ignore[attr-defined]
    overdue = client.get(base + "&vencimiento=vencidas").get_data(as_text=True)
    assert task_ids(overdue) and "Vencida o por vencer" in overdue and "venció hace" in overdue
    assert client.get(base + "&vencimiento=mañana").status_code == 400


def test_pages_of_twenty_five_in_due_order(app: Flask) -> None:
    ctx = engine(app)
    for i in range(30):
        ctx.clock.advance(minutes=1)  # type: ignore[attr-defined]
        start_solicitud(ctx, asunto=f"Solicitud {i}")
    client = app.test_client()
    sign_in(client, "ana")
    first = client.get("/tareas?vista=dependencia").get_data(as_text=True)
    second = client.get("/tareas?vista=dependencia&pagina=2").get_data(as_text=True)
    assert len(task_ids(first)) == 25 and len(task_ids(second)) == 5
    assert "página 1 de 2" in first and 'rel="next"' in first
    assert task_ids(first) + task_ids(second) == sorted(task_ids(first) + task_ids(second))


@contextmanager
def counted(ctx: Context) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("PRAGMA", "BEGIN")):  # SQLite's explicit BEGIN is not a query
            statements.append(statement)

    engines = {ctx.db.read_engine, ctx.db.write_engine}
    for target in engines:
        event.listen(target, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for target in engines:
            event.remove(target, "before_cursor_execute", count)


def test_inbox_runs_the_same_few_queries_whatever_the_number_of_tasks(app: Flask) -> None:
    ctx = engine(app)
    client = app.test_client()
    sign_in(client, "ana")
    sizes = {}
    for total in (1, 20):
        while len(task_ids(client.get("/tareas?vista=dependencia").get_data(as_text=True))) < total:
            start_solicitud(ctx)
        with counted(ctx) as statements:
            assert client.get("/tareas?vista=dependencia").status_code == 200
        sizes[total] = len(statements)
    assert sizes[1] == sizes[20], sizes
    # signed-in user, count, page of tasks, process list for the filter, the bell's unread count
    assert sizes[20] <= 5, sizes
