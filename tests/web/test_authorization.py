"""Who may do what, by page and by API, on a task of the atencion_ciudadano dependencia.

ana: funcionario there · beto: funcionario of ventanilla · sara: supervisor there ·
sol: supervisor of ventanilla · root: admin. Direct URLs to someone else's task are covered.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine.identity.users import get_user
from engine.workflow import views
from tests.web.conftest import bearer, engine, post, sign_in, start_solicitud

USERS = ("ana", "beto", "sara", "sol", "root")
OK, NO = "ok", "forbidden"

# page action → expected outcome per user (same order as USERS)
PAGES: dict[str, tuple[str, ...]] = {
    "GET /tareas/{task}": (OK, NO, OK, NO, OK),
    "GET /procesos/{instance}": (OK, NO, OK, NO, OK),
    "GET /procesos/{instance}/diagrama.json": (OK, NO, OK, NO, OK),
    "POST /tareas/{task}/reclamar": (OK, NO, OK, NO, OK),
    "POST /tareas/{task}/asignar": (NO, NO, OK, NO, OK),
    "POST /tareas/{task}/liberar": (OK, NO, OK, NO, OK),  # ana holds it; others need to supervise
    "POST /tareas/{task} guardar": (OK, NO, OK, NO, OK),
    "GET /iniciar/atender_solicitud": (OK, OK, OK, OK, OK),
}
API: dict[str, tuple[str, ...]] = {
    "GET /api/v1/tasks/{task}": (OK, NO, OK, NO, OK),
    "GET /api/v1/process-instances/{instance}": (OK, NO, OK, NO, OK),
    "POST /api/v1/tasks/{task}/claim": (OK, NO, OK, NO, OK),
    "POST /api/v1/tasks/{task}/unclaim": (OK, NO, OK, NO, OK),
    "POST /api/v1/tasks/{task}/assign": (NO, NO, OK, NO, OK),
    "POST /api/v1/tasks/{task}/complete": (OK, NO, OK, NO, OK),
}
VALID = {"concepto": "Procede", "folios": "1", "aprobado": "true", "canal_respuesta": "correo"}


def cases(table: dict[str, tuple[str, ...]]) -> list[Any]:
    return [
        pytest.param(route, user, table[route][i], id=f"{route}-{user}")
        for route in table
        for i, user in enumerate(USERS)
    ]


def setup(app: Flask, route: str) -> tuple[int, int]:
    ctx = engine(app)
    instance_id = start_solicitud(ctx, solicitante="root")
    task_id = views.tasks(ctx, views.task_filter_for(get_user(ctx, "root"), instance_id=instance_id))[0][0][
        "id"
    ]
    if "unclaim" in route or "liberar" in route:
        from engine.workflow import tasks

        tasks.claim_task(ctx, task_id, "ana")  # the holder or a supervisor of the dependencia may release it
    return instance_id, task_id


@pytest.mark.parametrize(("route", "user", "expected"), cases(PAGES))
def test_pages(app: Flask, route: str, user: str, expected: str) -> None:
    instance_id, task_id = setup(app, route)
    method, path, *extra = (
        route.replace("{task}", str(task_id)).replace("{instance}", str(instance_id)).split()
    )
    client = app.test_client()
    sign_in(client, user)
    if method == "GET":
        response = client.get(path)
        assert response.status_code == (200 if expected == OK else 403), response.status_code
        return
    data = {"asignado": "ana"} if path.endswith("asignar") else {}
    if extra == ["guardar"]:
        data = {"accion": "guardar", **VALID}
    response = post(client, path, data)
    assert response.status_code == (302 if expected == OK else 403), response.get_data(as_text=True)[-400:]


@pytest.mark.parametrize(("route", "user", "expected"), cases(API))
def test_api(app: Flask, route: str, user: str, expected: str) -> None:
    instance_id, task_id = setup(app, route)
    method, path = route.replace("{task}", str(task_id)).replace("{instance}", str(instance_id)).split()
    headers = bearer(engine(app), user)
    client = app.test_client()
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        body: dict[str, Any] = {"assignee": "ana"} if path.endswith("assign") else {}
        if path.endswith("complete"):
            body = {"data": {**VALID, "folios": 1, "aprobado": True}}
        response = client.post(path, headers=headers, json=body)
    assert response.status_code == (200 if expected == OK else 403), response.json


@pytest.mark.parametrize("user", USERS)
def test_inbox_and_api_lists_show_the_task_only_to_those_allowed(app: Flask, user: str) -> None:
    _, task_id = setup(app, "list")
    allowed = PAGES["GET /tareas/{task}"][USERS.index(user)] == OK
    client = app.test_client()
    sign_in(client, user)
    html = client.get("/tareas?vista=todas").get_data(as_text=True)
    assert (f'href="/tareas/{task_id}"' in html) is allowed
    listed = client.get("/api/v1/tasks", headers=bearer(engine(app), user)).json
    assert (task_id in [t["id"] for t in listed["items"]]) is allowed
