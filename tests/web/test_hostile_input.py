"""Issue 15 finding 7: the inputs that gave HTTP 500 with a traceback get a clear 4xx, on SQLite and PostgreSQL,
and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine.context import Context
from engine.store.uow import UnitOfWork
from engine.workflow import views
from tests.web.conftest import bearer, engine, sign_in, start_solicitud

BIG = str(2**63)  # one past a bigint
NUL = "a\x00b"
RAW_JSON = {"Content-Type": "application/json"}


def _api_requests(task_id: int, instance_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, kwargs) for every finding of the issue's list that reaches the API."""
    return [
        ("get", f"/api/v1/tasks/{BIG}", {}),
        ("post", f"/api/v1/tasks/{BIG}/claim", {}),
        ("get", f"/api/v1/process-instances/{BIG}", {}),
        ("get", f"/api/v1/tasks?offset={BIG}", {}),
        ("get", f"/api/v1/tasks?instance_id={BIG}", {}),
        ("get", "/api/v1/tasks?offset=99999999999999999999999", {}),
        ("get", "/api/v1/tasks?process_key=a%00b", {}),
        ("post", "/api/v1/process-instances", {"json": {"process_key": NUL}}),
        ("post", "/api/v1/process-instances", {"json": {"process_key": "atender_solicitud", "business_key": NUL}}),
        ("post", "/api/v1/process-instances", {"json": {"process_key": "atender_solicitud", "business_key": "k" * 201}}),
        ("post", "/api/v1/messages", {"json": {"name": NUL, "instance_id": instance_id}}),
        ("post", "/api/v1/messages", {"json": {"name": "m" * 201}}),
        ("post", "/api/v1/messages", {"json": {"name": "respuesta", "instance_id": 2**63}}),
        ("post", "/api/v1/process-instances", {"data": '{"process_key": "atender_solicitud", "business_key": "\\ud800"}', "headers": RAW_JSON}),
        ("post", f"/api/v1/tasks/{task_id}/complete", {"data": '{"variables": {"x": NaN}}', "headers": RAW_JSON}),
        ("post", f"/api/v1/tasks/{task_id}/complete", {"data": '{"variables": {"x": Infinity}}', "headers": RAW_JSON}),
        ("post", f"/api/v1/tasks/{task_id}/complete", {"data": '{"variables": {"x": "\\ud800"}}', "headers": RAW_JSON}),
        ("post", f"/api/v1/tasks/{task_id}/complete", {"data": '{"variables": {"x": ' + "[" * 600 + "]" * 600 + "}}", "headers": RAW_JSON}),
        ("post", "/api/v1/process-instances", {"data": '{"process_key": "atender_solicitud", "data": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}", "headers": RAW_JSON}),
        ("post", "/api/v1/process-instances", {"json": {"process_key": "atender_solicitud", "data": {"n": 2**70}}}),
    ]  # fmt: skip


def _instances(ctx: Context) -> list[Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list(views.list_instances(uow.session))


def test_hostile_api_input_is_refused_with_a_message_and_writes_nothing(any_app: Flask) -> None:
    ctx = engine(any_app)
    instance_id = start_solicitud(ctx)
    client = any_app.test_client()
    ana = bearer(ctx, "ana")
    task_id = client.get("/api/v1/tasks?candidate=me", headers=ana).json["items"][0]["id"]
    before = (_instances(ctx), client.get(f"/api/v1/tasks/{task_id}", headers=ana).json)
    for method, path, kwargs in _api_requests(task_id, instance_id):
        headers = {**ana, **kwargs.pop("headers", {})}
        response = getattr(client, method)(path, headers=headers, **kwargs)
        assert 400 <= response.status_code < 500, (path, kwargs, response.status_code, response.get_data())
        assert response.json["error"], (path, kwargs)
        assert "Error inesperado" not in response.json["error"]
    after = (_instances(ctx), client.get(f"/api/v1/tasks/{task_id}", headers=ana).json)
    assert after == before


@pytest.mark.parametrize(
    "path",
    [
        f"/tareas/{BIG}",
        f"/procesos/{BIG}",
        f"/procesos/{BIG}/diagrama.json",
        "/tareas?pagina=9223372036854775807",
        "/tareas?texto=a%00b",
        "/tareas?proceso=a%00b",
        "/pqrsd?pagina=9223372036854775807",
        "/pqrsd?offset=9223372036854775807",
        "/pqrsd?q=a%00b",
    ],
)
def test_hostile_page_addresses_get_a_page_not_a_500(any_app: Flask, path: str) -> None:
    client = any_app.test_client()
    sign_in(client, "sara")
    response = client.get(path)
    assert response.status_code in {400, 404}, (path, response.status_code)
    assert "Error inesperado" not in response.get_data(as_text=True)


def test_a_multipart_part_with_a_malformed_name_is_a_400(any_app: Flask) -> None:
    """Found by the schemathesis run: werkzeug names such a part None."""
    client = any_app.test_client()
    body = b'--b\r\nContent-Disposition: form-data; name="\r"\r\n\r\nnull\r\n--b--\r\n'
    headers = {**bearer(engine(any_app), "root"), "Content-Type": "multipart/form-data; boundary=b"}
    response = client.post("/api/v1/pqrsd/0/anexos", data=body, headers=headers)
    assert response.status_code == 400 and "nombre válido" in response.json["error"]
