"""JSON API: shapes kept stable for clients, Bearer tokens, and errors as {"error", "details"}."""

from __future__ import annotations

from flask import Flask

from engine.context import Context
from engine.identity import users
from engine.workflow import instances, tasks
from tests.helpers import TASK_FIELDS, accepts, deploy_xml, flow, process_xml, task_named
from tests.web.conftest import bearer, engine, start_solicitud


def start(client, headers, **extra):  # type: ignore[no-untyped-def]
    body = {
        "process_key": "atender_solicitud",
        "data": {"solicitante": "ana", "asunto": "Certificado", "tipo": "peticion"},
        **extra,
    }
    return client.post("/api/v1/process-instances", json=body, headers=headers)


def test_without_a_token_the_api_answers_401_in_json(any_app: Flask) -> None:
    client = any_app.test_client()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/tasks", headers=headers)
        assert response.status_code == 401
        assert set(response.json) == {"error", "details"} and response.headers["WWW-Authenticate"]


def test_start_list_claim_complete_round_trip(any_app: Flask) -> None:
    ctx: Context = engine(any_app)
    client, ana = any_app.test_client(), bearer(engine(any_app), "ana")
    started = start(client, ana, business_key="RAD-7")
    assert started.status_code == 201
    assert set(started.json) == {"id", "process_key", "version", "status"}
    assert started.json["process_key"] == "atender_solicitud" and started.json["status"] == "running"
    iid = started.json["id"]
    listed = client.get("/api/v1/tasks?candidate=me", headers=ana).json
    assert listed["total"] == 1
    task = listed["items"][0]
    assert set(task) >= TASK_FIELDS
    assert client.get("/api/v1/tasks?assignee=me", headers=ana).json["total"] == 0
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=ana)
    assert claimed.status_code == 200 and claimed.json["assignee"] == "ana"
    invalid = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=ana, json={"data": {"folios": 0}})
    assert invalid.status_code == 422
    assert invalid.json["details"]["concepto"] == "Este campo es obligatorio."
    assert "folios" in invalid.json["details"]
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        headers=ana,
        json={"data": {"concepto": "Procede", "aprobado": True}},
    )
    assert done.status_code == 200 and done.json["instance_id"] == iid
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=ana, json={"data": {}})
    assert again.status_code == 409 and again.json["error"]
    detail = client.get(f"/api/v1/process-instances/{iid}", headers=ana).json
    assert [t["name"] for t in detail["active_tasks"]] == ["Responder"]
    assert [e["action"] for e in detail["history"]][:3] == [
        "instance_started",
        "task_claimed",
        "task_completed",
    ]
    assert client.get(f"/api/v1/tasks?instance_id={iid}&assignee=me", headers=ana).json["total"] == 1
    ctx.clock.advance(days=30)  # type: ignore[attr-defined]
    assert client.get("/api/v1/tasks?overdue=true", headers=ana).json["total"] == 1


