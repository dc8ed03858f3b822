"""PHVA_REQUIRE_MODEL_TESTS: Camunda Modeler's Deploy runs the model tests kept beside the models on the server, and
a deploy whose tests fail is refused in Camunda's error shape with the failing steps; nothing is deployed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from engine.context import Context
from engine.identity import users
from engine.workflow import views
from tests.web.test_engine_rest import DATA, PASSWORD, replay
from web import create_app

TEST = """files: [modeler_demo.bpmn, modeler_demo_decision.dmn, modeler_demo_form.form]
tests:
  - name: una solicitud urgente sale con nivel alto
    start: {{process: modeler_demo, data: {{prioridad: 3, urgente: true}}}}
    steps:
      - expect_tasks: [Activity_Revisar]
      - expect_variables: {{nivel: {nivel}}}
"""


def app_with_tests(ctx: Context, folder: Path, nivel: str) -> object:
    for name in ("modeler_demo.bpmn", "modeler_demo_decision.dmn", "modeler_demo_form.form"):
        shutil.copy(DATA / name, folder / name)
    (folder / "modeler_demo.test.yaml").write_text(TEST.format(nivel=nivel), encoding="utf-8")
    users.add_user(ctx, "analista1", password=PASSWORD, roles="analista", groups="atencion_ciudadano")
    ctx.settings = dataclasses.replace(ctx.settings, require_model_tests=True, model_tests_dir=folder)
    return create_app({"TESTING": True, "SECRET_KEY": "t"}, context=ctx)


def test_a_deploy_whose_model_tests_pass_goes_through(sqlite_ctx: Context, tmp_path: Path) -> None:
    app = app_with_tests(sqlite_ctx, tmp_path, "alto")
    response = replay(app.test_client(), "deploy")  # type: ignore[attr-defined]
    assert response.status_code == 200, response.get_json()
    assert [d["key"] for d in views.definitions(sqlite_ctx)] == ["modeler_demo"]


def test_a_deploy_whose_model_tests_fail_is_refused_with_the_failing_step(
    sqlite_ctx: Context, tmp_path: Path
) -> None:
    app = app_with_tests(sqlite_ctx, tmp_path, "bajo")
    response = replay(app.test_client(), "deploy")  # type: ignore[attr-defined]
    body = response.get_json()
    assert response.status_code == 400 and body["type"] == "ParseException"
    assert (
        "pruebas de modelo" in body["message"]
        and "«nivel» vale 'alto', se esperaba 'bajo'" in body["message"]
    )
    assert any("paso 2 (expect_variables)" in line for line in body["details"]["model_tests"])
    assert views.definitions(sqlite_ctx) == []
