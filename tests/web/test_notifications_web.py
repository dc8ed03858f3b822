"""The bell counts unread notifications in one query, the list marks them read (POST with CSRF), and each
user chooses per event how to be told; nobody reads or marks another user's notifications."""

from __future__ import annotations

import re

from flask import Flask

from engine.context import Context
from engine.notifications import events, preferences
from engine.notifications.notify import notify
from engine.store.uow import UnitOfWork
from tests.sql_count import counting
from tests.web.conftest import csrf_token, engine, sign_in


def _tell(ctx: Context, username: str, n: int) -> None:
    with UnitOfWork(ctx.db) as uow:
        for i in range(n):
            notify(uow.session, ctx, event=events.TASK_ASSIGNED, subject=f"Tarea asignada: Revisar {i}",
                   body=f"sara le asignó la tarea «Revisar {i}».", link=f"/tareas/{i + 1}", users=[username])  # fmt: skip
        uow.commit()


def _bell(html: str) -> str | None:
    found = re.search(r'class="bell-count">([^<]+)<', html)
    return found.group(1) if found else None


def test_the_bell_shows_the_unread_count_and_costs_one_query(app: Flask) -> None:
    _tell(engine(app), "ana", 3)
    client = app.test_client()
    sign_in(client, "ana")
    with counting(engine(app).db) as with_bell:
        html = client.get("/tareas").get_data(as_text=True)
    assert _bell(html) == "3"
    assert 'aria-label="Notificaciones: 3 sin leer"' in html
    bell_queries = [s for s in with_bell.statements if "FROM notifications" in s]
    assert len(bell_queries) == 1 and "count(" in bell_queries[0].lower(), with_bell
    other = app.test_client()
    sign_in(other, "beto")
    assert _bell(other.get("/tareas").get_data(as_text=True)) is None


def test_marking_one_and_then_all_read_empties_the_bell(app: Flask) -> None:
    _tell(engine(app), "ana", 25)
    client = app.test_client()
    sign_in(client, "ana")
    page = client.get("/notificaciones").get_data(as_text=True)
    assert "25 sin leer de 25." in page and "Página 1 de 2" in page
    assert page.index("Revisar 24") < page.index("Revisar 23")  # newest first
    first = re.search(r"/notificaciones/(\d+)/leida", page)
    assert first
    token = csrf_token(client, "/notificaciones")
    opened = client.post(f"/notificaciones/{first.group(1)}/leida", data={"csrf_token": token, "abrir": "1"})
    assert opened.status_code == 302 and opened.headers["Location"] == "/tareas/25"
    assert _bell(client.get("/notificaciones").get_data(as_text=True)) == "24"
    assert client.post("/notificaciones/leidas", data={}).status_code == 400  # no CSRF token: refused
    assert _bell(client.get("/notificaciones").get_data(as_text=True)) == "24"
    done = client.post("/notificaciones/leidas", data={"csrf_token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Todas sus notificaciones quedaron leídas." in html and _bell(html) is None


def test_another_users_notification_is_unknown(app: Flask) -> None:
    _tell(engine(app), "ana", 1)
    page = app.test_client()
    sign_in(page, "ana")
    notification_id = re.search(
        r"/notificaciones/(\d+)/leida", page.get("/notificaciones").get_data(as_text=True)
    )
    assert notification_id
    client = app.test_client()
    sign_in(client, "beto")
    response = client.post(f"/notificaciones/{notification_id.group(1)}/leida",
                           data={"csrf_token": csrf_token(client, "/notificaciones")})  # fmt: skip
    assert response.status_code == 404
    assert _bell(page.get("/notificaciones").get_data(as_text=True)) == "1"


def test_preferences_are_saved_per_event_and_a_bad_channel_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    page = client.get("/notificaciones/preferencias").get_data(as_text=True)
    assert "Me asignan una tarea" in page and "Resumen diario de tareas por vencer y vencidas" in page
    token = csrf_token(client, "/notificaciones/preferencias")
    chosen = {**preferences.preferences(engine(app), "ana"), events.GROUP_TASK: "none", events.DIGEST: "both"}
    saved = client.post(
        "/notificaciones/preferencias", data={**chosen, "csrf_token": token}, follow_redirects=True
    )
    assert "Preferencias guardadas." in saved.get_data(as_text=True)
    assert preferences.preferences(engine(app), "ana")[events.GROUP_TASK] == "none"
    bad = client.post("/notificaciones/preferencias",
                      data={**chosen, events.GROUP_TASK: "paloma", "csrf_token": token})  # fmt: skip
    assert bad.status_code == 400
    assert "Canal no válido para «Llega una tarea nueva a mi dependencia»: «paloma»" in bad.get_data(
        as_text=True
    )
    assert preferences.preferences(engine(app), "ana") == {**preferences.preferences(engine(app), "ana"),
                                                            events.GROUP_TASK: "none", events.DIGEST: "both"}  # fmt: skip