def test_bad_input_is_400_with_the_field_named(any_app: Flask) -> None:
    client, ana = any_app.test_client(), bearer(engine(any_app), "ana")
    assert client.post("/api/v1/process-instances", json={}, headers=ana).json["details"] == {
        "process_key": "Debe ser un texto no vacío."
    }
    assert (
        client.post(
            "/api/v1/process-instances", data="[", headers={**ana, "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert client.get("/api/v1/tasks?assignee=otro", headers=ana).status_code == 400
    assert client.get("/api/v1/tasks?limit=x", headers=ana).json["details"] == {
        "limit": "Debe ser un número entero."
    }
    unknown = start(client, ana, process_key="no_existe")
    assert unknown.status_code == 404 and unknown.json["error"]
    assert client.get("/api/v1/nada", headers=ana).status_code == 404


def test_other_dependencias_get_403_and_supervisors_assign(any_app: Flask) -> None:
    ctx = engine(any_app)
    start_solicitud(ctx)
    client = any_app.test_client()
    beto, sara, sol = bearer(ctx, "beto"), bearer(ctx, "sara"), bearer(ctx, "sol")
    task_id = client.get("/api/v1/tasks", headers=sara).json["items"][0]["id"]
    assert client.get("/api/v1/tasks", headers=beto).json == {
        "items": [],
        "total": 0,
        "total_capped": False,
        "next": None,
    }
    for verb in ("claim", "unclaim", "complete"):
        response = client.post(f"/api/v1/tasks/{task_id}/{verb}", headers=beto, json={})
        assert response.status_code == 403, verb
    assert client.get(f"/api/v1/tasks/{task_id}", headers=beto).status_code == 403
    assert (
        client.post(f"/api/v1/tasks/{task_id}/assign", headers=sol, json={"assignee": "beto"}).status_code
        == 403
    )
    assigned = client.post(f"/api/v1/tasks/{task_id}/assign", headers=sara, json={"assignee": "ana"})
    assert assigned.status_code == 200 and assigned.json["assignee"] == "ana"
    taken = client.post(f"/api/v1/tasks/{task_id}/claim", headers=sara)
    assert taken.status_code == 409


def test_message_correlation_by_business_key(any_app: Flask) -> None:
    client, ana = any_app.test_client(), bearer(engine(any_app), "ana")
    missing = client.post(
        "/api/v1/messages", headers=ana, json={"name": "respuesta", "business_key": "RAD-1"}
    )
    assert missing.status_code == 404 and "respuesta" in missing.json["error"]
    assert client.post("/api/v1/messages", headers=ana, json={"business_key": "x"}).status_code == 400


def test_process_definitions_are_listed(any_app: Flask) -> None:
    client, ana = any_app.test_client(), bearer(engine(any_app), "ana")
    listed = client.get("/api/v1/process-definitions", headers=ana).json
    assert {d["key"] for d in listed["items"]} == {"atender_solicitud", "encuesta_satisfaccion"}
    assert listed["total"] == 2


def test_only_participants_and_integrations_deliver_messages(any_app: Flask) -> None:
    """Issue 15 finding 4: another dependencia's funcionario, or an analista, may not push data into an instance."""
    ctx = engine(any_app)
    deploy_xml(
        ctx,
        "espera.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:userTask id="pre" name="Preparar" camunda:candidateGroups='
            '"atencion_ciudadano"/><bpmn:intermediateCatchEvent id="espera" name="Esperar respuesta">'
            '<bpmn:messageEventDefinition messageRef="Msg"/></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
            + flow("s>pre", "pre>espera", "espera>e")
        ).replace("</bpmn:process>", '</bpmn:process><bpmn:message id="Msg" name="respuesta_ciudadano"/>'),
    )
    started = instances.start_process(ctx, "prueba", business_key="R-9", actor="root")
    task = task_named(ctx, started.id, "Preparar")
    tasks.complete_task(ctx, task["id"], "ana", {})
    users.add_user(ctx, "lina", password="x" * 12, roles="analista")
    users.add_user(ctx, "bus", password="x" * 12, roles="mensajes")
    client = any_app.test_client()
    message = {"name": "respuesta_ciudadano", "business_key": "R-9", "payload": {"tercero": "sí"}}
    for outsider in ("beto", "lina"):
        refused = client.post("/api/v1/messages", headers=bearer(ctx, outsider), json=message)
        assert refused.status_code == 403 and "no participa" in refused.json["error"], outsider
    root = bearer(ctx, "root")
    assert client.get(f"/api/v1/process-instances/{started.id}", headers=root).json["status"] == "running"
    done = client.post("/api/v1/messages", headers=bearer(ctx, "bus"), json=message)
    assert done.status_code == 200 and done.json == {"instance_id": started.id}
    assert client.get(f"/api/v1/process-instances/{started.id}", headers=root).json["status"] == "completed"


def test_the_api_validates_the_start_form_like_the_page(any_app: Flask) -> None:
    """Issue 15 finding 5: a missing required field or one over its maxlength is a 422, and nothing starts."""
    client, ana = any_app.test_client(), bearer(engine(any_app), "ana")
    missing = client.post(
        "/api/v1/process-instances",
        headers=ana,
        json={"process_key": "atender_solicitud", "data": {"asunto": "Certificado"}},
    )
    assert missing.status_code == 422 and "solicitante" in missing.json["details"]
    too_long = client.post(
        "/api/v1/process-instances",
        headers=ana,
        json={"process_key": "atender_solicitud", "data": {"solicitante": "ana", "asunto": "x" * 201}},
    )
    assert too_long.status_code == 422 and "asunto" in too_long.json["details"]
    assert client.get("/api/v1/tasks?candidate=me", headers=ana).json["total"] == 0


def test_a_task_with_no_form_accepts_only_the_variables_its_model_lists(any_app: Flask) -> None:
    """Issue 15 finding 6: `{"beneficiario": "fa"}` on a formless task must not route the next task to the caller."""
    ctx = engine(any_app)
    routed = (
        '<bpmn:startEvent id="s"/>'
        '<bpmn:userTask id="a" name="Revisar" camunda:candidateGroups="atencion_ciudadano">{}</bpmn:userTask>'
        '<bpmn:userTask id="b" name="Pagar" camunda:assignee="${{beneficiario}}"/><bpmn:endEvent id="e"/>'
    )
    deploy_xml(ctx, "libre.bpmn", process_xml(routed.format("") + flow("s>a", "a>b", "b>e"), pid="libre"))
    deploy_xml(
        ctx,
        "lista.bpmn",
        process_xml(routed.format(accepts("beneficiario")) + flow("s>a", "a>b", "b>e"), pid="lista"),
    )
    client, ana = any_app.test_client(), bearer(ctx, "ana")
    free = instances.start_process(ctx, "libre", data={"beneficiario": "sara"}, actor="root")
    task = task_named(ctx, free.id, "Revisar")
    refused = client.post(
        f"/api/v1/tasks/{task['id']}/complete", headers=ana, json={"data": {"beneficiario": "ana"}}
    )
    assert refused.status_code == 422
    assert refused.json["details"] == {"beneficiario": refused.json["details"]["beneficiario"]}
    assert "no tiene formulario" in refused.json["error"]
    assert task_named(ctx, free.id, "Revisar")["state"] == "ready"
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", headers=ana, json={}).status_code == 200
    assert task_named(ctx, free.id, "Pagar")["assignee"] == "sara"
    listed = instances.start_process(ctx, "lista", data={"beneficiario": "sara"}, actor="root")
    task = task_named(ctx, listed.id, "Revisar")
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", headers=ana, json={"data": {"beneficiario": "beto"}}
    )
    assert done.status_code == 200 and task_named(ctx, listed.id, "Pagar")["assignee"] == "beto"


def test_task_list_pages_follow_next_links_with_a_stable_cursor(any_app: Flask) -> None:
    ctx = engine(any_app)
    for _ in range(3):
        start_solicitud(ctx)
    client = any_app.test_client()
    sara = bearer(ctx, "sara")
    whole = client.get("/api/v1/tasks", headers=sara).json
    assert whole["total"] == len(whole["items"]) == 3 and whole["next"] is None
    seen, url = [], "/api/v1/tasks?limit=2&offset=1"
    first = client.get(url, headers=sara).json
    assert [t["id"] for t in first["items"]] == [t["id"] for t in whole["items"]][1:3]
    url = "/api/v1/tasks?limit=2"
    while url:
        page = client.get(url, headers=sara).json
        seen += [t["id"] for t in page["items"]]
        url = page["next"]
        assert url is None or ("cursor=" in url and "limit=2" in url)
    assert seen == [t["id"] for t in whole["items"]]
    bad = client.get("/api/v1/tasks?cursor=no-es-un-cursor", headers=sara)
    assert bad.status_code == 400 and "cursor" in bad.json["details"]
