"""Incidents repaired where people work: an administrator corrects the variables and retries, or annuls the case."""

from __future__ import annotations

import pytest

from engine.context import Context
from engine.errors import Forbidden
from engine.identity import users
from engine.pqrsd import case_actions, radicacion, views
from engine.workflow import views as workflow_views
from tests.helpers import deploy_xml, open_tasks, process_xml

MODEL = """
    <bpmn:startEvent id="Inicio" />
    <bpmn:sequenceFlow id="F1" sourceRef="Inicio" targetRef="Contar" />
    <bpmn:scriptTask id="Contar" name="Contar los folios" scriptFormat="python">
      <bpmn:script>folios_total = int(folios) + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Contar" targetRef="Responder" />
    <bpmn:userTask id="Responder" name="Responder" camunda:candidateGroups="atencion_ciudadano" />
    <bpmn:sequenceFlow id="F3" sourceRef="Responder" targetRef="Fin" />
    <bpmn:endEvent id="Fin" />
"""
FILING = {"tipo": "queja", "canal": "formulario_web", "asunto": "Ruido", "descripcion": "Ruido nocturno.",
          "nombre": "Luz Mora"}  # fmt: skip


@pytest.fixture
def stopped(ctx: Context) -> str:
    """A case whose process stopped on an incident: the model reads a variable the filing doesn't give."""
    deploy_xml(ctx, "pqrsd.bpmn", process_xml(MODEL, pid="pqrsd", name="PQRSD de prueba"))
    users.add_user(ctx, "root", roles="admin")
    users.add_user(ctx, "ana", groups="atencion_ciudadano")
    case = radicacion.file_pqrsd(ctx, FILING, actor="ana")
    assert case["process_error"] and "folios" in case["process_error"]
    return str(case["radicado"])


def test_an_admin_sees_the_incident_corrects_the_variable_and_the_case_goes_on(
    ctx: Context, stopped: str
) -> None:
    [incident] = views.case_detail(ctx, stopped, "root")["incidentes"]
    assert incident["activity"] == "Contar" and "folios" in incident["message"]
    with pytest.raises(Forbidden):
        case_actions.corregir(ctx, stopped, incident["id"], {"folios": "3"}, "ana")

    status = case_actions.corregir(ctx, stopped, incident["id"], {"folios": "3"}, "root")

    case = views.case_detail(ctx, stopped, "root")
    assert status == "running" and case["incidentes"] == []
    [task] = open_tasks(ctx, case["instance_id"])
    assert task["name"] == "Responder"
    history = workflow_views.instance(ctx, case["instance_id"])["history"]
    assert any(h["action"] == "incident_retried" and h["data_after"] == {"folios": "3"} for h in history)


def test_an_admin_annuls_a_case_and_its_process_with_the_reason(ctx: Context, stopped: str) -> None:
    with pytest.raises(Exception, match="motivo"):
        case_actions.anular(ctx, stopped, "  ", "root")
    annulled = case_actions.anular(ctx, stopped, "Radicada dos veces por error", "root")
    assert annulled["status"] == "anulada"
    detail = workflow_views.instance(ctx, annulled["instance_id"])
    assert detail["status"] == "cancelled" and all(i["resolved_at"] for i in detail["incidents"])
    events = [e["action"] for e in views.case_detail(ctx, stopped, "root")["eventos"]]
    assert "pqrsd_anulada" in events and "instance_cancelled" in events
