"""POST /api/v1/signals: a broadcast by name, for admins and the `mensajes` role (issue 13 §6)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.workflow import deployments, instances
from tests.web.conftest import bearer, engine

CORPUS = Path(__file__).parents[1] / "data" / "camunda" / "corpus"


def test_a_signal_reaches_the_waiting_instances_and_starts_the_signal_started_ones(any_app: Flask) -> None:
    ctx = engine(any_app)
    stems = ("SignalEventTests.catchAlertSignal", "SignalEventTest.signalStartEvent")
    outcome = deployments.deploy(
        ctx, [SourceFile(f"{s}.bpmn", (CORPUS / f"{s}.bpmn").read_bytes()) for s in stems]
    )
    assert outcome.report.ok, outcome.report.format()
    waiting = instances.start_process(ctx, "catchSignal", actor="ana")
    users.add_user(ctx, "bus", password="x" * 12, roles="mensajes")
    client = any_app.test_client()
    refused = client.post("/api/v1/signals", headers=bearer(ctx, "ana"), json={"name": "alert"})
    assert refused.status_code == 403 and "mensajes" in refused.json["error"]
    sent = client.post(
        "/api/v1/signals", headers=bearer(ctx, "bus"), json={"name": "alert", "data": {"x": 1}}
    )
    assert sent.status_code == 200, sent.json
    assert sent.json["delivered_to"] == [waiting.id] and len(sent.json["started"]) == 1
    root = bearer(ctx, "root")
    assert client.get(f"/api/v1/process-instances/{waiting.id}", headers=root).json["status"] == "completed"
    nobody = client.post("/api/v1/signals", headers=root, json={"name": "otra"})
    assert nobody.status_code == 200 and nobody.json == {"name": "otra", "delivered_to": [], "started": []}


def test_a_bad_signal_is_400_with_the_field_named(any_app: Flask) -> None:
    ctx = engine(any_app)
    client, root = any_app.test_client(), bearer(ctx, "root")
    for payload in ({}, {"name": ""}, {"name": 7}, {"name": "x", "data": [1]}, {"name": "x" * 300}):
        response = client.post("/api/v1/signals", headers=root, json=payload)
        assert response.status_code == 400, payload
        assert set(response.json) == {"error", "details"}
