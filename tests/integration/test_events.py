"""Link events and event-subprocess rules as Camunda 7 runs and refuses them (issue 13 §6)."""

from __future__ import annotations

from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile, analyze
from engine.workflow import instances, tasks, views
from tests.helpers import deploy_xml, open_tasks, process_xml

LINKED = """
    <bpmn:startEvent id="inicio"/>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="radicar"/>
    <bpmn:userTask id="radicar" name="Radicar"/>
    <bpmn:sequenceFlow id="f2" sourceRef="radicar" targetRef="irA"/>
    <bpmn:intermediateThrowEvent id="irA" name="A respuesta"><bpmn:linkEventDefinition name="respuesta"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="desdeA" name="A respuesta"><bpmn:linkEventDefinition name="respuesta"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="desdeA" targetRef="responder"/>
    <bpmn:userTask id="responder" name="Responder"/>
    <bpmn:sequenceFlow id="f4" sourceRef="responder" targetRef="fin"/>
    <bpmn:endEvent id="fin"/>"""


def test_a_link_throw_goes_on_at_its_catch(ctx: Context) -> None:
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(ctx, "enlace.bpmn", process_xml(LINKED, pid="enlace"))
    started = instances.start_process(ctx, "enlace")
    [radicar] = open_tasks(ctx, started.id)
    tasks.complete_task(ctx, radicar["id"], "root", {})
    [responder] = open_tasks(ctx, started.id)
    assert responder["bpmn_id"] == "responder"
    tasks.complete_task(ctx, responder["id"], "root", {})
    detail = views.instance(ctx, started.id)
    assert detail["status"] == "completed"
    assert {"irA", "desdeA", "responder"} <= set(detail["completed_activities"])


def errors(body: str) -> list[tuple[str | None, str]]:
    report = analyze([SourceFile("m.bpmn", process_xml(body).encode())]).report
    return [(p.element_id, p.message) for p in report.errors]


def test_a_link_throw_without_its_catch_is_refused_by_name() -> None:
    found = errors(
        LINKED.replace(
            'name="respuesta"/>\n    </bpmn:intermediateCatchEvent>',
            'name="otro"/>\n    </bpmn:intermediateCatchEvent>',
        )
    )
    assert any(e == "irA" and "respuesta" in m for e, m in found), found


def test_an_error_start_outside_an_event_subprocess_is_refused() -> None:
    body = (
        '<bpmn:startEvent id="inicio"><bpmn:errorEventDefinition/></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f" sourceRef="inicio" targetRef="fin"/><bpmn:endEvent id="fin"/>'
    )
    assert any(e == "inicio" and "subproceso de evento" in m for e, m in errors(body))


def test_an_event_subprocess_inside_a_subprocess_is_refused_unless_started_by_a_timer() -> None:
    inner = (
        '<bpmn:subProcess id="alerta" triggeredByEvent="true"><bpmn:startEvent id="alertaInicio" '
        'isInterrupting="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="g" sourceRef="alertaInicio" targetRef="alertaFin"/><bpmn:endEvent id="alertaFin"/>'
        "</bpmn:subProcess>"
    )
    body = (
        '<bpmn:startEvent id="inicio"/><bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="sub"/>'
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="f3" sourceRef="s2" '
        f'targetRef="e2"/><bpmn:endEvent id="e2"/>{inner}</bpmn:subProcess>'
        '<bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="fin"/><bpmn:endEvent id="fin"/>'
    )
    found = errors(body)
    assert any(e == "alertaInicio" and "dentro de otro subproceso" in m for e, m in found), found
