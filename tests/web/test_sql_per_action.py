"""One user action, one write transaction and one commit, in a handful of statements (DESIGN: engine rules).

Each test does what a user does over HTTP and counts what reached the database during that one request;
the user is read once per request (sign-in session or bearer token) and handed to the use case.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from engine.identity.users import get_user
from engine.workflow import tasks, views
from tests.sql_count import SqlCount, counting
from tests.web.conftest import bearer, csrf_token, engine, sign_in, start_solicitud

MAX_STATEMENTS = 15
REVIEW = {"concepto": "Procede", "folios": "2", "aprobado": "true", "canal_respuesta": "correo"}


def _review_task(app: Flask, username: str = "ana") -> int:
    ctx = engine(app)
    instance_id = start_solicitud(ctx)
    items, _ = views.tasks(ctx, views.task_filter_for(get_user(ctx, username), instance_id=instance_id))
    return int(items[0]["id"])


def _one_action(count: SqlCount) -> None:
    assert count.write_transactions == 1, count
    assert count.commits == 1, count
    assert len(count.statements) <= MAX_STATEMENTS, count


def _signed_in(app: Flask, username: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, username)
    return client, csrf_token(client, "/tareas")


def test_completing_a_task_form_is_one_commit(any_app: Flask) -> None:
    task_id = _review_task(any_app)
    tasks.claim_task(engine(any_app), task_id, "ana")
    client, token = _signed_in(any_app, "ana")
    with counting(engine(any_app).db) as count:
        response = client.post(
            f"/tareas/{task_id}", data={**REVIEW, "accion": "completar", "csrf_token": token}
        )
    assert response.status_code == 302, response.get_data(as_text=True)
    _one_action(count)
    assert views.task(engine(any_app), task_id)["state"] == "completed"


def test_completing_discards_the_draft_in_the_same_commit(any_app: Flask) -> None:
    task_id = _review_task(any_app)
    tasks.claim_task(engine(any_app), task_id, "ana")
    client, token = _signed_in(any_app, "ana")
    saved = client.post(f"/tareas/{task_id}", data={**REVIEW, "accion": "guardar", "csrf_token": token})
    assert saved.status_code == 302
    with counting(engine(any_app).db) as count:
        response = client.post(
            f"/tareas/{task_id}", data={**REVIEW, "accion": "completar", "csrf_token": token}
        )
    assert response.status_code == 302
    _one_action(count)
    assert any(s.startswith("DELETE FROM task_drafts") for s in count.statements), count


def test_an_invalid_task_form_writes_nothing(any_app: Flask) -> None:
    task_id = _review_task(any_app)
    tasks.claim_task(engine(any_app), task_id, "ana")
    client, token = _signed_in(any_app, "ana")
    with counting(engine(any_app).db) as count:
        response = client.post(
            f"/tareas/{task_id}", data={**REVIEW, "folios": "0", "accion": "completar", "csrf_token": token}
        )
    assert response.status_code == 422
    assert count.write_transactions == 0 and count.commits == 0, count


def test_completing_over_the_api_is_one_commit(any_app: Flask) -> None:
    task_id = _review_task(any_app)
    headers = bearer(engine(any_app), "ana")
    client = any_app.test_client()
    data = {"concepto": "Procede", "folios": 2, "aprobado": True}
    with counting(engine(any_app).db) as count:
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    assert response.status_code == 200, response.get_json()
    _one_action(count)


def test_claim_and_assign_are_one_commit_each(any_app: Flask) -> None:
    task_id = _review_task(any_app)
    client, token = _signed_in(any_app, "ana")
    with counting(engine(any_app).db) as claim:
        assert client.post(f"/tareas/{task_id}/reclamar", data={"csrf_token": token}).status_code == 302
    _one_action(claim)
    supervisor, token = _signed_in(any_app, "sara")
    with counting(engine(any_app).db) as assign:
        response = supervisor.post(
            f"/tareas/{task_id}/asignar", data={"asignado": "beto", "csrf_token": token}
        )
    assert response.status_code == 302
    _one_action(assign)
    assert views.task(engine(any_app), task_id)["assignee"] == "beto"


def test_claim_over_the_api_returns_the_task_from_the_same_commit(any_app: Flask) -> None:
    task_id = _review_task(any_app)
    headers = bearer(engine(any_app), "ana")
    with counting(engine(any_app).db) as count:
        response = any_app.test_client().post(f"/api/v1/tasks/{task_id}/claim", headers=headers)
    assert response.get_json()["assignee"] == "ana"
    _one_action(count)


def test_starting_from_the_start_form_is_one_commit(any_app: Flask) -> None:
    client, token = _signed_in(any_app, "ana")
    form = {"solicitante": "ana", "asunto": "Certificado", "tipo": "peticion", "csrf_token": token}
    with counting(engine(any_app).db) as count:
        response = client.post("/iniciar/atender_solicitud", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert re.search(r"/tareas/\d+$", response.headers["Location"])  # straight to the new task
    _one_action(count)


def test_starting_over_the_api_is_one_commit(any_app: Flask) -> None:
    headers = bearer(engine(any_app), "ana")
    body = {"process_key": "atender_solicitud", "data": {"solicitante": "ana", "asunto": "Paz y salvo"}}
    with counting(engine(any_app).db) as count:
        response = any_app.test_client().post("/api/v1/process-instances", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    _one_action(count)
