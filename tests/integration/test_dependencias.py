"""Dependencias exist before a user or a model names them: the CLI refuses a mistyped group, deploy warns,
init creates the ones the shipped models use, and an upgrade keeps the groups users already had."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from engine.context import Context
from engine.errors import BadInput, Conflict
from engine.identity import dependencias, users
from engine.modeling.definitions import SourceFile
from engine.store.db import Database
from engine.store.schema import alembic_config
from engine.workflow import deployments, instances
from tests.conftest import ROOT, make_empty_database_url
from tests.helpers import deploy_files, phva_runner

TWO_TASKS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="grupos" name="Grupos" isExecutable="true">
    <bpmn:startEvent id="inicio" name="Inicio"/>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="Task_Mal"/>
    <bpmn:userTask id="Task_Mal" name="Revisar" camunda:candidateGroups="atencion_ciudadno, juridica"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Task_Mal" targetRef="Task_Expr"/>
    <bpmn:userTask id="Task_Expr" name="Responder" camunda:candidateGroups="${grupo}"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Task_Expr" targetRef="fin"/>
    <bpmn:endEvent id="fin" name="Fin"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def phva(request: pytest.FixtureRequest, tmp_path: Path):
    return phva_runner(
        PHVA_DATABASE_URL=make_empty_database_url(request.param, request, tmp_path),
        PHVA_INSTANCE_DIR=str(tmp_path / "instance"),
        PHVA_BPMN_DIR=str(ROOT / "bpmn"),
        PHVA_FORMS_DIR=str(ROOT / "forms"),
        PHVA_ADMIN_PASSWORD="clave-de-prueba",
    )


def test_init_creates_the_dependencias_of_the_shipped_models_and_users_add_refuses_a_typo(phva) -> None:
    first = phva("init")
    assert first.exit_code == 0, first.output
    assert "AVISO" not in first.output  # every group the models name exists after init
    assert "Dependencias creadas para los modelos: alta_direccion, atencion_ciudadano" in first.output
    listed = {d["code"]: d for d in json.loads(phva("dependencias", "list", "--json").output)}
    assert set(listed) == {
        "alta_direccion", "atencion_ciudadano", "comunicaciones", "control_interno", "dependencias",
        "juridica", "planeacion", "secretaria_general", "supervision", "talento_humano",
    }  # fmt: skip
    assert listed["atencion_ciudadano"]["name"] == "Unidad de Atención al Ciudadano"  # named after its lane
    assert "Dependencias creadas" not in phva("init").output  # rerun: nothing new

    refused = phva("users", "add", "ana", "--groups", "atencion_ciudadno")
    assert refused.exit_code == 2
    assert "«atencion_ciudadno» no existe (¿quiso decir «atencion_ciudadano»?)" in refused.output
    assert "--create" in refused.output
    assert [u["username"] for u in json.loads(phva("users", "list", "--json").output)] == ["admin"]

    assert phva("users", "add", "ana", "--groups", "atencion_ciudadano").exit_code == 0
    created = phva("users", "add", "beto", "--groups", "archivo_central", "--create")
    assert created.exit_code == 0, created.output
    assert "Dependencias creadas: archivo_central." in created.output
    assert "archivo_central" in phva("dependencias", "list").output


def test_deploy_warns_about_a_group_that_names_no_dependencia_with_the_element(ctx: Context) -> None:
    dependencias.create_dependencia(ctx, "atencion_ciudadano", "Atención al ciudadano", actor="root")
    dependencias.create_dependencia(ctx, "juridica", actor="root")
    outcome = deployments.deploy(ctx, [SourceFile("grupos.bpmn", TWO_TASKS.encode())])
    assert outcome.report.ok and outcome.new_versions  # a warning, not a refusal
    [warning] = [p for p in outcome.report.warnings if "candidateGroups" in p.message]
    assert (warning.file, warning.element_id) == ("grupos.bpmn", "Task_Mal")
    assert (
        "«atencion_ciudadno» (candidateGroups), que no existe (¿quiso decir «atencion_ciudadano»?)"
        in warning.message
    )
    # `${grupo}` is chosen while the process runs: no warning for Task_Expr
    assert not any(p.element_id == "Task_Expr" for p in outcome.report.problems)
    checked = deployments.deploy(ctx, [SourceFile("grupos.bpmn", TWO_TASKS.encode())], check_only=True)
    assert [p.element_id for p in checked.report.warnings if "candidateGroups" in p.message] == ["Task_Mal"]


def test_deploy_warns_about_an_inactive_dependencia(ctx: Context) -> None:
    for code in ("atencion_ciudadano", "juridica", "atencion_ciudadno"):
        dependencias.create_dependencia(ctx, code, actor="root")
    dependencias.set_dependencia_active(ctx, "atencion_ciudadno", False, actor="root")
    outcome = deployments.deploy(ctx, [SourceFile("grupos.bpmn", TWO_TASKS.encode())])
    [warning] = [p for p in outcome.report.warnings if "candidateGroups" in p.message]
    assert "que está inactiva" in warning.message and "Reactívela" in warning.message


def test_deactivating_a_dependencia_in_use_is_refused_with_the_reason(ctx: Context) -> None:
    deploy_files(ctx, "timers_escalation.bpmn")
    users.add_user(ctx, "ana", groups="atencion")  # programmatic callers create what they name
    instances.start_process(ctx, "escalamiento")
    with pytest.raises(Conflict) as refused:
        dependencias.set_dependencia_active(ctx, "atencion", False, actor="root")
    assert "1 usuario(s) activo(s) (ana) y 1 tarea(s) abierta(s)" in refused.value.message
    assert dependencias.dependencia_exists(ctx, "atencion")
    dependencias.create_dependencia(ctx, "archivo", "Archivo central", actor="root")
    assert not dependencias.set_dependencia_active(ctx, "archivo", False, actor="root").active
    assert not dependencias.dependencia_exists(ctx, "archivo")
    with pytest.raises(BadInput, match="«archivo» está inactiva"):
        users.add_user(ctx, "beto", groups="archivo", create_groups=True)  # inactive is not re-created


def test_upgrading_creates_a_dependencia_for_every_group_users_already_have(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = Database(make_empty_database_url("sqlite", request, tmp_path))
    config = alembic_config(db.url)
    with db.write_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
        for name, groups in (
            ("ana", '["atencion_ciudadano", "juridica"]'),
            ("beto", '["juridica"]'),
            ("root", "[]"),
        ):
            conn.execute(
                text(
                    "INSERT INTO users (username, display_name, roles, groups, active, created_at) "
                    f"VALUES ('{name}', '{name}', '[]', '{groups}', true, '2026-03-02 13:00:00')"
                )
            )
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()
        rows = conn.execute(text("SELECT code, name, active FROM dependencias ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [
        ("atencion_ciudadano", "Atencion ciudadano", 1),
        ("juridica", "Juridica", 1),
    ]
    db.dispose()
