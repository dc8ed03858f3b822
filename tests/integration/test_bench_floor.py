"""The stack's floor that `bench.throughput --floor` measures does the work the phva loop does: a started instance
waits in its user task, the list offers that task, and completing it finishes the instance — or the comparison
would flatter phva. A wrong token is refused, as phva's API refuses it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from bench import floor_app
from tests.conftest import make_empty_database_url

pytestmark = pytest.mark.postgres


def test_the_floor_starts_lists_and_completes_as_the_bench_loop_expects(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_empty_database_url("postgres", request, tmp_path).replace(
        "postgresql+psycopg://", "postgresql://"
    )
    floor_app.create_schema(url)
    monkeypatch.setenv("FLOOR_DATABASE_URL", url)
    monkeypatch.setenv("FLOOR_TOKENS", "uno,dos")
    client = floor_app.create_app().test_client()
    bearer = {"Authorization": "Bearer dos"}

    assert (
        client.post("/api/v1/process-instances", headers={"Authorization": "Bearer tres"}).status_code == 401
    )
    started = client.post("/api/v1/process-instances", json={"process_key": "rendimiento"}, headers=bearer)
    assert started.status_code == 201
    instance = started.get_json()["id"]
    listed = client.get("/api/v1/tasks?candidate=me&limit=10", headers=bearer).get_json()["items"]
    [task] = [t["id"] for t in listed if t["instance_id"] == instance]

    done = client.post(f"/api/v1/tasks/{task}/complete", json={"data": {"nota": "7"}}, headers=bearer)
    assert done.status_code == 200
    assert client.post(f"/api/v1/tasks/{task}/complete", json={}, headers=bearer).status_code == 404
    assert client.get("/api/v1/tasks?candidate=me", headers=bearer).get_json()["items"] == []
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT state FROM floor_instances WHERE id = %s", (instance,)).fetchone()
    assert row is not None
    workflow = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)).deserialize_json(
        row[0]
    )
    assert workflow.completed and workflow.data["nota"] == "7"
