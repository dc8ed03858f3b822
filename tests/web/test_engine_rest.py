"""Issue 14 §1, §5: Camunda Modeler 5's Deploy and Start instance requests, replayed byte for byte.

The requests under data/camunda_modeler/ were recorded from Chromium (the Modeler is Electron) by
tools/record_modeler_requests.py, doing what the Modeler's CamundaAPI does. The start request's definition id
is the one the deploy answered (the Modeler keeps it from the deploy); everything else is sent as recorded.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.context import Context
from engine.identity import users
from engine.store import definitions as store
from engine.store.tables import Deployment, ProcessInstance, Task
from engine.store.uow import UnitOfWork
from web import create_app

DATA = Path(__file__).with_name("data") / "camunda_modeler"
PASSWORD = "clave-segura-1"  # the recorded requests' Basic credentials: analista1 / clave-segura-1
# The Modeler's own test of an error body (CamundaAPI.getCamundaErrorCode): a parse error starts so.
MODELER_PARSE_ERROR_PREFIX = "ENGINE-09005 Could not parse BPMN process."


def recorded(name: str, **replace: str) -> tuple[str, str, dict[str, str], bytes]:
    raw = (DATA / f"{name}.http").read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode().split("\r\n")
    method, path, _ = request_line.split(" ")
    for old, new in replace.items():
        path = path.replace(old, new)
    headers = dict(line.split(": ", 1) for line in header_lines)
    headers.pop("Content-Length", None)  # the test client sets it from the body
    return method, path, headers, body


def replay(client: FlaskClient, name: str, **replace: str) -> Any:
    method, path, headers, body = recorded(name, **replace)
    return client.open(path, method=method, headers=headers, data=body)


@pytest.fixture
def app(sqlite_ctx: Context) -> Iterator[Flask]:
    users.add_user(sqlite_ctx, "analista1", password=PASSWORD, roles="analista", groups="atencion_ciudadano")
    users.add_user(sqlite_ctx, "func1", password=PASSWORD, roles="funcionario", groups="atencion_ciudadano")
    yield create_app({"TESTING": True, "SECRET_KEY": "t"}, context=sqlite_ctx)  # CSRF on, as in production


def test_the_connection_check_and_version_answer_as_camunda(app: Flask) -> None:
    client = app.test_client()
    assert replay(client, "check_connection").status_code == 200
    assert replay(client, "check_connection").get_json() == []
    version = replay(client, "version")
    assert version.status_code == 200 and version.get_json()["version"].startswith("7.")


def test_the_modelers_deploy_deploys_the_bpmn_with_its_dmn_and_form(app: Flask, sqlite_ctx: Context) -> None:
    response = replay(app.test_client(), "deploy")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "modeler_demo" and body["source"] == "Camunda Modeler"
    assert body["deploymentTime"].endswith("+0000")
    (definition,) = body["deployedProcessDefinitions"].values()
    assert definition["key"] == "modeler_demo" and definition["version"] == 1
    assert definition["id"] in body["deployedProcessDefinitions"]
    assert definition["deploymentId"] == body["id"]
    with UnitOfWork(sqlite_ctx.db, write=False) as uow:
        deployment = uow.session.get(Deployment, int(body["id"]))
        assert deployment is not None
        assert deployment.created_by == "analista1"
        assert deployment.summary["source"] == "Camunda Modeler"  # audited with its source
        files = store.deployment_files(uow.session, deployment.id)
        assert store.form_schema(uow.session, "modeler_demo_form") is not None
    assert [f["name"] for f in files] == [
        "modeler_demo.bpmn",
        "modeler_demo_decision.dmn",
        "modeler_demo_form.form",
    ]
    assert files[0]["content"] == (DATA / "modeler_demo.bpmn").read_text(encoding="utf-8")


def test_the_same_deploy_again_makes_no_new_version(app: Flask) -> None:
    client = app.test_client()
    first = replay(client, "deploy").get_json()
    again = replay(client, "deploy")
    assert again.status_code == 200
    assert list(again.get_json()["deployedProcessDefinitions"]) == list(first["deployedProcessDefinitions"])
    listed = client.get("/engine-rest/process-definition?key=modeler_demo", headers=_basic("analista1"))
    assert [d["version"] for d in listed.get_json()] == [1]


def test_start_instance_starts_the_deployed_version_with_typed_variables(
    app: Flask, sqlite_ctx: Context
) -> None:
    client = app.test_client()
    deployed = replay(client, "deploy").get_json()
    (definition_id,) = deployed["deployedProcessDefinitions"]
    response = replay(client, "start", PROCESS_DEFINITION_ID=definition_id)
    assert response.status_code == 200, response.get_json()
    started = response.get_json()
    assert started["definitionId"] == definition_id and started["businessKey"] == "MODELER-1"
    assert started["ended"] is False
    with UnitOfWork(sqlite_ctx.db, write=False) as uow:
        instance = uow.session.get(ProcessInstance, int(started["id"]))
        assert instance is not None and instance.business_key == "MODELER-1"
        task = uow.session.scalar(
            select(Task.bpmn_id).where(Task.instance_id == instance.id, Task.state == "ready")
        )
        state = json.dumps(instance.state) if not isinstance(instance.state, str) else instance.state
    assert task == "Activity_Revisar"
    # prioridad arrived as the Integer 3 (the DMN's ">= 3" matched), urgente as a boolean
    assert '"nivel": "alto"' in state.replace('\\"', '"') or '"nivel":"alto"' in state.replace('\\"', '"')


def test_start_by_key_and_definition_lookups(app: Flask) -> None:
    client = app.test_client()
    replay(client, "deploy")
    headers = {**_basic("analista1"), "content-type": "application/json"}
    by_key = client.get("/engine-rest/process-definition/key/modeler_demo", headers=headers).get_json()
    assert by_key["key"] == "modeler_demo" and by_key["version"] == 1
    one = client.get(f"/engine-rest/process-definition/{by_key['id']}", headers=headers).get_json()
    assert one == by_key
    latest = client.get("/engine-rest/process-definition?latestVersion=true", headers=headers).get_json()
    assert [d["key"] for d in latest] == ["modeler_demo"]
    payload = {"businessKey": "K-2", "variables": {"prioridad": {"value": "1", "type": "Integer"}}}
    started = client.post(
        "/engine-rest/process-definition/key/modeler_demo/start", headers=headers, json=payload
    )
    assert started.status_code == 200 and started.get_json()["businessKey"] == "K-2"
    missing = client.get("/engine-rest/process-definition/key/no_existe", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["type"] == "InvalidRequestException"
    bad = client.post(
        "/engine-rest/process-definition/key/modeler_demo/start",
        headers=headers,
        json={"variables": {"prioridad": {"value": "tres", "type": "Integer"}}},
    )
    assert bad.status_code == 400 and "prioridad" in bad.get_json()["message"]


def test_an_invalid_model_gets_a_camunda_parse_error_naming_the_element(
    app: Flask, sqlite_ctx: Context
) -> None:
    method, path, headers, body = recorded("deploy")
    broken = body.replace(b'camunda:decisionRef="modeler_demo_decision"', b"", 1)
    response = app.test_client().open(path, method=method, headers=headers, data=broken)
    assert response.status_code == 400
    error = response.get_json()
    assert error["type"] == "ParseException"
    assert error["message"].startswith(MODELER_PARSE_ERROR_PREFIX)  # the Modeler's DIAGRAM_PARSE_ERROR
    assert "Activity_Nivel" in error["message"]
    (problem,) = [
        e for e in error["details"]["modeler_demo.bpmn"]["errors"] if e["mainElementId"] == "Activity_Nivel"
    ]
    assert "decisionRef" in problem["message"]
    with UnitOfWork(sqlite_ctx.db, write=False) as uow:
        assert uow.session.scalar(select(Deployment.id)) is None  # nothing written


def test_only_analysts_and_admins_deploy(app: Flask, sqlite_ctx: Context) -> None:
    client = app.test_client()
    method, path, headers, body = recorded("deploy")
    anonymous = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    response = client.open(path, method=method, headers=anonymous, data=body)
    assert response.status_code == 401 and response.get_json()["type"] == "AuthenticationException"
    assert "Basic" in response.headers["WWW-Authenticate"]
    as_func = client.open(path, method=method, headers={**headers, **_basic("func1")}, data=body)
    assert as_func.status_code == 403 and as_func.get_json()["type"] == "AuthorizationException"
    wrong = client.open(path, method=method, headers={**headers, **_basic("analista1", "otra")}, data=body)
    assert wrong.status_code == 401
    token = users.issue_token(sqlite_ctx, "analista1")
    bearer = client.open(
        path, method=method, headers={**headers, "authorization": f"Bearer {token}"}, data=body
    )
    assert bearer.status_code == 200


def test_size_limits_refuse_the_deploy_in_camunda_shape(sqlite_ctx: Context) -> None:
    from engine.workflow.modeler_rest import Limits

    users.add_user(sqlite_ctx, "analista1", password=PASSWORD, roles="analista")
    for limits, what in ((Limits(files=2), "archivos"), (Limits(file_bytes=1000), "MB")):
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "t", "ENGINE_REST_LIMITS": limits}, context=sqlite_ctx
        )
        response = replay(app.test_client(), "deploy")
        assert response.status_code == 400
        assert (
            response.get_json()["type"] == "InvalidRequestException"
            and what in response.get_json()["message"]
        )


def test_the_base_path_is_configurable(sqlite_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHVA_ENGINE_REST_PATH", "/camunda/api/")
    users.add_user(sqlite_ctx, "analista1", password=PASSWORD, roles="analista")
    client = create_app({"TESTING": True, "SECRET_KEY": "t"}, context=sqlite_ctx).test_client()
    assert client.get("/camunda/api/version", headers=_basic("analista1")).status_code == 200
    assert client.get("/engine-rest/version", headers=_basic("analista1")).status_code == 404


def _basic(user: str, password: str = PASSWORD) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
