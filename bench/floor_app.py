"""The stack's floor for `bench.throughput`: the same three API calls (start, list `candidate=me`, complete)
served by Flask under gunicorn with SpiffWorkflow and psycopg and nothing else, so the bench can say what
part of phva's cost per completion is the stack itself.

What it leaves out is everything phva adds to those calls: the unit of work and its pool, tokens looked up in
the database, access rules, forms, audit, visibility rows, the supervision dashboard, notices, timers, the
legal calendar and the PQRSD case. What it keeps is what no implementation on this stack can skip: an HTTP
request per call, a bearer token compared, the workflow started or restored, run and serialized, and its
instance and task rows written and committed in one transaction on one connection per worker.

    gunicorn 'bench.floor_app:create_app()'   with FLOOR_DATABASE_URL and FLOOR_TOKENS (comma-separated)
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from flask import Flask, abort, jsonify, request
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS floor_instances (id bigserial PRIMARY KEY, state text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_tasks (id bigserial PRIMARY KEY, instance_id bigint NOT NULL "
    "REFERENCES floor_instances (id), spiff_id uuid NOT NULL, candidate_group text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS floor_tasks_group ON floor_tasks (candidate_group, id)",
)


def create_schema(url: str) -> None:
    with psycopg.connect(url) as conn:
        for statement in SCHEMA:
            conn.execute(statement)


def create_app() -> Flask:
    from bench.throughput import MODEL  # the bench's one-task model

    parser = CamundaParser()
    parser.add_bpmn_str(MODEL.encode(), "rendimiento.bpmn")
    spec = parser.get_spec("rendimiento")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    url = os.environ["FLOOR_DATABASE_URL"]
    tokens = {f"Bearer {t}" for t in os.environ["FLOOR_TOKENS"].split(",")}
    held: dict[str, psycopg.Connection[Any]] = {}  # one connection per worker, opened after the fork

    def connection() -> psycopg.Connection[Any]:
        if "conn" not in held:
            held["conn"] = psycopg.connect(url)
        return held["conn"]

    def save_ready(cur: psycopg.Cursor[Any], instance_id: int, wf: BpmnWorkflow) -> None:
        for task in wf.get_tasks(state=TaskState.READY, manual=True):
            cur.execute(
                "INSERT INTO floor_tasks (instance_id, spiff_id, candidate_group) VALUES (%s, %s, 'bench')",
                (instance_id, task.id),
            )

    app = Flask(__name__)

    @app.before_request
    def authenticate() -> None:
        if request.path != "/health" and request.headers.get("Authorization") not in tokens:
            abort(401)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    @app.post("/api/v1/process-instances")
    def start() -> Any:
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        conn = connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO floor_instances (state) VALUES (%s) RETURNING id",
                (serializer.serialize_json(wf),),
            )
            row = cur.fetchone()
            assert row is not None
            save_ready(cur, row[0], wf)
        return jsonify(id=row[0]), 201

    @app.get("/api/v1/tasks")
    def tasks() -> Any:
        limit = min(int(request.args.get("limit", "10")), 100)
        rows = (
            connection()
            .execute(
                "SELECT id, instance_id FROM floor_tasks WHERE candidate_group = 'bench' "
                "ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            .fetchall()
        )
        connection().commit()
        return jsonify(items=[{"id": i, "instance_id": instance} for i, instance in rows])

    @app.post("/api/v1/tasks/<int:task_id>/complete")
    def complete(task_id: int) -> Any:
        data = (request.get_json(silent=True) or {}).get("data") or {}
        conn = connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "SELECT t.instance_id, t.spiff_id, i.state FROM floor_tasks t JOIN floor_instances i "
                "ON i.id = t.instance_id WHERE t.id = %s FOR UPDATE OF i",
                (task_id,),
            )
            row = cur.fetchone()
            if row is None:
                abort(404)
            instance_id, spiff_id, state = row
            wf = serializer.deserialize_json(state)
            task = wf.get_task_from_id(spiff_id)
            task.set_data(**data)
            task.run()
            wf.do_engine_steps()
            cur.execute(
                "UPDATE floor_instances SET state = %s WHERE id = %s",
                (serializer.serialize_json(wf), instance_id),
            )
            cur.execute("DELETE FROM floor_tasks WHERE id = %s", (task_id,))
            save_ready(cur, instance_id, wf)
        return jsonify(id=task_id, completed=True)

    return app
