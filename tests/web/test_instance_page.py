"""Instance page: diagram XML of the instance's version, markers that move, due badges, history, data."""

from __future__ import annotations

from flask import Flask

from engine.identity.users import get_user
from engine.workflow import tasks, views
from tests.web.conftest import engine, sign_in, start_solicitud


def test_diagram_markers_move_as_tasks_complete(app: Flask) -> None:
    ctx = engine(app)
    instance_id = start_solicitud(ctx)
    client = app.test_client()
    sign_in(client, "ana")
    before = client.get(f"/procesos/{instance_id}/diagrama.json").json
    assert before["xml"].startswith("<?xml") and "Activity_Revisar" in before["xml"]
    assert before["active"] == ["Activity_Revisar"] and "Activity_Radicar" in before["completed"]
    assert {b["id"] for b in before["badges"]} == {"Activity_Revisar", "Event_Plazo"}
    assert before["badges"][0]["label"].startswith("Vence: 17 mar. 2026")
    task_id = views.tasks(ctx, views.task_filter_for(get_user(ctx, "ana"), instance_id=instance_id))[0][0][
        "id"
    ]
    tasks.claim_task(ctx, task_id, "ana")
    tasks.complete_task(ctx, task_id, "ana", {"concepto": "Procede", "aprobado": True})
    after = client.get(f"/procesos/{instance_id}/diagrama.json").json
    assert after["active"] == ["Activity_Responder"] and "Activity_Revisar" in after["completed"]
    ctx.clock.advance(days=20)  # type: ignore[attr-defined]
    late = client.get(f"/procesos/{instance_id}/diagrama.json").json
    assert late["overdue"] == ["Activity_Responder"] and late["badges"][0]["label"].startswith("Vencida")


def test_instance_page_shows_history_data_and_the_viewer(app: Flask) -> None:
    instance_id = start_solicitud(engine(app))
    client = app.test_client()
    sign_in(client, "ana")
    html = client.get(f"/procesos/{instance_id}").get_data(as_text=True)
    assert "Atender solicitud" in html and "Inició" in html and "RAD-" in html
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html
    assert client.get("/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js").status_code == 200
    assert client.get("/procesos/999").status_code == 404
